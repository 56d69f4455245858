import { type LifecycleDecision, type LifecycleFacts, type LifecycleResult, type LifecycleRule, describeLifecycle, noOrdersLifecycle } from "./lifecycle.ts";
import { type EngagementFacts, type RelationshipLevelName, type RelationshipResult, describeRelationship, noEngagement } from "./relationship.ts";
import { type RfmExplanation, type RfmSegment, explainRfm, fmScore, type Quintile } from "./rfm.ts";

/**
 * A score's explanation: the facts behind each figure with a sentence in English and Chinese.
 *
 * The refresh does not store the sentences (they were most of the bytes it wrote: ~1.7 KB per
 * customer). It stores in CustomerScore.explanation only the facts the columns do not hold
 * (StoredExplanationFacts, a few dozen bytes), and every reader turns a stored row into this shape
 * through `scoreExplanation`. Rows written before that (the whole explanation, sentences included)
 * are returned as they are.
 */

export interface PredictiveExplanation {
  available: boolean;
  horizonMonths: number;
  monthlyDiscountRate: number;
  probabilityAlive: number | null;
  predictedPurchases: number | null;
  predictedClv: number | null;
  /** Why there is no prediction (or no value prediction); null when there is one. */
  reason: string | null;
  en: string;
  zh: string;
}

export interface ScoreExplanation {
  rfm: RfmExplanation;
  lifecycle: LifecycleResult;
  relationship: RelationshipResult;
  predictive: PredictiveExplanation;
}

/** The order of LifecycleRule codes in StoredExplanationFacts.l: append only. */
const RULES: readonly LifecycleRule[] = [
  "no_orders",
  "churned_overdue",
  "churned_probability",
  "declining_overdue",
  "declining_probability",
  "single_purchase",
  "established",
  "repeat_in_rhythm",
];

/** The order of the engagement counts in StoredExplanationFacts.e: append only. */
const ENGAGEMENT: readonly (keyof EngagementFacts)[] = [
  "inbound",
  "outbound",
  "customerInitiated",
  "businessInitiated",
  "careSent",
  "careReplied",
  "surveysInvited",
  "surveysAnswered",
  "surveyReasons",
  "complaints",
  "channels",
];

/** Reason of a prediction that cannot be made because there are no orders (not stored: orderCount says so). */
const NO_ORDERS = "no orders yet";

/**
 * What CustomerScore.explanation holds (format 2): only what the row's columns do not. Short keys,
 * because a million of these are written per refresh.
 */
export interface StoredExplanationFacts {
  v: 2;
  /** The CLV horizon in months and the monthly discount rate of the predictions. */
  h: number;
  d: number;
  /** Purchase days (buyers only). */
  p?: number;
  /** The lifecycle rule that decided, as its index in RULES (buyers only). */
  l?: number;
  /** The gap in days the customer was judged against, when it is not their own mean gap between purchase days. */
  g?: number;
  /** Where g came from for a one-purchase-day customer: "p" the population's typical gap, "d" the default. */
  s?: "p" | "d";
  /** The multiple of the gap that was exceeded (the two overdue rules only). */
  k?: number;
  /** Engagement counts in ENGAGEMENT order; absent when all are 0. */
  e?: number[];
  /** Why there is no prediction or no value prediction, unless it is "no orders yet". */
  x?: string;
}

/** What the refresh knows beyond the row's columns, for `storedExplanationFacts`. */
export interface ExplanationInputs {
  horizonMonths: number;
  monthlyDiscountRate: number;
  purchaseDays: number;
  lifecycle: LifecycleDecision;
  /** The unrounded gap the lifecycle rules used (null for a customer without orders). */
  gapDays: number | null;
  /** The customer's own mean gap between purchase days, when they have one. */
  ownGapDays: number | null;
  multiples: { churned: number; declining: number };
  engagement: EngagementFacts;
  /** Reason of a missing (value) prediction; null or "no orders yet" are not stored. */
  predictionReason: string | null;
}

export function storedExplanationFacts(inputs: ExplanationInputs): StoredExplanationFacts {
  const facts: StoredExplanationFacts = { v: 2, h: inputs.horizonMonths, d: inputs.monthlyDiscountRate };
  const { lifecycle } = inputs;
  if (lifecycle.rule !== "no_orders") {
    facts.p = inputs.purchaseDays;
    facts.l = RULES.indexOf(lifecycle.rule);
    if (inputs.gapDays !== null && inputs.gapDays !== inputs.ownGapDays) facts.g = inputs.gapDays;
    if (lifecycle.facts.gapSource === "population") facts.s = "p";
    if (lifecycle.facts.gapSource === "default") facts.s = "d";
    if (lifecycle.rule === "churned_overdue") facts.k = inputs.multiples.churned;
    if (lifecycle.rule === "declining_overdue") facts.k = inputs.multiples.declining;
  }
  const counts = ENGAGEMENT.map((key) => inputs.engagement[key]);
  if (counts.some((n) => n !== 0)) facts.e = counts;
  if (inputs.predictionReason !== null && inputs.predictionReason !== NO_ORDERS) facts.x = inputs.predictionReason;
  return facts;
}

/** A decimal column as any reader holds it: Prisma's Decimal, a string, or a number. */
type Numeric = number | string | { toString(): string };

/** The columns of a CustomerScore row that the explanation is rendered from. */
export interface StoredScore {
  computedAt: Date;
  windowMonths: number;
  orderCount: number;
  firstOrderAt: Date | null;
  lastOrderAt: Date | null;
  frequency: number;
  monetary: Numeric;
  rfmRecency: number | null;
  rfmFrequency: number | null;
  rfmMonetary: number | null;
  rfmSegment: string | null;
  lifecycleStage: string;
  relationshipLevel: string;
  probabilityAlive: number | null;
  predictedPurchases: number | null;
  predictedClv: Numeric | null;
  explanation: unknown;
}

const DAY_MS = 86_400_000;
const dayNumber = (date: Date) => Math.floor(date.getTime() / DAY_MS);
const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;
const number = (value: Numeric) => (typeof value === "number" ? value : Number(value.toString()));

/** A row written before format 2: the explanation with its sentences. */
function isComplete(explanation: unknown): explanation is ScoreExplanation {
  return !!explanation && typeof explanation === "object" && "rfm" in explanation && "lifecycle" in explanation && "predictive" in explanation;
}

/**
 * The one way to read a score's explanation: a stored row's columns and compact facts rendered into
 * the facts and sentences (or an older row's stored explanation as it is).
 */
export function scoreExplanation(row: StoredScore): ScoreExplanation {
  if (isComplete(row.explanation)) return row.explanation;
  const stored = (row.explanation && typeof row.explanation === "object" ? row.explanation : {}) as Partial<StoredExplanationFacts>;
  return {
    rfm: rfmPart(row),
    lifecycle: lifecyclePart(row, stored),
    relationship: relationshipPart(row, stored),
    predictive: predictivePart(row, stored),
  };
}

function rfmPart(row: StoredScore): RfmExplanation {
  const { rfmRecency: r, rfmFrequency: f, rfmMonetary: m, rfmSegment: segment, lastOrderAt } = row;
  if (segment === null || r === null || f === null || m === null || lastOrderAt === null) return explainRfm(null, null, row.windowMonths);
  // A scored customer's last order is in the window, so the days since it are the window's recency.
  const values = { recencyDays: dayNumber(row.computedAt) - dayNumber(lastOrderAt), frequency: row.frequency, monetary: number(row.monetary) };
  const result = { r: r as Quintile, f: f as Quintile, m: m as Quintile, fm: fmScore(f, m), segment: segment as RfmSegment };
  return explainRfm(values, result, row.windowMonths);
}

function lifecyclePart(row: StoredScore, stored: Partial<StoredExplanationFacts>): LifecycleResult {
  const rule = stored.l === undefined ? undefined : RULES[stored.l];
  const { firstOrderAt, lastOrderAt } = row;
  if (!rule || rule === "no_orders" || !firstOrderAt || !lastOrderAt) {
    return noOrdersLifecycle();
  }
  const purchaseDays = stored.p ?? 1;
  const today = dayNumber(row.computedAt);
  const daysSinceLast = Math.max(0, today - dayNumber(lastOrderAt));
  const gap = stored.g ?? (purchaseDays >= 2 ? (dayNumber(lastOrderAt) - dayNumber(firstOrderAt)) / (purchaseDays - 1) : 0);
  const facts: LifecycleFacts = {
    orderCount: row.orderCount,
    purchaseDays,
    daysSinceFirstOrder: Math.max(0, today - dayNumber(firstOrderAt)),
    daysSinceLastOrder: daysSinceLast,
    usualGapDays: round(gap, 1),
    gapSource: stored.s === "p" ? "population" : stored.s === "d" ? "default" : "own",
    overdueRatio: round(daysSinceLast / gap, 1),
    probabilityAlive: row.probabilityAlive,
  };
  const k = stored.k ?? 0;
  const stage = row.lifecycleStage as LifecycleResult["stage"];
  return { stage, rule, facts, ...describeLifecycle(rule, facts, { churned: k, declining: k }) };
}

function relationshipPart(row: StoredScore, stored: Partial<StoredExplanationFacts>): RelationshipResult {
  const facts: EngagementFacts = { ...noEngagement };
  if (Array.isArray(stored.e)) ENGAGEMENT.forEach((key, i) => (facts[key] = Number(stored.e![i] ?? 0)));
  return describeRelationship(row.relationshipLevel as RelationshipLevelName, facts);
}

/** Used when a row has no stored horizon or rate (it never should): the refresh's defaults. */
const FALLBACK = { horizonMonths: 12, monthlyDiscountRate: 0.01 };

function predictivePart(row: StoredScore, stored: Partial<StoredExplanationFacts>): PredictiveExplanation {
  return describePrediction({
    horizonMonths: stored.h ?? FALLBACK.horizonMonths,
    monthlyDiscountRate: stored.d ?? FALLBACK.monthlyDiscountRate,
    probabilityAlive: row.probabilityAlive,
    predictedPurchases: row.predictedPurchases,
    predictedClv: row.predictedClv === null ? null : number(row.predictedClv),
    reason: row.orderCount === 0 ? NO_ORDERS : (stored.x ?? null),
  });
}

/** A prediction's figures (unrounded) and the reason of what is missing, for `describePrediction`. */
export interface PredictionFacts {
  horizonMonths: number;
  monthlyDiscountRate: number;
  probabilityAlive: number | null;
  predictedPurchases: number | null;
  predictedClv: number | null;
  reason: string | null;
}

/** The predictive explanation's rounded figures and sentences, from the prediction. */
export function describePrediction(p: PredictionFacts): PredictiveExplanation {
  const months = p.horizonMonths;
  const base = { horizonMonths: months, monthlyDiscountRate: p.monthlyDiscountRate };
  if (p.probabilityAlive === null || p.predictedPurchases === null) {
    const reason = p.reason ?? "the purchase model was not fitted";
    const none = { available: false, ...base, probabilityAlive: null, predictedPurchases: null, predictedClv: null, reason };
    if (reason === NO_ORDERS) return { ...none, en: "No prediction: no orders yet.", zh: "无预测：尚未下单。" };
    return { ...none, en: `No prediction: ${reason}.`, zh: "无预测：现有订单数据不足以拟合购买模型（原因见英文说明）。" };
  }
  const pAlive = p.probabilityAlive;
  const n = round(p.predictedPurchases, 3);
  const v = p.predictedClv === null ? null : round(p.predictedClv, 2);
  const reason = v === null ? (p.reason ?? "the spend model was not fitted") : p.reason;
  const pctText = `${Math.round(pAlive * 100)}%`;
  const rate = `${round(p.monthlyDiscountRate * 100, 4)}%`;
  const en =
    `P(active) ${pctText}; expected ${n.toFixed(2)} purchases in the next ${months} months` +
    (v === null ? `; no value prediction: ${reason}.` : `, worth ${v.toFixed(2)} discounted at ${rate} a month.`);
  const zh =
    `仍为活跃客户的概率 ${pctText}；预计未来 ${months} 个月购买 ${n.toFixed(2)} 次` +
    (v === null ? "；无法预测价值（原因见英文说明）。" : `，按每月 ${rate} 折现价值 ${v.toFixed(2)}。`);
  return { available: true, ...base, probabilityAlive: round(pAlive, 4), predictedPurchases: n, predictedClv: v, reason, en, zh };
}
