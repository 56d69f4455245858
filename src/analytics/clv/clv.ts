import { TendError } from "../../errors.ts";
import { type BgNbdShape, conditionalExpectedPurchases } from "./bgnbd.ts";
import { type GammaGammaShape, conditionalExpectedSpend } from "./gamma-gamma.ts";
import type { CustomerSummary, TimeUnit } from "./model.ts";
import { unitsPerMonth } from "./summaries.ts";

export interface ClvOptions {
  /** How far ahead to look, in the unit of the summaries (e.g. 52 for a year in weeks). */
  horizon: number;
  /** Discount per month, e.g. 0.01 for 1 %; 0 for none. */
  monthlyDiscountRate: number;
  /** The unit of the summaries and of the BG/NBD parameters. */
  unit: TimeUnit;
}

/**
 * Predicted customer lifetime value over the horizon, in the currency of the amounts: the
 * horizon is cut into monthly steps (the last one possibly shorter); each step's expected
 * purchases (BG/NBD, given the customer's history) times the expected spend per purchase
 * (Gamma-Gamma) is discounted from the step's end: value / (1 + rate)^(months elapsed).
 * This is the scheme of `lifetimes`' customer_lifetime_value. The spend per purchase is the same
 * in every step, so the value is discountedPurchases x the expected spend.
 */
export function predictClv(bg: BgNbdShape, gg: GammaGammaShape, summary: CustomerSummary, options: ClvOptions): number {
  const purchases = discountedPurchases(bg, summary, options);
  if (options.horizon === 0) return 0;
  return purchases * conditionalExpectedSpend(gg, summary.frequency, summary.monetaryValue);
}

/**
 * The expected purchases of each monthly step of the horizon, discounted from the step's end and
 * added up: predictClv without the spend. It depends on the purchase history (frequency, recency,
 * T) only, so customers with the same history share it (the analytics refresh computes it once per
 * history it meets).
 */
export function discountedPurchases(bg: BgNbdShape, history: Pick<CustomerSummary, "frequency" | "recency" | "T">, options: ClvOptions): number {
  const { horizon, monthlyDiscountRate } = options;
  if (!(Number.isFinite(horizon) && horizon >= 0)) throw new TendError("CLV_BAD_HORIZON", `the CLV horizon must be a number >= 0 (got ${horizon})`);
  if (!(Number.isFinite(monthlyDiscountRate) && monthlyDiscountRate > -1)) {
    throw new TendError("CLV_BAD_DISCOUNT_RATE", `the monthly discount rate must be a number above -1, e.g. 0.01 (got ${monthlyDiscountRate})`);
  }
  if (horizon === 0) return 0;
  const month = unitsPerMonth(options.unit);
  const { frequency, recency, T } = history;

  let value = 0;
  let previousEnd = 0;
  let previousExpected = 0;
  // A horizon a hair over a whole number of months (rounding) should not add a sliver of a step.
  const steps = Math.max(1, Math.ceil(horizon / month - 1e-9));
  for (let k = 1; k <= steps; k++) {
    const end = Math.min(k * month, horizon);
    if (end <= previousEnd) break;
    const expected = conditionalExpectedPurchases(bg, end, frequency, recency, T);
    value += (expected - previousExpected) / Math.pow(1 + monthlyDiscountRate, end / month);
    previousEnd = end;
    previousExpected = expected;
  }
  return value;
}
