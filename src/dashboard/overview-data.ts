import type { PrismaClient } from "../db/generated/client.ts";
import type { LoyaltyService } from "../loyalty/loyalty-service.ts";
import { segmentPages } from "../outreach/campaign-segment.ts";
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
 * Reads the overview. Each figure is one aggregate statement, except tiers: a tier is computed
 * (points or spend in the tier window, as the loyalty service computes it), so they are counted by
 * reading customers a page at a time through the campaign segment's query, never all at once.
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
  const counts = new Map<string, number>(rules.tiers.map((tier) => [tier.name, 0]));
  for await (const page of segmentPages(sources.prisma, { segment: {}, tierRules: rules, now, withTier: true }, 5000)) {
    for (const member of page) if (member.tier) counts.set(member.tier, (counts.get(member.tier) ?? 0) + 1);
  }
  return [...counts].map(([label, count]) => ({ label, count }));
}
