import { TendError } from "../../errors.ts";
import type { CustomerSummary, TimeUnit, Transaction } from "./model.ts";

const DAY_MS = 86_400_000;

/** Length of one time unit in days; a month is the average Gregorian month. */
export const DAYS_PER_UNIT: Readonly<Record<TimeUnit, number>> = { day: 1, week: 7, month: 365.25 / 12 };

/** One average month expressed in the given unit (e.g. ≈ 4.35 weeks). */
export function unitsPerMonth(unit: TimeUnit): number {
  return DAYS_PER_UNIT.month / DAYS_PER_UNIT[unit];
}

/** Whole days since the epoch, UTC: purchases are counted by calendar day, not by instant. */
const dayNumber = (date: Date) => Math.floor(date.getTime() / DAY_MS);

/**
 * Per-customer summaries in the conventions of the BG/NBD and Gamma-Gamma papers (and of the
 * `lifetimes` package): purchases on the same day count as one; the first purchase day starts the
 * customer's clock and is left out of the monetary value, which averages the repeat days' totals.
 * Transactions dated after `observationEnd` (a day, inclusive) are ignored. A zero amount (a free
 * order) is a purchase like any other: it counts for frequency and recency, and a free repeat day
 * brings the monetary value down; only the Gamma-Gamma fit needs a positive mean repeat value, and
 * it picks those customers itself.
 *
 * Throws a TendError for a negative amount (a refund is no purchase) or one that is not a number:
 * the CSV reader and the database query leave those out, with a reason, before they get here.
 */
export function summarise(transactions: Transaction[], observationEnd: Date, unit: TimeUnit): CustomerSummary[] {
  const unitDays = DAYS_PER_UNIT[unit];
  if (unitDays === undefined) throw new TendError("CLV_BAD_UNIT", `unknown time unit ${JSON.stringify(unit)}: use day, week or month`);
  const endDay = dayNumber(observationEnd);
  if (!Number.isFinite(endDay)) throw new TendError("CLV_BAD_DATE", "the end of observation is not a valid date");

  // customer → day → total spent that day
  const byCustomer = new Map<string, Map<number, number>>();
  for (const t of transactions) {
    const day = dayNumber(t.date);
    if (!Number.isFinite(day)) throw new TendError("CLV_BAD_DATE", `a transaction of customer ${t.customerId} has no valid date`);
    if (!(typeof t.amount === "number" && Number.isFinite(t.amount) && t.amount >= 0)) {
      throw new TendError("CLV_BAD_AMOUNT", `a transaction of customer ${t.customerId} has amount ${String(t.amount)}: amounts must be numbers of at least 0`);
    }
    if (day > endDay) continue;
    let days = byCustomer.get(t.customerId);
    if (!days) byCustomer.set(t.customerId, (days = new Map()));
    days.set(day, (days.get(day) ?? 0) + t.amount);
  }

  const summaries: CustomerSummary[] = [];
  for (const [customerId, days] of byCustomer) {
    let first = Infinity;
    let last = -Infinity;
    let total = 0;
    for (const [day, amount] of days) {
      if (day < first) first = day;
      if (day > last) last = day;
      total += amount;
    }
    const frequency = days.size - 1;
    summaries.push({
      customerId,
      frequency,
      recency: (last - first) / unitDays,
      T: (endDay - first) / unitDays,
      monetaryValue: frequency > 0 ? (total - days.get(first)!) / frequency : 0,
    });
  }
  return summaries;
}
