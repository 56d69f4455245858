// The analytics refresh as it was before it streamed pages summed up in SQL (commit 6bb77c0,
// src/analytics/refresh.ts and the reads of src/db/repositories/analytics-repository.ts), kept
// verbatim but for the writes: it returns the rows it would have written. The streamed refresh is
// tested against it (test/analytics-refresh-streamed.test.ts).
import { conditionalExpectedPurchases, probabilityAlive } from "../../src/analytics/clv/bgnbd.ts";
import { predictClv } from "../../src/analytics/clv/clv.ts";
import type { CustomerSummary, TimeUnit } from "../../src/analytics/clv/model.ts";
import { summarise, unitsPerMonth } from "../../src/analytics/clv/summaries.ts";
import { lifecycleStage, typicalGapDays } from "../../src/analytics/lifecycle.ts";
import { type AnalyticsSettings, type ModelStatus, type PredictiveExplanation, type ScoreExplanation, defaultAnalyticsSettings, fitModels, windowStartFor } from "../../src/analytics/refresh.ts";
import { type EngagementFacts, noEngagement, relationshipLevel } from "../../src/analytics/relationship.ts";
import { RfmScorer, type RfmValues, explainRfm } from "../../src/analytics/rfm.ts";
import { Prisma, type PrismaClient } from "../../src/db/generated/client.ts";
import type { EngagementWindow, ScoreRow } from "../../src/db/repositories/analytics-repository.ts";

/** The reference does not read the live table, so it has no previous stage or row id to carry. */
export type ReferenceRow = Omit<ScoreRow, "previousLifecycleStage" | "scoreId">;
import { TendError } from "../../src/errors.ts";

interface OrderRow {
  customerId: string;
  cents: number;
  placedAt: Date;
}

const cents = (amount: Prisma.Decimal) => Math.round(amount.toNumber() * 100);
const decimal = (centsValue: number) => (centsValue / 100).toFixed(2);
const uuidList = (ids: readonly string[]) => Prisma.join(ids.map((id) => Prisma.sql`${id}::uuid`));

class OldReads {
  constructor(private readonly prisma: PrismaClient) {}

  async customerIdsAfter(after: string | null, limit: number): Promise<string[]> {
    const rows = await this.prisma.customer.findMany({
      where: after ? { id: { gt: after } } : {},
      orderBy: { id: "asc" },
      take: limit,
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  /**
   * Purchases placed up to `until`, oldest first: free orders included (a purchase is a purchase
   * for recency and frequency), refunds (negative amounts) left out.
   */
  async ordersFor(customerIds: readonly string[], until: Date): Promise<OrderRow[]> {
    if (customerIds.length === 0) return [];
    const rows = await this.prisma.order.findMany({
      where: { customerId: { in: [...customerIds] }, amount: { gte: 0 }, placedAt: { lte: until } },
      orderBy: [{ placedAt: "asc" }, { id: "asc" }],
      select: { customerId: true, amount: true, placedAt: true },
    });
    return rows.map((r) => ({ customerId: r.customerId, cents: cents(r.amount), placedAt: r.placedAt }));
  }

  /**
   * How each customer engaged in the window, counted in the database: conversations each side
   * started, care messages and the replies to them, surveys, feedback, linked channels.
   * Customers without any of it are absent from the map.
   */
  async engagementFor(customerIds: readonly string[], window: EngagementWindow): Promise<Map<string, EngagementFacts>> {
    const result = new Map<string, EngagementFacts>();
    if (customerIds.length === 0) return result;
    const ids = uuidList(customerIds);
    const { since, until } = window;
    const facts = (id: string) => {
      let f = result.get(id);
      if (!f) {
        f = { inbound: 0, outbound: 0, customerInitiated: 0, businessInitiated: 0, careSent: 0, careReplied: 0, surveysInvited: 0, surveysAnswered: 0, surveyReasons: 0, complaints: 0, channels: 0 };
        result.set(id, f);
      }
      return f;
    };

    // Staff notes and system events are not conversation; a message after `gap` of silence opens one.
    const interactions = await this.prisma.$queryRaw<
      { customerId: string; inbound: number; outbound: number; customerInitiated: number; businessInitiated: number; careSent: number; careReplied: number }[]
    >`
      WITH t AS (
        SELECT i."customerId", i."direction", i."kind", i."occurredAt",
               lag(i."occurredAt") OVER (PARTITION BY i."customerId" ORDER BY i."occurredAt", i."id") AS "previousAt",
               CASE WHEN i."direction" = 'out' AND i."kind" = 'care' THEN EXISTS (
                 SELECT 1 FROM "Interaction" r
                  WHERE r."customerId" = i."customerId" AND r."direction" = 'in' AND r."kind" NOT IN ('system', 'staff-note')
                    AND r."occurredAt" > i."occurredAt"
                    AND r."occurredAt" <= i."occurredAt" + ${window.careReplyDays}::int * interval '1 day'
               ) ELSE false END AS "replied"
          FROM "Interaction" i
         WHERE i."customerId" IN (${ids})
           AND i."occurredAt" >= ${since}::timestamp AND i."occurredAt" <= ${until}::timestamp
           AND i."kind" NOT IN ('system', 'staff-note')
      )
      SELECT "customerId"::text AS "customerId",
             (count(*) FILTER (WHERE "direction" = 'in'))::int AS "inbound",
             (count(*) FILTER (WHERE "direction" = 'out'))::int AS "outbound",
             (count(*) FILTER (WHERE "direction" = 'in' AND ("previousAt" IS NULL
                OR "occurredAt" - "previousAt" > ${window.conversationGapHours}::int * interval '1 hour')))::int AS "customerInitiated",
             (count(*) FILTER (WHERE "direction" = 'out' AND ("previousAt" IS NULL
                OR "occurredAt" - "previousAt" > ${window.conversationGapHours}::int * interval '1 hour')))::int AS "businessInitiated",
             (count(*) FILTER (WHERE "direction" = 'out' AND "kind" = 'care'))::int AS "careSent",
             (count(*) FILTER (WHERE "replied"))::int AS "careReplied"
        FROM t
       GROUP BY "customerId"`;
    for (const row of interactions) {
      const f = facts(row.customerId);
      f.inbound = row.inbound;
      f.outbound = row.outbound;
      f.customerInitiated = row.customerInitiated;
      f.businessInitiated = row.businessInitiated;
      f.careSent = row.careSent;
      f.careReplied = row.careReplied;
    }

    const inWindow = { gte: since, lte: until };
    const idList = [...customerIds];
    const [invitations, responses, reasons, complaints, identities] = await Promise.all([
      this.prisma.surveyInvitation.groupBy({ by: ["customerId"], where: { customerId: { in: idList }, sentAt: inWindow }, _count: { _all: true } }),
      this.prisma.surveyResponse.groupBy({ by: ["customerId"], where: { customerId: { in: idList }, respondedAt: inWindow }, _count: { _all: true } }),
      this.prisma.surveyResponse.groupBy({
        by: ["customerId"],
        where: { customerId: { in: idList }, respondedAt: inWindow, reason: { not: null } },
        _count: { _all: true },
      }),
      this.prisma.feedbackCase.groupBy({ by: ["customerId"], where: { customerId: { in: idList }, openedAt: inWindow, source: "complaint" }, _count: { _all: true } }),
      this.prisma.channelIdentity.groupBy({ by: ["customerId"], where: { customerId: { in: idList } }, _count: { _all: true } }),
    ]);
    for (const row of invitations) facts(row.customerId).surveysInvited = row._count._all;
    for (const row of responses) facts(row.customerId).surveysAnswered = row._count._all;
    for (const row of reasons) facts(row.customerId).surveyReasons = row._count._all;
    for (const row of complaints) facts(row.customerId).complaints = row._count._all;
    for (const row of identities) facts(row.customerId).channels = row._count._all;
    return result;
  }
}

const UNIT: TimeUnit = "week";
const DAY_MS = 86_400_000;
const dayNumber = (date: Date) => Math.floor(date.getTime() / DAY_MS);

interface OrderStats {
  orderCount: number;
  purchaseDays: number;
  firstOrderAt: Date;
  lastOrderAt: Date;
  historicCents: number;
  window: RfmValues & { monetaryCents: number };
}

function orderStats(orders: readonly OrderRow[], windowStart: Date, now: Date): OrderStats {
  const days = new Set<number>();
  let historicCents = 0;
  let windowCount = 0;
  let windowCents = 0;
  let lastInWindow: Date | null = null;
  for (const o of orders) {
    days.add(dayNumber(o.placedAt));
    historicCents += o.cents;
    if (o.placedAt.getTime() >= windowStart.getTime()) {
      windowCount += 1;
      windowCents += o.cents;
      if (!lastInWindow || o.placedAt > lastInWindow) lastInWindow = o.placedAt;
    }
  }
  const first = orders.reduce((a, o) => (o.placedAt < a ? o.placedAt : a), orders[0]!.placedAt);
  const last = orders.reduce((a, o) => (o.placedAt > a ? o.placedAt : a), orders[0]!.placedAt);
  return {
    orderCount: orders.length,
    purchaseDays: days.size,
    firstOrderAt: first,
    lastOrderAt: last,
    historicCents,
    window: {
      recencyDays: lastInWindow ? dayNumber(now) - dayNumber(lastInWindow) : dayNumber(now) - dayNumber(last),
      frequency: windowCount,
      monetary: windowCents / 100,
      monetaryCents: windowCents,
    },
  };
}

const groupByCustomer = (orders: readonly OrderRow[]) => {
  const map = new Map<string, OrderRow[]>();
  for (const o of orders) {
    const list = map.get(o.customerId);
    if (list) list.push(o);
    else map.set(o.customerId, [o]);
  }
  return map;
};

const summariesOf = (orders: readonly OrderRow[], now: Date) =>
  summarise(
    orders.map((o) => ({ customerId: o.customerId, date: o.placedAt, amount: o.cents / 100 })),
    now,
    UNIT,
  );

export interface ReferenceResult {
  rows: ReferenceRow[];
  models: ModelStatus;
}

/** The old refresh's two passes, returning its rows instead of writing them. */
export async function referenceRefresh(prisma: PrismaClient, now: Date, over: Partial<AnalyticsSettings> = {}): Promise<ReferenceResult> {
  const settings: AnalyticsSettings = { ...defaultAnalyticsSettings, ...over };
  const old = new OldReads(prisma);
  const windowStart = windowStartFor(now, settings.windowMonths);
  const all: ReferenceRow[] = [];
  const batches = async function* () {
    for (let after: string | null = null; ; ) {
      const ids = await old.customerIdsAfter(after, settings.batchSize);
      if (ids.length === 0) return;
      yield ids;
      after = ids[ids.length - 1]!;
      if (ids.length < settings.batchSize) return;
    }
  };

  // Pass 1: what the models and the quintiles need about everybody.
  const summaries: CustomerSummary[] = [];
  const population: RfmValues[] = [];
  const gaps: number[] = [];
  for await (const ids of batches()) {
    const orders = await old.ordersFor(ids, now);
    for (const s of summariesOf(orders, now)) {
      summaries.push(s);
      if (s.frequency > 0) gaps.push((s.recency * 7) / s.frequency);
    }
    for (const list of groupByCustomer(orders).values()) {
      const stats = orderStats(list, windowStart, now);
      if (stats.window.frequency > 0) population.push(stats.window);
    }
  }
  const models = fitModels(summaries, settings);
  const scorer = new RfmScorer(population);
  const populationGap = typicalGapDays(gaps);
  const horizon = settings.clvHorizonMonths * unitsPerMonth(UNIT);

  // Pass 2: score, batch by batch.
  const segments: Record<string, number> = {};
  const stages: Record<string, number> = {};
  const levels: Record<string, number> = {};
  const count = (tally: Record<string, number>, key: string) => (tally[key] = (tally[key] ?? 0) + 1);
  let withOrders = 0;
  let rfmScored = 0;
  for await (const ids of batches()) {
    const orders = await old.ordersFor(ids, now);
    const byCustomer = groupByCustomer(orders);
    const summaryOf = new Map(summariesOf(orders, now).map((s) => [s.customerId, s]));
    const engagement = await old.engagementFor(ids, {
      since: windowStart,
      until: now,
      careReplyDays: settings.relationship.careReplyDays,
      conversationGapHours: settings.relationship.conversationGapHours,
    });

    const rows: ReferenceRow[] = ids.map((customerId) => {
      const list = byCustomer.get(customerId);
      const stats = list ? orderStats(list, windowStart, now) : null;
      const summary = summaryOf.get(customerId) ?? null;
      const rfm = stats && stats.window.frequency > 0 ? scorer.score(stats.window) : null;
      const predicted = predict(models, summary, horizon, settings);
      const lifecycle = lifecycleStage(
        {
          now,
          orderCount: stats?.orderCount ?? 0,
          purchaseDays: stats?.purchaseDays ?? 0,
          firstOrderAt: stats?.firstOrderAt ?? null,
          lastOrderAt: stats?.lastOrderAt ?? null,
          probabilityAlive: predicted.probabilityAlive,
          populationGapDays: populationGap,
        },
        settings.lifecycle,
      );
      const relationship = relationshipLevel(engagement.get(customerId) ?? noEngagement, settings.relationship);
      if (stats) withOrders += 1;
      if (rfm) rfmScored += 1;
      count(segments, rfm?.segment ?? "none");
      count(stages, lifecycle.stage);
      count(levels, relationship.level);

      const explanation: ScoreExplanation = {
        rfm: explainRfm(stats && stats.window.frequency > 0 ? stats.window : null, rfm, settings.windowMonths),
        lifecycle,
        relationship,
        predictive: predicted.explanation,
      };
      return {
        customerId,
        windowStart,
        windowMonths: settings.windowMonths,
        orderCount: stats?.orderCount ?? 0,
        firstOrderAt: stats?.firstOrderAt ?? null,
        lastOrderAt: stats?.lastOrderAt ?? null,
        recencyDays: stats ? dayNumber(now) - dayNumber(stats.lastOrderAt) : null,
        frequency: stats?.window.frequency ?? 0,
        monetaryCents: stats?.window.monetaryCents ?? 0,
        rfmRecency: rfm?.r ?? null,
        rfmFrequency: rfm?.f ?? null,
        rfmMonetary: rfm?.m ?? null,
        rfmSegment: rfm?.segment ?? null,
        lifecycleStage: lifecycle.stage,
        relationshipLevel: relationship.level,
        probabilityAlive: predicted.probabilityAlive,
        predictedPurchases: predicted.predictedPurchases,
        historicCents: stats?.historicCents ?? 0,
        predictedClv: predicted.predictedClv,
        explanation,
      };
    });
    all.push(...rows);
  }
  return { rows: all, models };
}

interface Prediction {
  probabilityAlive: number | null;
  predictedPurchases: number | null;
  predictedClv: number | null;
  explanation: PredictiveExplanation;
}

function predict(models: ModelStatus, summary: CustomerSummary | null, horizon: number, settings: AnalyticsSettings): Prediction {
  const months = settings.clvHorizonMonths;
  const base = { horizonMonths: months, monthlyDiscountRate: settings.monthlyDiscountRate };
  const none = (reason: string, en: string, zh: string): Prediction => ({
    probabilityAlive: null,
    predictedPurchases: null,
    predictedClv: null,
    explanation: { available: false, ...base, probabilityAlive: null, predictedPurchases: null, predictedClv: null, reason, en, zh },
  });
  if (!summary) return none("no orders yet", "No prediction: no orders yet.", "无预测：尚未下单。");
  if (!models.bgnbd) {
    const reason = models.reason ?? "the purchase model was not fitted";
    return none(reason, `No prediction: ${reason}.`, "无预测：现有订单数据不足以拟合购买模型（原因见英文说明）。");
  }
  const { frequency, recency, T } = summary;
  const pAlive = probabilityAlive(models.bgnbd, frequency, recency, T);
  const purchases = conditionalExpectedPurchases(models.bgnbd, horizon, frequency, recency, T);
  let clv: number | null = null;
  let reason: string | null = models.gammaGamma ? null : (models.reason ?? "the spend model was not fitted");
  if (models.gammaGamma) {
    try {
      clv = predictClv(models.bgnbd, models.gammaGamma, summary, { horizon, monthlyDiscountRate: settings.monthlyDiscountRate, unit: UNIT });
      if (!Number.isFinite(clv)) {
        clv = null;
        reason = "the predicted value is not a finite number";
      }
    } catch (error) {
      if (!(error instanceof TendError)) throw error;
      reason = error.message;
    }
  }
  const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;
  const p = round(pAlive, 4);
  const n = round(purchases, 3);
  const v = clv === null ? null : round(clv, 2);
  const pctText = `${Math.round(pAlive * 100)}%`;
  const rate = `${round(settings.monthlyDiscountRate * 100, 4)}%`;
  const en =
    `P(active) ${pctText}; expected ${n.toFixed(2)} purchases in the next ${months} months` +
    (v === null ? `; no value prediction: ${reason}.` : `, worth ${v.toFixed(2)} discounted at ${rate} a month.`);
  const zh =
    `仍为活跃客户的概率 ${pctText}；预计未来 ${months} 个月购买 ${n.toFixed(2)} 次` +
    (v === null ? "；无法预测价值（原因见英文说明）。" : `，按每月 ${rate} 折现价值 ${v.toFixed(2)}。`);
  return {
    probabilityAlive: pAlive,
    predictedPurchases: purchases,
    predictedClv: clv,
    explanation: { available: true, ...base, probabilityAlive: p, predictedPurchases: n, predictedClv: v, reason, en, zh },
  };
}

