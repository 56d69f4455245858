import { Prisma, type PrismaClient } from "../generated/client.ts";

export interface SearchHit {
  customerId: string;
  matchedBy: "customer_id" | "external_id" | "email" | "phone" | "order_id" | "platform_user" | "name";
}

interface NameRow {
  id: string;
  createdAt: Date;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `%` and `_` in what staff typed are letters, not wildcards. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Finds customers by what staff know about them. Exact keys first, each through its unique or
 * leading index (Tend's id, external id, email, phone, an order's id, a platform user id); names by
 * case-insensitive substring over customers' and channel identities' display names, answered by
 * the trigram (pg_trgm GIN) indexes of migration 20261202030800_customer_search.
 */
export class CustomerSearchRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async exact(query: string): Promise<SearchHit[]> {
    const hits: SearchHit[] = [];
    const handle = query.replace(/^<@([A-Z0-9]+)(\|[^>]*)?>$/i, "$1").replace(/^@/, "");
    // Addresses are kept as typed; staff may type them in another case.
    const emails = query.includes("@") && !query.startsWith("@") ? [...new Set([query, query.toLowerCase()])] : [];
    const phones = /^\+?[0-9][0-9 ().-]{2,39}$/.test(query) ? [query] : [];
    const [byId, byExternal, byEmail, byPhone, byOrder, byPlatformUser] = await Promise.all([
      uuidPattern.test(query) ? this.prisma.customer.findUnique({ where: { id: query.toLowerCase() }, select: { id: true } }) : null,
      this.prisma.customer.findUnique({ where: { externalId: query }, select: { id: true } }),
      emails.length ? this.prisma.customer.findMany({ where: { email: { in: emails } }, select: { id: true }, orderBy: { createdAt: "desc" }, take: 20 }) : [],
      phones.length ? this.prisma.customer.findMany({ where: { phone: { in: phones } }, select: { id: true }, orderBy: { createdAt: "desc" }, take: 20 }) : [],
      this.prisma.order.findUnique({ where: { externalId: query }, select: { customerId: true } }),
      this.prisma.channelIdentity.findMany({ where: { platformUserId: { in: [...new Set([query, handle])] } }, select: { customerId: true }, take: 20 }),
    ]);
    if (byId) hits.push({ customerId: byId.id, matchedBy: "customer_id" });
    if (byExternal) hits.push({ customerId: byExternal.id, matchedBy: "external_id" });
    for (const customer of byEmail) hits.push({ customerId: customer.id, matchedBy: "email" });
    for (const customer of byPhone) hits.push({ customerId: customer.id, matchedBy: "phone" });
    if (byOrder) hits.push({ customerId: byOrder.customerId, matchedBy: "order_id" });
    for (const identity of byPlatformUser) hits.push({ customerId: identity.customerId, matchedBy: "platform_user" });
    return hits;
  }

  /**
   * Customers whose name, or a channel's display name, contains `text` (case-insensitive); most
   * recently created first. Two queries, each its own index (the trigram index finds the rows, the
   * newest `limit` of each are kept) merged here: one statement over a UNION made PostgreSQL
   * gather every match of a common fragment before sorting.
   */
  async byName(text: string, limit: number): Promise<SearchHit[]> {
    const pattern = `%${likeLiteral(text.replace(/^@/, ""))}%`;
    const [own, channels] = await Promise.all([
      this.prisma.$queryRaw<NameRow[]>(Prisma.sql`
        SELECT id::text AS id, "createdAt" FROM "Customer"
         WHERE "displayName" ILIKE ${pattern}
         ORDER BY "createdAt" DESC, id LIMIT ${limit}`),
      this.prisma.$queryRaw<NameRow[]>(Prisma.sql`
        SELECT c.id::text AS id, c."createdAt" FROM "Customer" c
         WHERE c.id IN (SELECT "customerId" FROM "ChannelIdentity" WHERE "displayName" ILIKE ${pattern})
         ORDER BY c."createdAt" DESC, c.id LIMIT ${limit}`),
    ]);
    const seen = new Set<string>();
    return [...own, ...channels]
      .sort((a, b) => new Date(b.createdAt).getTime() - new Date(a.createdAt).getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .filter((row) => !seen.has(row.id) && Boolean(seen.add(row.id)))
      .slice(0, limit)
      .map((row) => ({ customerId: row.id, matchedBy: "name" as const }));
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
