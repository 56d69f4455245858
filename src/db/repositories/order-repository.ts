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
    // One statement, not the client's include: imports ask this for every batch.
    return this.prisma.$queryRaw<StoredOrder[]>`
      SELECT o."id"::text AS "id", o."externalId", o."customerId"::text AS "customerId", c."externalId" AS "customerExternalId",
             o."amount"::text AS "amount", o."currency", o."placedAt"
      FROM "Order" o JOIN "Customer" c ON c."id" = o."customerId"
      WHERE o."externalId" = ANY(${[...new Set(externalIds)]}::text[])`;
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
    const known = await this.prisma.$queryRaw<{ id: string; externalId: string }[]>`
      SELECT "id"::text AS "id", "externalId" FROM "Customer" WHERE "externalId" = ANY(${wanted}::text[])`;
    for (const row of known) result.set(row.externalId, { id: row.id, created: false });
    const missing = wanted.filter((id) => !result.has(id));
    if (!missing.length) return result;
    const at = now.toISOString();
    const made = await this.prisma.$queryRaw<{ id: string; externalId: string }[]>`
      INSERT INTO "Customer" ("id", "externalId", "createdAt", "updatedAt")
      SELECT gen_random_uuid(), t."externalId", ${at}::timestamp(3), ${at}::timestamp(3) FROM unnest(${missing}::text[]) AS t("externalId")
      ON CONFLICT ("externalId") DO NOTHING
      RETURNING "id"::text AS "id", "externalId"`;
    for (const row of made) result.set(row.externalId, { id: row.id, created: true });
    const raced = missing.filter((id) => !result.has(id));
    if (raced.length) {
      const others = await this.prisma.$queryRaw<{ id: string; externalId: string }[]>`
        SELECT "id"::text AS "id", "externalId" FROM "Customer" WHERE "externalId" = ANY(${raced}::text[])`;
      for (const row of others) result.set(row.externalId, { id: row.id, created: false });
    }
    return result;
  }
}
