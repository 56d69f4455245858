/** Time as the engine sees it: injected, so tests and simulations can move it. */
export interface Clock {
  now(): Date;
  /**
   * Milliseconds from some fixed moment on a clock that is never stepped, for measuring spans (a send
   * rate's period): the wall clock can jump when the system's time is set, and a span measured across a
   * jump comes out too long or too short. Without it, spans are measured on now().
   */
  elapsedMs?(): number;
}

export const systemClock: Clock = { now: () => new Date(), elapsedMs: () => performance.now() };

/** A clock that stands still until told to move; for tests and replays. */
export class ManualClock implements Clock {
  private current: Date;

  constructor(start: Date | string) {
    this.current = new Date(start);
  }

  now(): Date {
    return new Date(this.current);
  }

  /** Moves with now(): a manual clock is stepped only when told. */
  elapsedMs(): number {
    return this.current.getTime();
  }

  set(to: Date | string): void {
    this.current = new Date(to);
  }

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
