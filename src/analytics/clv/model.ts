/**
 * The contract of Tend's customer-lifetime-value models (BG/NBD for purchase counts and
 * probability alive, Gamma-Gamma for spend). The implementation lives beside this file; the
 * analytics refresh and the CLI use only what is declared here.
 */

/** One customer's purchase history, summarised as the models expect (in time units, e.g. weeks). */
export interface CustomerSummary {
  customerId: string;
  /** Repeat purchases: distinct purchase days minus one. */
  frequency: number;
  /** Time from the first to the last purchase. */
  recency: number;
  /** Time from the first purchase to the end of observation. */
  T: number;
  /** Mean of the repeat purchase days' totals (first purchase excluded); 0 when frequency is 0. */
  monetaryValue: number;
}

export interface BgNbdParameters {
  r: number;
  alpha: number;
  a: number;
  b: number;
  logLikelihood: number;
}

export interface GammaGammaParameters {
  p: number;
  q: number;
  v: number;
  logLikelihood: number;
}

export interface Transaction {
  customerId: string;
  /** Day of the purchase, UTC midnight. */
  date: Date;
  amount: number;
}

export type TimeUnit = "day" | "week" | "month";
