import { type LoyaltyEntryKind, type LoyaltyLedgerEntry, type Order, Prisma, type PrismaClient } from "../generated/client.ts";
import { plainSql } from "../plain-sql.ts";
import type { NewOrder } from "./order-repository.ts";
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

/** An order to record, with its points when it earns any (`earn` null: it earns nothing). */
export interface NewOrderWithPoints extends NewOrder {
  earn: { points: number; createdAt: Date; expiresAt: Date | null } | null;
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

/** Where a customer stands for tiers: see `LoyaltyLedger.tierStates`. */
export interface TierState {
  progress: number;
  last: TierChangeRecord | null;
}

/** A recorded order that should have an earn entry and has none (see `ordersWithoutEarnEntry`). */
export interface UnbookedOrder {
  id: string;
  customerId: string;
  /** Decimal text, e.g. "12.50". */
  amount: string;
  placedAt: Date;
}

/** A ledger entry as `entriesOf` reads it for replaying. */
export interface LedgerReplayRow {
  id: string;
  customerId: string;
  kind: LoyaltyEntryKind;
  points: number;
  createdAt: Date;
  expiresAt: Date | null;
  idempotencyKey: string | null;
}

/** Points that lapsed on `createdAt`, booked as an expiry entry (see `LoyaltyLedger.appendLapses`). */
export interface NewLapseEntry {
  customerId: string;
  /** Positive: how many points lapsed. */
  points: number;
  createdAt: Date;
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

  async customerExists(customerId: string): Promise<boolean> {
    if (!uuidPattern.test(customerId)) return false;
    return (await this.db.customer.count({ where: { id: customerId } })) > 0;
  }

  /**
   * Oldest first. Through the driver when not in a transaction (src/db/plain-sql.ts): the chat's
   * points and rewards answers read it for every such message.
   */
  entries(customerId: string): Promise<LoyaltyLedgerEntry[]> {
    return plainSql(this.db).query<LoyaltyLedgerEntry>(Prisma.sql`
      SELECT "id", "customerId", "kind"::text AS "kind", "points", "reason", "orderId", "rewardId", "idempotencyKey", "expiresAt", "createdAt"
      FROM "LoyaltyLedgerEntry" WHERE "customerId" = ${customerId}::uuid
      ORDER BY "createdAt", "id"`);
  }

  /**
   * The same entries as `entries`, as one JSON array for a larger statement to carry (the inbound
   * read brings them along for a points or rewards question: one round trip instead of two);
   * `entriesFromJson` reads it back. `customerId` is an SQL expression.
   */
  static entriesJson(customerId: Prisma.Sql): Prisma.Sql {
    return Prisma.sql`(SELECT COALESCE(json_agg(json_build_object('id', l."id", 'customerId', l."customerId", 'kind', l."kind", 'points', l."points", 'reason', l."reason",
        'orderId', l."orderId", 'rewardId', l."rewardId", 'idempotencyKey', l."idempotencyKey", 'expiresAt', l."expiresAt", 'createdAt', l."createdAt") ORDER BY l."createdAt", l."id"), '[]'::json)
      FROM "LoyaltyLedgerEntry" l WHERE l."customerId" = ${customerId})`;
  }

  /** `entriesJson`'s array as `entries` returns it: its timestamps (UTC, as stored) as Dates. */
  static entriesFromJson(json: unknown): LoyaltyLedgerEntry[] {
    return (json as (Omit<LoyaltyLedgerEntry, "expiresAt" | "createdAt"> & { expiresAt: string | null; createdAt: string })[]).map((entry) => ({
      ...entry,
      expiresAt: entry.expiresAt === null ? null : new Date(`${entry.expiresAt}Z`),
      createdAt: new Date(`${entry.createdAt}Z`),
    }));
  }

  /** Several customers' entries, oldest first, with what replaying them needs. Plain SQL: imports ask this for every batch. */
  entriesOf(customerIds: readonly string[]): Promise<LedgerReplayRow[]> {
    if (!customerIds.length) return Promise.resolve([]);
    return this.db.$queryRaw<LedgerReplayRow[]>`
      SELECT "id"::text AS "id", "customerId"::text AS "customerId", "kind"::text AS "kind", "points", "createdAt", "expiresAt", "idempotencyKey"
      FROM "LoyaltyLedgerEntry" WHERE "customerId" = ANY(${[...customerIds]}::uuid[])
      ORDER BY "createdAt", "id"`;
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

  /**
   * Records the orders whose external id is still free and books the earn entries of exactly
   * those, in one statement, and returns the ids of the orders it recorded. Orders whose id is
   * taken (recorded before, or meanwhile by a concurrent request) are skipped, never overwritten.
   * External ids must be distinct. Inside the customers' lock, so the entries' times rise.
   */
  async recordOrdersWithEarnEntries(orders: readonly NewOrderWithPoints[]): Promise<{ id: string; externalId: string }[]> {
    if (!orders.length) return [];
    const column = <T>(pick: (order: NewOrderWithPoints) => T) => orders.map(pick);
    return this.db.$queryRaw<{ id: string; externalId: string }[]>`
      WITH t AS (
        SELECT * FROM unnest(
          ${column((o) => o.customerId)}::uuid[],
          ${column((o) => o.externalId)}::text[],
          ${column((o) => o.amount)}::numeric[],
          ${column((o) => o.currency)}::text[],
          ${column((o) => o.placedAt.toISOString())}::timestamp(3)[],
          ${column((o) => o.createdAt.toISOString())}::timestamp(3)[],
          ${column((o) => o.earn?.points ?? 0)}::int[],
          ${column((o) => o.earn?.createdAt.toISOString() ?? null)}::timestamp(3)[],
          ${column((o) => o.earn?.expiresAt?.toISOString() ?? null)}::timestamp(3)[]
        ) AS t("customerId", "externalId", "amount", "currency", "placedAt", "createdAt", "points", "earnedAt", "expiresAt")
      ), recorded AS (
        INSERT INTO "Order" ("id", "customerId", "externalId", "amount", "currency", "placedAt", "createdAt")
        SELECT gen_random_uuid(), t."customerId", t."externalId", t."amount", t."currency", t."placedAt", t."createdAt" FROM t
        ON CONFLICT ("externalId") DO NOTHING
        RETURNING "id", "customerId", "externalId"
      ), earned AS (
        INSERT INTO "LoyaltyLedgerEntry" ("id", "customerId", "kind", "points", "orderId", "idempotencyKey", "expiresAt", "createdAt")
        SELECT gen_random_uuid(), r."customerId", 'earn', t."points", r."id", 'order:' || r."id"::text, t."expiresAt", t."earnedAt"
        FROM recorded r JOIN t ON t."externalId" = r."externalId"
        WHERE t."points" > 0
      )
      SELECT "id"::text AS "id", "externalId" FROM recorded`;
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

  /** Books expiry entries for points that lapsed in the past, in one statement. */
  async appendLapses(lapses: readonly NewLapseEntry[]): Promise<void> {
    if (!lapses.length) return;
    await this.db.$executeRaw`
      INSERT INTO "LoyaltyLedgerEntry" ("id", "customerId", "kind", "points", "reason", "createdAt")
      SELECT gen_random_uuid(), t."customerId", 'expire', -t."points", 'points lapsed', t."createdAt"
      FROM unnest(
        ${lapses.map((l) => l.customerId)}::uuid[],
        ${lapses.map((l) => l.points)}::int[],
        ${lapses.map((l) => l.createdAt.toISOString())}::timestamp(3)[]
      ) AS t("customerId", "points", "createdAt")`;
  }

  /**
   * Of these orders, those without the earn entry booked under their key (`order:<id>`): orders
   * recorded before orders and points were written together, whose booking was lost. Those
   * earning nothing are listed too; the caller skips them.
   */
  async ordersWithoutEarnEntry(orderIds: readonly string[]): Promise<UnbookedOrder[]> {
    if (!orderIds.length) return [];
    return this.db.$queryRaw<UnbookedOrder[]>`
      SELECT o."id"::text AS "id", o."customerId"::text AS "customerId", o."amount"::text AS "amount", o."placedAt" FROM "Order" o
      WHERE o."id" = ANY(${[...orderIds]}::uuid[])
        AND NOT EXISTS (SELECT 1 FROM "LoyaltyLedgerEntry" l WHERE l."idempotencyKey" = 'order:' || o."id"::text)`;
  }

  /**
   * For each customer, in one statement: what tiers are measured by (points earned from orders and
   * bonuses since `since`, an order's dated by the order, or the amount of orders placed since then) and their last tier
   * change on the timeline, which says which tier they were last told about (null when never).
   */
  async tierStates(customerIds: readonly string[], basis: "points" | "spend", since: Date): Promise<Map<string, TierState>> {
    if (!customerIds.length) return new Map();
    const at = since.toISOString();
    const rows = await this.db.$queryRaw<{ customerId: string; progress: string | null; from: string | null; to: string | null; occurredAt: Date | null }[]>`
      SELECT c."id"::text AS "customerId",
        CASE WHEN ${basis}::text = 'points'
          THEN (SELECT sum(l."points") FROM "LoyaltyLedgerEntry" l
                WHERE l."customerId" = c."id" AND l."kind" IN ('earn', 'bonus') AND l."points" > 0 AND l."createdAt" >= ${at}::timestamp(3))
          ELSE (SELECT sum(o."amount") FROM "Order" o WHERE o."customerId" = c."id" AND o."placedAt" >= ${at}::timestamp(3))
        END::text AS "progress",
        t."from", t."to", t."occurredAt"
      FROM unnest(${[...customerIds]}::uuid[]) AS c("id")
      LEFT JOIN LATERAL (
        SELECT i."metadata"->>'from' AS "from", i."metadata"->>'to' AS "to", i."occurredAt" FROM "Interaction" i
        WHERE i."customerId" = c."id" AND i."kind" = 'system' AND i."metadata"->>'event' = 'tier_changed'
        ORDER BY i."occurredAt" DESC, i."id" DESC LIMIT 1
      ) t ON true`;
    return new Map(
      rows.map((row) => [
        row.customerId,
        { progress: Number(row.progress ?? 0), last: row.to !== null && row.occurredAt ? { from: row.from, to: row.to, occurredAt: row.occurredAt } : null },
      ]),
    );
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

  /** Points earned (orders and bonuses, not adjustments) at or after `since`: an order's on the day it was placed. */
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
   * lock here does, so two such transactions cannot deadlock). `work` gets the customers that
   * exist, each with the time of their newest ledger entry (null when they have none).
   */
  async withCustomersLock<T>(customerIds: readonly string[], work: (ledger: LoyaltyLedger, locked: Map<string, Date | null>) => Promise<T>): Promise<T> {
    const ids = [...new Set(customerIds)].filter((id) => uuidPattern.test(id)).sort();
    return this.prisma.$transaction(async (tx) => {
      const locked = ids.length
        ? await tx.$queryRaw<{ id: string; latest: Date | null }[]>`
            SELECT c."id"::text AS "id", (SELECT max(l."createdAt") FROM "LoyaltyLedgerEntry" l WHERE l."customerId" = c."id") AS "latest"
            FROM "Customer" c WHERE c."id" = ANY(${ids}::uuid[]) ORDER BY c."id" FOR UPDATE`
        : [];
      return work(new LoyaltyLedger(tx), new Map(locked.map((row) => [row.id, row.latest])));
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
