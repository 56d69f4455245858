import type { LoyaltyService } from "../loyalty/loyalty-service.ts";
import { Prisma, type PrismaClient } from "../db/generated/client.ts";
import { addMonths } from "../loyalty/dates.ts";
import type { SurveyService } from "../surveys/survey-service.ts";
import type { SurveyReportRow } from "../surveys/report.ts";
import { type Count, type SegmentValue, type StageMove, readScoreFigures } from "./overview-scores.ts";

export type { Count, SegmentValue, StageMove };

export interface OutreachDay {
  day: string;
  sent: number;
  deferred: number;
  /** The day's deferred messages by the contact policy's reason (quiet_hours, frequency_cap…). */
  deferredByReason: Record<string, number>;
  failed: number;
}

/** What the overview shows: the same numbers as `tend report surveys`, the analytics and the outbox. */
export interface Overview {
  /** By ISO week then channel, as the survey report gives them. */
  surveys: SurveyReportRow[];
  /** The same period per channel (response rate = responses / invitations sent in the period), and all channels. */
  responseByChannel: SurveyReportRow[];
  responseTotal: SurveyReportRow;
  /** The first day of the survey period (12 weeks back). */
  surveysFrom: string;
  tiers: Count[];
  /** potential → churned, in that order; empty before the first analytics refresh. */
  lifecycle: Count[];
  /** RFM segment sizes (largest first), with predicted CLV sum and mean. */
  segments: SegmentValue[];
  /** Stage changes made by the latest analytics refresh. */
  moves: StageMove[];
  firstScored: number;
  unchanged: number;
  outreachDays: OutreachDay[];
  deferredByReason: Count[];
  /** Buckets d1, d3, d7, older. */
  openCasesByAge: Count[];
}

const DAY_MS = 86_400_000;

export interface OverviewSources {
  prisma: PrismaClient;
  surveys: SurveyService;
  loyalty: LoyaltyService;
}

/**
 * Reads the overview: one aggregate statement per figure. Tiers are computed as the loyalty service
 * computes them (points or spend in the tier window), so that one reads the window's ledger or
 * orders once (tierCounts); the score figures are one pass over "CustomerScore" (overview-scores.ts);
 * the rest read small tables or indexes.
 */
export async function readOverview(sources: OverviewSources, now: Date): Promise<Overview> {
  const { prisma } = sources;
  const since14 = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - 13 * DAY_MS);
  const surveysFrom = new Date(now.getTime() - 12 * 7 * DAY_MS);
  const [report, tiers, scores, sent, due, deferredNow, cases] = await Promise.all([
    sources.surveys.surveyReport({ from: surveysFrom, to: now, now }),
    tierCounts(sources, now),
    readScoreFigures(prisma),
    prisma.$queryRaw<{ day: string; count: number }[]>`
      SELECT to_char("sentAt", 'YYYY-MM-DD') AS day, count(*)::int AS count FROM "OutboxMessage"
       WHERE audience = 'customer' AND status = 'sent' AND "sentAt" >= ${since14} GROUP BY 1`,
    prisma.$queryRaw<{ day: string; reason: string | null; deferred: number; failed: number }[]>`
      SELECT to_char("notBefore", 'YYYY-MM-DD') AS day, CASE WHEN status = 'pending' THEN "deferReason" END AS reason,
             count(*) FILTER (WHERE status = 'pending' AND "deferReason" IS NOT NULL)::int AS deferred,
             count(*) FILTER (WHERE status IN ('failed', 'dead'))::int AS failed
        FROM "OutboxMessage"
       WHERE audience = 'customer' AND "notBefore" >= ${since14} AND "notBefore" < ${new Date(since14.getTime() + 15 * DAY_MS)}
         AND (status IN ('failed', 'dead') OR (status = 'pending' AND "deferReason" IS NOT NULL))
       GROUP BY 1, 2`,
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
    const rows = due.filter((row) => row.day === day);
    const deferredByReason: Record<string, number> = {};
    for (const row of rows) if (row.reason !== null && row.deferred) deferredByReason[row.reason] = row.deferred;
    days.push({
      day,
      sent: sent.find((row) => row.day === day)?.count ?? 0,
      deferred: rows.reduce((sum, row) => sum + row.deferred, 0),
      deferredByReason,
      failed: rows.reduce((sum, row) => sum + row.failed, 0),
    });
  }
  const caseCounts = new Map(cases.map((row) => [row.label, row.count]));
  return {
    surveys: report.rows,
    responseByChannel: report.byChannel,
    responseTotal: report.total,
    surveysFrom: surveysFrom.toISOString().slice(0, 10),
    tiers,
    ...scores,
    outreachDays: days,
    deferredByReason: deferredNow,
    openCasesByAge: ["d1", "d3", "d7", "older"].map((label) => ({ label, count: caseCounts.get(label) ?? 0 })),
  };
}

/**
 * Customers per loyalty tier, computed as the loyalty service computes a tier (tierFor over the
 * progress in the tier window: points earned, or spend, as progressSql in campaign-segment.ts
 * defines it), but set-based: the window's ledger (or orders) summed per customer once and joined
 * to the customers, banded by width_bucket over the rising thresholds. A correlated progress and
 * band per customer took 70 s at 1,000,000 customers (bench/dashboard-overview.ts).
 * dashboard-sessions.test.ts checks the counts against the loyalty service's tier of each customer.
 */
async function tierCounts(sources: OverviewSources, now: Date): Promise<Count[]> {
  const rules = sources.loyalty.settings;
  const thresholds = rules.tiers.map((tier) => tier.threshold);
  const since = addMonths(now, -rules.tierWindowMonths).toISOString();
  const progress =
    rules.tierBasis === "points"
      ? Prisma.sql`SELECT l."customerId", sum(l.points)::numeric AS progress FROM "LoyaltyLedgerEntry" l
                    WHERE l.kind IN ('earn', 'bonus') AND l.points > 0 AND l."createdAt" >= ${since}::timestamp(3) GROUP BY 1`
      : Prisma.sql`SELECT o."customerId", sum(o.amount)::numeric AS progress FROM "Order" o WHERE o."placedAt" >= ${since}::timestamp(3) GROUP BY 1`;
  // width_bucket: how many thresholds the progress reaches (0 below the first): tierFor's last tier reached.
  const rows = await sources.prisma.$queryRaw<{ band: number; count: number }[]>`
    SELECT width_bucket(COALESCE(p.progress, 0), ${thresholds}::numeric[])::int AS band, count(*)::int AS count
      FROM "Customer" c LEFT JOIN (${progress}) p ON p."customerId" = c.id
     WHERE c."erasedAt" IS NULL
     GROUP BY 1`;
  const counts = rules.tiers.map((tier) => ({ label: tier.name, count: 0 }));
  for (const row of rows) {
    const entry = counts[Math.max(row.band - 1, 0)];
    if (entry) entry.count += row.count;
  }
  return counts;
}
