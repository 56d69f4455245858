import type { LoyaltyEntryKind } from "../db/generated/client.ts";

/** What the lot arithmetic needs of a ledger entry. */
export interface LedgerEntryLike {
  id: string;
  kind: LoyaltyEntryKind;
  points: number;
  createdAt: Date;
  expiresAt: Date | null;
}

/** Points from one positive entry and how many of them are still unspent. */
export interface Lot {
  entryId: string;
  createdAt: Date;
  expiresAt: Date | null;
  remaining: number;
}

/**
 * Replays a customer's ledger to see which positive entries still hold unspent points.
 * Redemptions and downward adjustments use up the oldest points first; an expiry entry uses up
 * the points that had lapsed when it was booked (that is what it was booked for). Entries replay
 * by the time they take effect: an order's points from the day it was placed (even when booked
 * later, by a history import), everything else from when it was booked, with rising timestamps
 * under the customer's row lock; so the same ledger always gives the same lots.
 */
export function openLots(entries: readonly LedgerEntryLike[]): Lot[] {
  const ordered = [...entries].sort(compareEntries);
  const lots: Lot[] = [];
  for (const entry of ordered) {
    if (entry.points > 0) {
      lots.push({ entryId: entry.id, createdAt: entry.createdAt, expiresAt: entry.expiresAt, remaining: entry.points });
      continue;
    }
    let owed = -entry.points;
    if (entry.kind === "expire") owed = consume(lots, owed, (lot) => isLapsed(lot, entry.createdAt));
    consume(lots, owed, () => true);
  }
  return lots.filter((lot) => lot.remaining > 0);
}

/** Points that have lapsed by `at` but no expiry entry has taken yet. */
export function lapsedPoints(lots: readonly Lot[], at: Date): number {
  return lots.filter((lot) => isLapsed(lot, at)).reduce((sum, lot) => sum + lot.remaining, 0);
}

/** Unspent points lapsing after `from` and no later than `until`, with the first date they lapse. */
export function pointsExpiringBetween(lots: readonly Lot[], from: Date, until: Date): { points: number; earliestAt: Date | null } {
  let points = 0;
  let earliestAt: Date | null = null;
  for (const lot of lots) {
    if (!lot.expiresAt || lot.expiresAt <= from || lot.expiresAt > until) continue;
    points += lot.remaining;
    if (!earliestAt || lot.expiresAt < earliestAt) earliestAt = lot.expiresAt;
  }
  return { points, earliestAt };
}

/**
 * The one balance rule, for every place that reports a balance (chat, API, `tend customer show`,
 * the data export): the ledger's sum, less points lapsed by `at` that no expiry entry has taken yet.
 */
export function balanceAt(entries: readonly LedgerEntryLike[], at: Date): number {
  return sumPoints(entries) - lapsedPoints(openLots(entries), at);
}

/**
 * The expiry entries that points booked late, for orders placed long ago, would have had by `now`:
 * for each date on which some of the new entries (`newIds`) lapsed, the points of theirs still
 * unspent then, replaying the ledger as it stands with them in it. Booked with those entries, they
 * let the ledger explain the balance ("earned 300 on 2024-06-01, lapsed 2025-06-01"). Only the new
 * entries' unspent points are counted, so expiries already booked for older points still find theirs.
 */
export function lapsesOfNewEntries(entries: readonly LedgerEntryLike[], newIds: ReadonlySet<string>, now: Date): { at: Date; points: number }[] {
  const dates = [
    ...new Set(entries.filter((e) => newIds.has(e.id) && e.points > 0 && e.expiresAt && e.expiresAt <= now).map((e) => e.expiresAt!.getTime())),
  ].sort((a, b) => a - b);
  const replayed: LedgerEntryLike[] = [...entries];
  const lapses: { at: Date; points: number }[] = [];
  for (const time of dates) {
    const at = new Date(time);
    const lots = openLots(replayed.filter((e) => e.createdAt <= at));
    const points = lots.filter((lot) => newIds.has(lot.entryId) && lot.expiresAt?.getTime() === time).reduce((sum, lot) => sum + lot.remaining, 0);
    if (points <= 0) continue;
    replayed.push({ id: `lapse:${time}`, kind: "expire", points: -points, createdAt: at, expiresAt: null });
    lapses.push({ at, points });
  }
  return lapses;
}

export function sumPoints(entries: readonly { points: number }[]): number {
  return entries.reduce((sum, entry) => sum + entry.points, 0);
}

function isLapsed(lot: Lot, at: Date): boolean {
  return lot.expiresAt !== null && lot.expiresAt <= at;
}

function consume(lots: Lot[], owed: number, eligible: (lot: Lot) => boolean): number {
  for (const lot of lots) {
    if (owed <= 0) break;
    if (lot.remaining <= 0 || !eligible(lot)) continue;
    const taken = Math.min(lot.remaining, owed);
    lot.remaining -= taken;
    owed -= taken;
  }
  return owed;
}

// Same instant (only possible for entries booked outside the service): credits before debits, and
// among credits the sooner-lapsing first, so a debit never finds the balance short.
function compareEntries(a: LedgerEntryLike, b: LedgerEntryLike): number {
  const byTime = a.createdAt.getTime() - b.createdAt.getTime();
  if (byTime !== 0) return byTime;
  const bySign = Number(b.points > 0) - Number(a.points > 0);
  if (bySign !== 0) return bySign;
  const byExpiry = (a.expiresAt?.getTime() ?? Infinity) - (b.expiresAt?.getTime() ?? Infinity);
  if (byExpiry !== 0 && !Number.isNaN(byExpiry)) return byExpiry;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
