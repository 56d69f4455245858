import type { LoyaltyEntryKind, LoyaltyLedgerEntry, Order, Platform, Prisma, PrismaClient } from "../generated/client.ts";
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

  /** The last tier change on the customer's timeline; it says which tier they were last told about. */
  async lastTierChange(customerId: string): Promise<TierChangeRecord | null> {
    const found = await this.db.interaction.findFirst({
      where: { customerId, kind: "system", metadata: { path: ["event"], equals: "tier_changed" } },
      orderBy: [{ occurredAt: "desc" }, { id: "desc" }],
      select: { metadata: true, occurredAt: true },
    });
    const metadata = found?.metadata as { from?: unknown; to?: unknown } | null | undefined;
    if (!found || typeof metadata?.to !== "string") return null;
    return { from: typeof metadata.from === "string" ? metadata.from : null, to: metadata.to, occurredAt: found.occurredAt };
  }

  /** Puts the change on the timeline, on the channel the customer used last (web when none). */
  async recordTierChange(customerId: string, change: TierChangeRecord): Promise<void> {
    const identity = await this.db.channelIdentity.findFirst({
      where: { customerId },
      orderBy: { lastSeenAt: "desc" },
      select: { platform: true },
    });
    const platform: Platform = identity?.platform ?? "web";
    await this.db.interaction.create({
      data: {
        customerId,
        platform,
        direction: "out",
        kind: "system",
        metadata: { event: "tier_changed", from: change.from, to: change.to },
        occurredAt: change.occurredAt,
      },
    });
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
