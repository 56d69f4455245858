/**
 * Lifecycle stage: where a customer stands in their buying life, judged against their own
 * purchase rhythm rather than one calendar rule for everybody (a monthly coffee buyer is
 * overdue long before a yearly furniture buyer).
 *
 * Rules, first match wins:
 * 1. potential — no order yet.
 * 2. churned   — days since the last order exceed `churnedGapMultiple` x the usual gap, or the
 *                BG/NBD probability of still being active is below `churnedProbability`.
 * 3. declining — days since the last order exceed `decliningGapMultiple` x the usual gap, or
 *                P(alive) is below `decliningProbability`.
 * 4. new       — a single purchase day (not yet overdue, by 2-3).
 * 5. mature    — at least `matureMinPurchaseDays` purchase days over at least `matureMinTenureDays`.
 * 6. growing   — any other repeat buyer in rhythm.
 *
 * The usual gap is the customer's mean gap between purchase days; a customer with one purchase
 * day has none, so the population's typical gap stands in (the median of the repeat buyers'
 * gaps), or `defaultGapDays` when there are no repeat buyers. It is never taken below
 * `minGapDays`: two orders on consecutive days do not make someone overdue two days later.
 * P(alive) is null when the models were not fitted; the gap rules then decide alone. BG/NBD
 * gives every one-time buyer P(alive) = 1, so for them the gap rules decide anyway.
 */

export const LIFECYCLE_STAGES = ["potential", "new", "growing", "mature", "declining", "churned"] as const;
export type LifecycleStageName = (typeof LIFECYCLE_STAGES)[number];

export const LIFECYCLE_STAGE_LABELS: Readonly<Record<LifecycleStageName, { en: string; zh: string }>> = {
  potential: { en: "Potential", zh: "潜在客户" },
  new: { en: "New", zh: "新客户" },
  growing: { en: "Growing", zh: "成长期" },
  mature: { en: "Mature", zh: "成熟期" },
  declining: { en: "Declining", zh: "衰退期" },
  churned: { en: "Churned", zh: "已流失" },
};

export interface LifecycleSettings {
  decliningGapMultiple: number;
  churnedGapMultiple: number;
  decliningProbability: number;
  churnedProbability: number;
  defaultGapDays: number;
  minGapDays: number;
  matureMinPurchaseDays: number;
  matureMinTenureDays: number;
}

export const defaultLifecycleSettings: LifecycleSettings = {
  decliningGapMultiple: 1.5,
  churnedGapMultiple: 3,
  decliningProbability: 0.5,
  churnedProbability: 0.1,
  defaultGapDays: 90,
  minGapDays: 14,
  matureMinPurchaseDays: 4,
  matureMinTenureDays: 180,
};

export interface LifecycleInput {
  now: Date;
  /** Orders with a positive amount up to now. */
  orderCount: number;
  /** Distinct UTC days with an order: several orders on one day are one purchase. */
  purchaseDays: number;
  firstOrderAt: Date | null;
  lastOrderAt: Date | null;
  /** BG/NBD P(alive); null when the models were not fitted. */
  probabilityAlive: number | null;
  /** The population's typical gap between purchase days, in days; null when nobody bought twice. */
  populationGapDays: number | null;
}

export type LifecycleRule =
  | "no_orders"
  | "churned_overdue"
  | "churned_probability"
  | "declining_overdue"
  | "declining_probability"
  | "single_purchase"
  | "established"
  | "repeat_in_rhythm";

export interface LifecycleFacts {
  orderCount: number;
  purchaseDays: number;
  daysSinceFirstOrder: number | null;
  daysSinceLastOrder: number | null;
  /** The gap the customer is judged against, in days (rounded to 0.1). */
  usualGapDays: number | null;
  gapSource: "own" | "population" | "default" | null;
  /** Days since the last order divided by the usual gap. */
  overdueRatio: number | null;
  probabilityAlive: number | null;
}

export interface LifecycleResult {
  stage: LifecycleStageName;
  rule: LifecycleRule;
  facts: LifecycleFacts;
  en: string;
  zh: string;
}

const DAY_MS = 86_400_000;
const dayNumber = (date: Date) => Math.floor(date.getTime() / DAY_MS);
const round1 = (value: number) => Math.round(value * 10) / 10;
const pct = (p: number) => `${Math.round(p * 100)}%`;

/** The stage of a customer without orders: potential, with the facts all empty. */
export function noOrdersLifecycle(): LifecycleResult {
  const decision = noOrdersDecision();
  return { ...decision, ...describeLifecycle(decision.rule, decision.facts, { churned: 0, declining: 0 }) };
}

/** A stage without its sentences: what the refresh needs (it stores facts; readers render the sentences). */
export type LifecycleDecision = Omit<LifecycleResult, "en" | "zh">;

function noOrdersDecision(): LifecycleDecision {
  const facts: LifecycleFacts = {
    orderCount: 0,
    purchaseDays: 0,
    daysSinceFirstOrder: null,
    daysSinceLastOrder: null,
    usualGapDays: null,
    gapSource: null,
    overdueRatio: null,
    probabilityAlive: null,
  };
  return { stage: "potential", rule: "no_orders", facts };
}

export function lifecycleStage(input: LifecycleInput, settings: LifecycleSettings = defaultLifecycleSettings): LifecycleResult {
  const decision = lifecycleDecision(input, settings);
  const multiples = decision.rule === "no_orders" ? { churned: 0, declining: 0 } : { churned: settings.churnedGapMultiple, declining: settings.decliningGapMultiple };
  return { ...decision, ...describeLifecycle(decision.rule, decision.facts, multiples) };
}

/** lifecycleStage's stage, rule and facts, without the sentences. */
export function lifecycleDecision(input: LifecycleInput, settings: LifecycleSettings = defaultLifecycleSettings): LifecycleDecision {
  const { orderCount, purchaseDays, firstOrderAt, lastOrderAt, probabilityAlive: pAlive } = input;
  if (orderCount <= 0 || !firstOrderAt || !lastOrderAt || purchaseDays <= 0) {
    return noOrdersDecision();
  }

  const today = dayNumber(input.now);
  const daysSinceLast = Math.max(0, today - dayNumber(lastOrderAt));
  const daysSinceFirst = Math.max(0, today - dayNumber(firstOrderAt));
  const { gap, source: gapSource } = usualGap(input, settings);
  const ratio = daysSinceLast / gap;
  const facts: LifecycleFacts = {
    orderCount,
    purchaseDays,
    daysSinceFirstOrder: daysSinceFirst,
    daysSinceLastOrder: daysSinceLast,
    usualGapDays: round1(gap),
    gapSource,
    overdueRatio: round1(ratio),
    probabilityAlive: pAlive,
  };

  const decide = (stage: LifecycleStageName, rule: LifecycleRule): LifecycleDecision => ({ stage, rule, facts });
  if (ratio > settings.churnedGapMultiple) return decide("churned", "churned_overdue");
  if (pAlive !== null && pAlive < settings.churnedProbability) return decide("churned", "churned_probability");
  if (ratio > settings.decliningGapMultiple) return decide("declining", "declining_overdue");
  if (pAlive !== null && pAlive < settings.decliningProbability) return decide("declining", "declining_probability");
  if (purchaseDays === 1) return decide("new", "single_purchase");
  if (purchaseDays >= settings.matureMinPurchaseDays && daysSinceFirst >= settings.matureMinTenureDays) return decide("mature", "established");
  return decide("growing", "repeat_in_rhythm");
}

/**
 * The gap between purchase days a buyer is judged against, unrounded: their own mean gap, else the
 * population's typical one, else the default; never below minGapDays. Null without orders.
 */
export function usualGap(
  input: Pick<LifecycleInput, "purchaseDays" | "firstOrderAt" | "lastOrderAt" | "populationGapDays">,
  settings: Pick<LifecycleSettings, "defaultGapDays" | "minGapDays"> = defaultLifecycleSettings,
): { gap: number; source: "own" | "population" | "default"; own: number | null } {
  const { purchaseDays, firstOrderAt, lastOrderAt } = input;
  const own = purchaseDays >= 2 && firstOrderAt && lastOrderAt ? (dayNumber(lastOrderAt) - dayNumber(firstOrderAt)) / (purchaseDays - 1) : null;
  if (own !== null) return { gap: Math.max(own, settings.minGapDays), source: "own", own };
  if (input.populationGapDays !== null && input.populationGapDays > 0) return { gap: Math.max(input.populationGapDays, settings.minGapDays), source: "population", own };
  return { gap: Math.max(settings.defaultGapDays, settings.minGapDays), source: "default", own };
}

/** The stage each rule gives. */
export const LIFECYCLE_RULE_STAGES: Readonly<Record<LifecycleRule, LifecycleStageName>> = {
  no_orders: "potential",
  churned_overdue: "churned",
  churned_probability: "churned",
  declining_overdue: "declining",
  declining_probability: "declining",
  single_purchase: "new",
  established: "mature",
  repeat_in_rhythm: "growing",
};

/**
 * The English and Chinese sentences for a rule's verdict, from its facts alone (and, for the two
 * overdue rules, the multiple that was exceeded): the refresh stores these facts, and every reader
 * renders the sentences from them (score-explanation.ts).
 */
export function describeLifecycle(rule: LifecycleRule, facts: LifecycleFacts, multiples: { churned: number; declining: number }): { en: string; zh: string } {
  if (rule === "no_orders") return { en: "Potential: no order yet.", zh: "潜在客户：尚未下单。" };
  const gapSource = facts.gapSource ?? "default";
  const gap = facts.usualGapDays ?? 0;
  const daysSinceLast = facts.daysSinceLastOrder ?? 0;
  const daysSinceFirst = facts.daysSinceFirstOrder ?? 0;
  const { orderCount, purchaseDays } = facts;
  const pAlive = facts.probabilityAlive ?? 0;
  const gapEn = { own: "their usual gap", population: "the typical gap between customers' orders", default: "the default gap" }[gapSource];
  const gapZh = { own: "其平时的购买间隔", population: "客户普遍的购买间隔", default: "默认购买间隔" }[gapSource];
  const lastEn = `last order ${daysSinceLast} day${daysSinceLast === 1 ? "" : "s"} ago, ${gapEn} is ${gap} days`;
  const lastZh = `最近一次下单在 ${daysSinceLast} 天前，${gapZh}为 ${gap} 天`;
  const label = LIFECYCLE_STAGE_LABELS[LIFECYCLE_RULE_STAGES[rule]];
  const say = (en: string, zh: string) => ({ en: `${label.en}: ${en}.`, zh: `${label.zh}：${zh}。` });
  switch (rule) {
    case "churned_overdue":
      return say(`${lastEn}: more than ${multiples.churned}x overdue`, `${lastZh}，已超过 ${multiples.churned} 倍`);
    case "churned_probability":
      return say(
        `the purchase model gives only ${pct(pAlive)} that they are still an active customer (${lastEn})`,
        `购买模型估计其仍为活跃客户的概率仅为 ${pct(pAlive)}（${lastZh}）`,
      );
    case "declining_overdue":
      return say(`${lastEn}: more than ${multiples.declining}x overdue`, `${lastZh}，已超过 ${multiples.declining} 倍`);
    case "declining_probability":
      return say(
        `the purchase model gives ${pct(pAlive)} that they are still an active customer (${lastEn})`,
        `购买模型估计其仍为活跃客户的概率为 ${pct(pAlive)}（${lastZh}）`,
      );
    case "single_purchase":
      return say(
        `one purchase${orderCount > 1 ? ` day (${orderCount} orders)` : ""}, ${daysSinceFirst} day${daysSinceFirst === 1 ? "" : "s"} ago, within ${gapEn} of ${gap} days`,
        `仅一次购买${orderCount > 1 ? `（同一天 ${orderCount} 笔订单）` : ""}，在 ${daysSinceFirst} 天前，未超出${gapZh}（${gap} 天）`,
      );
    case "established":
      return say(
        `${purchaseDays} purchase days since the first order ${daysSinceFirst} days ago, buying in rhythm (${lastEn})`,
        `自 ${daysSinceFirst} 天前首次下单以来共 ${purchaseDays} 个购买日，购买节奏稳定（${lastZh}）`,
      );
    case "repeat_in_rhythm":
      return say(
        `${purchaseDays} purchase days since the first order ${daysSinceFirst} days ago, buying in rhythm (${lastEn})`,
        `自 ${daysSinceFirst} 天前首次下单以来共 ${purchaseDays} 个购买日，仍在正常节奏内（${lastZh}）`,
      );
  }
}

/** The median of the repeat buyers' mean gaps between purchase days, in days; null without repeat buyers. */
export function typicalGapDays(meanGaps: readonly number[] | Float64Array): number | null {
  // A typed array sorts numerically by itself, and a million gaps take 8 MB instead of a boxed array.
  const gaps = Float64Array.from(meanGaps).filter((g) => Number.isFinite(g) && g > 0).sort();
  if (gaps.length === 0) return null;
  const mid = gaps.length >> 1;
  return gaps.length % 2 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
}
