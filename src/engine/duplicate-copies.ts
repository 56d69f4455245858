import type { Clock } from "../core/clock.ts";
import type { Platform } from "../core/channel.ts";
import type { InboundState, InteractionRepository } from "../db/repositories/interaction-repository.ts";

export interface DuplicateCopiesOptions {
  interactions: InteractionRepository;
  clock: Clock;
  /** A claim older than this with no outcome means its handler died (a crash, a killed instance). */
  claimLeaseMs?: number;
  /** How long a copy waits for the original's outcome before it gives up with what there is. */
  waitMs?: number;
}

/** Handling a message takes milliseconds; a minute without an outcome is a handler that is gone. */
export const DEFAULT_CLAIM_LEASE_MS = 60_000;
export const DEFAULT_WAIT_MS = 10_000;
const FIRST_PAUSE_MS = 10;
const LONGEST_PAUSE_MS = 500;

/**
 * What happens to a copy of an inbound message (a redelivery, a retried request, another
 * instance's copy): the message is handled once, by whoever recorded it first; a copy either
 * finds it abandoned and takes it over, or waits for its outcome. Copies on this instance wait
 * on the handling itself; copies of a message another instance handles watch its row.
 */
export class DuplicateCopies {
  private readonly handling = new Map<string, Promise<unknown>>();
  private readonly interactions: InteractionRepository;
  private readonly clock: Clock;
  private readonly claimLeaseMs: number;
  private readonly waitMs: number;

  constructor(options: DuplicateCopiesOptions) {
    this.interactions = options.interactions;
    this.clock = options.clock;
    this.claimLeaseMs = options.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS;
    this.waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  }

  /** Runs the handling of a message, so that copies arriving meanwhile on this instance can wait for it. */
  async track<T>(platform: Platform, platformMessageId: string | undefined, work: () => Promise<T>): Promise<T> {
    if (!platformMessageId) return work();
    const key = `${platform}:${platformMessageId}`;
    const running = work();
    this.handling.set(key, running);
    try {
      return await running;
    } finally {
      if (this.handling.get(key) === running) this.handling.delete(key);
    }
  }

  /** Whether this instance is handling the message right now (a copy arriving meanwhile leaves it to that handling). */
  isHandlingHere(platform: Platform, platformMessageId: string | undefined): boolean {
    return platformMessageId !== undefined && this.handling.has(`${platform}:${platformMessageId}`);
  }

  /**
   * For a copy: the id of the original's row when its handler died and this copy won the
   * takeover (then this copy handles it), else null (handled, or being handled right now).
   */
  async takeOverIfAbandoned(platform: Platform, platformMessageId: string): Promise<string | null> {
    const state = await this.interactions.inboundState(platform, platformMessageId);
    if (!state || state.handledAt || !this.isAbandoned(state)) return null;
    const now = this.clock.now();
    const won = await this.interactions.claimStale(state.id, now, this.staleBefore(now));
    return won ? state.id : null;
  }

  /**
   * Waits, bounded, until the message has an outcome, and returns its state then: handled, or
   * still unhandled when the wait ran out or its handler died meanwhile; null when unknown.
   */
  async outcomeOf(platform: Platform, platformMessageId: string): Promise<InboundState | null> {
    const key = `${platform}:${platformMessageId}`;
    const deadline = Date.now() + this.waitMs;
    let pause = FIRST_PAUSE_MS;
    for (;;) {
      const local = this.handling.get(key);
      if (local) await Promise.race([local.catch(() => undefined), sleep(deadline - Date.now())]);
      const state = await this.interactions.inboundState(platform, platformMessageId);
      const left = deadline - Date.now();
      if (!state || state.handledAt || this.isAbandoned(state) || left <= 0) return state;
      await sleep(Math.min(pause, left));
      pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
    }
  }

  private isAbandoned(state: InboundState): boolean {
    return state.claimedAt === null || state.claimedAt.getTime() < this.staleBefore(this.clock.now()).getTime();
  }

  private staleBefore(now: Date): Date {
    return new Date(now.getTime() - this.claimLeaseMs);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
