import type { LoyaltyEntryKind, LoyaltyLedgerEntry, Order, Prisma, PrismaClient } from "../generated/client.ts";
import { OrderRepository } from "./order-repository.ts";
import { RewardRepository } from "./reward-repository.ts";

export type { LoyaltyLedgerEntry };

export interface NewLedgerEntry {
  customerId: string;
  kind: LoyaltyEntryKind;
  points: number;
  createdAt: Date;
  reason?: string | null | undefined;
  orderId?: string | null | undefined;
  rewardId?: string | null | undefined;
  idempotencyKey?: string | null | undefined;
  expiresAt?: Date | null | undefined;
}

export interface TierChangeRecord {
  from: string | null;
  to: string;
  occurredAt: Date;
}

/** An order's points, as booked together with the order. */
export interface NewEarnEntry {
  customerId: string;
  orderId: string;
  points: number;
  idempotencyKey: string;
  createdAt: Date;
  expiresAt: Date | null;
}

/** A recorded order that should have an earn entry and has none (see `ordersWithoutEarnEntry`). */
export interface UnbookedOrder {
  id: string;
  customerId: string;
  /** Decimal text, e.g. "12.50". */
  amount: string;
}

/** Works on the client or inside a transaction. */
type Db = PrismaClient | Prisma.TransactionClient;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Transactions here wait on a customer's row lock behind other bookings, so allow for a queue. */
const transactionOptions = { maxWait: 15_000, timeout: 30_000 } as const;

/** Reads and appends a customer's points ledger; on the client or inside a locked transaction. */
export class LoyaltyLedger {
  constructor(protected readonly db: Db) {}

  /** The catalogue, read through the same connection (inside a transaction, the same one). */
  get rewards(): RewardRepository {
    return new RewardRepository(this.db);
  }

  /** Orders, written through the same connection: an order and its points commit together. */
  get orders(): OrderRepository {
    return new OrderRepository(this.db);
  }

  async customerExists(customerId: string): Promise<boolean> {
    if (!uuidPattern.test(customerId)) return false;
    return (await this.db.customer.count({ where: { id: customerId } })) > 0;
  }

  /** Oldest first. */
  entries(customerId: string): Promise<LoyaltyLedgerEntry[]> {
    return this.db.loyaltyLedgerEntry.findMany({ where: { customerId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  }

  findByIdempotencyKey(idempotencyKey: string): Promise<LoyaltyLedgerEntry | null> {
    return this.db.loyaltyLedgerEntry.findUnique({ where: { idempotencyKey } });
  }

  async latestEntryAt(customerId: string): Promise<Date | null> {
    const latest = await this.db.loyaltyLedgerEntry.findFirst({
      where: { customerId },
      orderBy: { createdAt: "desc" },
      select: { createdAt: true },
    });
    return latest?.createdAt ?? null;
  }

  /** The sum of the entries booked up to and including `at`. */
  async sumUpTo(customerId: string, at: Date): Promise<number> {
    const { _sum } = await this.db.loyaltyLedgerEntry.aggregate({ where: { customerId, createdAt: { lte: at } }, _sum: { points: true } });
    return _sum.points ?? 0;
  }

  append(entry: NewLedgerEntry): Promise<LoyaltyLedgerEntry> {
    return this.db.loyaltyLedgerEntry.create({
      data: {
        customerId: entry.customerId,
        kind: entry.kind,
        points: entry.points,
        createdAt: entry.createdAt,
        reason: entry.reason ?? null,
        orderId: entry.orderId ?? null,
        rewardId: entry.rewardId ?? null,
        idempotencyKey: entry.idempotencyKey ?? null,
        expiresAt: entry.expiresAt ?? null,
      },
    });
  }

  /** Each customer's newest entry time; customers without entries are left out. */
  async latestEntriesAt(customerIds: readonly string[]): Promise<Map<string, Date>> {
    if (!customerIds.length) return new Map();
    const rows = await this.db.$queryRaw<{ customerId: string; at: Date }[]>`
      SELECT "customerId"::text AS "customerId", max("createdAt") AS "at" FROM "LoyaltyLedgerEntry"
      WHERE "customerId" = ANY(${[...customerIds]}::uuid[]) GROUP BY "customerId"`;
    return new Map(rows.map((row) => [row.customerId, row.at]));
  }

  /** Books many orders' points in one statement. */
  async appendEarnEntries(entries: readonly NewEarnEntry[]): Promise<void> {
    if (!entries.length) return;
    const column = <T>(pick: (entry: NewEarnEntry) => T) => entries.map(pick);
    await this.db.$executeRaw`
      INSERT INTO "LoyaltyLedgerEntry" ("id", "customerId", "kind", "points", "orderId", "idempotencyKey", "expiresAt", "createdAt")
      SELECT gen_random_uuid(), t."customerId", 'earn', t."points", t."orderId", t."idempotencyKey", t."expiresAt", t."createdAt"
      FROM unnest(
        ${column((e) => e.customerId)}::uuid[],
        ${column((e) => e.points)}::int[],
        ${column((e) => e.orderId)}::uuid[],
        ${column((e) => e.idempotencyKey)}::text[],
        ${column((e) => e.expiresAt?.toISOString() ?? null)}::timestamp(3)[],
        ${column((e) => e.createdAt.toISOString())}::timestamp(3)[]
      ) AS t("customerId", "points", "orderId", "idempotencyKey", "expiresAt", "createdAt")`;
  }

  /**
   * Of these orders, those without the earn entry booked under their key (`order:<id>`): orders
   * recorded before orders and points were written together, whose booking was lost. Those
   * earning nothing are listed too; the caller skips them.
   */
  async ordersWithoutEarnEntry(orderIds: readonly string[]): Promise<UnbookedOrder[]> {
    if (!orderIds.length) return [];
    return this.db.$queryRaw<UnbookedOrder[]>`
      SELECT o."id"::text AS "id", o."customerId"::text AS "customerId", o."amount"::text AS "amount" FROM "Order" o
      WHERE o."id" = ANY(${[...orderIds]}::uuid[])
        AND NOT EXISTS (SELECT 1 FROM "LoyaltyLedgerEntry" l WHERE l."idempotencyKey" = 'order:' || o."id"::text)`;
  }

  /** What tiers are measured by, for many customers at once (see `pointsEarnedSince`, `spendSince`). */
  async tierProgressOf(customerIds: readonly string[], basis: "points" | "spend", since: Date): Promise<Map<string, number>> {
    if (!customerIds.length) return new Map();
    const ids = [...customerIds];
    const rows =
      basis === "points"
        ? await this.db.$queryRaw<{ customerId: string; total: string }[]>`
            SELECT "customerId"::text AS "customerId", sum("points")::text AS "total" FROM "LoyaltyLedgerEntry"
            WHERE "customerId" = ANY(${ids}::uuid[]) AND "kind" IN ('earn', 'bonus') AND "points" > 0 AND "createdAt" >= ${since.toISOString()}::timestamp(3)
            GROUP BY "customerId"`
        : await this.db.$queryRaw<{ customerId: string; total: string }[]>`
            SELECT "customerId"::text AS "customerId", sum("amount")::text AS "total" FROM "Order"
            WHERE "customerId" = ANY(${ids}::uuid[]) AND "placedAt" >= ${since.toISOString()}::timestamp(3)
            GROUP BY "customerId"`;
    return new Map(rows.map((row) => [row.customerId, Number(row.total)]));
  }

  /**
   * Each customer's last tier change on their timeline: it says which tier they were last told
   * about. Customers never changed are left out.
   */
  async lastTierChanges(customerIds: readonly string[]): Promise<Map<string, TierChangeRecord>> {
    if (!customerIds.length) return new Map();
    const rows = await this.db.$queryRaw<{ customerId: string; from: string | null; to: string | null; occurredAt: Date }[]>`
      SELECT DISTINCT ON ("customerId") "customerId"::text AS "customerId", "metadata"->>'from' AS "from", "metadata"->>'to' AS "to", "occurredAt"
      FROM "Interaction"
      WHERE "customerId" = ANY(${[...customerIds]}::uuid[]) AND "kind" = 'system' AND "metadata"->>'event' = 'tier_changed'
      ORDER BY "customerId", "occurredAt" DESC, "id" DESC`;
    const changes = new Map<string, TierChangeRecord>();
    for (const row of rows) if (row.to !== null) changes.set(row.customerId, { from: row.from, to: row.to, occurredAt: row.occurredAt });
    return changes;
  }

  /** Puts each change on the customer's timeline, on the channel they used last (web when none). */
  async recordTierChanges(changes: readonly ({ customerId: string } & TierChangeRecord)[]): Promise<void> {
    if (!changes.length) return;
    await this.db.$executeRaw`
      INSERT INTO "Interaction" ("id", "customerId", "platform", "direction", "kind", "metadata", "occurredAt")
      SELECT gen_random_uuid(), t."customerId",
        COALESCE((SELECT ci."platform" FROM "ChannelIdentity" ci WHERE ci."customerId" = t."customerId" ORDER BY ci."lastSeenAt" DESC LIMIT 1), 'web'),
        'out', 'system', jsonb_build_object('event', 'tier_changed', 'from', t."from", 'to', t."to"), t."occurredAt"
      FROM unnest(
        ${changes.map((c) => c.customerId)}::uuid[],
        ${changes.map((c) => c.from)}::text[],
        ${changes.map((c) => c.to)}::text[],
        ${changes.map((c) => c.occurredAt.toISOString())}::timestamp(3)[]
      ) AS t("customerId", "from", "to", "occurredAt")`;
  }

  /** Points earned (orders and bonuses, not adjustments) booked at or after `since`. */
  async pointsEarnedSince(customerId: string, since: Date): Promise<number> {
    const { _sum } = await this.db.loyaltyLedgerEntry.aggregate({
      where: { customerId, kind: { in: ["earn", "bonus"] }, points: { gt: 0 }, createdAt: { gte: since } },
      _sum: { points: true },
    });
    return _sum.points ?? 0;
  }

  /** Order amounts placed at or after `since`, all currencies added as they are. */
  async spendSince(customerId: string, since: Date): Promise<Prisma.Decimal | null> {
    const { _sum } = await this.db.order.aggregate({ where: { customerId, placedAt: { gte: since } }, _sum: { amount: true } });
    return _sum.amount;
  }

  findOrder(orderId: string): Promise<Order | null> {
    if (!uuidPattern.test(orderId)) return Promise.resolve(null);
    return this.db.order.findUnique({ where: { id: orderId } });
  }
}

export class LoyaltyRepository extends LoyaltyLedger {
  constructor(private readonly prisma: PrismaClient) {
    super(prisma);
  }

  /**
   * Runs `work` in one transaction that holds the customer's row lock from the start, so two
   * bookings for one customer (two redemptions racing, the expiry job and a redemption) take
   * turns and each sees the other's entries. Null when there is no such customer.
   */
  async withCustomerLock<T>(customerId: string, work: (ledger: LoyaltyLedger) => Promise<T>): Promise<{ found: true; value: T } | { found: false }> {
    if (!uuidPattern.test(customerId)) return { found: false };
    return this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "Customer" WHERE id = ${customerId}::uuid FOR UPDATE`;
      if (locked.length === 0) return { found: false as const };
      return { found: true as const, value: await work(new LoyaltyLedger(tx)) };
    }, transactionOptions);
  }

  /**
   * `withCustomerLock` for several customers: locks them in id order (as every multi-customer
   * lock here does, so two such transactions cannot deadlock) and returns the ids that exist.
   */
  async withCustomersLock<T>(customerIds: readonly string[], work: (ledger: LoyaltyLedger, locked: Set<string>) => Promise<T>): Promise<T> {
    const ids = [...new Set(customerIds)].filter((id) => uuidPattern.test(id)).sort();
    return this.prisma.$transaction(async (tx) => {
      const locked = ids.length
        ? await tx.$queryRaw<{ id: string }[]>`SELECT "id"::text AS "id" FROM "Customer" WHERE "id" = ANY(${ids}::uuid[]) ORDER BY "id" FOR UPDATE`
        : [];
      return work(new LoyaltyLedger(tx), new Set(locked.map((row) => row.id)));
    }, transactionOptions);
  }

  /**
   * Customers who may hold lapsed points not yet expired: a positive entry lapsed by `now`, after
   * their last expiry entry (anything lapsed before that was settled by it), and a balance above 0.
   */
  async expiryCandidates(now: Date): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ customerId: string }[]>`
      SELECT l."customerId"::text AS "customerId"
      FROM "LoyaltyLedgerEntry" l
      WHERE l."expiresAt" <= ${now}::timestamp AND l.points > 0
        AND l."expiresAt" > COALESCE(
          (SELECT max(e."createdAt") FROM "LoyaltyLedgerEntry" e WHERE e."customerId" = l."customerId" AND e.kind = 'expire'),
          '-infinity'::timestamp)
        AND (SELECT sum(b.points) FROM "LoyaltyLedgerEntry" b WHERE b."customerId" = l."customerId") > 0
      GROUP BY l."customerId"
      ORDER BY l."customerId"`;
    return rows.map((row) => row.customerId);
  }
}
