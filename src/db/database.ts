import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import type { SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { TendError, describeError } from "../errors.ts";
import { type DataDirLock, lockDataDir, prepareDataDir } from "./data-dir.ts";
import { PrismaClient } from "./generated/client.ts";
import { newPGlite } from "./pglite.ts";
import { attachDriver } from "./plain-sql.ts";
import type { SqlConnection, SqlSession } from "./sql.ts";

export type DatabaseKind = "pglite" | "postgres";

/** An open database: Prisma for the repositories, plain SQL for migrations and locks. */
export interface Database {
  readonly kind: DatabaseKind;
  /** Where it is, safe to log: never a password. */
  readonly description: string;
  readonly prisma: PrismaClient;
  readonly sql: SqlConnection;
  /** On the embedded database: this process's hold on the data folder, through which it can serve commands. */
  readonly dataDirLock?: DataDirLock;
  close(): Promise<void>;
}

export type DatabaseOptions =
  | { kind: "postgres"; url: string; poolSize?: number }
  | { kind: "pglite"; dataDir: string }
  /** An already open PGlite, e.g. a test's in-memory copy; closing the Database closes it. */
  | { kind: "pglite-instance"; pglite: PGlite; description?: string };

export function databaseOptionsFromConfig(config: {
  DATABASE_URL?: string | undefined;
  TEND_DATA_DIR: string;
  DATABASE_POOL_SIZE: number;
}): DatabaseOptions {
  return config.DATABASE_URL
    ? { kind: "postgres", url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE }
    : { kind: "pglite", dataDir: config.TEND_DATA_DIR };
}

/** The embedded database's own folder inside the data folder. */
export function pgliteDir(dataDir: string): string {
  return path.join(path.resolve(dataDir), "pglite");
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.kind === "postgres") return openPostgres(options.url, options.poolSize ?? 10);
  if (options.kind === "pglite-instance") {
    return wrapPglite(options.pglite, options.description ?? "PGlite (in memory)", () => {});
  }
  prepareDataDir(options.dataDir);
  const lock = await lockDataDir(options.dataDir, describeActivity());
  try {
    const dir = pgliteDir(options.dataDir);
    const pglite = newPGlite(dir);
    await pglite.waitReady;
    return { ...wrapPglite(pglite, `PGlite at ${dir}`, () => lock.release()), dataDirLock: lock };
  } catch (error) {
    await lock.release();
    throw new TendError(
      "DATABASE_UNAVAILABLE",
      `cannot open the embedded database in ${path.resolve(options.dataDir)} (TEND_DATA_DIR): ${describeError(error)}`,
      { cause: error },
    );
  }
}

/** What another process is told this one is doing with the data folder, e.g. "tend db status". */
function describeActivity(): string {
  return ["tend", ...process.argv.slice(2)].join(" ");
}

function wrapPglite(pglite: PGlite, description: string, afterClose: () => Promise<void> | void): Database {
  // pglite-prisma-adapter 0.6 declares an older driver-adapter-utils; the runtime protocol is the same.
  const adapter = new PrismaPGlite(pglite) as unknown as SqlDriverAdapterFactory;
  const prisma = new PrismaClient({ adapter });
  attachDriver(prisma, { pglite });
  // PGlite is a single connection: the session is the database itself.
  const session: SqlSession = {
    async exec(sql) {
      await pglite.exec(sql);
    },
    async query<Row>(sql: string, params?: unknown[]) {
      return (await pglite.query<Row>(sql, params)).rows;
    },
  };
  return {
    kind: "pglite",
    description,
    prisma,
    sql: { withSession: (work) => work(session) },
    async close() {
      await prisma.$disconnect();
      if (!pglite.closed) await pglite.close();
      await afterClose();
    },
  };
}

export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `PostgreSQL at ${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return "PostgreSQL";
  }
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const description = describePostgresUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on("error", () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => {});
    throw new TendError(
      "DATABASE_UNAVAILABLE",
      `cannot connect to ${description} (DATABASE_URL): ${describeError(error)}`,
      { cause: error },
    );
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  attachDriver(prisma, { pool });
  return {
    kind: "postgres",
    description,
    prisma,
    sql: {
      async withSession(work) {
        const client = await pool.connect();
        try {
          return await work({
            async exec(sql) {
              await client.query(sql);
            },
            async query<Row>(sql: string, params?: unknown[]) {
              return (await client.query(sql, params)).rows as Row[];
            },
          });
        } finally {
          client.release();
        }
      },
    },
    async close() {
      await prisma.$disconnect();
      if (!pool.ended) await pool.end();
    },
  };
}
