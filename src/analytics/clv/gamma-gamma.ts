import { TendError } from "../../errors.ts";
import type { CustomerSummary, GammaGammaParameters } from "./model.ts";
import { minimiseBfgs, minimiseNelderMead } from "./optimise.ts";
import { digamma, lnGamma } from "./special-functions.ts";

/**
 * The Gamma-Gamma spend model of Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value
 * curves": each transaction's value is Gamma(p, ν) with ν ~ Gamma(q, v) across customers, so a
 * customer's mean spend over x repeat purchases, m, has density (as in `lifetimes`)
 *   Γ(px+q) / (Γ(px) Γ(q)) · v^q · m^(px−1) · x^(px) / (v + xm)^(px+q).
 */

export type GammaGammaShape = Pick<GammaGammaParameters, "p" | "q" | "v">;

interface SpendData {
  weight: Float64Array;
  xIndex: Uint32Array;
  /** ln m and x·m per row, m scaled. */
  lnM: Float64Array;
  xm: Float64Array;
  xs: Float64Array;
  lnXs: Float64Array;
  totalWeight: number;
}

/** Customers with repeat purchases merged by (frequency, mean repeat spend), each with a weight. */
export interface SpendGroups {
  frequency: ArrayLike<number>;
  monetary: ArrayLike<number>;
  weight: ArrayLike<number>;
}

/** Identical (frequency, monetary value) summaries merged, in the order each first appears. */
export function groupSpend(summaries: CustomerSummary[]): SpendGroups {
  const rows = new Map<string, number>();
  const groups = { frequency: [] as number[], monetary: [] as number[], weight: [] as number[] };
  for (const s of summaries) {
    const key = `${s.frequency}|${s.monetaryValue}`;
    const row = rows.get(key);
    if (row === undefined) {
      rows.set(key, groups.weight.length);
      groups.frequency.push(s.frequency);
      groups.monetary.push(s.monetaryValue);
      groups.weight.push(1);
    } else {
      groups.weight[row]! += 1;
    }
  }
  return groups;
}

function spendData(groups: SpendGroups, scale: number): SpendData {
  const n = groups.weight.length;
  const xMap = new Map<number, number>();
  for (let i = 0; i < n; i++) if (!xMap.has(groups.frequency[i]!)) xMap.set(groups.frequency[i]!, xMap.size);
  const xs = Float64Array.from(xMap.keys());
  let totalWeight = 0;
  for (let i = 0; i < n; i++) totalWeight += groups.weight[i]!;
  return {
    weight: Float64Array.from(groups.weight),
    xIndex: Uint32Array.from({ length: n }, (_, i) => xMap.get(groups.frequency[i]!)!),
    lnM: Float64Array.from({ length: n }, (_, i) => Math.log(groups.monetary[i]! * scale)),
    xm: Float64Array.from({ length: n }, (_, i) => groups.frequency[i]! * (groups.monetary[i]! * scale)),
    xs,
    lnXs: xs.map(Math.log),
    totalWeight,
  };
}

/** Σ weight·ln f(m | x; p, q, v) and its gradient with respect to (p, q, v). */
function logLikelihoodAndGradient(data: SpendData, { p, q, v }: GammaGammaShape, withGradient: boolean): { value: number; gradient: number[] } {
  const nx = data.xs.length;
  const constant = new Float64Array(nx);
  const dp1 = new Float64Array(nx);
  const dq1 = new Float64Array(nx);
  const lnV = Math.log(v);
  const base = -lnGamma(q) + q * lnV;
  const psiQ = withGradient ? digamma(q) : 0;
  for (let k = 0; k < nx; k++) {
    const x = data.xs[k]!;
    const px = p * x;
    constant[k] = base + lnGamma(px + q) - lnGamma(px) + px * data.lnXs[k]!;
    if (withGradient) {
      const psiPXQ = digamma(px + q);
      dp1[k] = x * (psiPXQ - digamma(px) + data.lnXs[k]!);
      dq1[k] = psiPXQ - psiQ + lnV;
    }
  }
  let value = 0;
  let gp = 0;
  let gq = 0;
  let gv = 0;
  for (let i = 0; i < data.weight.length; i++) {
    const k = data.xIndex[i]!;
    const w = data.weight[i]!;
    const x = data.xs[k]!;
    const px = p * x;
    const lnM = data.lnM[i]!;
    const denominator = v + data.xm[i]!;
    const lnDen = Math.log(denominator);
    value += w * (constant[k]! + (px - 1) * lnM - (px + q) * lnDen);
    if (withGradient) {
      gp += w * (dp1[k]! + x * (lnM - lnDen));
      gq += w * (dq1[k]! - lnDen);
      gv += w * (q / v - (px + q) / denominator);
    }
  }
  return { value, gradient: [gp, gq, gv] };
}

const usable = (s: CustomerSummary) => s.frequency > 0 && s.monetaryValue > 0 && Number.isFinite(s.monetaryValue);

/** The Gamma-Gamma log-likelihood of the customers with repeat purchases (the others carry no spend information). */
export function gammaGammaLogLikelihood(params: GammaGammaShape, summaries: CustomerSummary[]): number {
  return logLikelihoodAndGradient(spendData(groupSpend(summaries.filter(usable)), 1), params, false).value;
}

/** As for BG/NBD: beyond this (amounts scaled to a mean of 1) a parameter is running off to 0 or infinity. */
const LOG_PARAMETER_LIMIT = 15;

/**
 * Maximum-likelihood Gamma-Gamma parameters from the customers with frequency > 0 and a positive
 * monetary value. Throws a TendError when there are none, or when the fit runs a parameter off to
 * 0 or infinity (e.g. every repeat buyer spending exactly the same, or a single repeat buyer).
 */
export function fitGammaGamma(summaries: CustomerSummary[]): GammaGammaParameters {
  return fitGammaGammaGroups(groupSpend(summaries.filter(usable)), summaries.length);
}

/**
 * The same fit on spend already grouped (see SpendGroups); groups that carry no spend information
 * (no repeat purchase, no positive spend) are left out. `customers` counts everybody, for the message.
 */
export function fitGammaGammaGroups(groups: SpendGroups, customers: number): GammaGammaParameters {
  const keep = { frequency: [] as number[], monetary: [] as number[], weight: [] as number[] };
  let spenders = 0;
  let total = 0;
  for (let i = 0; i < groups.weight.length; i++) {
    const s = { frequency: groups.frequency[i]!, monetaryValue: groups.monetary[i]! };
    if (!usable(s as CustomerSummary)) continue;
    keep.frequency.push(s.frequency);
    keep.monetary.push(s.monetaryValue);
    keep.weight.push(groups.weight[i]!);
    spenders += groups.weight[i]!;
    total += groups.weight[i]! * s.monetaryValue;
  }
  if (spenders === 0) {
    throw new TendError(
      "CLV_NO_REPEAT_PURCHASES",
      `cannot fit the Gamma-Gamma spend model: no customer has repeat purchases with a positive spend (${customers} customer${customers === 1 ? "" : "s"})`,
    );
  }
  // Amounts scaled to a mean of 1, so a start at p = q = v = 1 is sensible in any currency: v scales with the amounts.
  const mean = total / spenders;
  const scale = 1 / mean;
  const data = spendData(keep, scale);
  const n = data.totalWeight;
  const toShape = (theta: number[]): GammaGammaShape => ({ p: Math.exp(theta[0]!), q: Math.exp(theta[1]!), v: Math.exp(theta[2]!) });
  const objective = (theta: number[]) => {
    const shape = toShape(theta);
    const { value, gradient } = logLikelihoodAndGradient(data, shape, true);
    const ps = [shape.p, shape.q, shape.v];
    return { value: -value / n, gradient: gradient.map((g, i) => (-g * ps[i]!) / n) };
  };
  const start = [0, 0, 0];
  let result = minimiseBfgs(objective, start, { gradientTolerance: 1e-9, maxIterations: 1000 });
  if (!result.converged || !result.x.every(Number.isFinite)) {
    const from = result.x.every(Number.isFinite) && Number.isFinite(result.value) ? result.x : start;
    const nm = minimiseNelderMead((theta) => objective(theta).value, from);
    if (Number.isFinite(nm.value) && (!Number.isFinite(result.value) || nm.value < result.value)) result = nm;
  }
  const runaway = ["p", "q", "v"].filter((_, i) => !(Math.abs(result.x[i]!) <= LOG_PARAMETER_LIMIT));
  if (!Number.isFinite(result.value) || !result.converged || runaway.length) {
    throw new TendError(
      "CLV_FIT_FAILED",
      `the Gamma-Gamma fit did not settle on finite parameters (${n} customer${n === 1 ? "" : "s"} with repeat purchases` +
        `${runaway.length ? `; ${runaway.join(", ")} ran off towards 0 or infinity` : ""}): ` +
        "the spend data do not determine the model (too few repeat buyers, or identical amounts)",
    );
  }
  const scaled = toShape(result.x);
  // Scaling amounts by s: v scales with them, and each density picks up a factor s (ln s per customer).
  return { p: scaled.p, q: scaled.q, v: scaled.v / scale, logLikelihood: -result.value * n + n * Math.log(scale) };
}

/**
 * E[M | x, m]: the expected value of this customer's future transactions, a credibility-weighted
 * mix of the population mean pv/(q−1) and their own mean m: p(v + x m)/(px + q − 1).
 * Throws a TendError (CLV_SPEND_UNDEFINED) where that mean is infinite: px + q <= 1, which for a
 * customer without repeat purchases means a fitted q <= 1 (spend so heavy-tailed the population
 * mean does not exist).
 */
export function conditionalExpectedSpend(params: GammaGammaShape, frequency: number, monetaryValue: number): number {
  const { p, q, v } = params;
  if (!(frequency >= 0) || !(monetaryValue >= 0)) throw new RangeError(`impossible spend history: frequency ${frequency}, monetary value ${monetaryValue}`);
  const x = frequency > 0 && monetaryValue > 0 ? frequency : 0;
  const denominator = p * x + q - 1;
  if (!(denominator > 0)) {
    throw new TendError("CLV_SPEND_UNDEFINED", `the expected spend is infinite for Gamma-Gamma parameters with p·x + q <= 1 (q = ${q}, x = ${x})`);
  }
  return (p * (v + x * monetaryValue)) / denominator;
}
