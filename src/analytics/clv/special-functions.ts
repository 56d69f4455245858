/**
 * The special functions the CLV models need, in plain double precision: ln Γ and ψ for the
 * likelihoods and their gradients, and the Gauss hypergeometric function for the BG/NBD
 * expectations. Accurate to about 1e-14 relative over the arguments the models use (positive
 * shape parameters, 0 <= z < 1).
 */

// Lanczos approximation, g = 7, nine coefficients (the usual set; ~1e-15 relative for x >= 0.5).
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln |Γ(x)|; Infinity at 0 and the negative integers. */
export function lnGamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) {
    // Reflection: Γ(x)Γ(1−x) = π / sin(πx). Also keeps tiny x accurate (ln Γ(x) ≈ −ln x).
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  }
  const y = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (y + i);
  const t = y + LANCZOS_G + 0.5;
  return HALF_LN_2PI + (y + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ψ(x) = d/dx ln Γ(x); NaN at 0 and the negative integers. */
export function digamma(x: number): number {
  if (Number.isNaN(x) || (x <= 0 && Number.isInteger(x))) return NaN;
  if (x < 0) return digamma(1 - x) - Math.PI / Math.tan(Math.PI * x);
  let result = 0;
  // Recurrence ψ(x) = ψ(x+1) − 1/x up to where the asymptotic series is accurate to double precision.
  while (x < 10) {
    result -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return result + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))));
}

/** ln(e^a + e^b) without overflow. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** Terms beyond this many mean z is so close to 1 that the answer would not be trustworthy anyway. */
const MAX_SERIES_TERMS = 5_000_000;
const SERIES_EPSILON = 1e-16;

/**
 * Σ_{n>=1} (a)_n (b+1)_{n−1} z^n / ((c)_n n!): the series of 2F1(a, b; c; z) − 1 with its common
 * factor b taken out, so that it stays exact as b → 0. Needs 0 <= z < 1.
 */
function seriesAfterFirstTerm(a: number, b: number, c: number, z: number): number {
  if (z === 0) return 0;
  let term = (a / c) * z; // n = 1: (a)_1 (b+1)_0 z / ((c)_1 1!)
  let sum = term;
  // Before every Pochhammer factor is positive a term can pass near zero and fool the tail test.
  const settled = Math.max(0, -a, -b, -c) + 1;
  for (let n = 1; n < MAX_SERIES_TERMS; n++) {
    const ratio = ((a + n) * (b + n) * z) / ((c + n) * (n + 1));
    term *= ratio;
    sum += term;
    // Once the ratio settles the later ratios never exceed max(|ratio|, z): bound the tail by a geometric series.
    const bound = Math.max(Math.abs(ratio), z);
    if (n > settled && bound < 1 && (Math.abs(term) * bound) / (1 - bound) <= SERIES_EPSILON * Math.abs(sum)) return sum;
    if (term === 0) return sum;
  }
  throw new RangeError(`hypergeometric series did not converge (a=${a}, b=${b}, c=${c}, z=${z})`);
}

function checkArguments(a: number, b: number, c: number, z: number): void {
  if (![a, b, c, z].every(Number.isFinite)) throw new RangeError("hyp2f1 needs finite arguments");
  if (c <= 0 && Number.isInteger(c)) throw new RangeError(`hyp2f1 is undefined for c = ${c}`);
  if (z >= 1) throw new RangeError(`hyp2f1 is implemented for z < 1 (got ${z})`);
}

/**
 * The Gauss hypergeometric function 2F1(a, b; c; z) for real z < 1: its power series on [0, 1),
 * and for negative z the Pfaff transformation (1−z)^−a 2F1(a, c−b; c; z/(z−1)), which maps z
 * into [0, 1).
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  checkArguments(a, b, c, z);
  if (z < 0) return Math.pow(1 - z, -a) * hyp2f1(a, c - b, c, z / (z - 1));
  // b·(series) rather than the plain series: identical, and it reuses one implementation.
  return 1 + b * seriesAfterFirstTerm(a, b, c, z);
}

/**
 * (2F1(a, b; c; z) − 1) / b for 0 <= z < 1, finite and exact at b = 0 (where it is the limit).
 * The BG/NBD expectations divide by (a−1) of their own; with this they stay accurate when a is
 * close to 1 instead of cancelling.
 */
export function hyp2f1MinusOneOverB(a: number, b: number, c: number, z: number): number {
  checkArguments(a, b, c, z);
  if (z < 0) throw new RangeError(`hyp2f1MinusOneOverB is implemented for 0 <= z < 1 (got ${z})`);
  return seriesAfterFirstTerm(a, b, c, z);
}
