import { describe, expect, it } from "vitest";
import { parseTransactionDate } from "../src/analytics/clv/csv.ts";
import { gammaGammaLogLikelihood } from "../src/analytics/clv/gamma-gamma.ts";
import type { Transaction } from "../src/analytics/clv/model.ts";
import { simulateTransactions } from "../src/analytics/clv/simulate.ts";
import { summarise, unitsPerMonth } from "../src/analytics/clv/summaries.ts";
import { TendError } from "../src/errors.ts";

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
const tx = (customerId: string, date: string, amount: number): Transaction => ({ customerId, date: day(date), amount });

describe("summarise", () => {
  const transactions = [
    tx("a", "2026-01-01", 10),
    tx("a", "2026-01-01", 5), // same day as the first: still the first purchase
    tx("a", "2026-01-15", 20),
    tx("a", "2026-01-15", 10), // same day: one repeat purchase of 30
    tx("a", "2026-02-05", 60),
    tx("a", "2026-03-10", 1000), // after the end of observation
    tx("b", "2026-02-20", 42),
    tx("c", "2026-03-01", 7), // first purchase after the end: not a customer yet
  ];
  const end = day("2026-02-26");

  it("follows the lifetimes conventions", () => {
    const byId = Object.fromEntries(summarise(transactions, end, "day").map((s) => [s.customerId, s]));
    expect(Object.keys(byId).sort()).toEqual(["a", "b"]);
    // Distinct days Jan 1, Jan 15, Feb 5: two repeat purchases (of 30 and 60).
    expect(byId.a).toEqual({ customerId: "a", frequency: 2, recency: 35, T: 56, monetaryValue: 45 });
    expect(byId.b).toEqual({ customerId: "b", frequency: 0, recency: 0, T: 6, monetaryValue: 0 });
  });

  it("divides days by the unit: 7 for weeks, 365.25/12 for months", () => {
    const [weeks] = summarise(transactions, end, "week");
    expect(weeks!.recency).toBeCloseTo(5, 12);
    expect(weeks!.T).toBeCloseTo(8, 12);
    const [months] = summarise(transactions, end, "month");
    expect(months!.T).toBeCloseTo(56 / (365.25 / 12), 12);
    expect(unitsPerMonth("week")).toBeCloseTo(365.25 / 12 / 7, 12);
  });

  it("counts by UTC calendar day, whatever the time of day", () => {
    const [s] = summarise(
      [
        { customerId: "a", date: new Date("2026-01-01T23:59:00Z"), amount: 1 },
        { customerId: "a", date: new Date("2026-01-02T00:01:00Z"), amount: 2 },
        { customerId: "a", date: new Date("2026-01-02T18:00:00Z"), amount: 3 },
      ],
      new Date("2026-01-03T12:00:00Z"),
      "day",
    );
    expect(s).toMatchObject({ frequency: 1, recency: 1, T: 2, monetaryValue: 5 });
  });

  it("refuses amounts that are negative or not numbers", () => {
    for (const amount of [-3, -0.01, Number.NaN, Infinity]) {
      expect(() => summarise([tx("a", "2026-01-01", amount)], end, "day")).toThrow(TendError);
    }
  });

  it("counts zero-amount purchases for frequency and recency, as lifetimes' summary_data_from_transaction_data does", () => {
    const zeroEnd = day("2026-03-01");
    const summaries = summarise(
      [
        // Only free orders: a repeat buyer all the same.
        tx("free", "2026-01-01", 0),
        tx("free", "2026-01-20", 0),
        // A free and a paid order on the first day, then a free and a paid repeat day.
        tx("mixed", "2026-01-10", 0),
        tx("mixed", "2026-01-10", 5),
        tx("mixed", "2026-02-01", 0),
        tx("mixed", "2026-02-15", 30),
        tx("one-free", "2026-02-20", 0),
        tx("paid", "2026-01-01", 10),
        tx("paid", "2026-01-31", 20),
      ],
      zeroEnd,
      "day",
    );
    // Worked out by hand with lifetimes' rules: one period per customer-day (amounts summed);
    // frequency = periods − 1; recency = last − first period; T = end − first period;
    // monetary_value = mean of the repeat periods' totals, 0 when there are none.
    const expected = [
      { customerId: "free", frequency: 1, recency: 19, T: 59, monetaryValue: 0 },
      { customerId: "mixed", frequency: 2, recency: 36, T: 50, monetaryValue: 15 },
      { customerId: "one-free", frequency: 0, recency: 0, T: 9, monetaryValue: 0 },
      { customerId: "paid", frequency: 1, recency: 30, T: 59, monetaryValue: 20 },
    ];
    expect([...summaries].sort((a, b) => a.customerId.localeCompare(b.customerId))).toEqual(expected);
    // The spend model sees only repeat buyers with a positive mean repeat value: "mixed" and "paid".
    const params = { p: 6, q: 4, v: 15 };
    const spenders = summaries.filter((s) => s.customerId === "mixed" || s.customerId === "paid");
    expect(gammaGammaLogLikelihood(params, summaries)).toBe(gammaGammaLogLikelihood(params, spenders));
  });

  it("summarises simulated data consistently", () => {
    const end = day("2026-06-30");
    const summaries = summarise(
      simulateTransactions({
        customers: 2_000,
        bgnbd: { r: 0.24, alpha: 4.41, a: 0.79, b: 2.43 },
        gammaGamma: { p: 6.25, q: 3.74, v: 15.44 },
        unit: "week",
        observationEnd: end,
        seed: 3,
      }),
      end,
      "week",
    );
    expect(summaries).toHaveLength(2_000);
    for (const s of summaries) {
      expect(s.recency).toBeLessThanOrEqual(s.T);
      // First purchases fall in the first 12 of the 39 weeks.
      expect(s.T).toBeGreaterThanOrEqual(27 - 1e-9);
      expect(s.T).toBeLessThanOrEqual(39);
      expect(s.monetaryValue > 0).toBe(s.frequency > 0);
    }
  });
});

describe("parseTransactionDate", () => {
  it("reads YYYY-MM-DD and YYYYMMDD and nothing else", () => {
    expect(parseTransactionDate("2026-03-01")).toEqual(day("2026-03-01"));
    expect(parseTransactionDate("20260301")).toEqual(day("2026-03-01"));
    expect(parseTransactionDate(" 2024-02-29 ")).toEqual(day("2024-02-29"));
    for (const bad of ["2026-02-30", "20260230", "2026-3-1", "2026-0301", "01/03/2026", "2026-03-01T10:00", "", "yesterday"]) {
      expect(parseTransactionDate(bad), bad).toBeNull();
    }
  });
});
