// Shared by the inbound benchmarks: a migrated database (PostgreSQL scratch or in-memory PGlite)
// with Tend's services and engine on it, and a statement counter at the driver (what one
// message costs in round trips and transactions, whatever Prisma makes of each call).
import os from "node:os";
import type { PGlite } from "@electric-sql/pglite";
import { newPGlite } from "../../src/db/pglite.ts";
import pg from "pg";
import { loadConfig } from "../../src/config/env.ts";
import { systemClock } from "../../src/core/clock.ts";
import type { InboundMessage } from "../../src/core/channel.ts";
import { type Database, openDatabase } from "../../src/db/database.ts";
import { applyMigrations } from "../../src/db/migrations.ts";
import { type BuiltServices, buildServices } from "../../src/engine/build-services.ts";
import { Engine } from "../../src/engine/engine.ts";
import { createLogger } from "../../src/observability/logger.ts";

/** Statements sent to the database and transactions begun, counted at the driver. */
export interface StatementCount {
  statements: number;
  /** Explicit transactions (BEGIN … COMMIT). */
  transactions: number;
  /** Commits: explicit transactions plus writes outside one (each its own implicit transaction). */
  commits: number;
  inTransaction: boolean;
  /** The statements themselves, when `keep` is on (for reading what a message does). */
  log: string[];
  keep: boolean;
}

export const counted: StatementCount = { statements: 0, transactions: 0, commits: 0, inTransaction: false, log: [], keep: false };

function note(sql: unknown): void {
  const text = typeof sql === "string" ? sql : typeof sql === "object" && sql && "text" in sql ? String((sql as { text: unknown }).text) : "";
  counted.statements += 1;
  if (/^\s*BEGIN/i.test(text)) {
    counted.transactions += 1;
    counted.commits += 1;
    counted.inTransaction = true;
  } else if (/^\s*(COMMIT|ROLLBACK)/i.test(text)) counted.inTransaction = false;
  else if (!counted.inTransaction && /\b(INSERT|UPDATE|DELETE)\b/i.test(text)) counted.commits += 1;
  if (counted.keep) counted.log.push(text.replace(/\s+/g, " ").slice(0, 160));
}

let pgPatched = false;
/** Counts every statement any pg.Client in this process sends (Prisma's adapter, raw pools alike). */
export function countPgStatements(): void {
  if (pgPatched) return;
  pgPatched = true;
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: unknown, ...args: unknown[]) {
    note(args[0]);
    return original.apply(this, args);
  };
}

/** A C string in a protocol message from `at`: the string and where the next field starts. */
function cString(bytes: Uint8Array, at: number): [string, number] {
  const end = bytes.indexOf(0, at);
  return [new TextDecoder().decode(bytes.subarray(at, end)), end + 1];
}

/**
 * Prepared statements sent as protocol messages (src/db/plain-sql.ts): a Parse names the text,
 * and each Bind that starts a batch runs it once, so that is what is counted. (PGlite's own `query`
 * goes through here too, with the unnamed statement.)
 */
function countProtocol(pglite: PGlite): void {
  const texts = new Map<string, string>();
  const execProtocolStream = pglite.execProtocolStream.bind(pglite);
  Object.assign(pglite, {
    execProtocolStream: (message: Uint8Array, ...rest: unknown[]) => {
      const kind = String.fromCharCode(message[0]!);
      if (kind === "P") {
        const [name, next] = cString(message, 5);
        texts.set(name, cString(message, next)[0]);
      } else if (kind === "B") {
        const [, next] = cString(message, 5); // the portal
        const name = cString(message, next)[0];
        // The unnamed statement is `query`'s own, counted above.
        if (name) note(texts.get(name) ?? "");
      }
      return (execProtocolStream as (...a: unknown[]) => unknown)(message, ...rest);
    },
  });
}

/** A PGlite whose queries and transactions are counted (the transaction's own queries too). */
export function countingPglite(pglite: PGlite): PGlite {
  countProtocol(pglite);
  const query = pglite.query.bind(pglite);
  const exec = pglite.exec.bind(pglite);
  const transaction = pglite.transaction.bind(pglite);
  Object.assign(pglite, {
    query: (sql: string, ...rest: unknown[]) => {
      note(sql);
      return (query as (...a: unknown[]) => unknown)(sql, ...rest);
    },
    exec: (sql: string, ...rest: unknown[]) => {
      note(sql);
      return (exec as (...a: unknown[]) => unknown)(sql, ...rest);
    },
    transaction: (work: (tx: unknown) => unknown) => {
      counted.transactions += 1;
      counted.commits += 1;
      counted.statements += 2; // BEGIN and COMMIT
      counted.inTransaction = true;
      return transaction(async (tx) => {
        const txQuery = tx.query.bind(tx);
        (tx as { query: unknown }).query = (sql: string, ...rest: unknown[]) => {
          note(sql);
          return (txQuery as (...a: unknown[]) => unknown)(sql, ...rest);
        };
        try {
          return await work(tx);
        } finally {
          counted.inTransaction = false;
        }
      });
    },
  });
  return pglite;
}

export interface TendOnDatabase {
  db: Database;
  services: BuiltServices;
  engine: Engine;
}

/** Tend's services and engine on an open database (migrated here, starter catalogue synced). */
export async function tendOn(db: Database, env: Record<string, string> = {}): Promise<TendOnDatabase> {
  await applyMigrations(db.sql);
  const config = loadConfig({ LOG_LEVEL: "silent", OUTREACH_DEFAULT_QUIET_HOURS: "off", ...env });
  const logger = createLogger("silent");
  const services = buildServices(db, config, systemClock, logger);
  await services.loyalty.syncRewardCatalogue();
  return { db, services, engine: new Engine({ services, logger }) };
}

export async function openBenchPglite(count = false): Promise<Database> {
  const pglite = newPGlite();
  await pglite.waitReady;
  return openDatabase({ kind: "pglite-instance", pglite: count ? countingPglite(pglite) : pglite });
}

export function openBenchPostgres(url: string, poolSize: number): Promise<Database> {
  return openDatabase({ kind: "postgres", url, poolSize });
}

let sequence = 0;
/** A web chat (or other platform's) message as an adapter hands it to the engine. */
export function inbound(user: string, text: string, platform: InboundMessage["platform"] = "web"): InboundMessage {
  return {
    platform,
    platformUserId: user,
    address: `${platform}:${user}`,
    platformMessageId: `bench-${process.pid}-${sequence++}`,
    text,
    receivedAt: new Date(),
    raw: null,
  };
}

/** Percentile of sorted milliseconds. */
export function percentile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : Number.NaN;
}

/** The 1, 5 and 15 minute load averages, as /proc/loadavg has them: other work on the machine. */
export function loadAverage(): string {
  return os.loadavg().map((v) => v.toFixed(2)).join(" ");
}
