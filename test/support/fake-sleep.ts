import type { ManualClock } from "../../src/core/clock.ts";
import type { Sleep } from "../../src/outreach/send-pacer.ts";

interface Timer {
  at: number;
  seq: number;
  resolve(): void;
}

/** Lets every promise callback that is ready run (a macrotask turn drains the microtasks). */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Sleeps on a ManualClock: nothing waits in real time; advancing the clock wakes the sleepers whose
 * time has come, one moment at a time, with promise callbacks run in between.
 */
export class FakeSleep {
  private timers: Timer[] = [];
  private seq = 0;

  constructor(private readonly clock: ManualClock) {}

  readonly sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(signal.reason);
      };
      const timer: Timer = {
        at: this.clock.now().getTime() + ms,
        seq: this.seq++,
        resolve: () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal.addEventListener("abort", onAbort, { once: true });
    });

  get pending(): number {
    return this.timers.length;
  }

  /** Wakes the earliest sleeper(s), moving the clock to their time; false when nobody sleeps. */
  async next(): Promise<boolean> {
    await settle();
    if (this.timers.length === 0) return false;
    const at = Math.min(...this.timers.map((t) => t.at));
    if (at > this.clock.now().getTime()) this.clock.set(new Date(at));
    const due = this.timers.filter((t) => t.at <= at).sort((a, b) => a.seq - b.seq);
    this.timers = this.timers.filter((t) => t.at > at);
    for (const timer of due) timer.resolve();
    await settle();
    return true;
  }

  /** Moves the clock forward by `ms`, waking every sleeper due on the way at its own time. */
  async advance(ms: number): Promise<void> {
    const target = this.clock.now().getTime() + ms;
    await settle();
    while (this.timers.some((t) => t.at <= target)) await this.next();
    this.clock.set(new Date(target));
    await settle();
  }

  /** Runs the clock until `done` settles; fails if it cannot settle because nobody sleeps. */
  async runUntil<T>(done: Promise<T>): Promise<T> {
    let finished = false;
    const watched = done.finally(() => {
      finished = true;
    });
    watched.catch(() => {});
    await settle();
    while (!finished) {
      if (!(await this.next()) && !finished) throw new Error("stuck: nothing sleeps and the work is not done");
    }
    return watched;
  }
}
