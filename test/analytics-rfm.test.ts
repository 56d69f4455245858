import { describe, expect, it } from "vitest";
import { QuintileScale, RFM_SEGMENTS, RfmScorer, explainRfm, fmScore, rfmSegment, scoreRfm } from "../src/analytics/rfm.ts";

describe("RFM quintiles", () => {
  it("split ten distinct values two to a score, whatever their order", () => {
    const values = [70, 10, 100, 40, 20, 90, 30, 60, 50, 80];
    const scale = new QuintileScale(values);
    expect([10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((v) => scale.score(v))).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect([1, 2, 3, 4, 5].map((v) => new QuintileScale([5, 4, 3, 2, 1]).score(v))).toEqual([1, 2, 3, 4, 5]);
  });

  it("give ties one score and a lone or uniform population the middle score", () => {
    const scale = new QuintileScale([1, 1, 1, 1, 1, 1, 2, 3, 4, 5]);
    // Six ones: mid-rank percentile 0.3 → 2 for all of them.
    expect(scale.score(1)).toBe(2);
    expect([2, 3, 4, 5].map((v) => scale.score(v))).toEqual([4, 4, 5, 5]);
    expect(new QuintileScale([42]).score(42)).toBe(3);
    expect(new QuintileScale([7, 7, 7, 7]).score(7)).toBe(3);
  });

  it("score values outside the population by where they would fall, and refuse nonsense", () => {
    const scale = new QuintileScale([10, 20, 30, 40, 50]);
    expect(scale.score(0)).toBe(1);
    expect(scale.score(1000)).toBe(5);
    // Between two members: the share below it (2 of 5 → 0.4, the start of the third quintile).
    expect(scale.score(25)).toBe(3);
    expect(() => new QuintileScale([]).score(1)).toThrow(RangeError);
    expect(() => new QuintileScale([Number.NaN])).toThrow(RangeError);
  });
});

describe("RFM segments", () => {
  it("follow the R x FM grid, every cell named and all eleven segments reachable", () => {
    const seen = new Set<string>();
    for (let r = 1; r <= 5; r++) for (let fm = 1; fm <= 5; fm++) seen.add(rfmSegment(r, fm));
    expect([...seen].sort()).toEqual([...RFM_SEGMENTS].sort());
    expect(rfmSegment(5, 5)).toBe("champions");
    expect(rfmSegment(4, 4)).toBe("loyal");
    expect(rfmSegment(3, 5)).toBe("loyal");
    expect(rfmSegment(5, 2)).toBe("potential_loyalists");
    expect(rfmSegment(5, 1)).toBe("new");
    expect(rfmSegment(4, 1)).toBe("promising");
    expect(rfmSegment(3, 3)).toBe("needs_attention");
    expect(rfmSegment(3, 1)).toBe("about_to_sleep");
    expect(rfmSegment(2, 3)).toBe("at_risk");
    expect(rfmSegment(1, 5)).toBe("cant_lose");
    expect(rfmSegment(2, 2)).toBe("hibernating");
    expect(rfmSegment(1, 1)).toBe("lost");
    expect(() => rfmSegment(0, 3)).toThrow(RangeError);
    expect(() => rfmSegment(3, 6)).toThrow(RangeError);
  });

  it("combine F and M as their mean, halves rounded up", () => {
    expect(fmScore(1, 1)).toBe(1);
    expect(fmScore(1, 2)).toBe(2);
    expect(fmScore(4, 5)).toBe(5);
    expect(fmScore(2, 4)).toBe(3);
  });

  it("name a hand-made set of ten customers", () => {
    // Two customers per quintile in each column; D and H swap their M ranks so that FM rounds up.
    const customers = [
      { id: "A", recencyDays: 1, frequency: 15, monetary: 1200 },
      { id: "B", recencyDays: 3, frequency: 1, monetary: 20 },
      { id: "C", recencyDays: 10, frequency: 1, monetary: 25 },
      { id: "D", recencyDays: 14, frequency: 7, monetary: 900 },
      { id: "E", recencyDays: 30, frequency: 4, monetary: 150 },
      { id: "F", recencyDays: 45, frequency: 2, monetary: 60 },
      { id: "G", recencyDays: 90, frequency: 5, monetary: 200 },
      { id: "H", recencyDays: 120, frequency: 20, monetary: 500 },
      { id: "I", recencyDays: 300, frequency: 8, monetary: 600 },
      { id: "J", recencyDays: 500, frequency: 3, monetary: 80 },
    ];
    const results = scoreRfm(customers);
    const shown = Object.fromEntries(customers.map((c, i) => [c.id, `R${results[i]!.r} F${results[i]!.f} M${results[i]!.m} FM${results[i]!.fm} ${results[i]!.segment}`]));
    expect(shown).toEqual({
      A: "R5 F5 M5 FM5 champions",
      B: "R5 F1 M1 FM1 new",
      C: "R4 F1 M1 FM1 promising",
      D: "R4 F4 M5 FM5 loyal",
      E: "R3 F3 M3 FM3 needs_attention",
      F: "R3 F2 M2 FM2 about_to_sleep",
      G: "R2 F3 M3 FM3 at_risk",
      H: "R2 F5 M4 FM5 cant_lose",
      I: "R1 F4 M4 FM4 at_risk",
      J: "R1 F2 M2 FM2 hibernating",
    });
    expect(scoreRfm([])).toEqual([]);
  });

  it("score one customer against a population and explain it in both languages", () => {
    const population = Array.from({ length: 20 }, (_, i) => ({ recencyDays: i * 10, frequency: 1 + i, monetary: 50 * (i + 1) }));
    const scorer = new RfmScorer(population);
    expect(scorer.size).toBe(20);
    const best = { recencyDays: 0, frequency: 20, monetary: 1000 };
    const result = scorer.score(best);
    expect(result).toEqual({ r: 5, f: 5, m: 5, fm: 5, segment: "champions" });
    const why = explainRfm(best, result, 24);
    expect(why).toMatchObject({ segment: "champions", scores: { r: 5, f: 5, m: 5, fm: 5 }, frequency: 20, monetary: 1000, windowMonths: 24 });
    expect(why.en).toBe('Last order 0 days ago; 20 orders totalling 1000.00 in the last 24 months: R 5, F 5, M 5 (FM 5), so "Champions".');
    expect(why.zh).toContain("冠军客户");
    const none = explainRfm(null, null, 24);
    expect(none).toMatchObject({ segment: null, scores: null });
    expect(none.en).toBe("Not RFM-scored: no orders in the last 24 months.");
    expect(none.zh).toContain("24 个月没有订单");
  });
});
