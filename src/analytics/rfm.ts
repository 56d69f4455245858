/**
 * RFM: how recently, how often and how much each customer bought in the analysis window, each
 * scored 1-5 by quintile against every customer with orders in that window, and the customer's
 * named segment from the usual R x F(M) grid. Customers without orders in the window are not
 * scored (their segment is null): a score would rank them against buyers they are not.
 */

export const RFM_SEGMENTS = [
  "champions",
  "loyal",
  "potential_loyalists",
  "new",
  "promising",
  "needs_attention",
  "about_to_sleep",
  "at_risk",
  "cant_lose",
  "hibernating",
  "lost",
] as const;

export type RfmSegment = (typeof RFM_SEGMENTS)[number];

export const RFM_SEGMENT_LABELS: Readonly<Record<RfmSegment, { en: string; zh: string }>> = {
  champions: { en: "Champions", zh: "冠军客户" },
  loyal: { en: "Loyal", zh: "忠诚客户" },
  potential_loyalists: { en: "Potential loyalists", zh: "潜在忠诚客户" },
  new: { en: "New", zh: "新客户" },
  promising: { en: "Promising", zh: "有潜力客户" },
  needs_attention: { en: "Needs attention", zh: "需要关注" },
  about_to_sleep: { en: "About to sleep", zh: "即将沉睡" },
  at_risk: { en: "At risk", zh: "有流失风险" },
  cant_lose: { en: "Can't lose", zh: "不能失去" },
  hibernating: { en: "Hibernating", zh: "休眠客户" },
  lost: { en: "Lost", zh: "已流失" },
};

/**
 * Segment by R (rows, 5 = most recent) and FM (columns, the mean of F and M rounded half up):
 *
 *        FM=1           2                    3                    4          5
 *   R=5  new            potential_loyalists  potential_loyalists  champions  champions
 *   R=4  promising      potential_loyalists  potential_loyalists  loyal      loyal
 *   R=3  about_to_sleep about_to_sleep       needs_attention      loyal      loyal
 *   R=2  hibernating    hibernating          at_risk              at_risk    cant_lose
 *   R=1  lost           hibernating          at_risk              at_risk    cant_lose
 *
 * This is the widely used R x F segment map, with M folded into F so big spenders who buy
 * rarely still count, and its bottom-left corner split off as "lost".
 */
const GRID: readonly (readonly RfmSegment[])[] = [
  /* R=1 */ ["lost", "hibernating", "at_risk", "at_risk", "cant_lose"],
  /* R=2 */ ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"],
  /* R=3 */ ["about_to_sleep", "about_to_sleep", "needs_attention", "loyal", "loyal"],
  /* R=4 */ ["promising", "potential_loyalists", "potential_loyalists", "loyal", "loyal"],
  /* R=5 */ ["new", "potential_loyalists", "potential_loyalists", "champions", "champions"],
];

export type Quintile = 1 | 2 | 3 | 4 | 5;

const checkScore = (score: number, name: string) => {
  if (!(Number.isInteger(score) && score >= 1 && score <= 5)) throw new RangeError(`${name} must be a whole number from 1 to 5 (got ${score})`);
};

/** The combined F and M score: their mean, halves rounded up. */
export function fmScore(f: number, m: number): Quintile {
  checkScore(f, "F");
  checkScore(m, "M");
  return Math.ceil((f + m) / 2) as Quintile;
}

export function rfmSegment(r: number, fm: number): RfmSegment {
  checkScore(r, "R");
  checkScore(fm, "FM");
  return GRID[r - 1]![fm - 1]!;
}

/**
 * Quintile scores against a population of values, by mid-rank percentile: a value's share of
 * the population below it plus half its ties. Equal values therefore always score the same
 * (e.g. every one-order customer gets one F score), a lone customer or a population of equals
 * scores 3, and n distinct values split as evenly as n allows: 10 values score 1,1,2,2,3,3,4,4,5,5.
 */
export class QuintileScale {
  private readonly sorted: Float64Array;

  constructor(values: Iterable<number>) {
    const all = Float64Array.from(values);
    for (const v of all) if (!Number.isFinite(v)) throw new RangeError(`RFM values must be finite numbers (got ${v})`);
    this.sorted = all.sort();
  }

  get size(): number {
    return this.sorted.length;
  }

  /** Higher values score higher. A value outside the population scores by where it would fall. */
  score(value: number): Quintile {
    const n = this.sorted.length;
    if (n === 0) throw new RangeError("cannot score against an empty population");
    // percentile x 5 as one division of whole numbers: exact at the quintile boundaries.
    const fifths = ((this.bound(value, false) + this.bound(value, true)) * 5) / (2 * n);
    return Math.min(5, Math.max(1, Math.floor(fifths) + 1)) as Quintile;
  }

  /** Count of values < value (or <= value when inclusive). */
  private bound(value: number, inclusive: boolean): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.sorted[mid]!;
      if (v < value || (inclusive && v === value)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** What an RFM scorer needs of a scale: a value's score. */
export interface QuintileScorer {
  readonly size: number;
  score(value: number): Quintile;
}

/**
 * A quintile scale given by where each score starts: `cuts[k - 2]` is the smallest value of the
 * population that scores k (k = 2..5; null when none does). Scores rise with the value, so within
 * the population this scores exactly as QuintileScale on the whole sorted list, holding four
 * numbers instead of every value (the refresh has the database find them: analytics-pages.ts).
 */
export class QuintileCuts implements QuintileScorer {
  constructor(
    private readonly cuts: readonly (number | null)[],
    readonly size: number,
  ) {
    if (cuts.length !== 4) throw new RangeError(`a quintile scale has four cut points (got ${cuts.length})`);
  }

  /** The cut points from the smallest value of each score present (a score no value has is skipped over). */
  static fromStarts(starts: ReadonlyMap<number, number>, size: number): QuintileCuts {
    // Score 1 starts at the smallest value: it needs no cut.
    return new QuintileCuts([2, 3, 4, 5].map((k) => starts.get(k) ?? null), size);
  }

  /** The highest score whose cut the value reaches (a score no value has, e.g. skipped over by ties, has no cut). */
  score(value: number): Quintile {
    if (this.size === 0) throw new RangeError("cannot score against an empty population");
    let score = 1;
    this.cuts.forEach((cut, i) => {
      if (cut !== null && value >= cut) score = i + 2;
    });
    return score as Quintile;
  }
}

/** One customer's window figures. */
export interface RfmValues {
  /** Whole days from the last order in the window to the end of the window. */
  recencyDays: number;
  /** Orders in the window (at least 1 for a scored customer). */
  frequency: number;
  /** Order amounts in the window. */
  monetary: number;
}

export interface RfmResult {
  r: Quintile;
  f: Quintile;
  m: Quintile;
  fm: Quintile;
  segment: RfmSegment;
}

/** Scores customers against a population; build it from every customer with orders in the window. */
export class RfmScorer {
  // Recency is scored on its negative: fewer days since the last order is better.
  private readonly recency: QuintileScorer;
  private readonly frequency: QuintileScorer;
  private readonly monetary: QuintileScorer;

  constructor(population: Iterable<RfmValues>) {
    const r: number[] = [];
    const f: number[] = [];
    const m: number[] = [];
    for (const v of population) {
      r.push(-v.recencyDays);
      f.push(v.frequency);
      m.push(v.monetary);
    }
    this.recency = new QuintileScale(r);
    this.frequency = new QuintileScale(f);
    this.monetary = new QuintileScale(m);
  }

  /** The same scorer from columns of numbers (recency already negated), without an object per customer. */
  static fromNegatedRecency(negatedRecencyDays: Iterable<number>, frequency: Iterable<number>, monetary: Iterable<number>): RfmScorer {
    const scorer = new RfmScorer([]);
    Object.assign(scorer, {
      recency: new QuintileScale(negatedRecencyDays),
      frequency: new QuintileScale(frequency),
      monetary: new QuintileScale(monetary),
    });
    return scorer;
  }

  /** The same scorer from each scale's cut points (recency's on the negated days), as the database computes them. */
  static fromCuts(negatedRecencyDays: QuintileCuts, frequency: QuintileCuts, monetary: QuintileCuts): RfmScorer {
    const scorer = new RfmScorer([]);
    Object.assign(scorer, { recency: negatedRecencyDays, frequency, monetary });
    return scorer;
  }

  get size(): number {
    return this.recency.size;
  }

  score(values: RfmValues): RfmResult {
    const r = this.recency.score(-values.recencyDays);
    const f = this.frequency.score(values.frequency);
    const m = this.monetary.score(values.monetary);
    const fm = fmScore(f, m);
    return { r, f, m, fm, segment: rfmSegment(r, fm) };
  }
}

/** Scores a whole set at once: each customer against the others. */
export function scoreRfm<T extends RfmValues>(customers: readonly T[]): RfmResult[] {
  if (customers.length === 0) return [];
  const scorer = new RfmScorer(customers);
  return customers.map((c) => scorer.score(c));
}

export interface RfmExplanation {
  segment: RfmSegment | null;
  windowMonths: number;
  recencyDays: number | null;
  frequency: number;
  monetary: number;
  scores: { r: number; f: number; m: number; fm: number } | null;
  en: string;
  zh: string;
}

const money = (value: number) => value.toFixed(2);

/** The facts behind a customer's RFM segment, with a sentence in English and in Chinese. */
export function explainRfm(values: RfmValues | null, result: RfmResult | null, windowMonths: number): RfmExplanation {
  if (!values || !result) {
    return {
      segment: null,
      windowMonths,
      recencyDays: values?.recencyDays ?? null,
      frequency: values?.frequency ?? 0,
      monetary: values?.monetary ?? 0,
      scores: null,
      en: `Not RFM-scored: no orders in the last ${windowMonths} months.`,
      zh: `未进行 RFM 评分：近 ${windowMonths} 个月没有订单。`,
    };
  }
  const label = RFM_SEGMENT_LABELS[result.segment];
  const { r, f, m, fm } = result;
  return {
    segment: result.segment,
    windowMonths,
    recencyDays: values.recencyDays,
    frequency: values.frequency,
    monetary: values.monetary,
    scores: { r, f, m, fm },
    en:
      `Last order ${values.recencyDays} day${values.recencyDays === 1 ? "" : "s"} ago; ${values.frequency} order${values.frequency === 1 ? "" : "s"} ` +
      `totalling ${money(values.monetary)} in the last ${windowMonths} months: R ${r}, F ${f}, M ${m} (FM ${fm}), so "${label.en}".`,
    zh: `最近一次下单在 ${values.recencyDays} 天前；近 ${windowMonths} 个月共 ${values.frequency} 笔订单，合计 ${money(values.monetary)}：R ${r}、F ${f}、M ${m}（FM ${fm}），因此为“${label.zh}”。`,
  };
}
