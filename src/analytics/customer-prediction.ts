import type { CustomerOrderFacts } from "../db/repositories/analytics-pages.ts";
import { TendError } from "../errors.ts";
import { conditionalExpectedPurchases, probabilityAlive } from "./clv/bgnbd.ts";
import { discountedPurchases } from "./clv/clv.ts";
import { conditionalExpectedSpend } from "./clv/gamma-gamma.ts";
import type { BgNbdParameters, CustomerSummary, TimeUnit } from "./clv/model.ts";
import type { ModelStatus } from "./refresh.ts";

/** A customer's predictions as the refresh stores them: BG/NBD's figures and the CLV, or why there are none. */
export interface Prediction {
  probabilityAlive: number | null;
  predictedPurchases: number | null;
  predictedClv: number | null;
  /** Why there is no prediction or no value prediction; null when there is one. */
  reason: string | null;
}

/** What the purchase model says about one purchase history, whoever has it. */
interface HistoryPrediction {
  probabilityAlive: number;
  purchases: number;
  /** The horizon's discounted expected purchases (predictClv without the spend), or why there is none. */
  discounted: number | TendError;
}

/**
 * The purchase model's figures per distinct purchase history (repeat purchase days, days from the
 * first to the last, days since the first), computed once per history: many customers share one
 * (every one-time buyer of the same day, for a start), and these are most of a prediction's cost.
 * At most `limit` histories are kept; when full the cache starts again, so memory stays bounded.
 */
export class HistoryPredictions {
  private readonly known = new Map<number, HistoryPrediction>();

  constructor(
    private readonly bgnbd: BgNbdParameters,
    private readonly horizon: number,
    private readonly monthlyDiscountRate: number,
    private readonly unit: TimeUnit,
    private readonly limit = 100_000,
  ) {}

  of(facts: CustomerOrderFacts, summary: CustomerSummary, nowDay: number): HistoryPrediction {
    const key = historyKey(facts, nowDay);
    const known = key === null ? undefined : this.known.get(key);
    if (known) return known;
    const { frequency, recency, T } = summary;
    let discounted: number | TendError;
    try {
      discounted = discountedPurchases(this.bgnbd, summary, { horizon: this.horizon, monthlyDiscountRate: this.monthlyDiscountRate, unit: this.unit });
    } catch (error) {
      if (!(error instanceof TendError)) throw error;
      discounted = error;
    }
    const prediction = {
      probabilityAlive: probabilityAlive(this.bgnbd, frequency, recency, T),
      purchases: conditionalExpectedPurchases(this.bgnbd, this.horizon, frequency, recency, T),
      discounted,
    };
    if (key !== null) {
      if (this.known.size >= this.limit) this.known.clear();
      this.known.set(key, prediction);
    }
    return prediction;
  }
}

/** One number per purchase history (whole days), or null for one outside the packing's range. */
function historyKey(facts: CustomerOrderFacts, nowDay: number): number | null {
  if (facts.firstDay === null || facts.lastDay === null) return null;
  const x = facts.purchaseDays - 1;
  const recencyDays = facts.lastDay - facts.firstDay;
  const tDays = nowDay - facts.firstDay;
  if (x < 0 || x >= 2 ** 20 || recencyDays < 0 || recencyDays >= 2 ** 16 || tDays < 0 || tDays >= 2 ** 16) return null;
  return (x * 2 ** 16 + recencyDays) * 2 ** 16 + tDays;
}

export function predict(
  models: ModelStatus,
  histories: HistoryPredictions | null,
  facts: CustomerOrderFacts,
  summary: CustomerSummary | null,
  nowDay: number,
): Prediction {
  const none = (reason: string): Prediction => ({ probabilityAlive: null, predictedPurchases: null, predictedClv: null, reason });
  if (!summary) return none("no orders yet");
  if (!models.bgnbd || !histories) return none(models.reason ?? "the purchase model was not fitted");
  const history = histories.of(facts, summary, nowDay);
  let clv: number | null = null;
  let reason: string | null = models.gammaGamma ? null : (models.reason ?? "the spend model was not fitted");
  if (models.gammaGamma) {
    try {
      if (history.discounted instanceof TendError) throw history.discounted;
      // predictClv's value, with the history's part computed once (HistoryPredictions).
      clv = history.discounted * conditionalExpectedSpend(models.gammaGamma, summary.frequency, summary.monetaryValue);
      if (!Number.isFinite(clv)) {
        clv = null;
        reason = "the predicted value is not a finite number";
      }
    } catch (error) {
      if (!(error instanceof TendError)) throw error;
      reason = error.message;
    }
  }
  return { probabilityAlive: history.probabilityAlive, predictedPurchases: history.purchases, predictedClv: clv, reason };
}
