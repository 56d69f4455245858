import { describe, expect, it } from "vitest";
import { conditionalExpectedPurchases } from "../src/analytics/clv/bgnbd.ts";
import { predictClv } from "../src/analytics/clv/clv.ts";
import { conditionalExpectedSpend } from "../src/analytics/clv/gamma-gamma.ts";
import { unitsPerMonth } from "../src/analytics/clv/summaries.ts";
import { TendError } from "../src/errors.ts";

describe("predictClv", () => {
  const bg = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
  const gg = { p: 6.25, q: 3.74, v: 15.44 };
  const customer = { customerId: "a", frequency: 2, recency: 30.43, T: 38.86, monetaryValue: 40 };

  it("without discounting is expected purchases over the horizon times expected spend", () => {
    const clv = predictClv(bg, gg, customer, { horizon: 52, monthlyDiscountRate: 0, unit: "week" });
    expect(clv).toBeCloseTo(conditionalExpectedPurchases(bg, 52, 2, 30.43, 38.86) * conditionalExpectedSpend(gg, 2, 40), 10);
  });

  it("discounts each month's purchases from the end of that month", () => {
    const rate = 0.01;
    const month = unitsPerMonth("week");
    const horizon = 12 * month;
    const spend = conditionalExpectedSpend(gg, 2, 40);
    let expected = 0;
    for (let k = 1; k <= 12; k++) {
      const increment = conditionalExpectedPurchases(bg, k * month, 2, 30.43, 38.86) - conditionalExpectedPurchases(bg, (k - 1) * month, 2, 30.43, 38.86);
      expected += (increment * spend) / 1.01 ** k;
    }
    const clv = predictClv(bg, gg, customer, { horizon, monthlyDiscountRate: rate, unit: "week" });
    expect(clv).toBeCloseTo(expected, 10);
    expect(clv).toBeLessThan(predictClv(bg, gg, customer, { horizon, monthlyDiscountRate: 0, unit: "week" }));
    // A last, shorter step: 12.5 months lies between 12 and 13.
    const longer = predictClv(bg, gg, customer, { horizon: 12.5 * month, monthlyDiscountRate: rate, unit: "week" });
    expect(longer).toBeGreaterThan(clv);
    expect(longer).toBeLessThan(predictClv(bg, gg, customer, { horizon: 13 * month, monthlyDiscountRate: rate, unit: "week" }));
  });

  it("does not depend on the time unit when the parameters are converted", () => {
    // The same customer and model in days: α and all times × 7.
    const inDays = predictClv({ ...bg, alpha: bg.alpha * 7 }, gg, { ...customer, recency: customer.recency * 7, T: customer.T * 7 }, {
      horizon: 365,
      monthlyDiscountRate: 0.01,
      unit: "day",
    });
    const inWeeks = predictClv(bg, gg, customer, { horizon: 365 / 7, monthlyDiscountRate: 0.01, unit: "week" });
    expect(inDays).toBeCloseTo(inWeeks, 8);
  });

  it("is zero over no time and refuses nonsense options", () => {
    expect(predictClv(bg, gg, customer, { horizon: 0, monthlyDiscountRate: 0.01, unit: "week" })).toBe(0);
    expect(() => predictClv(bg, gg, customer, { horizon: -1, monthlyDiscountRate: 0, unit: "week" })).toThrow(TendError);
    expect(() => predictClv(bg, gg, customer, { horizon: 52, monthlyDiscountRate: Number.NaN, unit: "week" })).toThrow(TendError);
  });
});
