import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { PrismaClient } from "../src/db/generated/client.ts";
import { isDatabaseUnavailable, isUniqueViolation } from "../src/db/prisma-errors.ts";
import { describeEachDatabase } from "./support/databases.ts";

/** The error a query through Prisma and a real pg pool raises, whatever it is. */
async function errorFrom(pool: pg.Pool, query: (prisma: PrismaClient) => Promise<unknown>): Promise<unknown> {
  pool.on("error", () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  try {
    await query(prisma);
  } catch (error) {
    return error;
  } finally {
    await prisma.$disconnect().catch(() => {});
    await pool.end().catch(() => {});
  }
  throw new Error("the query did not fail");
}

describe("telling a database outage from a bad request", () => {
  it("sees a refused connection as the database being away", async () => {
    // Nothing listens on port 1.
    const error = await errorFrom(new pg.Pool({ connectionString: "postgresql://postgres@127.0.0.1:1/none", connectionTimeoutMillis: 5_000 }), (p) => p.customer.count());
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it("sees an exhausted pool (connect timeout) as the database being away", async () => {
    const pool = new pg.Pool({ connectionString: "postgresql://postgres@127.0.0.1:5432/postgres", max: 1, connectionTimeoutMillis: 200 });
    const held = await pool.connect().catch(() => null);
    if (!held) return; // no PostgreSQL here: the suites that need it report the skip
    const error = await errorFrom(pool, async (p) => {
      try {
        await p.$queryRaw`SELECT 1`;
      } finally {
        held.release();
      }
    });
    expect(String((error as Error).message)).toMatch(/timeout/);
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it("does not take a programming or data error for an outage", () => {
    expect(isDatabaseUnavailable(new Error("Cannot read properties of undefined"))).toBe(false);
    expect(isDatabaseUnavailable({ code: "P2002" })).toBe(false);
    expect(isDatabaseUnavailable({ cause: { kind: "postgres", code: "55000", message: "lastval is not yet defined in this session" } })).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
  });
});

describeEachDatabase("database errors that are not outages", (db) => {
  it("a unique violation and a bad value stay what they are", async () => {
    const prisma = db().prisma;
    await prisma.customer.create({ data: { externalId: "dup-check" } });
    const duplicate = await prisma.customer.create({ data: { externalId: "dup-check" } }).catch((error: unknown) => error);
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect(isDatabaseUnavailable(duplicate)).toBe(false);
    const cast = await prisma.$queryRawUnsafe("SELECT 'x'::int").catch((error: unknown) => error);
    expect(cast).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(cast)).toBe(false);
  });
});
