import fs from "node:fs/promises";
import path from "node:path";
import { newPGlite } from "../../src/db/pglite.ts";
import type { TestProject } from "vitest/node";
import { openDatabase } from "../../src/db/database.ts";
import { applyMigrations } from "../../src/db/migrations.ts";
import { describeError } from "../../src/errors.ts";
import { databaseUrl, withAdminClient } from "./postgres-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A migrated PGlite data folder as a tarball: tests load it instead of running initdb each time. */
    pgliteSnapshot: string;
    /** A migrated PostgreSQL database to copy with CREATE DATABASE … TEMPLATE, or "" when skipped. */
    postgresTemplate: string;
    /** Why the PostgreSQL suites are skipped; "" when they run. */
    postgresSkipReason: string;
    runId: string;
  }
}

const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;

export default async function setup(project: TestProject) {
  project.provide("runId", runId);
  project.provide("pgliteSnapshot", await makePgliteSnapshot());

  const template = `tend_test_${runId}_template`;
  try {
    await withAdminClient(async (client) => {
      await client.query(`CREATE DATABASE "${template}"`);
    });
    const db = await openDatabase({ kind: "postgres", url: databaseUrl(template), poolSize: 1 });
    await applyMigrations(db.sql);
    await db.close();
    project.provide("postgresTemplate", template);
    project.provide("postgresSkipReason", "");
  } catch (error) {
    const reason = `PostgreSQL unreachable at the test server (${describeError(error)})`;
    console.warn(`\n[tend tests] PostgreSQL suites SKIPPED: ${reason}\n`);
    project.provide("postgresTemplate", "");
    project.provide("postgresSkipReason", reason);
  }

  return async () => {
    await withAdminClient(async (client) => {
      const { rows } = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE $1`,
        [`tend_test_${runId}_%`],
      );
      for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }).catch(() => {});
  };
}

async function makePgliteSnapshot(): Promise<string> {
  const pglite = newPGlite();
  const db = await openDatabase({ kind: "pglite-instance", pglite });
  await applyMigrations(db.sql);
  const dump = await pglite.dumpDataDir("none");
  await db.close();
  const file = path.resolve(".tmp", `pglite-${runId}.tar`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, Buffer.from(await dump.arrayBuffer()));
  return file;
}
