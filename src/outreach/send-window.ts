import type { SendRate } from "./send-rates.ts";

/**
 * A token bucket whose tokens each come back exactly one period after they were spent: a full bucket
 * allows a burst of `count`, then `count` per period, and never more than `count` in any span of one
 * period. The classic continuously refilling bucket does not promise that last part (a full bucket
 * and then its refill let 2·count−1 through within one period), and a platform counting sends per
 * window answers that with 429s. Holds the last `count` send times; null rate means no limit, though
 * a 429's pause still applies.
 */
export class SendWindow {
  /** Send times, a ring once full: `oldest` indexes the oldest. */
  private times: number[] = [];
  private oldest = 0;
  private pausedUntil = 0;

  constructor(private rate: SendRate | null) {}

  get limit(): SendRate | null {
    return this.rate;
  }

  /** The first moment at or after `now` when one more send is allowed. */
  nextFreeAt(now: number): number {
    let at = Math.max(now, this.pausedUntil);
    if (this.rate && this.times.length >= this.rate.count) at = Math.max(at, this.times[this.oldest]! + this.rate.periodMs);
    return at;
  }

  /** Records a send at `now`; the caller has checked nextFreeAt(now) <= now. */
  take(now: number): void {
    if (!this.rate) return;
    if (this.times.length < this.rate.count) {
      this.times.push(now);
      return;
    }
    this.times[this.oldest] = now;
    this.oldest = (this.oldest + 1) % this.times.length;
  }

  pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  /** Back to a full bucket with no pause: nothing here is worth keeping. */
  isIdle(now: number): boolean {
    if (now < this.pausedUntil) return false;
    if (!this.rate || this.times.length === 0) return true;
    const newest = this.times.length < this.rate.count ? this.times[this.times.length - 1]! : this.times[(this.oldest + this.times.length - 1) % this.times.length]!;
    return newest + this.rate.periodMs <= now;
  }

  /** A new rate (a changed share of the platform's budget) that still counts the recent sends. */
  reshape(rate: SendRate | null): void {
    const ordered = [...this.times.slice(this.oldest), ...this.times.slice(0, this.oldest)];
    this.rate = rate;
    this.times = rate ? ordered.slice(-rate.count) : [];
    this.oldest = 0;
  }
}
