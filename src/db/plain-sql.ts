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
 * Each distinct statement text is prepared once (a named statement) and then only bound and run:
 * the database parses and plans it once instead of with every message. So a statement must name
 * its columns (no `SELECT *`): a prepared statement whose result columns change under it (another
 * instance's migration adds one) fails with "cached plan must not change result type"; should
 * that happen anyway, the statement is prepared again under a new name and run once more.
 *
 * The driver is found from the client that src/db/database.ts opened on it. Anything else (a
 * transaction's client, a client built elsewhere) runs the same statement through Prisma, so a
 * statement inside a transaction always stays on that transaction's connection.
 */
import { type PGlite, protocol } from "@electric-sql/pglite";
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

/**
 * How many statement texts are kept prepared: the inbound path has a handful (one per number of
 * replies, with or without an identity refresh); a text beyond this runs unprepared.
 */
const MAX_PREPARED = 64;

/** PostgreSQL's refusal to run a prepared statement whose result columns changed (SQLSTATE 0A000). */
function isStalePlan(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && (error as { code?: unknown }).code === "0A000" && /cached plan must not change result type/.test(String((error as Error).message))
  );
}

/** Statement names by text; a text whose plan went stale gets a new name. */
class StatementNames {
  private readonly names = new Map<string, string>();
  private issued = 0;

  constructor(private readonly prefix: string) {}

  /** The name to run `text` under, or undefined when too many texts are prepared already. */
  nameOf(text: string): string | undefined {
    const name = this.names.get(text);
    if (name || this.names.size >= MAX_PREPARED) return name;
    const fresh = `${this.prefix}${++this.issued}`;
    this.names.set(text, fresh);
    return fresh;
  }

  forget(text: string): void {
    this.names.delete(text);
  }
}

/**
 * Runs a statement through a runner that prepares each text once; when its plan went stale (another
 * instance's migration changed its result columns), prepares it anew and runs it once more.
 */
async function runPreparedOnce<Row>(
  statement: Prisma.Sql,
  run: (text: string, params: unknown[]) => Promise<Row[]>,
  forget: (text: string) => void,
): Promise<Row[]> {
  const params = values(statement);
  try {
    return await run(statement.text, params);
  } catch (error) {
    if (!isStalePlan(error)) throw error;
    forget(statement.text);
    return run(statement.text, params);
  }
}

/**
 * A statement the server refused (a constraint, a bad value, a stale plan) leaves its connection as
 * good as it was; a lost connection, a shut-down server or an internal error may not.
 */
function connectionSurvives(error: unknown): boolean {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && !/^(08|53|57P|58|XX)/.test(code);
}

function onPool(pool: pg.Pool): PlainSql {
  const types = {
    getTypeParser: ((oid: number, format?: "text" | "binary") => parsers[oid] ?? pg.types.getTypeParser(oid, format ?? "text")) as pg.CustomTypesConfig["getTypeParser"],
  };
  // pg prepares a named statement on each connection the first time it runs there.
  const names = new StatementNames("tend_plain_");
  const run = async <Row>(text: string, params: unknown[]): Promise<Row[]> => {
    const client = await pool.connect();
    try {
      const name = names.nameOf(text);
      const result = await client.query(name ? { name, text, values: params, types } : { text, values: params, types });
      client.release();
      return result.rows as Row[];
    } catch (error) {
      // pg-pool's own pool.query destroys the connection after any failed statement; one the
      // server refused (a constraint, a stale plan) is kept.
      client.release(connectionSurvives(error) ? undefined : (error as Error));
      throw error;
    }
  };
  return {
    query: <Row>(statement: Prisma.Sql) => runPreparedOnce<Row>(statement, run, (text) => names.forget(text)),
  };
}

interface Prepared {
  name: string;
  paramTypes: number[];
  fields: { name: string; dataTypeID: number }[];
}

type BackendMessage = Awaited<ReturnType<PGlite["execProtocolStream"]>>[number];

/** Protocol messages sent to PGlite as one buffer: it runs them all in one call. */
function batch(...messages: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(messages.reduce((n, m) => n + m.length, 0));
  let at = 0;
  for (const message of messages) {
    out.set(message, at);
    at += message.length;
  }
  return out;
}

/** Statement names are unique in the process: several runners may share one PGlite. */
let pgliteStatementsIssued = 0;

/** Runs statements on PGlite, each text prepared once (see `pglitePrepared`). */
export interface PglitePrepared {
  run<Row>(text: string, params: unknown[]): Promise<Row[]>;
  /** Prepares `text` anew at its next run (its plan went stale). */
  forget(text: string): void;
}

/**
 * PGlite's `query` sends parse, describe, bind, describe, execute and sync as six calls into its
 * WASM PostgreSQL, parsing and planning the statement every time (about 0.45 ms before any work).
 * Here a statement is prepared once (parse and describe), then each run is bind, execute and sync
 * in one call. Like `query`, it waits for any transaction (Prisma's) to finish and runs alone.
 * Values are sent as `query` sends them; `rowParsers` overrides PGlite's parsers by type OID.
 * (Exported for the benchmarks' raw ceiling, which drives PGlite the same way.)
 */
export function pglitePrepared(pglite: PGlite, rowParsers: Record<number, (text: string) => unknown> = {}): PglitePrepared {
  const { serialize } = protocol;
  const prepared = new Map<string, Prepared>();

  const prepare = async (text: string): Promise<Prepared> => {
    const name = `tend_plain_${++pgliteStatementsIssued}`;
    const messages = await pglite.execProtocolStream(batch(serialize.parse({ name, text }), serialize.describe({ type: "S", name }), serialize.sync()), {
      syncToFs: false,
    });
    let paramTypes: number[] = [];
    let fields: Prepared["fields"] = [];
    for (const message of messages as (BackendMessage & { dataTypeIDs?: number[]; fields?: Prepared["fields"] })[]) {
      if (message.name === "parameterDescription") paramTypes = message.dataTypeIDs!;
      else if (message.name === "rowDescription") fields = message.fields!.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID }));
    }
    return { name, paramTypes, fields };
  };

  const runPrepared = async <Row>(statement: Prepared, params: unknown[]): Promise<Row[]> => {
    const bound = params.map((param, i) => {
      if (param === null || param === undefined) return null;
      const serializer = pglite.serializers[statement.paramTypes[i]!];
      return serializer ? (serializer(param) as string) : String(param);
    });
    const messages = await pglite.execProtocolStream(batch(serialize.bind({ statement: statement.name, values: bound }), serialize.execute({}), serialize.sync()), {
      syncToFs: false,
    });
    const rows: Row[] = [];
    const { fields } = statement;
    for (const message of messages as (BackendMessage & { fields?: (string | null)[] })[]) {
      if (message.name !== "dataRow") continue;
      const row: Record<string, unknown> = {};
      message.fields!.forEach((value, i) => {
        const field = fields[i]!;
        const parse = rowParsers[field.dataTypeID] ?? pglite.parsers[field.dataTypeID];
        row[field.name] = value === null || !parse ? value : parse(value, field.dataTypeID);
      });
      rows.push(row as Row);
    }
    return rows;
  };

  return {
    async run<Row>(text: string, params: unknown[]): Promise<Row[]> {
      if (!prepared.has(text) && prepared.size >= MAX_PREPARED) return (await pglite.query<Row>(text, params, { parsers: rowParsers })).rows;
      await pglite._checkReady();
      return pglite._runExclusiveTransaction(() =>
        pglite._runExclusiveQuery(async () => {
          let statement = prepared.get(text);
          if (!statement) {
            statement = await prepare(text);
            prepared.set(text, statement);
          }
          const rows = await runPrepared<Row>(statement, params);
          await pglite.syncToFs();
          return rows;
        }),
      );
    },
    forget(text: string) {
      prepared.delete(text);
    },
  };
}

function onPglite(pglite: PGlite): PlainSql {
  const statements = pglitePrepared(pglite, parsers);
  return {
    query: <Row>(statement: Prisma.Sql) => runPreparedOnce<Row>(statement, (text, params) => statements.run<Row>(text, params), (text) => statements.forget(text)),
  };
}
