/**
 * The inbound path's statements through the driver under Prisma (pg's pool or PGlite) instead of
 * Prisma's query engine. Each Prisma call, `$queryRaw` included, costs about 0.85 ms of CPU on top
 * of the statement itself (measured: 1.11 ms against pg's 0.27 ms for the same read), which was
 * most of what a message cost. The statements are still built with `Prisma.sql` (one way of
 * writing SQL, parameters never spliced in) and come back as `$queryRaw` gives them: timestamps
 * and dates as Dates read as UTC, bigint as BigInt, numeric as Prisma.Decimal, JSON parsed.
 * (Checked with TZ=Asia/Shanghai and America/New_York: on PostgreSQL the rows equal `$queryRaw`'s;
 * on PGlite `$queryRaw` through pglite-prisma-adapter 0.6 shifts timestamps by the process's zone
 * offset, and these are the values as stored.)
 *
 * The driver is found from the client that src/db/database.ts opened on it. Anything else (a
 * transaction's client, a client built elsewhere) runs the same statement through Prisma, so a
 * statement inside a transaction always stays on that transaction's connection.
 */
import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { Prisma, type PrismaClient } from "./generated/client.ts";

export interface PlainSql {
  /** Runs one statement (a `Prisma.sql` template) and returns its rows. */
  query<Row>(statement: Prisma.Sql): Promise<Row[]>;
}

type Driver = { pool: pg.Pool } | { pglite: PGlite };

const drivers = new WeakMap<object, PlainSql>();

/** Called once where the client is made on its driver (src/db/database.ts). */
export function attachDriver(prisma: PrismaClient, driver: Driver): void {
  drivers.set(prisma, "pool" in driver ? onPool(driver.pool) : onPglite(driver.pglite));
}

/** The driver under `prisma` when there is one; otherwise Prisma's `$queryRawUnsafe` with the same text and values. */
export function plainSql(prisma: PrismaClient | Prisma.TransactionClient): PlainSql {
  return drivers.get(prisma) ?? viaPrisma(prisma);
}

function viaPrisma(prisma: PrismaClient | Prisma.TransactionClient): PlainSql {
  return { query: <Row>(statement: Prisma.Sql) => prisma.$queryRawUnsafe<Row[]>(statement.text, ...statement.values) };
}

// Type OIDs whose default parsing differs from what $queryRaw returns.
const INT8 = 20;
const DATE = 1082;
const TIMESTAMP = 1114;
const NUMERIC = 1700;

/** `timestamp` (without time zone) holds UTC here, as Prisma writes it; the drivers would read it as local time. */
function parseTimestamp(text: string): Date {
  return new Date(`${text.replace(" ", "T")}Z`);
}

const parsers: Record<number, (text: string) => unknown> = {
  [INT8]: (text) => BigInt(text),
  [DATE]: (text) => new Date(`${text}T00:00:00Z`),
  [TIMESTAMP]: parseTimestamp,
  [NUMERIC]: (text) => new Prisma.Decimal(text),
};

/**
 * Dates go as UTC ISO text: cast to `timestamp` PostgreSQL drops the "Z" and keeps the UTC time
 * (pg would send local time with an offset, which that cast drops instead).
 */
function values(statement: Prisma.Sql): unknown[] {
  return statement.values.map(toParameter);
}

function toParameter(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.some((v) => v instanceof Date) ? value.map(toParameter) : value;
  return value;
}

function onPool(pool: pg.Pool): PlainSql {
  const types = {
    getTypeParser: ((oid: number, format?: "text" | "binary") => parsers[oid] ?? pg.types.getTypeParser(oid, format ?? "text")) as pg.CustomTypesConfig["getTypeParser"],
  };
  return {
    async query<Row>(statement: Prisma.Sql) {
      const result = await pool.query({ text: statement.text, values: values(statement), types });
      return result.rows as Row[];
    },
  };
}

function onPglite(pglite: PGlite): PlainSql {
  const options = { parsers };
  return {
    async query<Row>(statement: Prisma.Sql) {
      return (await pglite.query<Row>(statement.text, values(statement), options)).rows;
    },
  };
}
