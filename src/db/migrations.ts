import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TendError, describeError } from "../errors.ts";
import type { SqlConnection, SqlSession } from "./sql.ts";

/**
 * Tend applies prisma/migrations itself, on PGlite and PostgreSQL alike: Prisma's own
 * `migrate deploy` cannot read a real PostgreSQL through the driver adapter. It records each
 * migration in Prisma's `_prisma_migrations` table exactly as Prisma does, so `prisma migrate
 * status` agrees with it.
 */
export const defaultMigrationsDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "prisma",
  "migrations",
);

/** Any constant works; it only has to be the same for every Tend instance. */
const MIGRATION_LOCK_KEY = 72_656_110_001;

export interface MigrationFile {
  name: string;
  sql: string;
  /** sha256 of the file, hex: what Prisma stores as the checksum. */
  checksum: string;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Applied, but the file has changed since. */
  modified: string[];
  /** Started and never finished (e.g. by an older tool): needs a person to look. */
  failed: string[];
  /** Recorded in the database, absent from this version's files: the database is newer. */
  unknown: string[];
}

export async function readMigrationFiles(dir: string = defaultMigrationsDir): Promise<MigrationFile[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await fs.readFile(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

async function recordedMigrations(session: SqlSession): Promise<MigrationRow[]> {
  const [table] = await session.query<{ present: boolean }>(
    `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`,
  );
  if (!table?.present) return [];
  return session.query<MigrationRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
  );
}

function compare(files: MigrationFile[], rows: MigrationRow[]): MigrationStatus {
  const live = rows.filter((r) => r.rolled_back_at === null);
  const finished = new Map(live.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r]));
  const failed = live.filter((r) => r.finished_at === null).map((r) => r.migration_name);
  const known = new Set(files.map((f) => f.name));
  return {
    applied: files.filter((f) => finished.has(f.name)).map((f) => f.name),
    pending: files.filter((f) => !finished.has(f.name) && !failed.includes(f.name)).map((f) => f.name),
    modified: files.filter((f) => finished.has(f.name) && finished.get(f.name)!.checksum !== f.checksum).map((f) => f.name),
    failed,
    unknown: [...finished.keys()].filter((name) => !known.has(name)),
  };
}

export async function migrationStatus(sql: SqlConnection, files?: MigrationFile[]): Promise<MigrationStatus> {
  const migrationFiles = files ?? (await readMigrationFiles());
  return sql.withSession(async (session) => compare(migrationFiles, await recordedMigrations(session)));
}

/**
 * Applies every pending migration in order, each in its own transaction. An advisory lock makes
 * instances that start together take turns, so each migration runs once.
 */
export async function applyMigrations(sql: SqlConnection, files?: MigrationFile[]): Promise<string[]> {
  const migrationFiles = files ?? (await readMigrationFiles());
  return sql.withSession(async (session) => {
    await session.query(`SELECT pg_advisory_lock($1)`, [MIGRATION_LOCK_KEY]);
    try {
      await session.exec(CREATE_MIGRATIONS_TABLE);
      const status = compare(migrationFiles, await recordedMigrations(session));
      if (status.failed.length > 0) {
        throw new TendError(
          "MIGRATION_FAILED",
          `migration ${status.failed.join(", ")} was started and never finished; repair the database, then mark it with \`prisma migrate resolve\``,
        );
      }
      const applied: string[] = [];
      for (const file of migrationFiles.filter((f) => status.pending.includes(f.name))) {
        await applyOne(session, file);
        applied.push(file.name);
      }
      return applied;
    } finally {
      await session.query(`SELECT pg_advisory_unlock($1)`, [MIGRATION_LOCK_KEY]);
    }
  });
}

async function applyOne(session: SqlSession, file: MigrationFile): Promise<void> {
  const id = randomUUID();
  await session.exec("BEGIN");
  try {
    await session.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)`,
      [id, file.checksum, file.name],
    );
    await session.exec(file.sql);
    await session.query(
      `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    await session.exec("COMMIT");
  } catch (error) {
    await session.exec("ROLLBACK").catch(() => {});
    throw new TendError(
      "MIGRATION_FAILED",
      `migration ${file.name} failed and was rolled back: ${describeError(error)}`,
      { cause: error },
    );
  }
}
