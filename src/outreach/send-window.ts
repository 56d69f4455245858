import type { SendRate } from "./send-rates.ts";

/**
 * At most `count` sends per `periodMs`, counted the way a platform that answers 429 counts them: each
 * send holds one of `count` tokens from the moment it is allowed until one period (and a small guard)
 * after its answer came back. The platform counts a request when it arrives, some time between the
 * two; holding the token from the answer on means the platform can never see `count + 1` in one
 * period, however late one request travelled and however early the next. (Counting from the moment a
 * send was allowed, as this did first, let a slow request and a quick one land 999 ms apart: 429s.)
 * A full bucket allows a burst of `count` at once, never more than `count` in any span of one period.
 * Null rate means no limit, though a 429's pause still applies.
 */
export class SendWindow {
  /** End times of finished sends whose token is not back yet, oldest first; `head` indexes the oldest. */
  private ends: number[] = [];
  private head = 0;
  /** Sends allowed whose answer has not come back: their tokens are held until it does. */
  private inFlight = 0;
  private pausedUntil = 0;

  /** `guardMs`: added to each token's period, for clock granularity between Tend and the platform. */
  constructor(
    private rate: SendRate | null,
    private readonly guardMs = 0,
  ) {}

  get limit(): SendRate | null {
    return this.rate;
  }

  /** The first moment at or after `now` when one more send is allowed; Infinity while every token is in flight. */
  nextFreeAt(now: number): number {
    const at = Math.max(now, this.pausedUntil);
    if (!this.rate) return at;
    this.expire(now);
    const held = this.inFlight + this.ends.length - this.head;
    if (held < this.rate.count) return at;
    if (this.inFlight >= this.rate.count) return Number.POSITIVE_INFINITY;
    // One more send needs `held - count + 1` finished tokens back: the last of them frees it.
    return Math.max(at, this.ends[this.head + held - this.rate.count]! + this.rate.periodMs + this.guardMs);
  }

  /** A send allowed now (the caller has checked nextFreeAt(now) <= now): its token is held until finish(). */
  take(): void {
    this.inFlight += 1;
  }

  /** The answer to a send taken before came back (or it was never made) at `now`: its token returns one period later. */
  finish(now: number): void {
    if (this.inFlight === 0) return;
    this.inFlight -= 1;
    if (!this.rate) return;
    // Times come from one clock and arrive in order; a clock stepped back is put in its place.
    let i = this.ends.length;
    while (i > this.head && this.ends[i - 1]! > now) i--;
    this.ends.splice(i, 0, now);
  }

  pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  /** Back to a full bucket with nothing in flight and no pause: nothing here is worth keeping. */
  isIdle(now: number): boolean {
    if (now < this.pausedUntil || this.inFlight > 0) return false;
    if (!this.rate) return true;
    this.expire(now);
    return this.head === this.ends.length;
  }

  /** A new rate (a changed share of the platform's budget) that still counts the recent and in-flight sends. */
  reshape(rate: SendRate | null): void {
    this.rate = rate;
    if (!rate) {
      this.ends = [];
      this.head = 0;
    }
  }

  /** Drops the ends whose token is back; compacts the array now and then. */
  private expire(now: number): void {
    if (!this.rate) return;
    const back = this.rate.periodMs + this.guardMs;
    while (this.head < this.ends.length && this.ends[this.head]! + back <= now) this.head += 1;
    if (this.head === this.ends.length) {
      this.ends = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.ends.length) {
      this.ends = this.ends.slice(this.head);
      this.head = 0;
    }
  }
}
