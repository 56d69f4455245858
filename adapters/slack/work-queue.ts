/**
 * Runs work one at a time per key (per conversation) and keeps count of what is still running.
 * Slack delivers events concurrently; without this a quick "rate us" then "2" could be answered
 * in the wrong order, and stop() could close the database under a reply in progress.
 */
export class WorkQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly running = new Set<Promise<void>>();

  /** Queues `work` behind earlier work for the same key. `work` must not throw. */
  run(key: string, work: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.tails.set(key, next);
    this.running.add(next);
    const done = () => {
      this.running.delete(next);
      if (this.tails.get(key) === next) this.tails.delete(key);
    };
    next.then(done, done);
    return next;
  }

  /** Resolves once nothing is queued or running, including work queued meanwhile. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
