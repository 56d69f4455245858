import type { BgNbdShape } from "./bgnbd.ts";
import type { GammaGammaShape } from "./gamma-gamma.ts";
import type { TimeUnit, Transaction } from "./model.ts";
import { DAYS_PER_UNIT } from "./summaries.ts";

/**
 * Customers drawn from the models' own generative story, for tests and benchmarks: with a
 * seeded generator the same options always give the same transactions.
 */

export type Random = () => number;

/** mulberry32: a small, fast 32-bit PRNG; uniform on [0, 1). */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform on (0, 1): never 0, so logarithms stay finite. */
const open01 = (random: Random) => {
  let u = random();
  while (u === 0) u = random();
  return u;
};

function standardNormal(random: Random): number {
  // Box–Muller; one of the pair is enough here.
  return Math.sqrt(-2 * Math.log(open01(random))) * Math.cos(2 * Math.PI * random());
}

/** Gamma(shape, rate) by Marsaglia & Tsang (2000), with the U^(1/shape) boost below shape 1. */
export function sampleGamma(random: Random, shape: number, rate: number): number {
  if (shape < 1) return sampleGamma(random, shape + 1, rate) * Math.pow(open01(random), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = open01(random);
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return (d * v) / rate;
  }
}

export function sampleBeta(random: Random, a: number, b: number): number {
  const x = sampleGamma(random, a, 1);
  const y = sampleGamma(random, b, 1);
  return x / (x + y);
}

/**
 * One BG/NBD customer's repeat purchase times in (0, horizon], the first purchase being at 0:
 * exponential gaps at rate λ, and after each repeat purchase a drop-out with probability p.
 */
export function simulatePurchaseTimes(random: Random, lambda: number, p: number, horizon: number): number[] {
  const times: number[] = [];
  let t = 0;
  for (;;) {
    t += -Math.log(open01(random)) / lambda;
    if (t > horizon) return times;
    times.push(t);
    if (random() < p) return times;
  }
}

export interface SimulationOptions {
  customers: number;
  bgnbd: BgNbdShape;
  gammaGamma: GammaGammaShape;
  /** The unit λ is a rate per (α scales with it). */
  unit: TimeUnit;
  /** Last day of observation (UTC); no purchase falls after it. */
  observationEnd: Date;
  /** Days from the first possible first purchase to the end of observation; default 273 (39 weeks, as in CDNOW's calibration period). */
  observationDays?: number;
  /** First purchases fall uniformly on the first this-many of those days; default 84 (12 weeks). */
  acquisitionDays?: number;
  seed?: number;
  /** Customer ids are this prefix and a number; default "c". */
  idPrefix?: string;
}

const DAY_MS = 86_400_000;

/**
 * Transactions of simulated customers: first purchase on a random day of the acquisition window
 * at a random time of day; repeat purchases by `simulatePurchaseTimes`, each dated by the day it
 * falls on; amounts Gamma(p, ν) with ν ~ Gamma(q, v) per customer, in cents (at least 0.01).
 */
export function simulateTransactions(options: SimulationOptions): Transaction[] {
  const random = mulberry32(options.seed ?? 1);
  const { r, alpha, a, b } = options.bgnbd;
  const { p, q, v } = options.gammaGamma;
  const unitDays = DAYS_PER_UNIT[options.unit];
  const observationDays = options.observationDays ?? 273;
  const acquisitionDays = Math.min(options.acquisitionDays ?? 84, observationDays);
  const endDay = Math.floor(options.observationEnd.getTime() / DAY_MS);
  const firstPossibleDay = endDay - observationDays + 1;
  const prefix = options.idPrefix ?? "c";
  const amount = (nu: number) => Math.max(0.01, Math.round(sampleGamma(random, p, nu) * 100) / 100);

  const transactions: Transaction[] = [];
  for (let i = 0; i < options.customers; i++) {
    const customerId = `${prefix}${i + 1}`;
    const lambda = sampleGamma(random, r, alpha);
    const dropout = sampleBeta(random, a, b);
    const nu = sampleGamma(random, q, v);
    // Start instant in days, the observation ending at the close of endDay.
    const start = firstPossibleDay + Math.floor(random() * acquisitionDays) + random();
    const horizon = (endDay + 1 - start) / unitDays;
    transactions.push({ customerId, date: new Date(Math.floor(start) * DAY_MS), amount: amount(nu) });
    for (const t of simulatePurchaseTimes(random, lambda, dropout, horizon)) {
      const day = Math.min(endDay, Math.floor(start + t * unitDays));
      transactions.push({ customerId, date: new Date(day * DAY_MS), amount: amount(nu) });
    }
  }
  return transactions;
}
