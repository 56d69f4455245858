import { expect, it } from "vitest";
import { type AnalyticsSettings, refreshAnalytics } from "../src/analytics/refresh.ts";
import { ManualClock } from "../src/core/clock.ts";
import { describeEachDatabase } from "./support/databases.ts";

const NOW = new Date("2026-06-30T12:00:00Z");
const DAY = 86_400_000;
const settings: Partial<AnalyticsSettings> = { batchSize: 2 };

describeEachDatabase("analytics refresh: the stage a score had before", (db) => {
  // Through the plain SQL connection (what `tend analytics refresh` uses) and through Prisma alone.
  for (const lane of ["sql", "prisma"] as const) {
    it(`keeps the replaced row's old stage, and none for a new row (${lane})`, async () => {
      const prisma = db().prisma;
      await prisma.customerScore.deleteMany();
      const refresh = async (now: Date) => {
        const report = await refreshAnalytics({ prisma, sql: lane === "sql" ? db().sql : undefined, clock: new ManualClock(now), settings });
        if (report.status !== "done") throw new Error(report.reason);
      };
      const buyer = await prisma.customer.create({ data: { displayName: `buyer ${lane}` } });
      const idle = await prisma.customer.create({ data: { displayName: `idle ${lane}` } });
      await refresh(NOW);
      const first = await prisma.customerScore.findUniqueOrThrow({ where: { customerId: buyer.id } });
      expect(first).toMatchObject({ lifecycleStage: "potential", previousLifecycleStage: null });

      await prisma.order.create({ data: { customerId: buyer.id, externalId: `prev-${lane}`, amount: "12.00", currency: "CNY", placedAt: NOW } });
      const late = await prisma.customer.create({ data: { displayName: `late ${lane}` } });
      await refresh(new Date(NOW.getTime() + DAY));
      const scores = await prisma.customerScore.findMany({ where: { customerId: { in: [buyer.id, idle.id, late.id] } } });
      const byId = new Map(scores.map((s) => [s.customerId, s]));
      expect(byId.get(buyer.id)).toMatchObject({ lifecycleStage: "new", previousLifecycleStage: "potential" });
      expect(byId.get(idle.id)).toMatchObject({ lifecycleStage: "potential", previousLifecycleStage: "potential" });
      expect(byId.get(late.id)).toMatchObject({ lifecycleStage: "potential", previousLifecycleStage: null });
    });
  }
});
