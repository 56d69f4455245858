import { Prisma, type PrismaClient } from "../generated/client.ts";

export interface SearchHit {
  customerId: string;
  matchedBy: "customer_id" | "external_id" | "order_id" | "platform_user" | "name";
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `%` and `_` in what staff typed are letters, not wildcards. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Finds customers by what staff know about them. Exact keys first, each through its unique or
 * leading index (Tend's id, external id, an order's id, a platform user id); names by
 * case-insensitive substring over customers' and channel identities' display names, which is a
 * scan, bounded by `limit`.
 */
export class CustomerSearchRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async exact(query: string): Promise<SearchHit[]> {
    const hits: SearchHit[] = [];
    const handle = query.replace(/^<@([A-Z0-9]+)(\|[^>]*)?>$/i, "$1").replace(/^@/, "");
    const [byId, byExternal, byOrder, byPlatformUser] = await Promise.all([
      uuidPattern.test(query) ? this.prisma.customer.findUnique({ where: { id: query.toLowerCase() }, select: { id: true } }) : null,
      this.prisma.customer.findUnique({ where: { externalId: query }, select: { id: true } }),
      this.prisma.order.findUnique({ where: { externalId: query }, select: { customerId: true } }),
      this.prisma.channelIdentity.findMany({ where: { platformUserId: { in: [...new Set([query, handle])] } }, select: { customerId: true }, take: 20 }),
    ]);
    if (byId) hits.push({ customerId: byId.id, matchedBy: "customer_id" });
    if (byExternal) hits.push({ customerId: byExternal.id, matchedBy: "external_id" });
    if (byOrder) hits.push({ customerId: byOrder.customerId, matchedBy: "order_id" });
    for (const identity of byPlatformUser) hits.push({ customerId: identity.customerId, matchedBy: "platform_user" });
    return hits;
  }

  /** Customers whose name, or a channel's display name, contains `text` (case-insensitive); most recently created first. */
  async byName(text: string, limit: number): Promise<SearchHit[]> {
    const pattern = `%${likeLiteral(text.replace(/^@/, ""))}%`;
    // Two plain scans joined, not an EXISTS per customer: each table is read once.
    const rows = await this.prisma.$queryRaw<{ id: string }[]>(Prisma.sql`
      SELECT c.id FROM "Customer" c
       WHERE c.id IN (SELECT id FROM "Customer" WHERE "displayName" ILIKE ${pattern}
                      UNION SELECT "customerId" FROM "ChannelIdentity" WHERE "displayName" ILIKE ${pattern})
       ORDER BY c."createdAt" DESC, c.id
       LIMIT ${limit}`);
    return rows.map((row) => ({ customerId: row.id, matchedBy: "name" as const }));
  }

  /** Names and channels of the customers found, for the result list. */
  summaries(customerIds: readonly string[]) {
    return this.prisma.customer.findMany({
      where: { id: { in: [...customerIds] } },
      select: {
        id: true,
        displayName: true,
        externalId: true,
        erasedAt: true,
        identities: { select: { platform: true, platformUserId: true, displayName: true }, orderBy: { createdAt: "asc" } },
      },
    });
  }
}
