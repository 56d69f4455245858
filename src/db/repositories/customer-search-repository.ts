import { Prisma, type PrismaClient } from "../generated/client.ts";

export interface SearchHit {
  customerId: string;
  matchedBy: "customer_id" | "external_id" | "email" | "phone" | "order_id" | "platform_user" | "name";
}

export interface CustomerSummary {
  id: string;
  displayName: string | null;
  externalId: string | null;
  erasedAt: Date | null;
  identities: { platform: string; platformUserId: string; displayName: string | null }[];
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

  /**
   * The customers a key names, in one statement of indexed lookups (each part reads its unique or
   * leading index; a part that cannot match, such as an id that is no UUID, is left out): the
   * Prisma call per key this was cost more than the lookups themselves.
   */
  async exact(query: string): Promise<SearchHit[]> {
    const handle = query.replace(/^<@([A-Z0-9]+)(\|[^>]*)?>$/i, "$1").replace(/^@/, "");
    // Addresses are kept as typed; staff may type them in another case.
    const emails = query.includes("@") && !query.startsWith("@") ? [...new Set([query, query.toLowerCase()])] : [];
    const isPhone = /^\+?[0-9][0-9 ().-]{2,39}$/.test(query);
    const parts: Prisma.Sql[] = [
      Prisma.sql`(SELECT id, 'external_id' AS by, 2 AS rank FROM "Customer" WHERE "externalId" = ${query})`,
      Prisma.sql`(SELECT "customerId" AS id, 'order_id' AS by, 5 AS rank FROM "Order" WHERE "externalId" = ${query})`,
      Prisma.sql`(SELECT "customerId" AS id, 'platform_user' AS by, 6 AS rank FROM "ChannelIdentity" WHERE "platformUserId" = ANY(${[...new Set([query, handle])]}::text[]) LIMIT 20)`,
    ];
    if (uuidPattern.test(query)) parts.push(Prisma.sql`(SELECT id, 'customer_id' AS by, 1 AS rank FROM "Customer" WHERE id = ${query.toLowerCase()}::uuid)`);
    if (emails.length) parts.push(Prisma.sql`(SELECT id, 'email' AS by, 3 AS rank FROM "Customer" WHERE email = ANY(${emails}::text[]) ORDER BY "createdAt" DESC LIMIT 20)`);
    if (isPhone) parts.push(Prisma.sql`(SELECT id, 'phone' AS by, 4 AS rank FROM "Customer" WHERE phone = ${query} ORDER BY "createdAt" DESC LIMIT 20)`);
    const rows = await this.prisma.$queryRaw<{ id: string; by: SearchHit["matchedBy"] }[]>(Prisma.sql`
      SELECT k.id::text AS id, k.by FROM (${Prisma.join(parts, " UNION ALL ")}) k ORDER BY k.rank`);
    return rows.map((row) => ({ customerId: row.id, matchedBy: row.by }));
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

  /** Names and channels of the customers found, for the result list (one statement). */
  summaries(customerIds: readonly string[]): Promise<CustomerSummary[]> {
    if (customerIds.length === 0) return Promise.resolve([]);
    return this.prisma.$queryRaw<CustomerSummary[]>(Prisma.sql`
      SELECT c.id::text AS id, c."displayName", c."externalId", c."erasedAt",
             COALESCE((SELECT json_agg(json_build_object('platform', i.platform, 'platformUserId', i."platformUserId", 'displayName', i."displayName") ORDER BY i."createdAt", i.id)
                         FROM "ChannelIdentity" i WHERE i."customerId" = c.id), '[]'::json) AS identities
        FROM "Customer" c WHERE c.id = ANY(${[...customerIds]}::uuid[])`);
  }
}
