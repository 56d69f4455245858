import { randomUUID } from "node:crypto";
import type { Platform } from "../core/channel.ts";
import type { Clock } from "../core/clock.ts";
import type { Database } from "../db/database.ts";
import { InstanceRegistryRepository } from "../db/repositories/instance-registry-repository.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../observability/logger.ts";
import { type Sleep, realSleep } from "./send-pacer.ts";

/** An instance counts as alive while its last heartbeat is within this many intervals. */
export const liveIntervals = 3;
/** Rows silent this many intervals are deleted by whichever instance notices. */
const forgetIntervals = 100;

export interface InstanceRegistryOptions {
  db: Database;
  /** Told this instance's share of each platform's budget after every heartbeat. */
  pacer: { shareAmong(platform: Platform, instances: number): void };
  /** TEND_INSTANCE_ID, shown in the table. */
  name: string;
  /** The platforms this instance sends on (its started channels). */
  platforms: Platform[];
  clock: Clock;
  intervalMs: number;
  logger: Logger;
  sleep?: Sleep;
}

export interface InstanceRegistry {
  /** This process's row id; random per start. */
  readonly id: string;
  /** One heartbeat and share update now (the loop calls it every interval). */
  beat(): Promise<void>;
  /** Stops the heartbeat and removes this instance's row, so the others' shares grow at once. */
  stop(): Promise<void>;
}

/**
 * Registers this instance on a shared PostgreSQL and keeps its platform-wide send rates at
 * limit / live instances on that platform, re-read at every heartbeat: three instances never send
 * 3 × 30 messages a second to Telegram. On the embedded database only one process can run, so
 * nothing is registered and the share stays whole. Resolves after the first heartbeat, so the
 * share is right before the first send.
 */
export async function startInstanceRegistry(options: InstanceRegistryOptions): Promise<InstanceRegistry> {
  const id = randomUUID();
  if (options.db.kind === "pglite") return { id, beat: async () => {}, stop: async () => {} };

  const { pacer, name, platforms, clock, intervalMs, logger } = options;
  const repository = new InstanceRegistryRepository(options.db.prisma);
  const sleep = options.sleep ?? realSleep;
  const stopping = new AbortController();
  const shares = new Map<Platform, number>();

  const beat = async () => {
    const now = clock.now();
    try {
      await repository.heartbeat(id, name, platforms, now);
      const counts = await repository.liveCounts(new Date(now.getTime() - liveIntervals * intervalMs));
      for (const platform of platforms) {
        // This instance counts itself even if its own row was just deleted by a slow peer's clean-up.
        const instances = Math.max(1, counts.get(platform) ?? 0);
        if (shares.get(platform) !== instances) {
          logger.info({ platform, instances }, "platform send budget shared among live instances");
          shares.set(platform, instances);
        }
        pacer.shareAmong(platform, instances);
      }
      await repository.removeSilentSince(new Date(now.getTime() - forgetIntervals * intervalMs));
    } catch (error) {
      // Keep the last known shares: a database hiccup must not let every instance take the whole budget.
      logger.warn({ err: describeError(error) }, "instance heartbeat failed; keeping the last send budget shares");
    }
  };

  await beat();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        await sleep(intervalMs, stopping.signal);
      } catch {
        return;
      }
      await beat();
    }
  })();

  let stopped: Promise<void> | undefined;
  return {
    id,
    beat,
    stop: () =>
      (stopped ??= (async () => {
        stopping.abort();
        await loop;
        await repository.remove(id).catch((error) => logger.warn({ err: describeError(error) }, "could not remove this instance's registry row"));
      })()),
  };
}
