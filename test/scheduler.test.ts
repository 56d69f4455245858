import { expect, it } from "vitest";
import { JobScheduler, isValidCron } from "../src/jobs/scheduler.ts";
import { createLogger } from "../src/observability/logger.ts";

it("runs jobs on schedule, survives a failing run, and waits for a run in progress on stop", async () => {
  const scheduler = new JobScheduler(createLogger("silent"));
  let runs = 0;
  let finished = 0;
  scheduler.add({
    name: "every-second",
    schedule: "* * * * * *",
    run: async () => {
      runs += 1;
      if (runs === 1) throw new Error("first run fails");
      await new Promise((resolve) => setTimeout(resolve, 300));
      finished += 1;
    },
  });
  while (runs < 2) await new Promise((resolve) => setTimeout(resolve, 100));
  await scheduler.stop();
  expect(finished).toBe(runs - 1);
  const after = runs;
  await new Promise((resolve) => setTimeout(resolve, 1200));
  expect(runs).toBe(after);
});

it("validates cron expressions", () => {
  expect(isValidCron("15 3 * * *")).toBe(true);
  expect(isValidCron("every day")).toBe(false);
});
