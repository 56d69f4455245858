import type { BuyerGroups, RfmCutRows } from "../db/repositories/analytics-pages.ts";
import type { PurchaseGroups } from "./clv/bgnbd.ts";
import type { SpendGroups } from "./clv/gamma-gamma.ts";
import { QuintileCuts, RfmScorer } from "./rfm.ts";

/**
 * What the refresh knows about everybody before it scores anyone, as the database summed it up
 * (analytics-pages.ts): the buyers' histories grouped as the CLV models take them (one row per
 * distinct (repeat purchase days, recency days, T days) and per distinct (repeat purchase days,
 * repeat spend in cents), with weights; whole days and cents, so the grouping is exact and the fit
 * is the one on a row per buyer), and the RFM quintile cut points (four numbers per dimension).
 * Nothing here is kept per customer: the groups are bounded by the shop's history span and
 * spend amounts, not by its customers.
 */
export class Population {
  readonly buyers: number;
  readonly repeatBuyers: number;

  constructor(
    private readonly groups: BuyerGroups,
    private readonly rfmCuts: readonly RfmCutRows[],
  ) {
    let buyers = 0;
    let repeatBuyers = 0;
    const { frequency, weight } = groups.histories;
    for (let i = 0; i < weight.length; i++) {
      buyers += weight[i]!;
      if (frequency[i]! > 0) repeatBuyers += weight[i]!;
    }
    this.buyers = buyers;
    this.repeatBuyers = repeatBuyers;
  }

  /** Distinct purchase histories and spends: the rows the fits take. */
  get groupCounts(): { histories: number; spends: number } {
    return { histories: this.groups.histories.weight.length, spends: this.groups.spends.weight.length };
  }

  /** The buyers grouped as the BG/NBD fit takes them, times in the model's unit (unitDays days). */
  purchaseGroups(unitDays: number): PurchaseGroups {
    const { frequency, recencyDays, tDays, weight } = this.groups.histories;
    return {
      frequency: Float64Array.from(frequency),
      recency: Float64Array.from(recencyDays, (d) => d / unitDays),
      T: Float64Array.from(tDays, (d) => d / unitDays),
      weight: Float64Array.from(weight),
    };
  }

  /** The repeat buyers grouped as the Gamma-Gamma fit takes them: mean spend per repeat purchase day. */
  spendGroups(): SpendGroups {
    const { frequency, repeatCents, weight } = this.groups.spends;
    return {
      frequency: Float64Array.from(frequency),
      monetary: Float64Array.from(repeatCents, (cents, i) => cents / 100 / frequency[i]!),
      weight: Float64Array.from(weight),
    };
  }

  /** The RFM quintile scales of everybody with orders in the window. */
  rfmScorer(): RfmScorer {
    const scale = (dimension: RfmCutRows["dimension"]) => {
      const rows = this.rfmCuts.filter((row) => row.dimension === dimension);
      return QuintileCuts.fromStarts(new Map(rows.map((row) => [row.score, row.cut])), rows[0]?.total ?? 0);
    };
    return RfmScorer.fromCuts(scale("r"), scale("f"), scale("m"));
  }

  /** The repeat buyers' typical gap between purchase days, in days (see lifecycle.ts): the weighted median. */
  typicalGapDays(unitDays: number): number | null {
    const { frequency, recencyDays, weight } = this.groups.histories;
    const gaps: { gap: number; weight: number }[] = [];
    for (let i = 0; i < weight.length; i++) {
      const f = frequency[i]!;
      // As the gap of a summary in model units: (recency x unit) / frequency.
      const gap = f > 0 ? ((recencyDays[i]! / unitDays) * unitDays) / f : 0;
      if (Number.isFinite(gap) && gap > 0) gaps.push({ gap, weight: weight[i]! });
    }
    return weightedMedian(gaps);
  }
}

/** The median of the values each repeated `weight` times (the mean of the middle two for an even count). */
function weightedMedian(values: { gap: number; weight: number }[]): number | null {
  const total = values.reduce((sum, v) => sum + v.weight, 0);
  if (total === 0) return null;
  values.sort((a, b) => a.gap - b.gap);
  const at = (position: number) => {
    let seen = 0;
    for (const v of values) {
      seen += v.weight;
      if (position < seen) return v.gap;
    }
    return values[values.length - 1]!.gap;
  };
  const mid = Math.floor(total / 2);
  return total % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
}
