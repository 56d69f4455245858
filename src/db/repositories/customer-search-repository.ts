import { Prisma, type PrismaClient } from "../generated/client.ts";

export interface SearchHit {
  customerId: string;
  matchedBy: "customer_id" | "external_id" | "email" | "phone" | "order_id" | "platform_user" | "name";
}

/** Name matches per table a search sorts at most (see byName). */
const NAME_MATCHES_CAP = 500;

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
   * Customers whose name, or a channel's display name, contains `text` (case-insensitive), newest
   * first. The work is bounded whatever the fragment: the trigram indexes gather at most
   * NAME_MATCHES_CAP matches from each table and only those are sorted. Under the cap the answer is
   * exactly the newest matches; a fragment common enough to reach it (say "wen" among a million
   * customers) gets the newest of the first matches found, and staff type more to narrow it.
   * Sorting every match of a common fragment, or reading customers newest first until enough match
   * for a rare one, each took seconds at a million customers.
   */
  async byName(text: string, limit: number): Promise<SearchHit[]> {
    const fragment = text.replace(/^@/, "");
    const pattern = `%${likeLiteral(fragment)}%`;
    const query = this.prisma.$queryRaw<{ id: string }[]>(Prisma.sql`
      WITH own AS MATERIALIZED (SELECT id FROM "Customer" WHERE "displayName" ILIKE ${pattern} LIMIT ${NAME_MATCHES_CAP}),
           channel AS MATERIALIZED (SELECT "customerId" AS id FROM "ChannelIdentity" WHERE "displayName" ILIKE ${pattern} LIMIT ${NAME_MATCHES_CAP})
      SELECT c.id::text AS id
        FROM (SELECT id FROM own UNION SELECT id FROM channel) m
        CROSS JOIN LATERAL (SELECT c.id, c."createdAt" FROM "Customer" c WHERE c.id = m.id LIMIT 1) c
       ORDER BY c."createdAt" DESC, c.id LIMIT ${limit}`);
    // PostgreSQL's estimate for a fragment is often far off and a sequential scan then reads every
    // customer looking for matches a rare fragment does not have: the trigram index is the way.
    // A fragment under three letters has no trigrams, and there the scan is all there is.
    const rows = [...fragment].length >= 3 ? (await this.prisma.$transaction([this.prisma.$executeRaw`SET LOCAL enable_seqscan = off`, query]))[1] : await query;
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
