import { Prisma, type PrismaClient } from "../db/generated/client.ts";

/** The orders the customers table offers; each has an index that serves it (createdAt; displayName, id). */
export type CustomerSort = "newest" | "oldest" | "name";
export const CUSTOMER_SORTS: readonly CustomerSort[] = ["newest", "oldest", "name"];

export interface CustomerRow {
  id: string;
  displayName: string | null;
  externalId: string | null;
  createdAt: Date;
  lifecycleStage: string | null;
  rfmSegment: string | null;
}

export interface CustomerPage {
  rows: CustomerRow[];
  /** Pass back as `after` for the next page; null on the last page. */
  next: string | null;
}

/** Where a page ends: the sort key of its last row and its id. Opaque to the browser (base64url JSON). */
interface Cursor {
  v: string | null;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");
}

/**
 * One page of customers in the chosen order, by keyset (the last row's sort key and id), so a page
 * costs the same on page 1 and page 10,000 and nothing counts all customers. Names sort with the
 * nameless last (their own keyset on id).
 */
export async function customerPage(prisma: PrismaClient, sort: CustomerSort, after: string | undefined, limit: number): Promise<CustomerPage> {
  const cursor = decodeCursor(after);
  let where: Prisma.Sql = Prisma.empty;
  let order: Prisma.Sql;
  if (sort === "name") {
    order = Prisma.sql`c."displayName" ASC NULLS LAST, c.id ASC`;
    if (cursor) {
      where =
        cursor.v === null
          ? Prisma.sql`WHERE c."displayName" IS NULL AND c.id > ${cursor.id}::uuid`
          : Prisma.sql`WHERE (c."displayName" > ${cursor.v} OR (c."displayName" = ${cursor.v} AND c.id > ${cursor.id}::uuid) OR c."displayName" IS NULL)`;
    }
  } else {
    const desc = sort === "newest";
    order = desc ? Prisma.sql`c."createdAt" DESC, c.id DESC` : Prisma.sql`c."createdAt" ASC, c.id ASC`;
    if (cursor?.v) {
      const at = new Date(cursor.v);
      if (!Number.isNaN(at.getTime())) {
        where = desc
          ? Prisma.sql`WHERE (c."createdAt" < ${at} OR (c."createdAt" = ${at} AND c.id < ${cursor.id}::uuid))`
          : Prisma.sql`WHERE (c."createdAt" > ${at} OR (c."createdAt" = ${at} AND c.id > ${cursor.id}::uuid))`;
      }
    }
  }
  const rows = await prisma.$queryRaw<CustomerRow[]>`
    SELECT c.id::text AS id, c."displayName", c."externalId", c."createdAt",
           s."lifecycleStage"::text AS "lifecycleStage", s."rfmSegment"
      FROM "Customer" c LEFT JOIN "CustomerScore" s ON s."customerId" = c.id
      ${where}
     ORDER BY ${order}
     LIMIT ${limit + 1}`;
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    rows: page,
    next: more && last ? encodeCursor({ v: sort === "name" ? last.displayName : new Date(last.createdAt).toISOString(), id: last.id }) : null,
  };
}
