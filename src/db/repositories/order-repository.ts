import type { Order, Prisma, PrismaClient } from "../generated/client.ts";

export type { Order };

export interface NewOrder {
  externalId: string;
  customerId: string;
  /** Decimal text with two places, e.g. "12.50". */
  amount: string;
  currency: string;
  placedAt: Date;
  createdAt: Date;
}

/** An order as the ingest compares it: amounts as text, so "12.50" equals the stored 12.5. */
export interface StoredOrder {
  id: string;
  externalId: string;
  customerId: string;
  customerExternalId: string | null;
  amount: string;
  currency: string;
  placedAt: Date;
}

/** Works on the client or inside a transaction. */
type Db = PrismaClient | Prisma.TransactionClient;

export class OrderRepository {
  constructor(private readonly prisma: Db) {}

  findById(id: string): Promise<Order | null> {
    return this.prisma.order.findUnique({ where: { id } });
  }

  /** A customer's orders, newest first. */
  forCustomer(customerId: string, options: { limit?: number } = {}): Promise<Order[]> {
    return this.prisma.order.findMany({
      where: { customerId },
      orderBy: [{ placedAt: "desc" }, { id: "desc" }],
      take: options.limit ?? 100,
    });
  }

  async findByExternalIds(externalIds: readonly string[]): Promise<StoredOrder[]> {
    if (!externalIds.length) return [];
    const rows = await this.prisma.order.findMany({
      where: { externalId: { in: [...new Set(externalIds)] } },
      include: { customer: { select: { externalId: true } } },
    });
    return rows.map((row) => ({
      id: row.id,
      externalId: row.externalId,
      customerId: row.customerId,
      customerExternalId: row.customer.externalId,
      amount: row.amount.toFixed(2),
      currency: row.currency,
      placedAt: row.placedAt,
    }));
  }

  /**
   * The customer id for each external id, making a bare customer (external id only) for those not
   * yet known, so an order never waits for its customer's record. Safe against concurrent callers:
   * an insert that loses the race is skipped and the winner's row is read.
   */
  async ensureCustomers(externalIds: readonly string[], now: Date): Promise<Map<string, { id: string; created: boolean }>> {
    const wanted = [...new Set(externalIds)];
    const result = new Map<string, { id: string; created: boolean }>();
    if (!wanted.length) return result;
    const known = await this.prisma.customer.findMany({ where: { externalId: { in: wanted } }, select: { id: true, externalId: true } });
    for (const row of known) if (row.externalId) result.set(row.externalId, { id: row.id, created: false });
    const missing = wanted.filter((id) => !result.has(id));
    if (!missing.length) return result;
    const made = await this.prisma.customer.createManyAndReturn({
      data: missing.map((externalId) => ({ externalId, createdAt: now })),
      skipDuplicates: true,
      select: { id: true, externalId: true },
    });
    for (const row of made) if (row.externalId) result.set(row.externalId, { id: row.id, created: true });
    const raced = missing.filter((id) => !result.has(id));
    if (raced.length) {
      const others = await this.prisma.customer.findMany({ where: { externalId: { in: raced } }, select: { id: true, externalId: true } });
      for (const row of others) if (row.externalId) result.set(row.externalId, { id: row.id, created: false });
    }
    return result;
  }

  /**
   * Inserts the orders whose external id is still free, in one statement, and returns the ids of
   * those it inserted; the others (recorded meanwhile by a concurrent request) are skipped, never
   * overwritten. Inside a transaction, the caller books their points in the same one.
   */
  async insertNew(orders: readonly NewOrder[]): Promise<{ id: string; externalId: string }[]> {
    if (!orders.length) return [];
    const column = <T>(pick: (order: NewOrder) => T) => orders.map(pick);
    return this.prisma.$queryRaw<{ id: string; externalId: string }[]>`
      INSERT INTO "Order" ("id", "customerId", "externalId", "amount", "currency", "placedAt", "createdAt")
      SELECT gen_random_uuid(), t."customerId", t."externalId", t."amount", t."currency", t."placedAt", t."createdAt"
      FROM unnest(
        ${column((o) => o.customerId)}::uuid[],
        ${column((o) => o.externalId)}::text[],
        ${column((o) => o.amount)}::numeric[],
        ${column((o) => o.currency)}::text[],
        ${column((o) => o.placedAt.toISOString())}::timestamp(3)[],
        ${column((o) => o.createdAt.toISOString())}::timestamp(3)[]
      ) AS t("customerId", "externalId", "amount", "currency", "placedAt", "createdAt")
      ON CONFLICT ("externalId") DO NOTHING
      RETURNING "id"::text AS "id", "externalId"`;
  }
}
