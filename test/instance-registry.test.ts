import { describe, expect, it, vi } from "vitest";
import { startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { ManualClock } from "../src/core/clock.ts";
import { InstanceRegistryRepository } from "../src/db/repositories/instance-registry-repository.ts";
import { createLogger } from "../src/observability/logger.ts";
import { openDatabase } from "../src/db/database.ts";
import { startInstanceRegistry } from "../src/outreach/instance-registry.ts";
import { SendPacer } from "../src/outreach/send-pacer.ts";
import { defaultSendRates } from "../src/outreach/send-rates.ts";
import { describeEachDatabase, tendDatabaseTargets } from "./support/databases.ts";
import { FakeSleep } from "./support/fake-sleep.ts";

const intervalMs = 5000;
const logger = createLogger("silent");

describeEachDatabase("instance registry repository", (db) => {
  it("counts the instances alive on each platform, forgets the silent, and removes one on request", async () => {
    const repository = new InstanceRegistryRepository(db().prisma);
    const t0 = new Date("2027-03-01T08:00:00Z");
    const at = (ms: number) => new Date(t0.getTime() + ms);
    await repository.heartbeat("a", "tend-a", ["telegram", "discord"], t0);
    await repository.heartbeat("b", "tend-b", ["telegram"], t0);
    await repository.heartbeat("c", "tend-c", [], t0);
    expect(Object.fromEntries(await repository.liveCounts(at(-15_000)))).toEqual({ telegram: 2, discord: 1 });

    // Only a keeps beating; 16 s later b's last heartbeat is outside a 15 s live window.
    await repository.heartbeat("a", "tend-a", ["telegram", "discord"], at(16_000));
    expect(Object.fromEntries(await repository.liveCounts(at(1_000)))).toEqual({ telegram: 1, discord: 1 });

    expect(await repository.removeSilentSince(at(10_000))).toBe(2);
    await repository.remove("a");
    expect((await repository.liveCounts(at(-60_000))).size).toBe(0);
  });
});

describeEachDatabase("instances sharing platform send budgets", (db, target) => {
  function instance(clock: ManualClock, name: string, platforms: ("telegram" | "discord")[]) {
    const timers = new FakeSleep(clock);
    const pacer = new SendPacer({ rates: defaultSendRates(), clock, sleep: timers.sleep });
    const registry = startInstanceRegistry({ db: db(), pacer, name, platforms, clock, intervalMs, logger, sleep: timers.sleep });
    return { timers, pacer, registry };
  }

  if (target.name === "pglite") {
    it("on the embedded database (one process) keeps the whole budget and writes nothing", async () => {
      const clock = new ManualClock("2027-03-01T08:00:00Z");
      const a = instance(clock, "a", ["telegram"]);
      const b = instance(clock, "b", ["telegram"]);
      await (await a.registry).beat();
      await (await b.registry).beat();
      expect(a.pacer.overallRate("telegram")).toEqual({ count: 30, periodMs: 1000 });
      expect((await new InstanceRegistryRepository(db().prisma).liveCounts(new Date(0))).size).toBe(0);
      await (await a.registry).stop();
      await (await b.registry).stop();
    });
    return;
  }

  it("splits a platform's rate when a second instance registers, and returns it when that one's heartbeat stops", async () => {
    const clock = new ManualClock("2027-03-01T08:00:00Z");
    const a = instance(clock, "a", ["telegram"]);
    const registryA = await a.registry;
    expect(a.pacer.overallRate("telegram")).toEqual({ count: 30, periodMs: 1000 });

    const b = instance(clock, "b", ["telegram", "discord"]);
    const registryB = await b.registry;
    // Telegram is shared by two; b alone sends on Discord.
    expect(b.pacer.overallRate("telegram")).toEqual({ count: 15, periodMs: 1000 });
    expect(b.pacer.overallRate("discord")).toEqual({ count: 50, periodMs: 1000 });
    // a learns of b at its next heartbeat, from its own timer.
    await a.timers.advance(intervalMs);
    await vi.waitFor(() => expect(a.pacer.overallRate("telegram")).toEqual({ count: 15, periodMs: 1000 }), { timeout: 20_000 });

    // A third: 10 each, so together never more than 30 a second.
    const c = instance(clock, "c", ["telegram"]);
    const registryC = await c.registry;
    await registryA.beat();
    await registryB.beat();
    for (const one of [a, b, c]) expect(one.pacer.overallRate("telegram")).toEqual({ count: 10, periodMs: 1000 });

    // c stops cleanly: the others' shares grow at their next heartbeat.
    await registryC.stop();
    await registryA.beat();
    expect(a.pacer.overallRate("telegram")).toEqual({ count: 15, periodMs: 1000 });

    // b falls silent (crashed: no stop). Within three intervals it still counts; after, a has it all.
    clock.advance(2 * intervalMs);
    await registryA.beat();
    expect(a.pacer.overallRate("telegram")).toEqual({ count: 15, periodMs: 1000 });
    clock.advance(intervalMs + 1);
    await registryA.beat();
    expect(a.pacer.overallRate("telegram")).toEqual({ count: 30, periodMs: 1000 });

    await registryA.stop();
    await registryB.stop();
    expect((await new InstanceRegistryRepository(db().prisma).liveCounts(new Date(0))).size).toBe(0);
  });
});

const postgres = tendDatabaseTargets("registry").find((target) => target.name === "postgres")!;
describe.skipIf(Boolean(postgres.skip))(`a whole Tend on PostgreSQL${postgres.skip ? ` (skipped: ${postgres.skip})` : ""}`, () => {
  it("registers itself with the channels it runs at start, and removes itself at stop", async () => {
    const env = await postgres.env();
    const config = loadConfig({ ...env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", TEND_INSTANCE_ID: "registry-test" });
    const tend = await startTend({ config, logger });
    try {
      const rows = await tend.db.prisma.tendInstance.findMany();
      expect(rows.map((row) => ({ name: row.name, platforms: row.platforms }))).toEqual([{ name: "registry-test", platforms: ["web"] }]);
    } finally {
      await tend.stop();
    }
    const again = await openDatabase({ kind: "postgres", url: env.DATABASE_URL! });
    try {
      expect(await again.prisma.tendInstance.count()).toBe(0);
    } finally {
      await again.close();
    }
  }, 120_000);
});
