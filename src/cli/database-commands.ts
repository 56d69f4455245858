import type { Command } from "commander";
import type { Database } from "../db/database.ts";

/** `tend migrate` and `tend db status`; they open the database as it is, without migrating it first. */
export function registerDatabaseCommands(
  program: Command,
  openDb: () => Promise<Database>,
  stdout: { write(text: string): unknown } = process.stdout,
): void {
  const say = (line: string) => void stdout.write(`${line}\n`);
  const withDatabase = async (work: (db: Database) => Promise<void>) => {
    const db = await openDb();
    try {
      await work(db);
    } finally {
      await db.close();
    }
  };

  program
    .command("migrate")
    .description("apply pending database migrations (Tend also does this when it starts)")
    .action(async () => {
      const { applyMigrations } = await import("../db/migrations.ts");
      await withDatabase(async (db) => {
        const applied = await applyMigrations(db.sql);
        say(db.description);
        say(applied.length ? `applied ${applied.length} migration(s): ${applied.join(", ")}` : "database schema is up to date, nothing to apply");
      });
    });

  const dbCommand = program.command("db").description("database administration");
  dbCommand
    .command("status")
    .description("show which migrations are applied and which are pending; exits 1 unless up to date")
    .action(async () => {
      const { migrationStatus } = await import("../db/migrations.ts");
      await withDatabase(async (db) => {
        const status = await migrationStatus(db.sql);
        say(db.description);
        say(`applied: ${status.applied.length ? status.applied.join(", ") : "none"}`);
        if (status.pending.length) say(`pending: ${status.pending.join(", ")} (run \`tend migrate\`)`);
        if (status.failed.length) say(`failed: ${status.failed.join(", ")}`);
        if (status.modified.length) say(`changed after being applied: ${status.modified.join(", ")}`);
        if (status.unknown.length) say(`applied by a newer Tend, unknown here: ${status.unknown.join(", ")}`);
        const upToDate = !status.pending.length && !status.failed.length && !status.modified.length;
        say(upToDate ? "database schema is up to date" : "database schema is NOT up to date");
        if (!upToDate) process.exitCode = 1;
      });
    });
}
