import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { newPGlite } from "../../src/db/pglite.ts";
import { afterAll, beforeAll, describe, inject } from "vitest";
import { type Database, openDatabase } from "../../src/db/database.ts";
import { databaseUrl, withAdminClient } from "./postgres-server.ts";

let copies = 0;

/** A fresh, migrated in-memory PGlite, loaded from the snapshot global setup made. */
export async function openTestPglite(): Promise<Database> {
  const tarball = await fs.readFile(inject("pgliteSnapshot"));
  const pglite = newPGlite({ loadDataDir: new Blob([tarball]) });
  await pglite.waitReady;
  return openDatabase({ kind: "pglite-instance", pglite });
}

/** A fresh, migrated PostgreSQL database of its own, copied from the run's template. */
export async function openTestPostgres(): Promise<Database> {
  const name = await createTestPostgresDatabase();
  return openDatabase({ kind: "postgres", url: databaseUrl(name), poolSize: 10 });
}

/** Creates an empty-but-migrated database and returns its name; dropped when the run ends. */
export async function createTestPostgresDatabase(): Promise<string> {
  const template = inject("postgresTemplate");
  if (!template) throw new Error(inject("postgresSkipReason"));
  const name = `tend_test_${inject("runId")}_${process.pid}_${copies++}`;
  await withAdminClient(async (client) => {
    // Two workers copying the template at the same instant can collide; a short retry settles it.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        return;
      } catch (error) {
        if (attempt >= 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 300));
      }
    }
  });
  return name;
}

export interface DatabaseTarget {
  name: "pglite" | "postgres";
  open: () => Promise<Database>;
  skipReason: string;
}

export function databaseTargets(): DatabaseTarget[] {
  return [
    { name: "pglite", open: openTestPglite, skipReason: "" },
    { name: "postgres", open: openTestPostgres, skipReason: inject("postgresSkipReason") },
  ];
}

/**
 * Runs the same suite against PGlite and PostgreSQL, each on a database of its own. Where
 * PostgreSQL cannot be reached the suite is reported as skipped, with the reason in its name.
 */
export function describeEachDatabase(title: string, suite: (db: () => Database, target: DatabaseTarget) => void): void {
  for (const target of databaseTargets()) {
    const label = target.skipReason ? `${title} [${target.name}] (skipped: ${target.skipReason})` : `${title} [${target.name}]`;
    describe.skipIf(Boolean(target.skipReason))(label, () => {
      let db: Database | undefined;
      beforeAll(async () => {
        db = await target.open();
      });
      afterAll(async () => {
        await db?.close();
      });
      suite(() => {
        if (!db) throw new Error("database not open yet");
        return db;
      }, target);
    });
  }
}

export interface TendDatabaseTarget {
  name: "pglite" | "postgres";
  /** Why this target is skipped; "" when it runs. */
  skip: string;
  /** The variables that point a whole Tend at a fresh database of this kind. */
  env: () => Promise<Record<string, string>>;
}

/** For suites that start a whole Tend: a fresh PGlite data folder, or a fresh PostgreSQL database. */
export function tendDatabaseTargets(label: string): TendDatabaseTarget[] {
  return [
    { name: "pglite", skip: "", env: async () => ({ TEND_DATA_DIR: await fs.mkdtemp(path.join(os.tmpdir(), `tend-${label}-`)) }) },
    {
      name: "postgres",
      skip: inject("postgresSkipReason"),
      env: async () => ({ DATABASE_URL: databaseUrl(await createTestPostgresDatabase()) }),
    },
  ];
}
