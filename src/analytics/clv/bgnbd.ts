import { TendError } from "../../errors.ts";
import type { BgNbdParameters, CustomerSummary } from "./model.ts";
import { minimiseBfgs, minimiseNelderMead } from "./optimise.ts";
import { digamma, hyp2f1MinusOneOverB, lnGamma } from "./special-functions.ts";

/**
 * The BG/NBD model of Fader, Hardie & Lee (2005), "Counting your customers the easy way":
 * while alive a customer buys at a Poisson rate λ ~ Gamma(r, α); after each repeat purchase
 * they drop out with probability p ~ Beta(a, b). Times are in the unit of the summaries.
 */

export type BgNbdShape = Pick<BgNbdParameters, "r" | "alpha" | "a" | "b">;

/** Identical (x, t_x, T) rows merged, each distinct x, t_x and T stored once for the log-likelihood. */
interface GroupedData {
  weight: Float64Array;
  xIndex: Uint32Array;
  txIndex: Uint32Array;
  tIndex: Uint32Array;
  xs: Float64Array;
  txs: Float64Array;
  ts: Float64Array;
  totalWeight: number;
  /** Σ weight·x, for undoing the time scaling in the log-likelihood. */
  totalRepeats: number;
}

function checkSummary(s: CustomerSummary): void {
  const { frequency: x, recency: tx, T } = s;
  if (!(Number.isInteger(x) && x >= 0 && Number.isFinite(tx) && Number.isFinite(T) && tx >= 0 && T >= 0 && tx <= T * (1 + 1e-12))) {
    throw new TendError(
      "CLV_BAD_SUMMARY",
      `customer ${s.customerId} has an impossible summary (frequency ${x}, recency ${tx}, T ${T}): need a whole frequency >= 0 and 0 <= recency <= T`,
    );
  }
}

/**
 * Customers with the same history, merged into one row with a weight: what the fit needs, whatever
 * the number of customers. Times in the model's unit; recency is 0 for rows without repeat purchases.
 */
export interface PurchaseGroups {
  frequency: ArrayLike<number>;
  recency: ArrayLike<number>;
  T: ArrayLike<number>;
  weight: ArrayLike<number>;
}

/** Identical (x, t_x, T) summaries merged, in the order each first appears. */
export function groupSummaries(summaries: CustomerSummary[]): PurchaseGroups {
  const rows = new Map<string, number>();
  const groups = { frequency: [] as number[], recency: [] as number[], T: [] as number[], weight: [] as number[] };
  for (const s of summaries) {
    checkSummary(s);
    // Without repeat purchases the recency does not enter the likelihood.
    const tx = s.frequency > 0 ? s.recency : 0;
    const key = `${s.frequency}|${tx}|${s.T}`;
    const row = rows.get(key);
    if (row === undefined) {
      rows.set(key, groups.weight.length);
      groups.frequency.push(s.frequency);
      groups.recency.push(tx);
      groups.T.push(s.T);
      groups.weight.push(1);
    } else {
      groups.weight[row]! += 1;
    }
  }
  return groups;
}

function group(groups: PurchaseGroups, scale: number): GroupedData {
  const n = groups.weight.length;
  const distinct = (values: ArrayLike<number>) => {
    const index = new Map<number, number>();
    for (let i = 0; i < n; i++) if (!index.has(values[i]!)) index.set(values[i]!, index.size);
    return index;
  };
  const xMap = distinct(groups.frequency);
  const txMap = distinct(groups.recency);
  const tMap = distinct(groups.T);
  let totalWeight = 0;
  let totalRepeats = 0;
  for (let i = 0; i < n; i++) {
    totalWeight += groups.weight[i]!;
    totalRepeats += groups.frequency[i]! * groups.weight[i]!;
  }
  return {
    weight: Float64Array.from(groups.weight),
    xIndex: Uint32Array.from({ length: n }, (_, i) => xMap.get(groups.frequency[i]!)!),
    txIndex: Uint32Array.from({ length: n }, (_, i) => txMap.get(groups.recency[i]!)!),
    tIndex: Uint32Array.from({ length: n }, (_, i) => tMap.get(groups.T[i]!)!),
    xs: Float64Array.from(xMap.keys()),
    txs: Float64Array.from(txMap.keys(), (v) => v * scale),
    ts: Float64Array.from(tMap.keys(), (v) => v * scale),
    totalWeight,
    totalRepeats,
  };
}

/**
 * Σ weight·ln L(r, α, a, b | x, t_x, T) and its gradient with respect to (r, α, a, b), where
 *   ln L = A1 + A2 + ln(e^A3 + δ_{x>0} e^A4)
 *   A1 = ln Γ(r+x) − ln Γ(r) + r ln α
 *   A2 = ln Γ(a+b) + ln Γ(b+x) − ln Γ(b) − ln Γ(a+b+x)
 *   A3 = −(r+x) ln(α+T)
 *   A4 = ln a − ln(b+x−1) − (r+x) ln(α+t_x)
 * (FHL 2005, eq. 6, as in `lifetimes`).
 */
function logLikelihoodAndGradient(data: GroupedData, { r, alpha, a, b }: BgNbdShape, withGradient: boolean): { value: number; gradient: number[] } {
  const nx = data.xs.length;
  const constant = new Float64Array(nx);
  const dr1 = new Float64Array(nx);
  const da1 = new Float64Array(nx);
  const db1 = new Float64Array(nx);
  const lnBx = new Float64Array(nx);
  const base = lnGamma(a + b) - lnGamma(b) - lnGamma(r) + r * Math.log(alpha);
  const psiR = withGradient ? digamma(r) : 0;
  const psiAB = withGradient ? digamma(a + b) : 0;
  const psiB = withGradient ? digamma(b) : 0;
  for (let k = 0; k < nx; k++) {
    const x = data.xs[k]!;
    constant[k] = base + lnGamma(r + x) + lnGamma(b + x) - lnGamma(a + b + x);
    lnBx[k] = x > 0 ? Math.log(b + x - 1) : 0;
    if (withGradient) {
      const psiABX = digamma(a + b + x);
      dr1[k] = digamma(r + x) - psiR;
      da1[k] = psiAB - psiABX;
      db1[k] = psiAB + digamma(b + x) - psiB - psiABX;
    }
  }
  const lnAlphaT = data.ts.map((t) => Math.log(alpha + t));
  const lnAlphaTx = data.txs.map((t) => Math.log(alpha + t));
  const lnA = Math.log(a);
  const lnAlpha = Math.log(alpha);

  let value = 0;
  let gr = 0;
  let galpha = 0;
  let ga = 0;
  let gb = 0;
  const rows = data.weight.length;
  for (let i = 0; i < rows; i++) {
    const k = data.xIndex[i]!;
    const x = data.xs[k]!;
    const w = data.weight[i]!;
    const j = data.tIndex[i]!;
    const A3 = -(r + x) * lnAlphaT[j]!;
    let w4 = 0;
    let ll: number;
    if (x > 0) {
      const m = data.txIndex[i]!;
      const A4 = lnA - lnBx[k]! - (r + x) * lnAlphaTx[m]!;
      const top = Math.max(A3, A4);
      const e3 = Math.exp(A3 - top);
      const e4 = Math.exp(A4 - top);
      ll = top + Math.log(e3 + e4);
      w4 = e4 / (e3 + e4);
      if (withGradient) {
        const w3 = e3 / (e3 + e4);
        gr += w * (dr1[k]! + lnAlpha - w3 * lnAlphaT[j]! - w4 * lnAlphaTx[m]!);
        galpha += w * (r / alpha - (r + x) * (w3 / (alpha + data.ts[j]!) + w4 / (alpha + data.txs[m]!)));
        ga += w * (da1[k]! + w4 / a);
        gb += w * (db1[k]! - w4 / (b + x - 1));
      }
    } else {
      ll = A3;
      if (withGradient) {
        gr += w * (dr1[k]! + lnAlpha - lnAlphaT[j]!);
        galpha += w * (r / alpha - (r + x) / (alpha + data.ts[j]!));
        ga += w * da1[k]!;
        gb += w * db1[k]!;
      }
    }
    value += w * (constant[k]! + ll);
  }
  return { value, gradient: [gr, galpha, ga, gb] };
}

/** The BG/NBD log-likelihood of these customers (no constant dropped: comparable with `lifetimes`). */
export function bgNbdLogLikelihood(params: BgNbdShape, summaries: CustomerSummary[]): number {
  return logLikelihoodAndGradient(group(groupSummaries(summaries), 1), params, false).value;
}

/**
 * Log-parameters (on the scaled times) this far from 0 mean the data pushed a parameter towards 0
 * or infinity, where the likelihood is flat and the optimiser stops at an arbitrary point.
 */
const LOG_PARAMETER_LIMIT = 15;

export interface FitOptions {
  /** Starting point (default: r = α = a = b = 1 on times scaled so that the longest T is 10). */
  initial?: BgNbdShape;
}

/**
 * Maximum-likelihood BG/NBD parameters. Customers with identical (frequency, recency, T) are
 * fitted as one weighted row, so 100,000 customers cost what their few distinct histories cost.
 *
 * Throws a TendError when the data cannot determine the model: no customers, no repeat
 * purchases at all (the likelihood then has no maximum), or a fit in which a parameter runs off
 * to 0 or infinity (e.g. a single customer).
 */
export function fitBgNbd(summaries: CustomerSummary[], options: FitOptions = {}): BgNbdParameters {
  return fitBgNbdGroups(groupSummaries(summaries), options);
}

/** The same fit on customers already grouped by their history (see PurchaseGroups). */
export function fitBgNbdGroups(groups: PurchaseGroups, options: FitOptions = {}): BgNbdParameters {
  let customers = 0;
  let repeaters = 0;
  let maxT = 0;
  for (let i = 0; i < groups.weight.length; i++) {
    customers += groups.weight[i]!;
    if (groups.frequency[i]! > 0) repeaters += groups.weight[i]!;
    maxT = Math.max(maxT, groups.T[i]!);
  }
  if (customers === 0) throw new TendError("CLV_NO_CUSTOMERS", "cannot fit the BG/NBD model: there are no customers");
  if (repeaters === 0) {
    throw new TendError(
      "CLV_NO_REPEAT_PURCHASES",
      `cannot fit the BG/NBD model: no customer bought on more than one day (${customers} customer${customers === 1 ? "" : "s"}), ` +
        "so nothing shows how often customers return",
    );
  }
  // Times scaled so the longest T is 10: r, a, b are unaffected, α scales with time, and all four start near 1.
  const scale = maxT > 0 ? 10 / maxT : 1;
  const data = group(groups, scale);
  const n = data.totalWeight;

  const toShape = (theta: number[]): BgNbdShape => ({ r: Math.exp(theta[0]!), alpha: Math.exp(theta[1]!), a: Math.exp(theta[2]!), b: Math.exp(theta[3]!) });
  // Mean negative log-likelihood per customer, in log-parameters: tolerances then do not depend on n.
  const objective = (theta: number[]) => {
    const shape = toShape(theta);
    const { value, gradient } = logLikelihoodAndGradient(data, shape, true);
    const p = [shape.r, shape.alpha, shape.a, shape.b];
    return { value: -value / n, gradient: gradient.map((g, i) => (-g * p[i]!) / n) };
  };
  const start = options.initial
    ? [Math.log(options.initial.r), Math.log(options.initial.alpha * scale), Math.log(options.initial.a), Math.log(options.initial.b)]
    : [0, 0, 0, 0];

  let result = minimiseBfgs(objective, start, { gradientTolerance: 1e-9, maxIterations: 1000 });
  if (!result.converged || !result.x.every(Number.isFinite)) {
    // A second opinion that needs no gradient, started where BFGS got to if that is usable.
    const from = result.x.every(Number.isFinite) && Number.isFinite(result.value) ? result.x : start;
    const nm = minimiseNelderMead((theta) => objective(theta).value, from);
    if (Number.isFinite(nm.value) && (!Number.isFinite(result.value) || nm.value < result.value)) result = nm;
  }
  const runaway = ["r", "alpha", "a", "b"].filter((_, i) => !(Math.abs(result.x[i]!) <= LOG_PARAMETER_LIMIT));
  if (!Number.isFinite(result.value) || runaway.length || !result.converged) {
    throw new TendError(
      "CLV_FIT_FAILED",
      `the BG/NBD fit did not settle on finite parameters (${n} customer${n === 1 ? "" : "s"}, ${repeaters} with repeat purchases` +
        `${runaway.length ? `; ${runaway.join(", ")} ran off towards 0 or infinity` : ""}): ` +
        "the data do not determine the model; more customers or a longer purchase history are needed",
    );
  }
  const scaled = toShape(result.x);
  const shape = { ...scaled, alpha: scaled.alpha / scale };
  // Scaling time by s changes each customer's log-likelihood by −x ln s.
  const logLikelihood = -result.value * n + data.totalRepeats * Math.log(scale);
  return { ...shape, logLikelihood };
}

function checkHistory(frequency: number, recency: number, T: number): void {
  if (!(frequency >= 0 && recency >= 0 && T >= 0 && recency <= T * (1 + 1e-12))) {
    throw new RangeError(`impossible history: frequency ${frequency}, recency ${recency}, T ${T}`);
  }
}

/** ln of a/(b+x−1)·((α+T)/(α+t_x))^(r+x): the odds of having dropped out against being alive. */
function lnDropoutOdds({ r, alpha, a, b }: BgNbdShape, x: number, tx: number, T: number): number {
  return Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx));
}

/** P(alive at T | x, t_x, T) (FHL 2005, eq. 11); 1 for a customer without repeat purchases. */
export function probabilityAlive(params: BgNbdShape, frequency: number, recency: number, T: number): number {
  checkHistory(frequency, recency, T);
  if (frequency === 0) return 1;
  const lnOdds = lnDropoutOdds(params, frequency, recency, T);
  // 1 / (1 + e^lnOdds), computed on the side that does not overflow.
  return lnOdds > 0 ? Math.exp(-lnOdds) / (1 + Math.exp(-lnOdds)) : 1 / (1 + Math.exp(lnOdds));
}

/**
 * c·[1 − u^(a−1) 2F1(c−r', a−1; c; z)] / (a−1) with c = a+b+x−1, the common core of both
 * expectations after Euler's transformation of FHL's 2F1(r+x, b+x; c; z). Written through
 * (2F1 − 1)/(a−1) and expm1 it has no 0/0 at a = 1 and no huge 2F1 times a tiny power for large x.
 */
function expectationCore(a: number, b: number, r: number, x: number, u: number, z: number): number {
  const c = a + b + x - 1;
  const eps = a - 1;
  const lnU = Math.log(u);
  const y = eps * lnU;
  // (e^(ε ln u) − 1)/ε, by its Taylor series where ε is too small to divide by.
  const expm1OverEps = Math.abs(eps) < 1e-12 ? lnU * (1 + y / 2) : Math.expm1(y) / eps;
  const h = hyp2f1MinusOneOverB(a + b - 1 - r, eps, c, z);
  return c * (-expm1OverEps - Math.exp(y) * h);
}

/**
 * E[X(t)]: expected repeat purchases in (0, t] of a customer who just made a first purchase
 * (FHL 2005, eq. 9): (a+b−1)/(a−1)·[1 − (α/(α+t))^r 2F1(r, b; a+b−1; t/(α+t))].
 */
export function expectedPurchases(params: BgNbdShape, t: number): number {
  if (!(t >= 0)) throw new RangeError(`t must be >= 0 (got ${t})`);
  if (t === 0) return 0;
  const { r, alpha, a, b } = params;
  return expectationCore(a, b, r, 0, alpha / (alpha + t), t / (alpha + t));
}

/**
 * E[Y(t) | x, t_x, T]: expected purchases in (T, T+t] given the customer's history (FHL 2005, eq. 10):
 * (a+b+x−1)/(a−1)·[1 − ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x−1; t/(α+T+t))] / (1 + δ_{x>0} a/(b+x−1)·((α+T)/(α+t_x))^(r+x)).
 */
export function conditionalExpectedPurchases(params: BgNbdShape, t: number, frequency: number, recency: number, T: number): number {
  checkHistory(frequency, recency, T);
  if (!(t >= 0)) throw new RangeError(`t must be >= 0 (got ${t})`);
  if (t === 0) return 0;
  const { r, alpha, a, b } = params;
  const core = expectationCore(a, b, r, frequency, (alpha + T) / (alpha + T + t), t / (alpha + T + t));
  return core * probabilityAlive(params, frequency, recency, T);
}
