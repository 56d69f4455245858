import type { Command } from "commander";
import type { Config } from "../config/env.ts";
import { type Database, databaseOptionsFromConfig, openDatabase } from "../db/database.ts";
import { applyMigrations, migrationStatus } from "../db/migrations.ts";

async function withDatabase<T>(config: Config, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(databaseOptionsFromConfig(config));
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

export function registerDatabaseCommands(program: Command, config: () => Config): void {
  program
    .command("migrate")
    .description("apply pending database migrations (Tend also does this when it starts)")
    .action(async () => {
      await withDatabase(config(), async (db) => {
        const applied = await applyMigrations(db.sql);
        console.log(`${db.description}`);
        console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(", ")}` : "database schema is up to date, nothing to apply");
      });
    });

  const dbCommand = program.command("db").description("database administration");
  dbCommand
    .command("status")
    .description("show which migrations are applied and which are pending; exits 1 unless up to date")
    .action(async () => {
      await withDatabase(config(), async (db) => {
        const status = await migrationStatus(db.sql);
        console.log(db.description);
        console.log(`applied: ${status.applied.length ? status.applied.join(", ") : "none"}`);
        if (status.pending.length) console.log(`pending: ${status.pending.join(", ")} (run \`tend migrate\`)`);
        if (status.failed.length) console.log(`failed: ${status.failed.join(", ")}`);
        if (status.modified.length) console.log(`changed after being applied: ${status.modified.join(", ")}`);
        if (status.unknown.length) console.log(`applied by a newer Tend, unknown here: ${status.unknown.join(", ")}`);
        const upToDate = !status.pending.length && !status.failed.length && !status.modified.length;
        console.log(upToDate ? "database schema is up to date" : "database schema is NOT up to date");
        if (!upToDate) process.exitCode = 1;
      });
    });
}
