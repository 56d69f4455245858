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

export function lifecycleStage(input: LifecycleInput, settings: LifecycleSettings = defaultLifecycleSettings): LifecycleResult {
  const { orderCount, purchaseDays, firstOrderAt, lastOrderAt, probabilityAlive: pAlive } = input;
  if (orderCount <= 0 || !firstOrderAt || !lastOrderAt || purchaseDays <= 0) {
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
    return { stage: "potential", rule: "no_orders", facts, en: "Potential: no order yet.", zh: "潜在客户：尚未下单。" };
  }

  const today = dayNumber(input.now);
  const daysSinceLast = Math.max(0, today - dayNumber(lastOrderAt));
  const daysSinceFirst = Math.max(0, today - dayNumber(firstOrderAt));
  let gap: number;
  let gapSource: "own" | "population" | "default";
  if (purchaseDays >= 2) {
    gap = (dayNumber(lastOrderAt) - dayNumber(firstOrderAt)) / (purchaseDays - 1);
    gapSource = "own";
  } else if (input.populationGapDays !== null && input.populationGapDays > 0) {
    gap = input.populationGapDays;
    gapSource = "population";
  } else {
    gap = settings.defaultGapDays;
    gapSource = "default";
  }
  gap = Math.max(gap, settings.minGapDays);
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

  const gapEn = { own: "their usual gap", population: "the typical gap between customers' orders", default: "the default gap" }[gapSource];
  const gapZh = { own: "其平时的购买间隔", population: "客户普遍的购买间隔", default: "默认购买间隔" }[gapSource];
  const lastEn = `last order ${daysSinceLast} day${daysSinceLast === 1 ? "" : "s"} ago, ${gapEn} is ${round1(gap)} days`;
  const lastZh = `最近一次下单在 ${daysSinceLast} 天前，${gapZh}为 ${round1(gap)} 天`;
  const done = (stage: LifecycleStageName, rule: LifecycleRule, en: string, zh: string): LifecycleResult => ({
    stage,
    rule,
    facts,
    en: `${LIFECYCLE_STAGE_LABELS[stage].en}: ${en}.`,
    zh: `${LIFECYCLE_STAGE_LABELS[stage].zh}：${zh}。`,
  });

  if (ratio > settings.churnedGapMultiple) {
    return done("churned", "churned_overdue", `${lastEn}: more than ${settings.churnedGapMultiple}x overdue`, `${lastZh}，已超过 ${settings.churnedGapMultiple} 倍`);
  }
  if (pAlive !== null && pAlive < settings.churnedProbability) {
    return done(
      "churned",
      "churned_probability",
      `the purchase model gives only ${pct(pAlive)} that they are still an active customer (${lastEn})`,
      `购买模型估计其仍为活跃客户的概率仅为 ${pct(pAlive)}（${lastZh}）`,
    );
  }
  if (ratio > settings.decliningGapMultiple) {
    return done(
      "declining",
      "declining_overdue",
      `${lastEn}: more than ${settings.decliningGapMultiple}x overdue`,
      `${lastZh}，已超过 ${settings.decliningGapMultiple} 倍`,
    );
  }
  if (pAlive !== null && pAlive < settings.decliningProbability) {
    return done(
      "declining",
      "declining_probability",
      `the purchase model gives ${pct(pAlive)} that they are still an active customer (${lastEn})`,
      `购买模型估计其仍为活跃客户的概率为 ${pct(pAlive)}（${lastZh}）`,
    );
  }
  if (purchaseDays === 1) {
    return done(
      "new",
      "single_purchase",
      `one purchase${orderCount > 1 ? ` day (${orderCount} orders)` : ""}, ${daysSinceFirst} day${daysSinceFirst === 1 ? "" : "s"} ago, within ${gapEn} of ${round1(gap)} days`,
      `仅一次购买${orderCount > 1 ? `（同一天 ${orderCount} 笔订单）` : ""}，在 ${daysSinceFirst} 天前，未超出${gapZh}（${round1(gap)} 天）`,
    );
  }
  if (purchaseDays >= settings.matureMinPurchaseDays && daysSinceFirst >= settings.matureMinTenureDays) {
    return done(
      "mature",
      "established",
      `${purchaseDays} purchase days since the first order ${daysSinceFirst} days ago, buying in rhythm (${lastEn})`,
      `自 ${daysSinceFirst} 天前首次下单以来共 ${purchaseDays} 个购买日，购买节奏稳定（${lastZh}）`,
    );
  }
  return done(
    "growing",
    "repeat_in_rhythm",
    `${purchaseDays} purchase days since the first order ${daysSinceFirst} days ago, buying in rhythm (${lastEn})`,
    `自 ${daysSinceFirst} 天前首次下单以来共 ${purchaseDays} 个购买日，仍在正常节奏内（${lastZh}）`,
  );
}

/** The median of the repeat buyers' mean gaps between purchase days, in days; null without repeat buyers. */
export function typicalGapDays(meanGaps: readonly number[] | Float64Array): number | null {
  // A typed array sorts numerically by itself, and a million gaps take 8 MB instead of a boxed array.
  const gaps = Float64Array.from(meanGaps).filter((g) => Number.isFinite(g) && g > 0).sort();
  if (gaps.length === 0) return null;
  const mid = gaps.length >> 1;
  return gaps.length % 2 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
}
