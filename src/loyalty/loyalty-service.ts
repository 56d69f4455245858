import { type Clock, systemClock } from "../core/clock.ts";
import { EventBus } from "../core/events.ts";
import { Prisma, type PrismaClient } from "../db/generated/client.ts";
import {
  type LedgerReplayRow,
  type LoyaltyLedger,
  type LoyaltyLedgerEntry,
  LoyaltyRepository,
  type NewEarnEntry,
  type NewLapseEntry,
  type TierChangeRecord,
} from "../db/repositories/loyalty-repository.ts";
import type { NewOrder } from "../db/repositories/order-repository.ts";
import { type Reward, type RewardPatch, RewardRepository } from "../db/repositories/reward-repository.ts";
import { isUniqueViolation } from "../db/prisma-errors.ts";
import { TendError } from "../errors.ts";
import { DAY_MS, addMonths } from "./dates.ts";
import { balanceAt, lapsedPoints, lapsesOfNewEntries, openLots, pointsExpiringBetween, sumPoints } from "./ledger-math.ts";
import type { AdjustResult, BonusResult, EarnResult, ExpiryRun, LoyaltySummary, RedeemResult } from "./results.ts";
import { type RewardDefinition, defaultRewards, loadRewardsFile, validateRewardDefinition } from "./rewards-file.ts";
import { RewardCache } from "./reward-cache.ts";
import { type LoyaltySettings, defaultLoyaltySettings } from "./settings.ts";
import { nextTierAfter, startingTier, tierFor } from "./tiers.ts";

export interface LoyaltyServiceOptions {
  /** Enough on its own; or pass the repositories. */
  prisma?: PrismaClient;
  ledger?: LoyaltyRepository;
  rewards?: RewardRepository;
  clock?: Clock;
  events?: EventBus;
  settings?: Partial<LoyaltySettings>;
}

export interface BonusInput {
  customerId: string;
  points: number;
  /** Why, e.g. "survey_completed" or "birthday"; kept on the entry. */
  reason: string;
  /** The caller's own, e.g. `survey:<responseId>` or `birthday:<customerId>:2026`: a retry books nothing. */
  idempotencyKey: string;
}

export interface AdjustInput {
  customerId: string;
  /** Signed, not 0. */
  points: number;
  /** Required: adjustments are made by people and must say why. */
  reason: string;
  idempotencyKey?: string | undefined;
}

export interface CatalogueSync {
  source: "file" | "default";
  /** Rewards created or updated. */
  written: number;
}

/** What a booking step sees: the ledger inside the customer's lock, after lapsed points were expired. */
interface Booking {
  ledger: LoyaltyLedger;
  now: Date;
  /** Spendable points before this step. */
  balance: number;
  /** A timestamp after every entry the customer has, for the next entry. */
  stamp(): Date;
}

type Step<T> = (booking: Booking) => Promise<{ result: T; booked: boolean }>;

/** The most one ledger entry holds (its points column is a 4-byte integer). */
export const MAX_ENTRY_POINTS = 2_147_483_647;

/** Points for an amount, or why the amount cannot be booked. */
export type PointsForAmount = { ok: true; points: number } | { ok: false; problem: string };

/** A stored order found again (a duplicate): its points are booked if they were lost before. */
export interface KnownOrder {
  id: string;
  customerId: string;
}

/**
 * Points, tiers and rewards. Every booking for a customer runs in one transaction holding that
 * customer's row lock: it first expires points that have lapsed, then books, then checks whether
 * the tier moved, so balances cannot be overdrawn and a tier change is announced exactly once.
 */
export class LoyaltyService {
  readonly settings: LoyaltySettings;
  private readonly ledger: LoyaltyRepository;
  private readonly rewards: RewardRepository;
  private readonly catalogue: RewardCache;
  private readonly clock: Clock;
  private readonly events: EventBus;

  constructor(options: LoyaltyServiceOptions) {
    const ledger = options.ledger ?? (options.prisma ? new LoyaltyRepository(options.prisma) : undefined);
    const rewards = options.rewards ?? (options.prisma ? new RewardRepository(options.prisma) : undefined);
    if (!ledger || !rewards) throw new Error("LoyaltyService needs prisma or both repositories");
    this.ledger = ledger;
    this.rewards = rewards;
    this.catalogue = new RewardCache(() => rewards.listAll());
    this.clock = options.clock ?? systemClock;
    this.events = options.events ?? new EventBus();
    this.settings = { ...defaultLoyaltySettings, ...options.settings };
  }

  // --- Earning ---

  /**
   * Books the points for an order once, however often it is called (key `order:<orderId>`), dated
   * by the order (see `earnDates`); points that have lapsed since are booked as expired with them.
   */
  async earnForOrder(orderId: string): Promise<EarnResult> {
    const order = await this.ledger.findOrder(orderId);
    if (!order) throw new TendError("LOYALTY_UNKNOWN_ORDER", `no order with id ${orderId}`);
    const idempotencyKey = orderEarnKey(order.id);
    const points = this.earnsPoints(order.placedAt) ? this.pointsForAmount(order.amount) : 0;
    return this.withKeyFallback<EarnResult>(
      () =>
        this.book<EarnResult>(order.customerId, async ({ ledger, now, balance }) => {
          const existing = await ledger.findByIdempotencyKey(idempotencyKey);
          if (existing) return { result: { status: "already_earned", entry: existing }, booked: false };
          // Spend-based tiers move with the order even when it earns no points.
          if (points <= 0) return { result: { status: "no_points" }, booked: this.settings.tierBasis === "spend" };
          const entry = await ledger.append({ customerId: order.customerId, kind: "earn", points, orderId: order.id, idempotencyKey, ...this.earnDates(order.placedAt, now) });
          const lapsed = await this.bookHistoryLapses(ledger, [entry], now);
          return { result: { status: "earned", entry, balance: balance + points - lapsed }, booked: true };
        }),
      idempotencyKey,
      (entry) => (entry.kind === "earn" && entry.orderId === order.id ? { status: "already_earned", entry } : null),
    );
  }

  pointsForAmount(amount: Prisma.Decimal | string | number): number {
    const points = this.bookablePoints(amount);
    if (!points.ok) throw new TendError("LOYALTY_POINTS_TOO_LARGE", `an amount of ${String(amount)} ${points.problem}`);
    return points.points;
  }

  /** Like `pointsForAmount`, but says why instead of throwing: for refusing an order before it is stored. */
  bookablePoints(amount: Prisma.Decimal | string | number): PointsForAmount {
    const points = new Prisma.Decimal(amount).mul(this.settings.pointsPerUnit).floor();
    if (points.lte(0)) return { ok: true, points: 0 };
    if (points.gt(MAX_ENTRY_POINTS)) {
      return {
        ok: false,
        problem: `is too large to book: it would earn ${points.toFixed(0)} points at ${this.settings.pointsPerUnit} per unit, and one order can earn at most ${MAX_ENTRY_POINTS}`,
      };
    }
    return { ok: true, points: points.toNumber() };
  }

  /**
   * Records new orders and books their points in one transaction, so an order is never stored
   * without its points (a crash keeps both or neither). Set-based: one statement for the orders
   * and their earn entries, one or two for the tiers, whatever the batch size. Orders whose
   * external id is already taken are skipped (the caller compares them with the stored ones);
   * `known` are stored orders seen again, whose points are booked now if an older Tend lost them.
   * Amounts must have been checked with `bookablePoints`. Returns the new orders' ids by external id.
   */
  async recordOrders(orders: readonly NewOrder[], known: readonly KnownOrder[] = []): Promise<Map<string, string>> {
    const now = this.clock.now();
    const unbooked = known.length ? await this.ledger.ordersWithoutEarnEntry(known.map((order) => order.id)) : [];
    if (!orders.length && !unbooked.length) return new Map();
    const customerIds = [...orders.map((order) => order.customerId), ...unbooked.map((order) => order.customerId)];
    const { inserted, tierChanges } = await this.ledger.withCustomersLock(customerIds, async (ledger, latest) => {
      const toRecord = distinctByExternalId(orders).map((order) => ({ ...order, earn: this.earnFor(order.amount, order.placedAt, now) }));
      const rows = await ledger.recordOrdersWithEarnEntries(toRecord);
      const inserted = new Map(rows.map((row) => [row.externalId, row.id]));
      const booked = toRecord.filter((order) => order.earn && inserted.has(order.externalId));
      // Read again under the locks: a concurrent run may have booked them, or a merge moved them.
      const healed: NewEarnEntry[] = [];
      if (unbooked.length) {
        for (const order of await ledger.ordersWithoutEarnEntry(unbooked.map((order) => order.id))) {
          const earn = latest.has(order.customerId) ? this.earnFor(order.amount, order.placedAt, now) : null;
          if (earn) healed.push({ customerId: order.customerId, orderId: order.id, idempotencyKey: orderEarnKey(order.id), ...earn });
        }
        await ledger.appendEarnEntries(healed);
      }
      const newEarns = [
        ...booked.map((order) => ({ customerId: order.customerId, idempotencyKey: orderEarnKey(inserted.get(order.externalId)!), expiresAt: order.earn!.expiresAt })),
        ...healed,
      ];
      await this.bookHistoryLapses(ledger, newEarns, now);
      // Spend-based tiers move with every order, point-based ones only with booked points.
      const moved =
        this.settings.tierBasis === "spend"
          ? [...orders.filter((order) => inserted.has(order.externalId)), ...unbooked].map((order) => order.customerId)
          : [...booked, ...healed].map((order) => order.customerId);
      return { inserted, tierChanges: await this.reviewTiers(ledger, [...new Set(moved)], now) };
    });
    // After the commit, as for every booking. A later change moves such reactions to an outbox
    // written in the same transaction; until then a crash right here loses only the announcement.
    for (const change of tierChanges) this.events.emit("loyalty.tier_changed", { customerId: change.customerId, from: change.from, to: change.to, at: change.occurredAt });
    return inserted;
  }

  async awardBonus(input: BonusInput): Promise<BonusResult> {
    if (!Number.isSafeInteger(input.points) || input.points <= 0) {
      throw new TendError("LOYALTY_INVALID_POINTS", `a bonus must be a whole number of points above 0 (got ${input.points})`);
    }
    const reason = requireText(input.reason, "a bonus needs a reason");
    const idempotencyKey = requireText(input.idempotencyKey, "a bonus needs an idempotency key");
    return this.withKeyFallback<BonusResult>(
      () =>
        this.book<BonusResult>(input.customerId, async ({ ledger, now, balance, stamp }) => {
          const existing = await ledger.findByIdempotencyKey(idempotencyKey);
          if (existing) return { result: this.sameKey(existing, input.customerId, "bonus", { status: "already_awarded", entry: existing }), booked: false };
          const entry = await ledger.append({
            customerId: input.customerId,
            kind: "bonus",
            points: input.points,
            reason,
            idempotencyKey,
            expiresAt: this.expiryFor(now),
            createdAt: stamp(),
          });
          return { result: { status: "awarded", entry, balance: balance + input.points }, booked: true };
        }),
      idempotencyKey,
      (entry) => (entry.customerId === input.customerId && entry.kind === "bonus" ? { status: "already_awarded", entry } : null),
    );
  }

  /** A manual correction. It may not take the balance below 0; points added this way never lapse. */
  async adjust(input: AdjustInput): Promise<AdjustResult> {
    if (!Number.isSafeInteger(input.points) || input.points === 0) {
      throw new TendError("LOYALTY_INVALID_POINTS", `an adjustment must be a whole number of points other than 0 (got ${input.points})`);
    }
    const reason = requireText(input.reason, "an adjustment needs a reason");
    const idempotencyKey = input.idempotencyKey === undefined ? null : requireText(input.idempotencyKey, "an empty idempotency key");
    const run = () =>
      this.book<AdjustResult>(input.customerId, async ({ ledger, balance, stamp }) => {
        if (idempotencyKey) {
          const existing = await ledger.findByIdempotencyKey(idempotencyKey);
          if (existing) return { result: this.sameKey(existing, input.customerId, "adjust", { status: "already_adjusted", entry: existing }), booked: false };
        }
        if (balance + input.points < 0) {
          throw new TendError("LOYALTY_OVERDRAWN", `cannot take ${-input.points} points from a balance of ${balance}`);
        }
        const entry = await ledger.append({
          customerId: input.customerId,
          kind: "adjust",
          points: input.points,
          reason,
          idempotencyKey,
          createdAt: stamp(),
        });
        return { result: { status: "adjusted", entry, balance: balance + input.points }, booked: true };
      });
    if (!idempotencyKey) return run();
    return this.withKeyFallback<AdjustResult>(run, idempotencyKey, (entry) =>
      entry.customerId === input.customerId && entry.kind === "adjust" ? { status: "already_adjusted", entry } : null,
    );
  }

  // --- Redemption ---

  /**
   * Spends points on a reward. Under the customer's lock, so concurrent redemptions take turns
   * and none can spend points another already spent; a repeated idempotency key returns the
   * original redemption instead of booking another.
   */
  async redeem(customerId: string, rewardCode: string, idempotencyKey: string): Promise<RedeemResult> {
    const key = requireText(idempotencyKey, "a redemption needs an idempotency key");
    const reward = await this.rewards.findByCode(rewardCode);
    const replay = async (ledger: LoyaltyLedger, entry: LoyaltyLedgerEntry): Promise<RedeemResult> => {
      if (entry.customerId !== customerId || entry.kind !== "redeem" || (reward && entry.rewardId !== reward.id)) {
        throw keyConflict(key);
      }
      const original = entry.rewardId ? await ledger.rewards.findById(entry.rewardId) : null;
      // The balance right after it, by the same rule as every other balance.
      const upTo = (await ledger.entries(customerId)).filter((e) => e.createdAt <= entry.createdAt);
      return { status: "already_done", entry, reward: original, balance: balanceAt(upTo, entry.createdAt) };
    };
    try {
      return await this.book<RedeemResult>(customerId, async ({ ledger, balance, stamp }) => {
        const existing = await ledger.findByIdempotencyKey(key);
        if (existing) return { result: await replay(ledger, existing), booked: false };
        if (!reward) return { result: { status: "unknown_reward", rewardCode }, booked: false };
        if (!reward.active) return { result: { status: "inactive_reward", reward }, booked: false };
        if (balance < reward.cost) {
          return { result: { status: "insufficient", reward, balance, cost: reward.cost, missing: reward.cost - balance }, booked: false };
        }
        const entry = await ledger.append({ customerId, kind: "redeem", points: -reward.cost, rewardId: reward.id, idempotencyKey: key, createdAt: stamp() });
        return { result: { status: "ok", entry, reward, balance: balance - reward.cost }, booked: true };
      });
    } catch (error) {
      // Same key used for another customer at the same moment: their lock did not stop us, the index did.
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.ledger.findByIdempotencyKey(key);
      if (!existing) throw error;
      return replay(this.ledger, existing);
    }
  }

  // --- Expiry ---

  /** Books one `expire` entry per customer for lapsed, unspent points. Running it twice books nothing more. */
  async expirePoints(now: Date = this.clock.now()): Promise<ExpiryRun> {
    const run: ExpiryRun = { customers: 0, points: 0 };
    for (const customerId of await this.ledger.expiryCandidates(now)) {
      try {
        const { lapsed: expired } = await this.bookCounting(customerId, async () => ({ result: null, booked: false }), now);
        if (expired > 0) {
          run.customers += 1;
          run.points += expired;
        }
      } catch (error) {
        // Erased or merged away since the candidates were listed: nothing left to expire.
        if (error instanceof TendError && error.code === "LOYALTY_UNKNOWN_CUSTOMER") continue;
        throw error;
      }
    }
    return run;
  }

  // --- Reading ---

  /**
   * Points the customer can spend now (see LoyaltySummary.balance). `entries`: the customer's ledger
   * as read a moment ago (the chat's inbound read brings it along), instead of reading it here.
   */
  async balance(customerId: string, entries?: readonly LoyaltyLedgerEntry[]): Promise<number> {
    return balanceAt(entries ?? (await this.ledger.entries(customerId)), this.clock.now());
  }

  /**
   * `known`: the caller has the customer's row (the chat), so their existence is not read again;
   * `entries`: their ledger as read a moment ago (as for `balance`).
   */
  async summary(customerId: string, options: { known?: boolean; entries?: readonly LoyaltyLedgerEntry[] | undefined } = {}): Promise<LoyaltySummary> {
    if (!options.known && !(await this.ledger.customerExists(customerId))) throw unknownCustomer(customerId);
    const now = this.clock.now();
    const entries = options.entries ?? (await this.ledger.entries(customerId));
    const lots = openLots(entries);
    const withinDays = this.settings.expiringSoonDays;
    const expiring = pointsExpiringBetween(lots, now, new Date(now.getTime() + withinDays * DAY_MS));
    // Points-based progress is in the entries just read (the same rule as pointsEarnedSince).
    const since = addMonths(now, -this.settings.tierWindowMonths);
    const progress =
      this.settings.tierBasis === "points"
        ? entries.reduce((sum, e) => ((e.kind === "earn" || e.kind === "bonus") && e.points > 0 && e.createdAt >= since ? sum + e.points : sum), 0)
        : await this.tierProgress(this.ledger, customerId, now);
    const tier = tierFor(this.settings.tiers, progress);
    const next = nextTierAfter(this.settings.tiers, tier);
    return {
      customerId,
      balance: balanceAt(entries, now),
      tier: tier.name,
      tierBasis: this.settings.tierBasis,
      tierProgress: progress,
      nextTier: next ? { name: next.name, threshold: next.threshold, missing: roundAmount(next.threshold - progress) } : null,
      expiringSoon: { points: expiring.points, earliestAt: expiring.earliestAt, withinDays },
    };
  }

  /** The tier the customer is in now, by the configured basis. */
  async currentTier(customerId: string): Promise<string> {
    return tierFor(this.settings.tiers, await this.tierProgress(this.ledger, customerId, this.clock.now())).name;
  }

  /** Books nothing but expiries, and announces a tier change that time alone brought about (a window moving on). */
  async refreshTier(customerId: string): Promise<void> {
    await this.book(customerId, async () => ({ result: null, booked: true }));
  }

  // --- Catalogue ---

  /** Active rewards, cheapest first; from the cached catalogue (see RewardCache). */
  async listRewards(): Promise<Reward[]> {
    return (await this.catalogue.all()).filter((reward) => reward.active);
  }

  listAllRewards(): Promise<Reward[]> {
    return this.catalogue.all();
  }

  async createReward(input: RewardDefinition): Promise<Reward> {
    const definition = validateRewardDefinition(input);
    const created = await this.rewards.create(definition);
    this.catalogue.invalidate();
    if (!created.created) throw new TendError("LOYALTY_REWARD_EXISTS", `a reward with code ${definition.code} already exists`);
    return created.reward;
  }

  async updateReward(code: string, patch: RewardPatch): Promise<Reward> {
    const existing = await this.rewards.findByCode(code);
    if (!existing) throw new TendError("LOYALTY_UNKNOWN_REWARD", `no reward with code ${code}`);
    const merged = { ...existing, ...stripUndefined(patch) };
    validateRewardDefinition({
      code,
      name: merged.name,
      cost: merged.cost,
      active: merged.active,
      ...(merged.nameZh != null ? { nameZh: merged.nameZh } : {}),
      ...(merged.description != null ? { description: merged.description } : {}),
    });
    const updated = await this.rewards.update(code, patch);
    this.catalogue.invalidate();
    if (!updated) throw new TendError("LOYALTY_UNKNOWN_REWARD", `no reward with code ${code}`);
    return updated;
  }

  /**
   * At start-up: upserts every reward in LOYALTY_REWARDS_FILE by code (rewards missing from the
   * file are left alone). Without a file, an empty catalogue gets the starter rewards; a
   * catalogue that already has rewards is staff's and is not touched.
   */
  async syncRewardCatalogue(): Promise<CatalogueSync> {
    try {
      return await this.writeRewardCatalogue();
    } finally {
      this.catalogue.invalidate();
    }
  }

  private async writeRewardCatalogue(): Promise<CatalogueSync> {
    if (this.settings.rewardsFile) {
      const definitions = await loadRewardsFile(this.settings.rewardsFile);
      for (const definition of definitions) await this.rewards.upsert(definition);
      return { source: "file", written: definitions.length };
    }
    if ((await this.rewards.count()) > 0) return { source: "default", written: 0 };
    let written = 0;
    for (const definition of defaultRewards) if ((await this.rewards.create(definition)).created) written += 1;
    return { source: "default", written };
  }

  // --- Internals ---

  /**
   * One booking: lock the customer, expire lapsed points, run `step`, then check the tier when
   * something was booked. Events go out after the commit.
   */
  private async book<T>(customerId: string, step: Step<T>, at?: Date): Promise<T> {
    return (await this.bookCounting(customerId, step, at)).result;
  }

  private async bookCounting<T>(customerId: string, step: Step<T>, at?: Date): Promise<{ result: T; lapsed: number }> {
    const now = at ?? this.clock.now();
    const outcome = await this.ledger.withCustomerLock(customerId, async (ledger) => {
      const stamps = new Stamps(now, await ledger.latestEntryAt(customerId));
      const entries = await ledger.entries(customerId);
      let balance = sumPoints(entries);
      const expireAt = stamps.next();
      const lapsed = lapsedPoints(openLots(entries), expireAt);
      if (lapsed > 0) {
        await ledger.append({ customerId, kind: "expire", points: -lapsed, reason: "points lapsed", createdAt: expireAt });
        balance -= lapsed;
      }
      const { result, booked } = await step({ ledger, now, balance, stamp: () => stamps.next() });
      const tierChange = booked || lapsed > 0 ? await this.reviewTier(ledger, customerId, now) : null;
      return { result, lapsed, tierChange };
    });
    if (!outcome.found) throw unknownCustomer(customerId);
    const { result, lapsed, tierChange } = outcome.value;
    if (tierChange) this.events.emit("loyalty.tier_changed", { customerId, ...tierChange });
    return { result, lapsed };
  }

  /** An order's earn entry (points and dates), or null when it earns nothing. */
  private earnFor(amount: string, placedAt: Date, now: Date): { points: number; createdAt: Date; expiresAt: Date | null } | null {
    if (!this.earnsPoints(placedAt)) return null;
    const points = this.bookablePoints(amount);
    // Unbookable amounts are refused before they are stored; one stored by an older Tend stays without points.
    if (!points.ok || points.points <= 0) return null;
    return { points: points.points, ...this.earnDates(placedAt, now) };
  }

  /** LOYALTY_EARN_FROM: orders placed before it earn nothing. */
  private earnsPoints(placedAt: Date): boolean {
    return !this.settings.earnFrom || placedAt >= this.settings.earnFrom;
  }

  /**
   * When an order's points count as earned and when they lapse: the one place that dates an earn
   * entry, for single bookings, batches and history imports alike. Earned when the order was
   * placed (an order dated ahead of the clock earns now), so a history import gives the balance
   * and the tier the customer would have had; they lapse `expireMonths` after that.
   */
  private earnDates(placedAt: Date, now: Date): { createdAt: Date; expiresAt: Date | null } {
    const earnedAt = placedAt < now ? placedAt : now;
    return { createdAt: earnedAt, expiresAt: this.expiryFor(earnedAt) };
  }

  /**
   * Books, with newly earned points that had already lapsed (an old order recorded late), the
   * expiry they would have had, dated the day they lapsed, so the ledger says why they are not in
   * the balance and the expiry job finds nothing left. Under the customers' locks. Returns the
   * points booked as lapsed.
   */
  private async bookHistoryLapses(
    ledger: LoyaltyLedger,
    earned: readonly { customerId: string; idempotencyKey: string | null; expiresAt: Date | null }[],
    now: Date,
  ): Promise<number> {
    const lapsing = earned.filter((entry) => entry.expiresAt && entry.expiresAt <= now && entry.idempotencyKey);
    if (!lapsing.length) return 0;
    const keys = new Set(lapsing.map((entry) => entry.idempotencyKey!));
    const byCustomer = new Map<string, LedgerReplayRow[]>();
    for (const entry of await ledger.entriesOf([...new Set(lapsing.map((entry) => entry.customerId))])) {
      const entries = byCustomer.get(entry.customerId);
      if (entries) entries.push(entry);
      else byCustomer.set(entry.customerId, [entry]);
    }
    const lapses: NewLapseEntry[] = [];
    for (const [customerId, entries] of byCustomer) {
      const newIds = new Set(entries.filter((entry) => entry.idempotencyKey && keys.has(entry.idempotencyKey)).map((entry) => entry.id));
      const history = lapsesOfNewEntries(entries, newIds, now).map((lapse) => ({ customerId, points: lapse.points, createdAt: lapse.at }));
      lapses.push(...history);
      // Older points lapsed and not yet booked may now sit before a lapse dated later; the expiry
      // job only looks past a customer's newest expiry entry, so they are settled here, now.
      const replayed = [...entries, ...history.map((lapse, index) => ({ id: `lapse:${index}`, kind: "expire" as const, points: -lapse.points, createdAt: lapse.createdAt, expiresAt: null }))];
      const rest = lapsedPoints(openLots(replayed), now);
      if (rest > 0) lapses.push({ customerId, points: rest, createdAt: new Stamps(now, latestOf(entries)).next() });
    }
    await ledger.appendLapses(lapses);
    return lapses.reduce((sum, lapse) => sum + lapse.points, 0);
  }

  /**
   * Compares the tier now with the last one recorded on the timeline (the starting tier when none
   * is) and records a change. Runs under the customer's lock, so one change is recorded once.
   */
  private async reviewTier(ledger: LoyaltyLedger, customerId: string, now: Date) {
    const [change] = await this.reviewTiers(ledger, [customerId], now);
    return change ? { from: change.from, to: change.to, at: change.occurredAt } : null;
  }

  /** `reviewTier` for many customers at once, in a fixed number of statements; all must be locked. */
  private async reviewTiers(ledger: LoyaltyLedger, customerIds: readonly string[], now: Date): Promise<({ customerId: string } & TierChangeRecord)[]> {
    if (!customerIds.length) return [];
    const since = addMonths(now, -this.settings.tierWindowMonths);
    const states = await ledger.tierStates(customerIds, this.settings.tierBasis, since);
    const changes: ({ customerId: string } & TierChangeRecord)[] = [];
    for (const customerId of customerIds) {
      const state = states.get(customerId);
      const current = tierFor(this.settings.tiers, state?.progress ?? 0).name;
      const last = state?.last;
      const previous = last?.to ?? startingTier(this.settings.tiers).name;
      if (previous === current) continue;
      // Changes must read back in order even when the clock has not moved between them.
      const at = last && last.occurredAt >= now ? new Date(last.occurredAt.getTime() + 1) : now;
      changes.push({ customerId, from: previous, to: current, occurredAt: at });
    }
    await ledger.recordTierChanges(changes);
    return changes;
  }

  private async tierProgress(ledger: LoyaltyLedger, customerId: string, now: Date): Promise<number> {
    const since = addMonths(now, -this.settings.tierWindowMonths);
    if (this.settings.tierBasis === "points") return ledger.pointsEarnedSince(customerId, since);
    return (await ledger.spendSince(customerId, since))?.toNumber() ?? 0;
  }

  private expiryFor(now: Date): Date | null {
    return this.settings.expireMonths > 0 ? addMonths(now, this.settings.expireMonths) : null;
  }

  /** The caller's key is already on an entry: fine if it is the same booking, an error otherwise. */
  private sameKey<T>(entry: LoyaltyLedgerEntry, customerId: string, kind: LoyaltyLedgerEntry["kind"], result: T): T {
    if (entry.customerId !== customerId || entry.kind !== kind) throw keyConflict(entry.idempotencyKey ?? "");
    return result;
  }

  /**
   * Keys are checked under the customer's lock, but one key used for two customers at once is
   * only caught by the unique index: then the other booking is read back.
   */
  private async withKeyFallback<T>(run: () => Promise<T>, key: string, replay: (entry: LoyaltyLedgerEntry) => T | null): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.ledger.findByIdempotencyKey(key);
      if (!existing) throw error;
      const result = replay(existing);
      if (result === null) throw keyConflict(key);
      return result;
    }
  }
}

/** Hands out timestamps that rise strictly past the customer's newest entry, so replays keep booking order. */
class Stamps {
  private last: number;

  constructor(
    private readonly now: Date,
    latest: Date | null,
  ) {
    this.last = latest ? latest.getTime() : -Infinity;
  }

  next(): Date {
    this.last = Math.max(this.now.getTime(), this.last + 1);
    return new Date(this.last);
  }
}

function latestOf(entries: readonly { createdAt: Date }[]): Date | null {
  return entries.reduce<Date | null>((latest, entry) => (!latest || entry.createdAt > latest ? entry.createdAt : latest), null);
}

/** Each order earns once: its entry carries this key (the loyalty repository's SQL builds the same). */
function orderEarnKey(orderId: string): string {
  return `order:${orderId}`;
}

function distinctByExternalId<T extends { externalId: string }>(orders: readonly T[]): T[] {
  const seen = new Set<string>();
  return orders.filter((order) => !seen.has(order.externalId) && (seen.add(order.externalId), true));
}

function requireText(value: string, problem: string): string {
  const trimmed = typeof value === "string" ? value.trim() : "";
  if (!trimmed) throw new TendError("LOYALTY_INVALID_INPUT", problem);
  return trimmed;
}

function unknownCustomer(customerId: string): TendError {
  return new TendError("LOYALTY_UNKNOWN_CUSTOMER", `no customer with id ${customerId}`);
}

function keyConflict(key: string): TendError {
  return new TendError("LOYALTY_KEY_CONFLICT", `the idempotency key ${JSON.stringify(key)} was already used for a different booking`);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function roundAmount(value: number): number {
  return Math.round(value * 100) / 100;
}
