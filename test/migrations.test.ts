import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { newPGlite } from "../src/db/pglite.ts";
import { describe, expect, inject, it } from "vitest";
import { openDatabase } from "../src/db/database.ts";
import { applyMigrations, migrationStatus, readMigrationFiles } from "../src/db/migrations.ts";
import { TendError } from "../src/errors.ts";
import { databaseUrl, withAdminClient } from "./support/postgres-server.ts";

const run = promisify(execFile);

async function scratchMigrations(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tend-migrations-"));
  for (const [name, sql] of Object.entries(files)) {
    await fs.mkdir(path.join(dir, name));
    await fs.writeFile(path.join(dir, name, "migration.sql"), sql);
  }
  return dir;
}

describe("migrations on PGlite", () => {
  it("apply once, record Prisma's checksums, and report status", async () => {
    const dir = await scratchMigrations({
      "001_a": `CREATE TABLE "A" (id int PRIMARY KEY);`,
      "002_b": `CREATE TABLE "B" (id int PRIMARY KEY); INSERT INTO "B" VALUES (1);`,
    });
    const db = await openDatabase({ kind: "pglite-instance", pglite: newPGlite() });
    try {
      const files = await readMigrationFiles(dir);
      expect(await applyMigrations(db.sql, files)).toEqual(["001_a", "002_b"]);
      expect(await applyMigrations(db.sql, files)).toEqual([]);
      const rows = await db.sql.withSession((s) =>
        s.query<{ migration_name: string; checksum: string; applied_steps_count: number; finished_at: Date | null }>(
          `SELECT migration_name, checksum, applied_steps_count, finished_at FROM "_prisma_migrations" ORDER BY migration_name`,
        ),
      );
      const expected = createHash("sha256").update(`CREATE TABLE "A" (id int PRIMARY KEY);`).digest("hex");
      expect(rows[0]).toMatchObject({ migration_name: "001_a", checksum: expected, applied_steps_count: 1 });
      expect(rows[1]?.finished_at).toBeInstanceOf(Date);

      // A file edited after it was applied, a new pending one, and one only the database knows.
      await fs.writeFile(path.join(dir, "001_a", "migration.sql"), `CREATE TABLE "A" (id bigint PRIMARY KEY);`);
      await fs.rm(path.join(dir, "002_b"), { recursive: true });
      await fs.mkdir(path.join(dir, "003_c"));
      await fs.writeFile(path.join(dir, "003_c", "migration.sql"), `SELECT 1;`);
      const status = await migrationStatus(db.sql, await readMigrationFiles(dir));
      expect(status).toEqual({ applied: ["001_a"], pending: ["003_c"], modified: ["001_a"], failed: [], unknown: ["002_b"] });
    } finally {
      await db.close();
    }
  });

  it("roll a failing migration back whole and say which one failed", async () => {
    const dir = await scratchMigrations({
      "001_ok": `CREATE TABLE "Ok" (id int);`,
      "002_bad": `CREATE TABLE "Half" (id int); SELECT * FROM "NoSuchTable";`,
    });
    const db = await openDatabase({ kind: "pglite-instance", pglite: newPGlite() });
    try {
      const error = await applyMigrations(db.sql, await readMigrationFiles(dir)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TendError);
      expect((error as Error).message).toMatch(/migration 002_bad failed and was rolled back: .*NoSuchTable/);
      const tables = await db.sql.withSession((s) =>
        s.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`),
      );
      expect(tables.map((t) => t.name)).toEqual(["Ok", "_prisma_migrations"]);
      expect((await migrationStatus(db.sql, await readMigrationFiles(dir))).pending).toEqual(["002_bad"]);
    } finally {
      await db.close();
    }
  });

  it("are read by `prisma migrate status` as up to date", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tend-prisma-status-"));
    const db = await openDatabase({ kind: "pglite", dataDir });
    await applyMigrations(db.sql);
    await db.close();
    const { stdout } = await run("timeout", ["120", "node_modules/.bin/prisma", "migrate", "status"], {
      env: { ...process.env, TEND_DATA_DIR: dataDir, CHECKPOINT_DISABLE: "1" },
    });
    expect(stdout).toMatch(/Database schema is up to date!/);
  }, 150_000);
});

describe.skipIf(Boolean(inject("postgresSkipReason")))(
  `migrations on PostgreSQL${inject("postgresSkipReason") ? ` (skipped: ${inject("postgresSkipReason")})` : ""}`,
  () => {
    it("are applied once when several instances start together", async () => {
      const name = `tend_test_${inject("runId")}_${process.pid}_concurrent`;
      await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`));
      const instances = await Promise.all(
        Array.from({ length: 4 }, () => openDatabase({ kind: "postgres", url: databaseUrl(name), poolSize: 2 })),
      );
      try {
        const all = (await readMigrationFiles()).map((m) => m.name);
        expect(all[0]).toBe("20261123000000_init");
        const applied = await Promise.all(instances.map((db) => applyMigrations(db.sql)));
        expect(applied.flat().sort()).toEqual(all);
        const [row] = await instances[0]!.sql.withSession((s) =>
          s.query<{ n: number }>(`SELECT count(*)::int AS n FROM "_prisma_migrations"`),
        );
        expect(row?.n).toBe(all.length);
        const status = await migrationStatus(instances[1]!.sql);
        expect(status.pending).toEqual([]);
        expect(status.applied).toEqual(all);
      } finally {
        await Promise.all(instances.map((db) => db.close()));
      }
    });
  },
);
