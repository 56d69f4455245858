import { describe, expect, it } from "vitest";
import { type LifecycleInput, defaultLifecycleSettings, lifecycleStage, typicalGapDays } from "../src/analytics/lifecycle.ts";

const now = new Date("2026-06-30T12:00:00Z");
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);

/** A customer who bought on `purchaseDays` days spread evenly from `firstDaysAgo` to `lastDaysAgo`. */
const customer = (over: Partial<LifecycleInput> & { first: number; last: number; days: number }): LifecycleInput => ({
  now,
  orderCount: over.days,
  purchaseDays: over.days,
  firstOrderAt: daysAgo(over.first),
  lastOrderAt: daysAgo(over.last),
  probabilityAlive: null,
  populationGapDays: 30,
  ...over,
});

describe("lifecycle stage", () => {
  it("is potential without orders", () => {
    const result = lifecycleStage({ now, orderCount: 0, purchaseDays: 0, firstOrderAt: null, lastOrderAt: null, probabilityAlive: null, populationGapDays: 30 });
    expect(result).toMatchObject({ stage: "potential", rule: "no_orders", facts: { orderCount: 0, daysSinceLastOrder: null, usualGapDays: null } });
    expect(result.en).toBe("Potential: no order yet.");
    expect(result.zh).toBe("潜在客户：尚未下单。");
  });

  it("is new after one recent purchase day, judged against the population's gap", () => {
    const result = lifecycleStage(customer({ first: 10, last: 10, days: 1 }));
    expect(result).toMatchObject({
      stage: "new",
      rule: "single_purchase",
      facts: { orderCount: 1, purchaseDays: 1, daysSinceLastOrder: 10, daysSinceFirstOrder: 10, usualGapDays: 30, gapSource: "population", overdueRatio: 0.3 },
    });
    expect(result.en).toBe("New: one purchase, 10 days ago, within the typical gap between customers' orders of 30 days.");
    expect(result.zh).toContain("新客户");
    // Two orders on the same day are still one purchase.
    const sameDay = lifecycleStage({ ...customer({ first: 5, last: 5, days: 1 }), orderCount: 2 });
    expect(sameDay.stage).toBe("new");
    expect(sameDay.en).toContain("one purchase day (2 orders)");
  });

  it("falls back to the default gap when nobody has bought twice", () => {
    const result = lifecycleStage(customer({ first: 100, last: 100, days: 1, populationGapDays: null }));
    expect(result.facts).toMatchObject({ usualGapDays: defaultLifecycleSettings.defaultGapDays, gapSource: "default" });
    expect(result.stage).toBe("new");
  });

  it("is growing for a young repeat buyer in rhythm, mature for an established one", () => {
    // Three purchase days over 40 days: a 20-day rhythm, last one 5 days ago.
    const growing = lifecycleStage(customer({ first: 45, last: 5, days: 3 }));
    expect(growing).toMatchObject({ stage: "growing", rule: "repeat_in_rhythm", facts: { usualGapDays: 20, gapSource: "own", overdueRatio: 0.3 } });
    expect(growing.en).toBe("Growing: 3 purchase days since the first order 45 days ago, buying in rhythm (last order 5 days ago, their usual gap is 20 days).");
    // Ten purchase days over 360 days: a 40-day rhythm, last one 30 days ago.
    const mature = lifecycleStage(customer({ first: 390, last: 30, days: 10 }));
    expect(mature).toMatchObject({ stage: "mature", rule: "established", facts: { usualGapDays: 40, overdueRatio: 0.8, daysSinceFirstOrder: 390 } });
    expect(mature.zh).toContain("成熟期");
    // Many purchases but a short history is still growing.
    expect(lifecycleStage(customer({ first: 60, last: 2, days: 8 })).stage).toBe("growing");
  });

  it("is declining when overdue against their own rhythm", () => {
    // 20-day rhythm, 35 days since the last order: 1.75x.
    const result = lifecycleStage(customer({ first: 95, last: 35, days: 4 }));
    expect(result).toMatchObject({ stage: "declining", rule: "declining_overdue", facts: { usualGapDays: 20, daysSinceLastOrder: 35, overdueRatio: 1.8 } });
    expect(result.en).toBe("Declining: last order 35 days ago, their usual gap is 20 days: more than 1.5x overdue.");
    expect(result.zh).toBe("衰退期：最近一次下单在 35 天前，其平时的购买间隔为 20 天，已超过 1.5 倍。");
  });

  it("is churned when far overdue, even for a one-time buyer", () => {
    const result = lifecycleStage(customer({ first: 100, last: 100, days: 1 }));
    expect(result).toMatchObject({ stage: "churned", rule: "churned_overdue", facts: { overdueRatio: 3.3, gapSource: "population" } });
    expect(result.en).toContain("more than 3x overdue");
  });

  it("follows the purchase model's P(alive) when the rhythm alone looks fine", () => {
    const inRhythm = customer({ first: 45, last: 5, days: 3 });
    const declining = lifecycleStage({ ...inRhythm, probabilityAlive: 0.3 });
    expect(declining).toMatchObject({ stage: "declining", rule: "declining_probability", facts: { probabilityAlive: 0.3 } });
    expect(declining.en).toContain("gives 30% that they are still an active customer");
    const churned = lifecycleStage({ ...inRhythm, probabilityAlive: 0.05 });
    expect(churned).toMatchObject({ stage: "churned", rule: "churned_probability" });
    expect(churned.zh).toContain("5%");
    expect(lifecycleStage({ ...inRhythm, probabilityAlive: 0.9 }).stage).toBe("growing");
  });

  it("never judges against a gap shorter than the minimum", () => {
    // Bought on two consecutive days, last one 10 days ago: the 1-day gap becomes 14.
    const result = lifecycleStage(customer({ first: 11, last: 10, days: 2 }));
    expect(result.facts.usualGapDays).toBe(defaultLifecycleSettings.minGapDays);
    expect(result.stage).toBe("growing");
  });

  it("takes the median of the repeat buyers' gaps as the typical gap", () => {
    expect(typicalGapDays([])).toBeNull();
    expect(typicalGapDays([30, 10, 20])).toBe(20);
    expect(typicalGapDays([40, 10, 20, 30, Number.NaN, 0])).toBe(25);
  });
});
