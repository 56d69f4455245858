import type { CustomerSummary } from "./clv/model.ts";
import { typicalGapDays } from "./lifecycle.ts";
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

  get(i: number): number {
    return this.data[i]!;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/**
 * What the refresh's first pass keeps about everybody, as numbers only (no ids, no objects), so that
 * a million customers take about 60 MB: for each buyer the four figures the CLV models are fitted on
 * (32 bytes), and for each buyer in the RFM window the three values the quintiles rank (24 bytes).
 * Buyers are added in customer id order, which makes the model fit the same whatever the page size.
 */
export class Population {
  private readonly frequency: Column;
  private readonly recency: Column;
  private readonly T: Column;
  private readonly monetary: Column;
  private readonly rfmRecency: Column;
  private readonly rfmFrequency: Column;
  private readonly rfmMonetary: Column;

  constructor(expectedCustomers = 0) {
    const cap = Math.min(expectedCustomers, 1 << 22);
    this.frequency = new Column(cap);
    this.recency = new Column(cap);
    this.T = new Column(cap);
    this.monetary = new Column(cap);
    this.rfmRecency = new Column(cap);
    this.rfmFrequency = new Column(cap);
    this.rfmMonetary = new Column(cap);
  }

  addBuyer(summary: Omit<CustomerSummary, "customerId">): void {
    this.frequency.push(summary.frequency);
    this.recency.push(summary.recency);
    this.T.push(summary.T);
    this.monetary.push(summary.monetaryValue);
  }

  addWindowBuyer(values: RfmValues): void {
    // Recency is ranked on its negative, as RfmScorer does: fewer days since the last order is better.
    this.rfmRecency.push(-values.recencyDays);
    this.rfmFrequency.push(values.frequency);
    this.rfmMonetary.push(values.monetary);
  }

  get buyers(): number {
    return this.frequency.length;
  }

  get repeatBuyers(): number {
    let n = 0;
    for (const x of this.frequency.values()) if (x > 0) n += 1;
    return n;
  }

  /**
   * The buyers as the model fits take them; built only for the fit, then dropped. This list (and the
   * fits' keyed maps of it) is the refresh's memory peak: about 600 MB more at a million buyers
   * (BENCHMARKS.md). Handing the fits these columns grouped with weights would remove it.
   */
  summaries(): CustomerSummary[] {
    const out = new Array<CustomerSummary>(this.buyers);
    for (let i = 0; i < out.length; i++) {
      out[i] = { customerId: `#${i + 1}`, frequency: this.frequency.get(i), recency: this.recency.get(i), T: this.T.get(i), monetaryValue: this.monetary.get(i) };
    }
    return out;
  }

  /** The RFM quintile scales of everybody with orders in the window. */
  rfmScorer(): RfmScorer {
    return RfmScorer.fromNegatedRecency(this.rfmRecency.values(), this.rfmFrequency.values(), this.rfmMonetary.values());
  }

  /** The repeat buyers' typical gap between purchase days, in days (see lifecycle.ts). */
  typicalGapDays(unitDays: number): number | null {
    const gaps = new Float64Array(this.buyers);
    let n = 0;
    for (let i = 0; i < this.buyers; i++) {
      const x = this.frequency.get(i);
      if (x > 0) gaps[n++] = (this.recency.get(i) * unitDays) / x;
    }
    return typicalGapDays(gaps.subarray(0, n));
  }
}
