import { describe, expect, it } from "vitest";
import { mulberry32 } from "../src/analytics/clv/simulate.ts";
import { ManualClock } from "../src/core/clock.ts";
import { CarePlanRepository } from "../src/db/repositories/care-plan-repository.ts";
import { loadCarePlans } from "../src/outreach/care-plans-file.ts";
import { outboxPlanWriter } from "../src/outreach/planner-job.ts";
import { CarePlanner } from "../src/outreach/planner.ts";
import { formatUpliftReport, upliftReport } from "../src/outreach/uplift-report.ts";
import { proportionDifference, studentTQuantile, welchDifference } from "../src/outreach/uplift-stats.ts";
import { describeEachDatabase } from "./support/databases.ts";

describe("uplift statistics", () => {
  it("Student's t 97.5 % quantiles match the published table", () => {
    // NIST/SEMATECH e-Handbook, table 1.3.6.7.2 (upper critical values of the t distribution, alpha 0.025).
    const table: [number, number][] = [[1, 12.706], [2, 4.303], [5, 2.571], [10, 2.228], [30, 2.042], [100, 1.984]];
    for (const [df, value] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(value, 3);
  });

  it("says nothing below 30 customers in a group", () => {
    expect(proportionDifference(5, 29, 3, 100)).toBeNull();
    expect(welchDifference({ n: 100, sum: 10, sumOfSquares: 20 }, { n: 10, sum: 1, sumOfSquares: 2 })).toBeNull();
  });
});

describeEachDatabase("care plan uplift report", (db) => {
  it("recovers a known simulated effect within its 95 % intervals, and says too few when groups are small", async () => {
    const prisma = db().prisma;
    const repository = new CarePlanRepository(prisma);
    const count = 1200;
    await prisma.customer.createMany({
      // Fixed ids: who is held out (a hash of id and occurrence) and the simulated outcomes are the same on every run.
      data: Array.from({ length: count }, (_, i) => ({
        id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
        displayName: `u${i}`,
        timeZone: "UTC",
        birthday: new Date("1990-05-20T00:00:00Z"),
      })),
    });
    const plans = loadCarePlans(undefined);
    const only = { ...plans, festivals: { ...plans.festivals, enabled: false }, checkin: { ...plans.checkin, enabled: false }, winback: { ...plans.winback, enabled: false }, anniversary: { ...plans.anniversary, enabled: false }, tierUpgrade: { ...plans.tierUpgrade, enabled: false } };
    only.birthday = { ...plans.birthday, control: 0.3 };
    await new CarePlanner({ plans: only, repository, writer: outboxPlanWriter(repository, prisma), clock: new ManualClock("2027-05-20T01:00:00Z"), birthdayBonusPoints: 100, batchSize: 250 }).run();
    const rows = await prisma.outboxMessage.findMany({
      where: { kind: "birthday" },
      select: { customerId: true, status: true, notBefore: true },
      orderBy: { customerId: "asc" },
    });
    expect(rows).toHaveLength(count);

    // The truth: the greeting lifts 30-day repurchase from 20 % to 35 % and each order is worth 50 ± 20.
    const random = mulberry32(20270520);
    const orders = rows.flatMap((row, i) => {
      const p = row.status === "control" ? 0.2 : 0.35;
      if (random() >= p) return [];
      const placedAt = new Date(row.notBefore.getTime() + (1 + random() * 25) * 86_400_000);
      return [{ customerId: row.customerId, externalId: `uplift-${i}-${row.customerId}`, amount: Math.round((30 + random() * 40) * 100) / 100, currency: "CNY", placedAt }];
    });
    await prisma.order.createMany({ data: orders });

    const report = await upliftReport(repository, "birthday", new Date("2027-05-01T00:00:00Z"), new Date("2027-09-01T00:00:00Z"));
    const month = report.windows.find((w) => w.days === 30)!;
    expect(month.treated + month.control).toBe(count);
    expect(month.tooFew).toBeNull();
    const repeat = month.repeatPurchase!;
    expect(repeat.low).toBeLessThan(0.15);
    expect(repeat.high).toBeGreaterThan(0.15);
    expect(repeat.low).toBeGreaterThan(0);
    // Revenue per customer: 0.35 × 50 − 0.20 × 50 = 7.5.
    const revenue = month.revenuePerCustomer!;
    expect(revenue.low).toBeLessThan(7.5);
    expect(revenue.high).toBeGreaterThan(7.5);
    expect(formatUpliftReport(report)).toContain("repeat purchase");

    // Only occurrences whose 90 days have passed count; on 1 July none has: too few.
    const early = await upliftReport(repository, "birthday", new Date("2027-05-01T00:00:00Z"), new Date("2027-07-01T00:00:00Z"));
    const quarter = early.windows.find((w) => w.days === 90)!;
    expect(quarter.treated + quarter.control).toBe(0);
    expect(quarter.tooFew).toMatch(/too few customers/);
    expect(quarter.repeatPurchase).toBeNull();
    expect(formatUpliftReport(early)).toContain("too few customers to compare");
  });
});

describeEachDatabase("campaign uplift report", (db) => {
  it("compares one campaign's treated and held-out customers (campaign:<id>), or every campaign's (campaign)", async () => {
    const prisma = db().prisma;
    const repository = new CarePlanRepository(prisma);
    const campaignA = "0000000a-0000-4000-8000-000000000000";
    const campaignB = "0000000b-0000-4000-8000-000000000000";
    const customers = Array.from({ length: 100 }, (_, i) => `00000000-0000-4000-8000-${String(i + 5000).padStart(12, "0")}`);
    await prisma.customer.createMany({ data: customers.map((id, i) => ({ id, displayName: `c${i}` })) });
    const at = new Date("2027-03-01T10:00:00Z");
    // A: 80 customers, every other one held out; B: the other 20, all treated.
    await prisma.outboxMessage.createMany({
      data: customers.map((customerId, i) => {
        const campaign = i < 80 ? campaignA : campaignB;
        return {
          customerId,
          kind: "campaign",
          topic: "marketing",
          payload: { text: "Spring sale" },
          dedupeKey: `campaign:${campaign}:${customerId}`,
          status: i < 80 && i % 2 === 0 ? ("control" as const) : ("sent" as const),
          notBefore: at,
        };
      }),
    });
    const since = new Date("2027-02-01T00:00:00Z");
    const now = new Date("2027-09-01T00:00:00Z");
    const one = (await upliftReport(repository, `campaign:${campaignA.toUpperCase()}`, since, now)).windows.find((w) => w.days === 30)!;
    expect([one.treated, one.control]).toEqual([40, 40]);
    const all = (await upliftReport(repository, "campaign", since, now)).windows.find((w) => w.days === 30)!;
    expect([all.treated, all.control]).toEqual([60, 40]);
    await expect(upliftReport(repository, "campaign:not-an-id", since, now)).rejects.toThrow(/campaign:<campaign id> \(got "campaign:not-an-id"\)/);
  });
});

describe("tend outreach report", { timeout: 600_000 }, () => {
  it("refuses an unknown plan in one clear line, and reports too few customers on an empty database", async () => {
    const { runTend } = await import("./support/run-tend.ts");
    const { expectOneClearLine } = await import("./support/cli-output.ts");
    const fs = await import("node:fs/promises");
    const os = await import("node:os");
    const path = await import("node:path");
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tend-uplift-"));
    try {
      const bad = await runTend(["outreach", "report", "--plan", "winnback", "--since", "2027-01-01"], { TEND_DATA_DIR: dir });
      expect(bad.code).not.toBe(0);
      expectOneClearLine(bad.stderr, /--plan must be one of .*win-back.* \(got "winnback"\)/);
      const empty = await runTend(["outreach", "report", "--plan", "win-back", "--since", "2027-01-01"], { TEND_DATA_DIR: dir });
      expect(empty.code).toBe(0);
      expect(empty.stdout).toContain('Care plan "win-back"');
      expect(empty.stdout).toContain("too few customers to compare (treated 0, control 0; at least 30 each)");
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
