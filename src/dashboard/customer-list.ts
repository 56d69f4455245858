import { Prisma, type PrismaClient } from "../db/generated/client.ts";

/**
 * The orders the customers table offers, each served by an index read in order (keyset), so a page
 * costs the same on page 1 and page 10,000 at a million customers:
 * newest/oldest (createdAt), name (displayName, id), active (ChannelIdentity lastSeenAt, id: a
 * customer's latest channel), clv (CustomerScore predictedClv, customerId).
 */
export type CustomerSort = "newest" | "oldest" | "name" | "active" | "clv";
export const CUSTOMER_SORTS: readonly CustomerSort[] = ["newest", "oldest", "name", "active", "clv"];

export interface CustomerRow {
  id: string;
  displayName: string | null;
  externalId: string | null;
  createdAt: Date;
  lifecycleStage: string | null;
  rfmSegment: string | null;
  /** The latest time the customer was seen on any channel; null if never. */
  lastSeenAt: Date | null;
  /** As text (a decimal); null when not predicted. */
  predictedClv: string | null;
}

export interface CustomerPage {
  rows: CustomerRow[];
  /** Pass back as `after` for the next page; null on the last page. */
  next: string | null;
  /** PostgreSQL's estimate of how many customers there are (pg_class.reltuples, kept by ANALYZE); null before the first. Never a count. */
  approximateTotal: number | null;
}

/**
 * Where a page ends: the sort key of its last row (null in an order's tail of customers without
 * that key: the nameless, never seen, without a prediction) and the id the keyset index breaks ties
 * with (a customer's, or for "active" their channel identity's). Opaque to the browser (base64url JSON).
 */
interface Cursor {
  v: string | null;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DECIMAL = /^-?[0-9]{1,20}(\.[0-9]{1,10})?$/;

export function decodeCursor(text: string | undefined): Cursor | null {
  if (!text) return null;
  try {
    const parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as Partial<Cursor>;
    if (typeof parsed.id !== "string" || !UUID.test(parsed.id)) return null;
    if (parsed.v !== null && typeof parsed.v !== "string") return null;
    return { v: parsed.v ?? null, id: parsed.id };
  } catch {
    return null;
  }
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");
}

const timeOf = (v: string | null) => {
  const at = v === null ? null : new Date(v);
  return at && !Number.isNaN(at.getTime()) ? at : null;
};

/**
 * The ids of one page, in order, by keyset: each statement reads its index from the cursor on and
 * stops after `take` rows. Orders with a tail (customers without the key) read the tail, by id,
 * once the keyed part runs out: `v` null in the cursor means the tail.
 */
function keysetSql(sort: CustomerSort, cursor: Cursor | null, take: number): { head: Prisma.Sql | null; tail: (after: string | null, take: number) => Prisma.Sql | null } {
  const inTail = cursor !== null && cursor.v === null;
  const afterId = (after: string | null) => (after ? Prisma.sql`AND c.id > ${after}::uuid` : Prisma.empty);
  if (sort === "newest" || sort === "oldest") {
    const at = timeOf(cursor?.v ?? null);
    const desc = sort === "newest";
    const where = at && cursor ? (desc ? Prisma.sql`WHERE (c."createdAt", c.id) < (${at}, ${cursor.id}::uuid)` : Prisma.sql`WHERE (c."createdAt", c.id) > (${at}, ${cursor.id}::uuid)`) : Prisma.empty;
    const order = desc ? Prisma.sql`c."createdAt" DESC, c.id DESC` : Prisma.sql`c."createdAt" ASC, c.id ASC`;
    return { head: Prisma.sql`SELECT c.id, c."createdAt" AS k, c.id AS tie FROM "Customer" c ${where} ORDER BY ${order} LIMIT ${take}`, tail: () => null };
  }
  if (sort === "name") {
    const where = cursor?.v ? Prisma.sql`AND (c."displayName", c.id) > (${cursor.v}, ${cursor.id}::uuid)` : Prisma.empty;
    return {
      head: inTail ? null : Prisma.sql`SELECT c.id, c."displayName" AS k, c.id AS tie FROM "Customer" c WHERE c."displayName" IS NOT NULL ${where} ORDER BY c."displayName", c.id LIMIT ${take}`,
      tail: (after, n) => Prisma.sql`SELECT c.id, NULL::text AS k, c.id AS tie FROM "Customer" c WHERE c."displayName" IS NULL ${afterId(after)} ORDER BY c.id LIMIT ${n}`,
    };
  }
  if (sort === "active") {
    // A customer's latest channel identity stands for them: the index is read newest first and
    // any identity with a later one of the same customer is skipped (one index probe each).
    const at = timeOf(cursor?.v ?? null);
    const where = at && cursor ? Prisma.sql`AND (i."lastSeenAt", i.id) < (${at}, ${cursor.id}::uuid)` : Prisma.empty;
    return {
      head: inTail
        ? null
        : Prisma.sql`SELECT i."customerId" AS id, i."lastSeenAt" AS k, i.id AS tie FROM "ChannelIdentity" i
             WHERE NOT EXISTS (SELECT 1 FROM "ChannelIdentity" o WHERE o."customerId" = i."customerId" AND (o."lastSeenAt", o.id) > (i."lastSeenAt", i.id)) ${where}
             ORDER BY i."lastSeenAt" DESC, i.id DESC LIMIT ${take}`,
      tail: (after, n) => Prisma.sql`SELECT c.id, NULL::timestamp AS k, c.id AS tie FROM "Customer" c
          WHERE NOT EXISTS (SELECT 1 FROM "ChannelIdentity" i WHERE i."customerId" = c.id) ${afterId(after)} ORDER BY c.id LIMIT ${n}`,
    };
  }
  const v = cursor?.v && DECIMAL.test(cursor.v) ? cursor.v : null;
  const where = v && cursor ? Prisma.sql`AND (s."predictedClv", s."customerId") < (${v}::numeric, ${cursor.id}::uuid)` : Prisma.empty;
  return {
    head: inTail
      ? null
      : Prisma.sql`SELECT s."customerId" AS id, s."predictedClv" AS k, s."customerId" AS tie FROM "CustomerScore" s
           WHERE s."predictedClv" IS NOT NULL ${where} ORDER BY s."predictedClv" DESC, s."customerId" DESC LIMIT ${take}`,
    tail: (after, n) => Prisma.sql`SELECT c.id, NULL::numeric AS k, c.id AS tie FROM "Customer" c
        WHERE NOT EXISTS (SELECT 1 FROM "CustomerScore" s WHERE s."customerId" = c.id AND s."predictedClv" IS NOT NULL) ${afterId(after)} ORDER BY c.id LIMIT ${n}`,
  };
}

/** Each order's direction over the keyset's (k, tie); a tail runs by id. */
const OUTER_ORDER: Record<CustomerSort, Prisma.Sql> = {
  newest: Prisma.sql`h.k DESC, h.tie DESC`,
  oldest: Prisma.sql`h.k ASC, h.tie ASC`,
  name: Prisma.sql`h.k ASC, h.tie ASC`,
  active: Prisma.sql`h.k DESC, h.tie DESC`,
  clv: Prisma.sql`h.k DESC, h.tie DESC`,
};

/**
 * The page in one statement: the keyset (its index read from the cursor on, LIMIT `take`), then
 * what the table shows of those customers by primary key, and PostgreSQL's estimate of the total.
 */
function withRows(keyset: Prisma.Sql, order: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    SELECT h.k, h.tie::text AS tie, c.id::text AS id, c."displayName", c."externalId", c."createdAt",
           s."lifecycleStage"::text AS "lifecycleStage", s."rfmSegment", s."predictedClv"::text AS "predictedClv",
           (SELECT max(i."lastSeenAt") FROM "ChannelIdentity" i WHERE i."customerId" = c.id) AS "lastSeenAt",
           (SELECT reltuples::float8 FROM pg_class WHERE oid = '"Customer"'::regclass) AS "approximateTotal"
      FROM (${keyset}) h JOIN "Customer" c ON c.id = h.id LEFT JOIN "CustomerScore" s ON s."customerId" = c.id
     ORDER BY ${order}`;
}

/** The statements of one page: the keyed part, and the tail's (customers without the key) for when it runs out. */
export function pageSql(sort: CustomerSort, cursor: Cursor | null, take: number): { head: Prisma.Sql | null; tail: (after: string | null, take: number) => Prisma.Sql | null } {
  const keyset = keysetSql(sort, cursor, take);
  return {
    head: keyset.head ? withRows(keyset.head, OUTER_ORDER[sort]) : null,
    tail: (after, n) => {
      const tail = keyset.tail(after, n);
      return tail ? withRows(tail, Prisma.sql`h.tie ASC`) : null;
    },
  };
}

export const approximateTotalSql = Prisma.sql`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = '"Customer"'::regclass`;

type PageRow = CustomerRow & { k: Date | string | number | { toString(): string } | null; tie: string; approximateTotal: number | null };

const keyText = (k: PageRow["k"]) => (k === null ? null : k instanceof Date ? k.toISOString() : String(k));

/**
 * One page of customers in the chosen order, by keyset (the last row's sort key and tie-breaking
 * id), so a page costs the same on page 1 and page 10,000 and nothing counts all customers; the
 * total shown is PostgreSQL's estimate. Customers without the order's key come last, by id.
 * One statement a page (two where the keyed part runs out into the tail).
 */
export async function customerPage(prisma: PrismaClient, sort: CustomerSort, after: string | undefined, limit: number): Promise<CustomerPage> {
  const cursor = decodeCursor(after);
  const sql = pageSql(sort, cursor, limit + 1);
  const rows: (PageRow & { inTail: boolean })[] = [];
  if (sql.head) for (const row of await prisma.$queryRaw<PageRow[]>(sql.head)) rows.push({ ...row, inTail: false });
  if (rows.length < limit + 1) {
    const tail = sql.tail(cursor && cursor.v === null ? cursor.id : null, limit + 1 - rows.length);
    if (tail) for (const row of await prisma.$queryRaw<PageRow[]>(tail)) rows.push({ ...row, inTail: true });
  }
  const estimate = rows.length ? rows[0]!.approximateTotal : (await prisma.$queryRaw<{ n: number }[]>(approximateTotalSql))[0]?.n;
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    rows: page.map(({ id, displayName, externalId, createdAt, lifecycleStage, rfmSegment, lastSeenAt, predictedClv }) => ({ id, displayName, externalId, createdAt, lifecycleStage, rfmSegment, lastSeenAt, predictedClv })),
    next: more && last ? encodeCursor({ v: last.inTail ? null : keyText(last.k), id: last.tie }) : null,
    approximateTotal: estimate !== undefined && estimate !== null && Number(estimate) >= 0 ? Math.round(Number(estimate)) : null,
  };
}
