import type { Config } from "../config/env.ts";
import type { Clock } from "../core/clock.ts";
import type { LifecycleStage, PrismaClient } from "../db/generated/client.ts";
import {
  type CustomerOrderFacts,
  type ScoringFacts,
  buyerGroups,
  scoringPage,
  rfmCutRows,
  withOrderFacts,
  withRefreshSql,
} from "../db/repositories/analytics-pages.ts";
import { AnalyticsRepository, type ScoreRow } from "../db/repositories/analytics-repository.ts";
import { discardNextScores, prepareNextScores, publishNextScores, writeScores } from "../db/repositories/score-table-swap.ts";
import type { SqlConnection } from "../db/sql.ts";
import { TendError, describeError } from "../errors.ts";
import { type PurchaseGroups, fitBgNbdGroups, groupSummaries } from "./clv/bgnbd.ts";
import { type SpendGroups, fitGammaGammaGroups, groupSpend } from "./clv/gamma-gamma.ts";
import type { BgNbdParameters, CustomerSummary, GammaGammaParameters, TimeUnit } from "./clv/model.ts";
import { DAYS_PER_UNIT, unitsPerMonth } from "./clv/summaries.ts";
import { HistoryPredictions, predict } from "./customer-prediction.ts";
import { type LifecycleSettings, defaultLifecycleSettings, lifecycleDecision, usualGap } from "./lifecycle.ts";
import { Population } from "./population.ts";
import { type RelationshipSettings, defaultRelationshipSettings, noEngagement, relationshipLevelName } from "./relationship.ts";
import type { RfmScorer, RfmValues } from "./rfm.ts";
import { storedExplanationFacts } from "./score-explanation.ts";

export interface AnalyticsSettings {
  /** Months of orders RFM looks at (ANALYTICS_WINDOW_MONTHS); engagement is counted over the same window. */
  windowMonths: number;
  /** ANALYTICS_CLV_HORIZON_MONTHS. */
  clvHorizonMonths: number;
  /** ANALYTICS_MONTHLY_DISCOUNT_RATE. */
  monthlyDiscountRate: number;
  /** Customers read and written at a time (one statement each way per page). */
  batchSize: number;
  /**
   * Below this many customers with repeat purchases the BG/NBD and Gamma-Gamma fits are not even
   * tried: with so few, the parameters are noise and the predictions would look precise but mean nothing.
   */
  minRepeatBuyers: number;
  /** A refresh still marked running after this long is taken to have died; another may start. */
  staleRunHours: number;
  lifecycle: LifecycleSettings;
  relationship: RelationshipSettings;
}

export const defaultAnalyticsSettings: AnalyticsSettings = {
  windowMonths: 24,
  clvHorizonMonths: 12,
  monthlyDiscountRate: 0.01,
  batchSize: 2000,
  minRepeatBuyers: 20,
  staleRunHours: 6,
  lifecycle: defaultLifecycleSettings,
  relationship: defaultRelationshipSettings,
};

export type AnalyticsConfig = Pick<Config, "ANALYTICS_WINDOW_MONTHS" | "ANALYTICS_CLV_HORIZON_MONTHS" | "ANALYTICS_MONTHLY_DISCOUNT_RATE">;

export function analyticsSettingsFromConfig(config: AnalyticsConfig): AnalyticsSettings {
  return {
    ...defaultAnalyticsSettings,
    windowMonths: config.ANALYTICS_WINDOW_MONTHS,
    clvHorizonMonths: config.ANALYTICS_CLV_HORIZON_MONTHS,
    monthlyDiscountRate: config.ANALYTICS_MONTHLY_DISCOUNT_RATE,
  };
}

/** The models are fitted in weeks: days make the numbers tiny, months blur repeat purchases together. */
const UNIT: TimeUnit = "week";
const DAY_MS = 86_400_000;
const dayNumber = (date: Date) => Math.floor(date.getTime() / DAY_MS);

export type RefreshPhase = "reading" | "scoring";

export interface RefreshOptions {
  prisma: PrismaClient;
  /**
   * Plain SQL on the same database (Database.sql): the pages are read on one of its connections and
   * the scores written on another, side by side. Without it the same statements go through Prisma's
   * raw queries, one at a time in one transaction, which is slower on a large shop.
   */
  sql?: SqlConnection;
  clock: Clock;
  settings?: Partial<AnalyticsSettings>;
  /** Called after each batch: customers done of total, in each of the two passes. */
  onProgress?: (done: number, total: number, phase: RefreshPhase) => void;
}

export interface ModelStatus {
  bgnbd: BgNbdParameters | null;
  gammaGamma: GammaGammaParameters | null;
  /** Why a model is missing; null when both were fitted. */
  reason: string | null;
}

export type RefreshReport =
  | { status: "skipped"; reason: string; activeRunId: string | null }
  | {
      status: "done";
      runId: string;
      computedAt: Date;
      customers: number;
      withOrders: number;
      rfmScored: number;
      repeatBuyers: number;
      models: ModelStatus;
      segments: Record<string, number>;
      stages: Record<string, number>;
      levels: Record<string, number>;
      ms: number;
    };

export type { PredictiveExplanation, ScoreExplanation } from "./score-explanation.ts";

/** One customer's orders, summed up once (in the database) for every score that needs them. */
interface OrderStats {
  orderCount: number;
  purchaseDays: number;
  firstOrderAt: Date;
  lastOrderAt: Date;
  historicCents: number;
  window: RfmValues & { monetaryCents: number };
}

function orderStats(facts: CustomerOrderFacts, now: Date): OrderStats | null {
  if (facts.orderCount === 0 || facts.firstOrderMs === null || facts.lastOrderMs === null) return null;
  const last = new Date(facts.lastOrderMs);
  const lastInWindow = facts.lastInWindowMs === null ? null : new Date(facts.lastInWindowMs);
  return {
    orderCount: facts.orderCount,
    purchaseDays: facts.purchaseDays,
    firstOrderAt: new Date(facts.firstOrderMs),
    lastOrderAt: last,
    historicCents: facts.historicCents,
    window: {
      recencyDays: lastInWindow ? dayNumber(now) - dayNumber(lastInWindow) : dayNumber(now) - dayNumber(last),
      frequency: facts.windowCount,
      monetary: facts.windowCents / 100,
      monetaryCents: facts.windowCents,
    },
  };
}

/**
 * The customer's summary in the CLV models' conventions (see clv/summaries.ts: purchase days,
 * the first one left out of the spend), from the per-day sums the database made.
 */
function summaryOf(facts: CustomerOrderFacts, now: Date): CustomerSummary | null {
  if (facts.purchaseDays === 0 || facts.firstDay === null || facts.lastDay === null) return null;
  const unitDays = DAYS_PER_UNIT[UNIT];
  const frequency = facts.purchaseDays - 1;
  return {
    customerId: facts.customerId,
    frequency,
    recency: (facts.lastDay - facts.firstDay) / unitDays,
    T: (dayNumber(now) - facts.firstDay) / unitDays,
    monetaryValue: frequency > 0 ? (facts.historicCents - facts.firstDayCents) / 100 / frequency : 0,
  };
}

/** What scoring one customer needs to know about everybody: the fitted models, the RFM scales, the settings. */
interface Scoring {
  now: Date;
  windowStart: Date;
  settings: AnalyticsSettings;
  models: ModelStatus;
  scorer: RfmScorer;
  populationGap: number | null;
  histories: HistoryPredictions | null;
}

/** One customer's score row from their summed-up facts: RFM, prediction, lifecycle stage, relationship level, and the facts behind them. */
function scoreCustomer(facts: ScoringFacts, scoring: Scoring): ScoreRow {
  const { now, windowStart, settings, models, scorer, populationGap, histories } = scoring;
  const { customerId } = facts;
  const stats = orderStats(facts, now);
  const summary = summaryOf(facts, now);
  const rfm = stats && stats.window.frequency > 0 ? scorer.score(stats.window) : null;
  const predicted = predict(models, histories, facts, summary, dayNumber(now));
  const lifecycle = lifecycleDecision(
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
  const engagement = facts.engagement ?? noEngagement;
  const relationship = relationshipLevelName(engagement, settings.relationship);

  // Only the facts the columns do not hold: readers render the sentences (score-explanation.ts).
  const lifecycleInput = { purchaseDays: stats?.purchaseDays ?? 0, firstOrderAt: stats?.firstOrderAt ?? null, lastOrderAt: stats?.lastOrderAt ?? null, populationGapDays: populationGap };
  const gap = stats ? usualGap(lifecycleInput, settings.lifecycle) : null;
  const explanation = storedExplanationFacts({
    horizonMonths: settings.clvHorizonMonths,
    monthlyDiscountRate: settings.monthlyDiscountRate,
    purchaseDays: stats?.purchaseDays ?? 0,
    lifecycle,
    gapDays: gap?.gap ?? null,
    ownGapDays: gap?.own ?? null,
    multiples: { churned: settings.lifecycle.churnedGapMultiple, declining: settings.lifecycle.decliningGapMultiple },
    engagement,
    predictionReason: predicted.reason,
  });
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
    previousLifecycleStage: (facts.previousStage as LifecycleStage | null) ?? null,
    scoreId: facts.scoreId,
    relationshipLevel: relationship,
    probabilityAlive: predicted.probabilityAlive,
    predictedPurchases: predicted.predictedPurchases,
    historicCents: stats?.historicCents ?? 0,
    predictedClv: predicted.predictedClv,
    explanation,
  };
}

export function windowStartFor(now: Date, months: number): Date {
  const start = new Date(now);
  start.setUTCMonth(start.getUTCMonth() - months);
  return start;
}

/**
 * Recomputes every customer's CustomerScore row: RFM segment, lifecycle stage, relationship
 * level, probability alive, predicted purchases and lifetime value, each with the facts behind
 * it. The database sums every customer's orders up once, set-based, into a temporary table
 * (analytics-pages.ts); the first pass asks it for what the models and the quintiles need about
 * everybody (the buyers' histories grouped, the RFM cut points: see Population), so that the
 * models are fitted once and the quintiles rank everybody without holding anything per customer;
 * the second reads the table back in pages, scores each page and writes it in one statement while
 * the next page is read and scored.
 * One refresh runs at a time across all instances; a second one is skipped, not queued.
 */
export async function refreshAnalytics(options: RefreshOptions): Promise<RefreshReport> {
  const settings: AnalyticsSettings = { ...defaultAnalyticsSettings, ...options.settings };
  const started = Date.now();
  const repo = new AnalyticsRepository(options.prisma);
  const now = options.clock.now();
  const windowStart = windowStartFor(now, settings.windowMonths);
  const window = { now, windowStart };

  const claim = await repo.startRun(now, new Date(now.getTime() - settings.staleRunHours * 3_600_000));
  if (!claim.started) {
    const since = claim.active ? ` since ${claim.active.startedAt.toISOString()}` : "";
    return { status: "skipped", reason: `another analytics refresh is in progress${since}`, activeRunId: claim.active?.id ?? null };
  }
  const runId = claim.run.id;
  let models: ModelStatus = { bgnbd: null, gammaGamma: null, reason: null };
  let customers = 0;
  try {
    const total = await repo.countCustomers();
    const progress = (done: number, phase: RefreshPhase) => options.onProgress?.(done, Math.max(total, done), phase);
    const nowDay = dayNumber(now);
    const lanes = { ...options, timeoutMs: settings.staleRunHours * 3_600_000 };
    const engagementWindow = {
      since: windowStart,
      until: now,
      careReplyDays: settings.relationship.careReplyDays,
      conversationGapHours: settings.relationship.conversationGapHours,
    };
    progress(0, "reading");
    const report = await withRefreshSql(lanes, ({ read, write, overlap }) =>
      // Every customer's orders (and engagement) summed up once, set-based, into tables the passes read.
      withOrderFacts(read, window, engagementWindow, async () => {
        // Pass 1: what the models and the quintiles need about everybody, summed up by the database.
        const population = new Population(await buyerGroups(read, nowDay), await rfmCutRows(read, nowDay));
        progress(total, "reading");
        models = fitGroupedModels(
          { purchases: population.purchaseGroups(DAYS_PER_UNIT[UNIT]), spend: population.spendGroups(), customers: population.buyers },
          settings,
        );
        const repeatBuyers = population.repeatBuyers;
        const horizon = settings.clvHorizonMonths * unitsPerMonth(UNIT);
        const scoring: Scoring = {
          now,
          windowStart,
          settings,
          models,
          scorer: population.rfmScorer(),
          populationGap: population.typicalGapDays(DAYS_PER_UNIT[UNIT]),
          histories: models.bgnbd ? new HistoryPredictions(models.bgnbd, horizon, settings.monthlyDiscountRate, UNIT) : null,
        };

        // Pass 2: score and write, page by page, into a new table that replaces the live one at the end
        // (score-table-swap.ts); a page's write overlaps the next page's read and scoring.
        await prepareNextScores(write);
        const segments: Record<string, number> = {};
        const stages: Record<string, number> = {};
        const levels: Record<string, number> = {};
        const count = (tally: Record<string, number>, key: string) => (tally[key] = (tally[key] ?? 0) + 1);
        let withOrders = 0;
        let rfmScored = 0;
        let writing: Promise<void> = Promise.resolve();
        progress(0, "scoring");
        // With two connections the next page is read while this one is scored.
        const nextPage = (after: number) => {
          const reading = scoringPage(read, after, settings.batchSize);
          reading.catch(() => {}); // awaited in the loop; not unhandled meanwhile
          return reading;
        };
        let reading = nextPage(0);
        try {
          for (;;) {
            const page = await reading;
            if (page.length === 0) break;
            const more = page.length === settings.batchSize;
            if (more && overlap) reading = nextPage(page[page.length - 1]!.row);

            const rows = page.map((facts) => scoreCustomer(facts, scoring));
            for (const row of rows) {
              if (row.firstOrderAt) withOrders += 1;
              if (row.rfmSegment) rfmScored += 1;
              count(segments, row.rfmSegment ?? "none");
              count(stages, row.lifecycleStage);
              count(levels, row.relationshipLevel);
            }
            // At most one write in flight: it must succeed before the next one starts.
            await writing;
            writing = writeScores(write, runId, now, rows).then(() => {
              customers += rows.length;
              progress(customers, "scoring");
            });
            // Not left unhandled while the next page is read; awaited above or below.
            writing.catch(() => {});
            // On one connection (Prisma's transaction) a write and the next read would only queue.
            if (!overlap) await writing;
            if (!more) break;
            if (!overlap) reading = nextPage(page[page.length - 1]!.row);
          }
          await writing;
          // The read connection is free by now: it builds half of the new table's indexes.
          await publishNextScores(write, overlap ? [read] : []);
        } catch (error) {
          // The live table is untouched; the half-written new one goes (after the write in flight, if any).
          await writing.catch(() => {});
          await discardNextScores(write).catch(() => {});
          throw error;
        }
        return { withOrders, rfmScored, repeatBuyers, segments, stages, levels };
      }),
    );

    await repo.finishRun(runId, {
      finishedAt: options.clock.now(),
      customers,
      bgnbd: models.bgnbd ? { ...models.bgnbd, unit: UNIT } : null,
      gammaGamma: models.gammaGamma ? { ...models.gammaGamma } : null,
      modelNote: models.reason,
    });
    return { status: "done", runId, computedAt: now, customers, ...report, models, ms: Date.now() - started };
  } catch (error) {
    await repo.finishRun(runId, { finishedAt: options.clock.now(), customers, modelNote: models.reason, error: describeError(error) }).catch(() => {});
    throw error;
  }
}

/** Fits both models once, or says why not; never throws for data that cannot support them. */
export function fitModels(summaries: readonly CustomerSummary[], settings: Pick<AnalyticsSettings, "minRepeatBuyers">): ModelStatus {
  return fitGroupedModels({ purchases: groupSummaries([...summaries]), spend: groupSpend([...summaries]), customers: summaries.length }, settings);
}

/** The buyers as the fits take them: grouped by history and by spend, with weights. */
export interface ModelInputs {
  purchases: PurchaseGroups;
  spend: SpendGroups;
  /** Buyers in all (the sum of the purchase groups' weights). */
  customers: number;
}

/** fitModels on buyers already grouped (Population does it while reading): memory and time per distinct history. */
export function fitGroupedModels(inputs: ModelInputs, settings: Pick<AnalyticsSettings, "minRepeatBuyers">): ModelStatus {
  let repeaters = 0;
  for (let i = 0; i < inputs.purchases.weight.length; i++) if (inputs.purchases.frequency[i]! > 0) repeaters += inputs.purchases.weight[i]!;
  if (repeaters < settings.minRepeatBuyers) {
    return {
      bgnbd: null,
      gammaGamma: null,
      reason:
        `only ${repeaters} customer${repeaters === 1 ? " has" : "s have"} bought on more than one day; ` +
        `the purchase and spend models need at least ${settings.minRepeatBuyers}`,
    };
  }
  let bgnbd: BgNbdParameters;
  try {
    bgnbd = fitBgNbdGroups(inputs.purchases);
  } catch (error) {
    if (error instanceof TendError) return { bgnbd: null, gammaGamma: null, reason: error.message };
    throw error;
  }
  try {
    return { bgnbd, gammaGamma: fitGammaGammaGroups(inputs.spend, inputs.customers), reason: null };
  } catch (error) {
    if (error instanceof TendError) return { bgnbd, gammaGamma: null, reason: error.message };
    throw error;
  }
}
