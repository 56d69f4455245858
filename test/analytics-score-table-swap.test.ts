import { expect, it } from "vitest";
import { type AnalyticsSettings, type RefreshOptions, refreshAnalytics } from "../src/analytics/refresh.ts";
import { ManualClock } from "../src/core/clock.ts";
import type { PrismaClient } from "../src/db/generated/client.ts";
import { withRefreshSql } from "../src/db/repositories/analytics-pages.ts";
import { prepareNextScores, publishNextScores } from "../src/db/repositories/score-table-swap.ts";
import { describeEachDatabase } from "./support/databases.ts";

const NOW = new Date("2026-06-30T12:00:00Z");
const DAY = 86_400_000;
const settings: Partial<AnalyticsSettings> = { batchSize: 2 };

/** CustomerScore as the catalog describes it: columns, indexes and constraints (validated or not), by name. */
async function scoreTableShape(prisma: PrismaClient): Promise<string[]> {
  const rows = await prisma.$queryRawUnsafe<{ line: string }[]>(
    `SELECT 'column ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
            || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS "line"
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = '"CustomerScore"'::regclass AND a.attnum > 0 AND NOT a.attisdropped
     UNION ALL
     SELECT 'index ' || pg_get_indexdef(x.indexrelid) FROM pg_index x WHERE x.indrelid = '"CustomerScore"'::regclass
     UNION ALL
     SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' ELSE ' NOT VALIDATED' END
       FROM pg_constraint WHERE conrelid = '"CustomerScore"'::regclass
     UNION ALL
     SELECT 'grant ' || a.privilege_type || ' to ' || coalesce(r.rolname, 'PUBLIC')
       FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
      WHERE c.oid = '"CustomerScore"'::regclass AND a.grantee <> c.relowner
     UNION ALL
     SELECT 'table ' || relname FROM pg_class WHERE relname IN ('CustomerScore_next', 'CustomerScore_old')
     ORDER BY 1`,
  );
  return rows.map((r) => r.line);
}

describeEachDatabase("analytics refresh: the new score table takes the live one's place", (db) => {
  for (const lane of ["sql", "prisma"] as const) {
    const refresh = async (now: Date, onProgress?: RefreshOptions["onProgress"]) => {
      const report = await refreshAnalytics({ prisma: db().prisma, sql: lane === "sql" ? db().sql : undefined, clock: new ManualClock(now), settings, onProgress });
      if (report.status !== "done") throw new Error(report.reason);
      return report;
    };

    it(`leaves CustomerScore exactly as the migrations made it, its keys and grants working, and nothing behind (${lane})`, async () => {
      const prisma = db().prisma;
      // A reporting role the shop gave read access to the scores keeps it.
      await prisma.$executeRawUnsafe(
        `DO $$ BEGIN CREATE ROLE tend_test_score_reader NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
      );
      await prisma.$executeRawUnsafe(`GRANT SELECT ON "CustomerScore" TO tend_test_score_reader`);
      const before = await scoreTableShape(prisma);
      expect(before.filter((l) => l.startsWith("index "))).toHaveLength(8);
      expect(before).toContain("grant SELECT to tend_test_score_reader");
      const kept = await prisma.customer.create({ data: { displayName: `kept ${lane}` } });
      const leaving = await prisma.customer.create({ data: { displayName: `leaving ${lane}` } });
      await prisma.order.create({ data: { customerId: kept.id, externalId: `swap-${lane}`, amount: "9.50", currency: "CNY", placedAt: NOW } });
      const first = await refresh(NOW);
      const firstRow = await prisma.customerScore.findUniqueOrThrow({ where: { customerId: kept.id } });
      const second = await refresh(new Date(NOW.getTime() + DAY));
      expect(await scoreTableShape(prisma)).toEqual(before);

      // The row keeps its id from refresh to refresh; the foreign keys act on the new table.
      const secondRow = await prisma.customerScore.findUniqueOrThrow({ where: { customerId: kept.id } });
      expect(secondRow.id).toBe(firstRow.id);
      expect(secondRow.runId).toBe(second.runId);
      expect(second.runId).not.toBe(first.runId);
      await prisma.customer.delete({ where: { id: leaving.id } });
      expect(await prisma.customerScore.count({ where: { customerId: leaving.id } })).toBe(0);
      await prisma.analyticsRun.delete({ where: { id: second.runId } });
      expect((await prisma.customerScore.findUniqueOrThrow({ where: { customerId: kept.id } })).runId).toBeNull();
    });

    it(`keeps the last scores in place when a refresh fails half way (${lane})`, async () => {
      const prisma = db().prisma;
      for (let i = 0; i < 5; i++) await prisma.customer.create({ data: { displayName: `page ${lane} ${i}` } });
      const done = await refresh(NOW);
      const before = await prisma.customerScore.findMany({ orderBy: { customerId: "asc" } });
      expect(before.every((s) => s.runId === done.runId)).toBe(true);
      const failing = refresh(new Date(NOW.getTime() + DAY), (customers, _total, phase) => {
        if (phase === "scoring" && customers > 0) throw new Error("the machine went away");
      });
      await expect(failing).rejects.toThrow("the machine went away");
      expect(await prisma.customerScore.findMany({ orderBy: { customerId: "asc" } })).toEqual(before);
      expect((await scoreTableShape(prisma)).filter((l) => l.startsWith("table "))).toEqual([]);
    });
  }

  it("refuses, saying why, to replace a table with a trigger it cannot carry over, and leaves the scores as they were", async () => {
    const prisma = db().prisma;
    await prisma.customer.create({ data: { displayName: "watched" } });
    await refresh0(prisma);
    const before = await prisma.customerScore.findMany({ orderBy: { customerId: "asc" } });
    await prisma.$executeRawUnsafe(`CREATE FUNCTION tend_test_score_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`);
    await prisma.$executeRawUnsafe(`CREATE TRIGGER tend_test_score_audit BEFORE UPDATE ON "CustomerScore" FOR EACH ROW EXECUTE FUNCTION tend_test_score_audit()`);
    try {
      await expect(refreshAnalytics({ prisma, sql: db().sql, clock: new ManualClock(new Date(NOW.getTime() + DAY)), settings })).rejects.toThrow(
        /cannot carry over trigger tend_test_score_audit/,
      );
      expect(await prisma.customerScore.findMany({ orderBy: { customerId: "asc" } })).toEqual(before);
      expect((await scoreTableShape(prisma)).filter((l) => l.startsWith("table "))).toEqual([]);
    } finally {
      await prisma.$executeRawUnsafe(`DROP TRIGGER tend_test_score_audit ON "CustomerScore"`);
      await prisma.$executeRawUnsafe(`DROP FUNCTION tend_test_score_audit()`);
    }
  });

  it("lets readers on other connections see one whole refresh or the next, never a mixture, and never fail", async () => {
    const { prisma, sql } = db();
    for (let i = 0; i < 30; i++) await prisma.customer.create({ data: { displayName: `reader ${i}` } });
    await refresh0(prisma);
    const customers = await prisma.customer.count();
    const seen: { n: number; runs: number }[] = [];
    const failures: unknown[] = [];
    let refreshing = true;
    // What the dashboard (plain SQL, prepared once per text) and a customer card (Prisma) do meanwhile.
    const reader = async () => {
      while (refreshing) {
        try {
          const [row] = await sql.withSession((session) =>
            session.query<{ n: number; runs: number }>(`SELECT count(*)::int AS "n", count(DISTINCT "runId")::int AS "runs" FROM "CustomerScore"`, []),
          );
          seen.push(row!);
          await prisma.customerScore.findMany({ take: 3, orderBy: { predictedClv: "desc" } });
        } catch (error) {
          failures.push(error);
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    };
    const readers = [reader(), reader()];
    try {
      await refreshAnalytics({ prisma, sql, clock: new ManualClock(new Date(NOW.getTime() + DAY)), settings });
    } finally {
      refreshing = false;
      await Promise.all(readers);
    }
    expect(failures).toEqual([]);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((s) => s.n !== customers || s.runs !== 1)).toEqual([]);
  });

  it("drops the score of a customer deleted after the refresh read the customers", async () => {
    const { prisma, sql } = db();
    const staying = await prisma.customer.create({ data: { displayName: "staying" } });
    const merged = await prisma.customer.create({ data: { displayName: "merged away" } });
    await refresh0(prisma);
    const run = await prisma.analyticsRun.create({ data: { startedAt: NOW } });
    await withRefreshSql({ sql, prisma, timeoutMs: 60_000 }, async ({ write }) => {
      await prepareNextScores(write);
      for (const customer of [staying, merged]) {
        await write.query(
          `INSERT INTO "CustomerScore_next" ("id", "customerId", "runId", "computedAt", "windowStart", "windowMonths", "orderCount", "frequency",
                                             "monetary", "lifecycleStage", "relationshipLevel", "historicClv", "explanation")
           VALUES (gen_random_uuid(), $1::uuid, $2::uuid, now(), now(), 24, 0, 0, 0, 'potential', 'basic', 0, '{}')`,
          [customer.id, run.id],
        );
      }
      // What a merge does while the refresh writes: the customer's live score goes with them, the new one is not yet bound.
      await prisma.customer.delete({ where: { id: merged.id } });
      await publishNextScores(write);
    });
    const scores = await prisma.customerScore.findMany();
    expect(scores.map((s) => s.customerId)).toEqual([staying.id]);
    expect(scores[0]!.runId).toBe(run.id);
    expect((await scoreTableShape(prisma)).filter((l) => l.includes("NOT VALIDATED") || l.startsWith("table "))).toEqual([]);
  });

  async function refresh0(prisma: PrismaClient) {
    const report = await refreshAnalytics({ prisma, sql: db().sql, clock: new ManualClock(NOW), settings });
    if (report.status !== "done") throw new Error(report.reason);
  }
});
