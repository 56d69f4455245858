import type { PrismaClient } from "../db/generated/client.ts";
import type { LoyaltyService } from "../loyalty/loyalty-service.ts";
import { progressSql } from "../outreach/campaign-segment.ts";
import type { SurveyService } from "../surveys/survey-service.ts";
import type { SurveyReportRow } from "../surveys/report.ts";

export interface Count {
  label: string;
  count: number;
}

export interface OutreachDay {
  day: string;
  sent: number;
  deferred: number;
  failed: number;
}

/** What the overview shows: the same numbers as `tend report surveys`, the analytics and the outbox. */
export interface Overview {
  /** By ISO week then channel, as the survey report gives them. */
  surveys: SurveyReportRow[];
  tiers: Count[];
  /** potential → churned, in that order; empty before the first analytics refresh. */
  lifecycle: Count[];
  rfm: Count[];
  outreachDays: OutreachDay[];
  deferredByReason: Count[];
  /** Buckets d1, d3, d7, older. */
  openCasesByAge: Count[];
}

const STAGES = ["potential", "new", "growing", "mature", "declining", "churned"];
const DAY_MS = 86_400_000;

export interface OverviewSources {
  prisma: PrismaClient;
  surveys: SurveyService;
  loyalty: LoyaltyService;
}

/**
 * Reads the overview: one aggregate statement per figure. Tiers are computed as the loyalty service
 * computes them (points or spend in the tier window: the campaign segment's SQL for it), so that
 * one reads every customer's ledger or orders in the window; the rest read small tables or indexes.
 */
export async function readOverview(sources: OverviewSources, now: Date): Promise<Overview> {
  const { prisma } = sources;
  const since14 = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - 13 * DAY_MS);
  const [report, tiers, lifecycle, rfm, sent, due, deferredNow, cases] = await Promise.all([
    sources.surveys.surveyReport({ from: new Date(now.getTime() - 12 * 7 * DAY_MS), to: now, now }),
    tierCounts(sources, now),
    prisma.$queryRaw<{ label: string; count: number }[]>`SELECT "lifecycleStage"::text AS label, count(*)::int AS count FROM "CustomerScore" GROUP BY 1`,
    prisma.$queryRaw<{ label: string | null; count: number }[]>`SELECT "rfmSegment" AS label, count(*)::int AS count FROM "CustomerScore" GROUP BY 1 ORDER BY 2 DESC`,
    prisma.$queryRaw<{ day: string; count: number }[]>`
      SELECT to_char("sentAt", 'YYYY-MM-DD') AS day, count(*)::int AS count FROM "OutboxMessage"
       WHERE audience = 'customer' AND status = 'sent' AND "sentAt" >= ${since14} GROUP BY 1`,
    prisma.$queryRaw<{ day: string; deferred: number; failed: number }[]>`
      SELECT to_char("notBefore", 'YYYY-MM-DD') AS day,
             count(*) FILTER (WHERE status = 'pending' AND "deferReason" IS NOT NULL)::int AS deferred,
             count(*) FILTER (WHERE status IN ('failed', 'dead'))::int AS failed
        FROM "OutboxMessage"
       WHERE audience = 'customer' AND "notBefore" >= ${since14} AND "notBefore" < ${new Date(since14.getTime() + 15 * DAY_MS)}
         AND (status IN ('failed', 'dead') OR (status = 'pending' AND "deferReason" IS NOT NULL))
       GROUP BY 1`,
    prisma.$queryRaw<{ label: string; count: number }[]>`
      SELECT "deferReason" AS label, count(*)::int AS count FROM "OutboxMessage"
       WHERE audience = 'customer' AND status = 'pending' AND "deferReason" IS NOT NULL GROUP BY 1 ORDER BY 2 DESC`,
    prisma.$queryRaw<{ label: string; count: number }[]>`
      SELECT CASE WHEN "openedAt" > ${new Date(now.getTime() - DAY_MS)} THEN 'd1'
                  WHEN "openedAt" > ${new Date(now.getTime() - 3 * DAY_MS)} THEN 'd3'
                  WHEN "openedAt" > ${new Date(now.getTime() - 7 * DAY_MS)} THEN 'd7'
                  ELSE 'older' END AS label, count(*)::int AS count
        FROM "FeedbackCase" WHERE status = 'open' GROUP BY 1`,
  ]);
  const days: OutreachDay[] = [];
  for (let i = 0; i < 14; i++) {
    const day = new Date(since14.getTime() + i * DAY_MS).toISOString().slice(0, 10);
    const d = due.find((row) => row.day === day);
    days.push({ day, sent: sent.find((row) => row.day === day)?.count ?? 0, deferred: d?.deferred ?? 0, failed: d?.failed ?? 0 });
  }
  const caseCounts = new Map(cases.map((row) => [row.label, row.count]));
  return {
    surveys: report.rows,
    tiers,
    lifecycle: lifecycle.length ? STAGES.map((stage) => ({ label: stage, count: lifecycle.find((row) => row.label === stage)?.count ?? 0 })) : [],
    rfm: rfm.map((row) => ({ label: row.label ?? "-", count: row.count })),
    outreachDays: days,
    deferredByReason: deferredNow,
    openCasesByAge: ["d1", "d3", "d7", "older"].map((label) => ({ label, count: caseCounts.get(label) ?? 0 })),
  };
}

async function tierCounts(sources: OverviewSources, now: Date): Promise<Count[]> {
  const rules = sources.loyalty.settings;
  const thresholds = rules.tiers.map((tier) => tier.threshold);
  // The tier is the last one whose threshold the progress reaches, else the first: tierFor, in SQL.
  const rows = await sources.prisma.$queryRaw<{ band: number | null; count: number }[]>`
    SELECT (SELECT max(t.i) FROM unnest(${thresholds}::numeric[]) WITH ORDINALITY AS t(threshold, i) WHERE p.progress >= t.threshold)::int AS band,
           count(*)::int AS count
      FROM "Customer" c CROSS JOIN LATERAL (SELECT ${progressSql(rules, now)} AS progress) p
     WHERE c."erasedAt" IS NULL
     GROUP BY 1`;
  const counts = rules.tiers.map((tier) => ({ label: tier.name, count: 0 }));
  for (const row of rows) {
    const entry = counts[Math.max((row.band ?? 1) - 1, 0)];
    if (entry) entry.count += row.count;
  }
  return counts;
}
