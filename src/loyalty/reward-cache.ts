import type { Reward } from "../db/repositories/reward-repository.ts";

/** How long a cached catalogue is trusted: a change made elsewhere (another instance) shows within this. */
export const REWARD_CACHE_TTL_MS = 10_000;

/**
 * The reward catalogue, read once and kept: every "rewards" and "redeem" message lists it, and it
 * changes a few times a year. Changes made through this process drop it at once (`invalidate`);
 * changes made by another process (a second instance on PostgreSQL, a direct SQL edit) show
 * within the TTL. Concurrent readers of an expired catalogue share one read.
 */
export class RewardCache {
  private loaded: { rewards: Reward[]; at: number } | null = null;
  private loading: Promise<Reward[]> | null = null;
  private generation = 0;

  constructor(
    private readonly read: () => Promise<Reward[]>,
    private readonly ttlMs = REWARD_CACHE_TTL_MS,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Every reward, active or not (callers filter). */
  async all(): Promise<Reward[]> {
    if (this.loaded && this.now() - this.loaded.at < this.ttlMs) return this.loaded.rewards;
    if (!this.loading) {
      const generation = this.generation;
      const at = this.now();
      this.loading = this.read().then(
        (rewards) => {
          // A change made while this read was under way must not be overwritten by its older result.
          if (generation === this.generation) this.loaded = { rewards, at };
          this.loading = null;
          return rewards;
        },
        (error: unknown) => {
          this.loading = null;
          throw error;
        },
      );
    }
    return this.loading;
  }

  invalidate(): void {
    this.generation += 1;
    this.loaded = null;
    this.loading = null;
  }
}
