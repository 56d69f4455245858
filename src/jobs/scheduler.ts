import cron, { type ScheduledTask } from "node-cron";
import { describeError } from "../errors.ts";
import type { Logger } from "../observability/logger.ts";

export interface Job {
  name: string;
  /** A cron expression, e.g. "15 3 * * *". */
  schedule: string;
  run: () => Promise<unknown>;
}

/**
 * Runs Tend's periodic jobs. A run never overlaps the previous one of the same job, a failing
 * run is logged and the next one goes ahead, and stop() waits for runs in progress.
 */
export class JobScheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly running = new Set<Promise<unknown>>();
  private readonly log: Logger;

  constructor(logger: Logger) {
    this.log = logger.child({ component: "jobs" });
  }

  add(job: Job): void {
    const task = cron.schedule(
      job.schedule,
      async () => {
        const started = Date.now();
        const run = job.run();
        this.running.add(run);
        try {
          const result = await run;
          this.log.info({ job: job.name, ms: Date.now() - started, result }, "job finished");
        } catch (error) {
          this.log.error({ job: job.name, err: describeError(error) }, "job failed");
        } finally {
          this.running.delete(run);
        }
      },
      { name: job.name, noOverlap: true, timezone: "UTC" },
    );
    this.tasks.push(task);
  }

  async stop(): Promise<void> {
    for (const task of this.tasks) await task.stop();
    await Promise.allSettled([...this.running]);
  }
}

export function isValidCron(expression: string): boolean {
  return cron.validate(expression);
}
