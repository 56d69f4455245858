import { describe, expect, it } from "vitest";
import { lifecycleStage } from "../src/analytics/lifecycle.ts";
import { type ScoreExplanation, type StoredScore, scoreExplanation, storedExplanationFacts } from "../src/analytics/score-explanation.ts";
import { noEngagement } from "../src/analytics/relationship.ts";

const NOW = new Date("2026-06-30T12:00:00Z");
const DAY = 86_400_000;

const row = (over: Partial<StoredScore>): StoredScore => ({
  computedAt: NOW,
  windowMonths: 24,
  orderCount: 0,
  firstOrderAt: null,
  lastOrderAt: null,
  frequency: 0,
  monetary: "0.00",
  rfmRecency: null,
  rfmFrequency: null,
  rfmMonetary: null,
  rfmSegment: null,
  lifecycleStage: "potential",
  relationshipLevel: "basic",
  probabilityAlive: null,
  predictedPurchases: null,
  predictedClv: null,
  explanation: null,
  ...over,
});

describe("score explanations: stored as facts, rendered on read", () => {
  it("returns a row written before the compact format as it was stored", () => {
    const old = { rfm: { en: "old rfm", zh: "旧" }, lifecycle: { en: "old" }, relationship: { en: "old" }, predictive: { en: "old" } };
    expect(scoreExplanation(row({ explanation: old }))).toBe(old as unknown as ScoreExplanation);
  });

  it("stores a buyer's explanation in well under a hundred bytes and renders both languages from it", () => {
    const first = new Date(NOW.getTime() - 40 * DAY);
    const last = new Date(NOW.getTime() - 20 * DAY);
    const lifecycle = lifecycleStage({ now: NOW, orderCount: 3, purchaseDays: 2, firstOrderAt: first, lastOrderAt: last, probabilityAlive: 0.8, populationGapDays: 30 });
    const engagement = { ...noEngagement, customerInitiated: 2, inbound: 5, channels: 2 };
    const facts = storedExplanationFacts({
      horizonMonths: 12,
      monthlyDiscountRate: 0.01,
      purchaseDays: 2,
      lifecycle,
      gapDays: 20,
      ownGapDays: 20,
      multiples: { churned: 3, declining: 1.5 },
      engagement,
      predictionReason: null,
    });
    expect(JSON.stringify(facts).length).toBeLessThan(100);
    const why = scoreExplanation(
      row({
        orderCount: 3,
        firstOrderAt: first,
        lastOrderAt: last,
        frequency: 3,
        monetary: "30.00",
        rfmRecency: 4,
        rfmFrequency: 3,
        rfmMonetary: 2,
        rfmSegment: "potential_loyalists",
        lifecycleStage: lifecycle.stage,
        relationshipLevel: "reactive",
        probabilityAlive: 0.8,
        predictedPurchases: 1.23456,
        predictedClv: "45.60",
        explanation: JSON.parse(JSON.stringify(facts)),
      }),
    );
    expect(why.lifecycle).toEqual(lifecycle);
    expect(why.rfm.en).toBe('Last order 20 days ago; 3 orders totalling 30.00 in the last 24 months: R 4, F 3, M 2 (FM 3), so "Potential loyalists".');
    expect(why.relationship.en).toBe("Reactive: started 2 conversations (we started 0); replied to 0 of 0 care messages; answered 0 of 0 surveys; gave 0 pieces of feedback; 2 linked channels.");
    expect(why.predictive).toMatchObject({ available: true, probabilityAlive: 0.8, predictedPurchases: 1.235, predictedClv: 45.6, reason: null });
    expect(why.predictive.zh).toBe("仍为活跃客户的概率 80%；预计未来 12 个月购买 1.24 次，按每月 1% 折现价值 45.60。");
  });
});
