import { expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { type DomainEvents, EventBus } from "../src/core/events.ts";
import type { PrismaClient } from "../src/db/generated/client.ts";
import { LoyaltyService } from "../src/loyalty/loyalty-service.ts";
import type { LoyaltySettings } from "../src/loyalty/settings.ts";
import { parseTiers } from "../src/loyalty/settings.ts";
import { TendError } from "../src/errors.ts";
import { describeEachDatabase } from "./support/databases.ts";

let serial = 0;

async function newCustomer(prisma: PrismaClient): Promise<string> {
  return (await prisma.customer.create({ data: { displayName: `Loyal ${++serial}` } })).id;
}

async function newOrder(prisma: PrismaClient, customerId: string, amount: string, placedAt: Date): Promise<string> {
  const order = await prisma.order.create({
    data: { customerId, externalId: `ord-${++serial}-${Math.random()}`, amount, currency: "CNY", placedAt },
  });
  return order.id;
}

function setup(prisma: PrismaClient, start: string, settings: Partial<LoyaltySettings> = {}) {
  const clock = new ManualClock(start);
  const events = new EventBus((name, error) => {
    throw error;
  });
  const tierChanges: DomainEvents["loyalty.tier_changed"][] = [];
  events.on("loyalty.tier_changed", (event) => {
    tierChanges.push(event);
  });
  const loyalty = new LoyaltyService({ prisma, clock, events, settings });
  return { clock, events, tierChanges, loyalty };
}

async function rejection(promise: Promise<unknown>): Promise<TendError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TendError);
  return error as TendError;
}

describeEachDatabase("loyalty points", (db) => {
  it("earns points per order rounded down, once per order however often asked", async () => {
    const prisma = db().prisma;
    const { loyalty } = setup(prisma, "2026-03-01T10:00:00Z");
    const customerId = await newCustomer(prisma);
    const orderId = await newOrder(prisma, customerId, "123.99", new Date("2026-03-01T09:00:00Z"));

    const first = await loyalty.earnForOrder(orderId);
    expect(first.status).toBe("earned");
    if (first.status !== "earned") return;
    expect(first.entry.points).toBe(123);
    expect(first.entry.kind).toBe("earn");
    expect(first.entry.idempotencyKey).toBe(`order:${orderId}`);
    expect(first.entry.orderId).toBe(orderId);
    // Earned when the order was placed, not when it was booked (issue 13), and lapsing from then.
    expect(first.entry.createdAt.toISOString()).toBe("2026-03-01T09:00:00.000Z");
    expect(first.entry.expiresAt?.toISOString()).toBe("2027-03-01T09:00:00.000Z");
    expect(first.balance).toBe(123);

    const again = await loyalty.earnForOrder(orderId);
    expect(again).toEqual({ status: "already_earned", entry: first.entry });
    const racing = await Promise.all(Array.from({ length: 4 }, () => loyalty.earnForOrder(orderId)));
    expect(racing.map((r) => r.status)).toEqual(["already_earned", "already_earned", "already_earned", "already_earned"]);
    expect(await loyalty.balance(customerId)).toBe(123);

    // Orders racing for the first time still book once each.
    const second = await newOrder(prisma, customerId, "10.00", new Date("2026-03-01T09:30:00Z"));
    const raced = await Promise.all(Array.from({ length: 4 }, () => loyalty.earnForOrder(second)));
    expect(raced.filter((r) => r.status === "earned")).toHaveLength(1);
    expect(await loyalty.balance(customerId)).toBe(133);

    await expect(loyalty.earnForOrder("00000000-0000-0000-0000-000000000000")).rejects.toMatchObject({ code: "LOYALTY_UNKNOWN_ORDER" });
  });

  it("uses the configured rate and books nothing for an order worth less than a point", async () => {
    const prisma = db().prisma;
    const { loyalty } = setup(prisma, "2026-03-01T10:00:00Z", { pointsPerUnit: 0.1, expireMonths: 0 });
    const customerId = await newCustomer(prisma);
    const big = await loyalty.earnForOrder(await newOrder(prisma, customerId, "259.90", new Date("2026-03-01T00:00:00Z")));
    expect(big.status === "earned" && big.entry.points).toBe(25);
    // expireMonths 0: points never lapse.
    expect(big.status === "earned" && big.entry.expiresAt).toBeNull();
    const small = await loyalty.earnForOrder(await newOrder(prisma, customerId, "9.99", new Date("2026-03-01T00:00:00Z")));
    expect(small).toEqual({ status: "no_points" });
    expect(loyalty.pointsForAmount("0.30")).toBe(0);
    expect(await loyalty.balance(customerId)).toBe(25);
  });

  it("awards bonuses once per idempotency key and refuses a key used for someone else", async () => {
    const prisma = db().prisma;
    const { loyalty } = setup(prisma, "2026-04-01T00:00:00Z");
    const customerId = await newCustomer(prisma);
    const key = `survey:${customerId}:1`;
    const bonus = await loyalty.awardBonus({ customerId, points: 50, reason: "survey_completed", idempotencyKey: key });
    expect(bonus.status).toBe("awarded");
    expect(bonus.entry.kind).toBe("bonus");
    expect(bonus.entry.expiresAt?.toISOString()).toBe("2027-04-01T00:00:00.000Z");
    const again = await loyalty.awardBonus({ customerId, points: 50, reason: "survey_completed", idempotencyKey: key });
    expect(again.status).toBe("already_awarded");
    expect(again.entry.id).toBe(bonus.entry.id);
    await loyalty.awardBonus({ customerId, points: 20, reason: "birthday", idempotencyKey: `birthday:${customerId}:2026` });
    expect(await loyalty.balance(customerId)).toBe(70);

    const other = await newCustomer(prisma);
    expect((await rejection(loyalty.awardBonus({ customerId: other, points: 50, reason: "x", idempotencyKey: key }))).code).toBe("LOYALTY_KEY_CONFLICT");
    expect((await rejection(loyalty.awardBonus({ customerId, points: 0, reason: "x", idempotencyKey: "k0" }))).code).toBe("LOYALTY_INVALID_POINTS");
    expect((await rejection(loyalty.awardBonus({ customerId: "00000000-0000-0000-0000-000000000000", points: 5, reason: "x", idempotencyKey: "k-missing" }))).code).toBe(
      "LOYALTY_UNKNOWN_CUSTOMER",
    );
  });

  it("adjusts both ways with a reason and never below zero", async () => {
    const prisma = db().prisma;
    const { loyalty } = setup(prisma, "2026-04-01T00:00:00Z");
    const customerId = await newCustomer(prisma);
    const up = await loyalty.adjust({ customerId, points: 40, reason: "goodwill after late delivery" });
    expect(up.status === "adjusted" && up.balance).toBe(40);
    expect(up.entry.expiresAt).toBeNull();
    const down = await loyalty.adjust({ customerId, points: -15, reason: "duplicate order reversed", idempotencyKey: `adj:${customerId}` });
    expect(down.status === "adjusted" && down.balance).toBe(25);
    const replay = await loyalty.adjust({ customerId, points: -15, reason: "duplicate order reversed", idempotencyKey: `adj:${customerId}` });
    expect(replay.status).toBe("already_adjusted");
    expect((await rejection(loyalty.adjust({ customerId, points: -26, reason: "too much" }))).code).toBe("LOYALTY_OVERDRAWN");
    expect((await rejection(loyalty.adjust({ customerId, points: 5, reason: "  " }))).code).toBe("LOYALTY_INVALID_INPUT");
    expect(await loyalty.balance(customerId)).toBe(25);
    const kinds = (await prisma.loyaltyLedgerEntry.findMany({ where: { customerId }, orderBy: { createdAt: "asc" } })).map((e) => [e.kind, e.points, e.reason]);
    expect(kinds).toEqual([
      ["adjust", 40, "goodwill after late delivery"],
      ["adjust", -15, "duplicate order reversed"],
    ]);
  });
});

describeEachDatabase("loyalty expiry", (db) => {
  it("expires lapsed points oldest-first, never more than is left, and only once", async () => {
    const prisma = db().prisma;
    const { clock, loyalty } = setup(prisma, "2026-01-10T12:00:00Z");
    await loyalty.createReward({ code: "exp-30", name: "Thirty", cost: 30 });
    const customerId = await newCustomer(prisma);
    await loyalty.earnForOrder(await newOrder(prisma, customerId, "100", clock.now()));
    clock.set("2026-03-01T12:00:00Z");
    expect((await loyalty.redeem(customerId, "exp-30", "exp-r1")).status).toBe("ok");
    clock.set("2026-06-01T12:00:00Z");
    await loyalty.earnForOrder(await newOrder(prisma, customerId, "50", clock.now()));

    clock.set("2026-12-20T12:00:00Z");
    const soon = await loyalty.summary(customerId);
    expect(soon.balance).toBe(120);
    // The redemption used 30 of the oldest 100, so 70 lapse on 10 January.
    expect(soon.expiringSoon).toEqual({ points: 70, earliestAt: new Date("2027-01-10T12:00:00Z"), withinDays: 30 });

    const lapseAt = new Date("2027-01-10T12:00:00Z");
    expect(await loyalty.expirePoints(new Date("2027-01-10T11:59:59Z"))).toEqual({ customers: 0, points: 0 });
    const run = await loyalty.expirePoints(lapseAt);
    expect(run.points).toBe(70);
    expect(run.customers).toBeGreaterThanOrEqual(1);
    const rerun = await loyalty.expirePoints(lapseAt);
    expect(rerun).toEqual({ customers: 0, points: 0 });
    clock.set(lapseAt);
    expect(await loyalty.balance(customerId)).toBe(50);
    const expires = await prisma.loyaltyLedgerEntry.findMany({ where: { customerId, kind: "expire" } });
    expect(expires.map((e) => e.points)).toEqual([-70]);

    // Later the second lot lapses in full; the earlier expiry does not eat into it.
    const later = new Date("2027-06-01T12:00:00Z");
    await loyalty.expirePoints(later);
    await loyalty.expirePoints(later);
    clock.set(later);
    expect(await loyalty.balance(customerId)).toBe(0);
    expect((await prisma.loyaltyLedgerEntry.findMany({ where: { customerId, kind: "expire" }, orderBy: { createdAt: "asc" } })).map((e) => e.points)).toEqual([-70, -50]);
  });

  it("does not expire points that were spent, nor points that never lapse", async () => {
    const prisma = db().prisma;
    const { clock, loyalty } = setup(prisma, "2026-01-01T00:00:00Z");
    await loyalty.createReward({ code: "exp-100", name: "Hundred", cost: 100 });
    const customerId = await newCustomer(prisma);
    await loyalty.adjust({ customerId, points: 20, reason: "welcome" });
    await loyalty.awardBonus({ customerId, points: 100, reason: "birthday", idempotencyKey: `bday:${customerId}` });
    // The adjustment is older, so the redemption takes it first: 20 from it, 80 from the bonus.
    expect((await loyalty.redeem(customerId, "exp-100", `r:${customerId}`)).status).toBe("ok");
    clock.set("2027-02-01T00:00:00Z");
    await loyalty.expirePoints(clock.now());
    expect(await loyalty.balance(customerId)).toBe(0);
    const expire = await prisma.loyaltyLedgerEntry.findFirst({ where: { customerId, kind: "expire" } });
    expect(expire?.points).toBe(-20);
  });

  it("does not let lapsed points be spent before the job has run", async () => {
    const prisma = db().prisma;
    const { clock, loyalty } = setup(prisma, "2026-01-01T00:00:00Z");
    await loyalty.createReward({ code: "exp-80", name: "Eighty", cost: 80 });
    const customerId = await newCustomer(prisma);
    await loyalty.awardBonus({ customerId, points: 100, reason: "welcome", idempotencyKey: `w:${customerId}` });
    clock.set("2026-12-01T00:00:00Z");
    await loyalty.awardBonus({ customerId, points: 60, reason: "survey", idempotencyKey: `s:${customerId}` });
    clock.set("2027-01-02T00:00:00Z");
    expect(await loyalty.balance(customerId)).toBe(60);
    const result = await loyalty.redeem(customerId, "exp-80", `r:${customerId}`);
    expect(result).toMatchObject({ status: "insufficient", balance: 60, cost: 80, missing: 20 });
    // The redemption attempt booked the lapse itself; the job finds nothing left.
    expect(await loyalty.expirePoints(clock.now())).toEqual({ customers: 0, points: 0 });
    expect(await prisma.loyaltyLedgerEntry.count({ where: { customerId, kind: "expire" } })).toBe(1);
  });
});

describeEachDatabase("loyalty tiers", (db) => {
  it("moves up on points earned, announces each change once and records it on the timeline", async () => {
    const prisma = db().prisma;
    const { clock, loyalty, tierChanges } = setup(prisma, "2026-02-01T00:00:00Z", { tiers: parseTiers("Bronze:0,Silver:100,Gold:300") });
    const customerId = await newCustomer(prisma);
    await prisma.channelIdentity.create({ data: { customerId, platform: "telegram", platformUserId: `tg-tier-${customerId}`, address: "tg:x" } });

    await loyalty.earnForOrder(await newOrder(prisma, customerId, "60", clock.now()));
    expect(tierChanges).toEqual([]);
    // Several bookings racing across the threshold: one change.
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => loyalty.awardBonus({ customerId, points: 20, reason: "race", idempotencyKey: `race:${customerId}:${i}` })),
    );
    expect(tierChanges).toEqual([{ customerId, from: "Bronze", to: "Silver", at: clock.now() }]);
    await loyalty.awardBonus({ customerId, points: 10, reason: "more", idempotencyKey: `more:${customerId}` });
    expect(tierChanges).toHaveLength(1);
    // Adjustments and redemptions do not count as points earned.
    await loyalty.adjust({ customerId, points: 500, reason: "migration from the old scheme" });
    expect(tierChanges).toHaveLength(1);
    await loyalty.earnForOrder(await newOrder(prisma, customerId, "200", clock.now()));
    expect(tierChanges.map((c) => [c.from, c.to])).toEqual([
      ["Bronze", "Silver"],
      ["Silver", "Gold"],
    ]);
    expect(await loyalty.currentTier(customerId)).toBe("Gold");

    const timeline = await prisma.interaction.findMany({ where: { customerId, kind: "system" }, orderBy: { occurredAt: "asc" } });
    expect(timeline.map((i) => i.metadata)).toEqual([
      { event: "tier_changed", from: "Bronze", to: "Silver" },
      { event: "tier_changed", from: "Silver", to: "Gold" },
    ]);
    expect(timeline.every((i) => i.platform === "telegram")).toBe(true);

    // A year on, the window has moved past those points: the next look announces the drop.
    clock.set("2027-02-02T00:00:00Z");
    await loyalty.refreshTier(customerId);
    await loyalty.refreshTier(customerId);
    expect(tierChanges.map((c) => c.to)).toEqual(["Silver", "Gold", "Bronze"]);
    expect(tierChanges[2]?.from).toBe("Gold");
  });

  it("can base tiers on spend over the window", async () => {
    const prisma = db().prisma;
    const { clock, loyalty, tierChanges } = setup(prisma, "2026-05-01T00:00:00Z", {
      tierBasis: "spend",
      pointsPerUnit: 0.01,
      tiers: parseTiers("Member:0,Silver:500,Gold:2000.50"),
    });
    const customerId = await newCustomer(prisma);
    // An old order outside the window does not count.
    await newOrder(prisma, customerId, "5000.00", new Date("2025-01-01T00:00:00Z"));
    // Worth no points, but spend moves the tier all the same.
    const small = await loyalty.earnForOrder(await newOrder(prisma, customerId, "99.50", clock.now()));
    expect(small.status).toBe("no_points");
    let summary = await loyalty.summary(customerId);
    expect(summary.tier).toBe("Member");
    expect(summary.tierProgress).toBe(99.5);
    expect(summary.nextTier).toEqual({ name: "Silver", threshold: 500, missing: 400.5 });
    await loyalty.earnForOrder(await newOrder(prisma, customerId, "400.50", clock.now()));
    expect(tierChanges.map((c) => [c.from, c.to])).toEqual([["Member", "Silver"]]);
    summary = await loyalty.summary(customerId);
    expect(summary).toMatchObject({ tier: "Silver", tierBasis: "spend", tierProgress: 500, balance: 4, nextTier: { name: "Gold", missing: 1500.5 } });
  });
});

describeEachDatabase("loyalty summary and redemption", (db) => {
  it("summarises balance, tier, what the next tier needs and what lapses soon", async () => {
    const prisma = db().prisma;
    const { clock, loyalty } = setup(prisma, "2026-01-15T00:00:00Z");
    const customerId = await newCustomer(prisma);
    const empty = await loyalty.summary(customerId);
    expect(empty).toEqual({
      customerId,
      balance: 0,
      tier: "Bronze",
      tierBasis: "points",
      tierProgress: 0,
      nextTier: { name: "Silver", threshold: 500, missing: 500 },
      expiringSoon: { points: 0, earliestAt: null, withinDays: 30 },
    });
    await loyalty.earnForOrder(await newOrder(prisma, customerId, "300", clock.now()));
    clock.set("2026-02-01T00:00:00Z");
    await loyalty.awardBonus({ customerId, points: 250, reason: "survey", idempotencyKey: `sum:${customerId}` });
    await loyalty.adjust({ customerId, points: 40, reason: "goodwill" });
    clock.set("2026-12-25T00:00:00Z");
    const summary = await loyalty.summary(customerId);
    expect(summary).toEqual({
      customerId,
      balance: 590,
      tier: "Silver",
      tierBasis: "points",
      tierProgress: 550,
      nextTier: { name: "Gold", threshold: 2000, missing: 1450 },
      // Only the order's points lapse within 30 days; the bonus lapses on 1 February.
      expiringSoon: { points: 300, earliestAt: new Date("2027-01-15T00:00:00Z"), withinDays: 30 },
    });
    await expect(loyalty.summary("00000000-0000-0000-0000-000000000000")).rejects.toMatchObject({ code: "LOYALTY_UNKNOWN_CUSTOMER" });
  });

  it("redeems, refuses what the balance cannot pay for, and answers a repeated key with the original", async () => {
    const prisma = db().prisma;
    const { clock, loyalty } = setup(prisma, "2026-03-01T00:00:00Z");
    await loyalty.createReward({ code: "red-coffee", name: "Coffee", nameZh: "咖啡", cost: 100 });
    await loyalty.createReward({ code: "red-gone", name: "Old mug", cost: 10, active: false });
    const customerId = await newCustomer(prisma);
    await loyalty.adjust({ customerId, points: 150, reason: "start" });

    const ok = await loyalty.redeem(customerId, "red-coffee", "key-1");
    expect(ok.status).toBe("ok");
    if (ok.status !== "ok") return;
    expect(ok.balance).toBe(50);
    expect(ok.entry).toMatchObject({ kind: "redeem", points: -100, rewardId: ok.reward.id, idempotencyKey: "key-1" });

    clock.advance(60_000);
    await loyalty.adjust({ customerId, points: 10, reason: "later" });
    const replay = await loyalty.redeem(customerId, "red-coffee", "key-1");
    expect(replay).toEqual({ status: "already_done", entry: ok.entry, reward: ok.reward, balance: 50 });

    expect(await loyalty.redeem(customerId, "red-coffee", "key-2")).toMatchObject({ status: "insufficient", balance: 60, cost: 100, missing: 40 });
    expect(await loyalty.redeem(customerId, "no-such", "key-3")).toEqual({ status: "unknown_reward", rewardCode: "no-such" });
    expect(await loyalty.redeem(customerId, "red-gone", "key-4")).toMatchObject({ status: "inactive_reward", reward: { code: "red-gone" } });
    // A refused attempt books nothing, so its key may be used again later.
    await loyalty.adjust({ customerId, points: 40, reason: "top up" });
    expect((await loyalty.redeem(customerId, "red-coffee", "key-2")).status).toBe("ok");
    expect(await loyalty.balance(customerId)).toBe(0);

    const other = await newCustomer(prisma);
    expect((await rejection(loyalty.redeem(other, "red-coffee", "key-1"))).code).toBe("LOYALTY_KEY_CONFLICT");
  });

  it("never overdraws under concurrent redemptions", async () => {
    const prisma = db().prisma;
    const { loyalty } = setup(prisma, "2026-03-01T00:00:00Z");
    await loyalty.createReward({ code: "race-100", name: "Race", cost: 100 });
    const customerId = await newCustomer(prisma);
    await loyalty.adjust({ customerId, points: 350, reason: "start" });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => loyalty.redeem(customerId, "race-100", `race-${customerId}-${i}`)));
    expect(results.filter((r) => r.status === "ok")).toHaveLength(3);
    expect(results.filter((r) => r.status === "insufficient")).toHaveLength(7);
    expect(await loyalty.balance(customerId)).toBe(50);
    expect(await prisma.loyaltyLedgerEntry.count({ where: { customerId, kind: "redeem" } })).toBe(3);
    // The balances reported walk down one redemption at a time.
    expect(results.flatMap((r) => (r.status === "ok" ? [r.balance] : [])).sort((a, b) => b - a)).toEqual([250, 150, 50]);
  });

  it("redeems once when the same key arrives several times at once", async () => {
    const prisma = db().prisma;
    const { loyalty } = setup(prisma, "2026-03-01T00:00:00Z");
    await loyalty.createReward({ code: "race-dup", name: "Dup", cost: 100 });
    const customerId = await newCustomer(prisma);
    await loyalty.adjust({ customerId, points: 500, reason: "start" });
    const results = await Promise.all(Array.from({ length: 6 }, () => loyalty.redeem(customerId, "race-dup", `dup-${customerId}`)));
    expect(results.filter((r) => r.status === "ok")).toHaveLength(1);
    expect(results.filter((r) => r.status === "already_done")).toHaveLength(5);
    expect(results.every((r) => r.status !== "insufficient" && "balance" in r && r.balance === 400)).toBe(true);
    expect(await loyalty.balance(customerId)).toBe(400);
  });
});
