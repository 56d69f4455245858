import { lnGamma } from "../analytics/clv/special-functions.ts";

/** A difference between the treated and the control group with its 95 % confidence interval. */
export interface Difference {
  treated: number;
  control: number;
  /** treated − control */
  difference: number;
  low: number;
  high: number;
}

/** Below this many customers in either group the report says "too few" instead of a number. */
export const MIN_GROUP_SIZE = 30;

const Z_975 = 1.959963984540054;

/**
 * Difference of two proportions (treated x1/n1 vs control x2/n2) with the unpooled normal (Wald)
 * 95 % interval of the two-proportion z-test. Null when either group is smaller than MIN_GROUP_SIZE.
 */
export function proportionDifference(x1: number, n1: number, x2: number, n2: number): Difference | null {
  if (n1 < MIN_GROUP_SIZE || n2 < MIN_GROUP_SIZE) return null;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const se = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  const difference = p1 - p2;
  return { treated: p1, control: p2, difference, low: difference - Z_975 * se, high: difference + Z_975 * se };
}

/** A group's mean and variance from its count, sum and sum of squares (what SQL aggregates give). */
export interface Moments {
  n: number;
  sum: number;
  sumOfSquares: number;
}

/**
 * Difference of means (e.g. revenue per customer) with Welch's 95 % interval: unequal variances,
 * Welch–Satterthwaite degrees of freedom. Null when either group is smaller than MIN_GROUP_SIZE.
 */
export function welchDifference(treated: Moments, control: Moments): (Difference & { degreesOfFreedom: number }) | null {
  if (treated.n < MIN_GROUP_SIZE || control.n < MIN_GROUP_SIZE) return null;
  const mean = (m: Moments) => m.sum / m.n;
  const variance = (m: Moments) => Math.max(0, (m.sumOfSquares - (m.sum * m.sum) / m.n) / (m.n - 1));
  const a = variance(treated) / treated.n;
  const b = variance(control) / control.n;
  const se = Math.sqrt(a + b);
  const difference = mean(treated) - mean(control);
  // Both groups without spread: the difference is exact.
  const degreesOfFreedom = a + b === 0 ? Infinity : (a + b) ** 2 / (a ** 2 / (treated.n - 1) + b ** 2 / (control.n - 1));
  const t = Number.isFinite(degreesOfFreedom) ? studentTQuantile(0.975, degreesOfFreedom) : Z_975;
  return { treated: mean(treated), control: mean(control), difference, low: difference - t * se, high: difference + t * se, degreesOfFreedom };
}

/** The p-quantile (p > 0.5) of Student's t with `df` degrees of freedom, by bisection on its CDF. */
export function studentTQuantile(p: number, df: number): number {
  let low = 0;
  let high = 1000;
  for (let i = 0; i < 200; i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, df) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** P(T ≤ t) for t ≥ 0: 1 − I_x(df/2, 1/2)/2 with x = df/(df + t²). */
export function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = regularizedIncompleteBeta(x, df / 2, 0.5) / 2;
  return t >= 0 ? 1 - tail : tail;
}

/** I_x(a, b) by the continued fraction of Numerical Recipes (betacf), using the symmetry for fast convergence. */
function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * continuedFraction(x, a, b)) / a;
  return 1 - (front * continuedFraction(1 - x, b, a)) / b;
}

function continuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}
