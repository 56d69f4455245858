import type { PurchaseGroups } from "./clv/bgnbd.ts";
import type { SpendGroups } from "./clv/gamma-gamma.ts";
import { RfmScorer, type RfmValues } from "./rfm.ts";

/** A Float64Array that grows by doubling: a column of one small number per customer. */
class Column {
  private data: Float64Array;
  length = 0;

  constructor(capacity: number) {
    this.data = new Float64Array(Math.max(16, capacity));
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  add(i: number, value: number): void {
    this.data[i]! += value;
  }

  get(i: number): number {
    return this.data[i]!;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/** Merges equal keys into rows of a table of columns, each row with a weight, in first-seen order. */
class Groups {
  private readonly rows = new Map<number | string, number>();
  readonly columns: Column[];
  readonly weight = new Column(16);

  constructor(width: number) {
    this.columns = Array.from({ length: width }, () => new Column(16));
  }

  /** Small whole numbers pack into one number key (cheaper than a string in the map). */
  add(values: readonly number[], bits: readonly number[]): void {
    let key: number | string = 0;
    let packable = true;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!(Number.isInteger(v) && v >= 0 && v < 2 ** bits[i]!)) packable = false;
    }
    if (packable) for (let i = 0; i < values.length; i++) key = (key as number) * 2 ** bits[i]! + values[i]!;
    else key = values.join("|");
    const row = this.rows.get(key);
    if (row === undefined) {
      this.rows.set(key, this.weight.length);
      values.forEach((v, i) => this.columns[i]!.push(v));
      this.weight.push(1);
    } else {
      this.weight.add(row, 1);
    }
  }

  get size(): number {
    return this.weight.length;
  }
}

/** Days of a buyer's history: what the CLV models are fitted on, in whole days and cents. */
export interface BuyerHistory {
  /** Repeat purchase days (purchase days minus one). */
  frequency: number;
  /** Days from the first to the last purchase day. */
  recencyDays: number;
  /** Days from the first purchase day to the end of observation. */
  tDays: number;
  /** The repeat purchase days' total (all but the first day), in cents. */
  repeatCents: number;
}

/**
 * What the refresh's first pass keeps about everybody, as numbers only (no ids, no objects). The
 * CLV models' inputs are kept grouped: buyers with the same (repeat purchases, recency days, T days)
 * are one row with a weight, and so are repeat buyers with the same (repeat purchases, repeat
 * spend in cents); the fits take those rows, so they cost what the distinct histories cost, not
 * what the buyers do, and the grouping is exact (whole days and cents: the fit is the same as on
 * one row per buyer). For each buyer in the RFM window it keeps the three values the quintiles rank
 * (24 bytes per buyer, the one part that grows with the customers).
 * Buyers are added in customer id order, which makes the model fit the same whatever the page size.
 */
export class Population {
  /** (frequency, recencyDays, tDays) with weights. */
  private readonly histories = new Groups(3);
  /** (frequency, repeatCents) of repeat buyers, with weights. */
  private readonly spends = new Groups(2);
  private readonly rfmRecency: Column;
  private readonly rfmFrequency: Column;
  private readonly rfmMonetary: Column;
  buyers = 0;
  repeatBuyers = 0;

  constructor(expectedCustomers = 0) {
    const cap = Math.min(expectedCustomers, 1 << 22);
    this.rfmRecency = new Column(cap);
    this.rfmFrequency = new Column(cap);
    this.rfmMonetary = new Column(cap);
  }

  addBuyer(history: BuyerHistory): void {
    const x = history.frequency;
    // Without repeat purchases the recency does not enter the likelihood.
    this.histories.add([x, x > 0 ? history.recencyDays : 0, history.tDays], [12, 20, 20]);
    if (x > 0) this.spends.add([x, history.repeatCents], [12, 40]);
    this.buyers += 1;
    if (x > 0) this.repeatBuyers += 1;
  }

  addWindowBuyer(values: RfmValues): void {
    // Recency is ranked on its negative, as RfmScorer does: fewer days since the last order is better.
    this.rfmRecency.push(-values.recencyDays);
    this.rfmFrequency.push(values.frequency);
    this.rfmMonetary.push(values.monetary);
  }

  /** Distinct purchase histories and spends: the rows the fits take. */
  get groups(): { histories: number; spends: number } {
    return { histories: this.histories.size, spends: this.spends.size };
  }

  /** The buyers grouped as the BG/NBD fit takes them, times in the model's unit (unitDays days). */
  purchaseGroups(unitDays: number): PurchaseGroups {
    const [x, tx, T] = this.histories.columns as [Column, Column, Column];
    return {
      frequency: x.values(),
      recency: x.values().map((_, i) => tx.get(i) / unitDays),
      T: T.values().map((v) => v / unitDays),
      weight: this.histories.weight.values(),
    };
  }

  /** The repeat buyers grouped as the Gamma-Gamma fit takes them: mean spend per repeat purchase day. */
  spendGroups(): SpendGroups {
    const [x, cents] = this.spends.columns as [Column, Column];
    return {
      frequency: x.values(),
      monetary: x.values().map((f, i) => cents.get(i) / 100 / f),
      weight: this.spends.weight.values(),
    };
  }

  /** The RFM quintile scales of everybody with orders in the window. */
  rfmScorer(): RfmScorer {
    return RfmScorer.fromNegatedRecency(this.rfmRecency.values(), this.rfmFrequency.values(), this.rfmMonetary.values());
  }

  /** The repeat buyers' typical gap between purchase days, in days (see lifecycle.ts): the weighted median. */
  typicalGapDays(unitDays: number): number | null {
    const [x, tx] = this.histories.columns as [Column, Column, Column];
    const gaps: { gap: number; weight: number }[] = [];
    for (let i = 0; i < this.histories.size; i++) {
      const f = x.get(i);
      // As the gap of a summary in model units: (recency x unit) / frequency.
      const gap = f > 0 ? ((tx.get(i) / unitDays) * unitDays) / f : 0;
      if (Number.isFinite(gap) && gap > 0) gaps.push({ gap, weight: this.histories.weight.get(i) });
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
