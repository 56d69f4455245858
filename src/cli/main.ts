import fs from "node:fs";
import { Command, CommanderError } from "commander";
import { type Config, loadConfig } from "../config/env.ts";
import { TendError, describeError } from "../errors.ts";
import { databaseOptionsFromConfig, openDatabase } from "../db/database.ts";
import { applyMigrations } from "../db/migrations.ts";
import { loyaltySettingsFromConfig } from "../loyalty/settings.ts";
import { registerAnalyticsCommands } from "./analytics-commands.ts";
import { registerClvCommands } from "./clv-commands.ts";
import { registerDatabaseCommands } from "./database-commands.ts";
import { registerImportCommands } from "./import-commands.ts";
import { registerReportCommands } from "./report-commands.ts";
import { runStart } from "./start-command.ts";

/**
 * `tend`: one entry point for running Tend and for its administration commands. Errors go to
 * stderr as one line, with a non-zero exit code; stdout stays for results (and logs under `start`).
 */
function loadDotEnv(): void {
  // Variables already set in the environment win over the file, as with most tools.
  if (fs.existsSync(".env")) process.loadEnvFile(".env");
}

/** Set by `start`: the process then lives until a signal instead of exiting when the command returns. */
let keepRunning = false;

export function buildProgram(config: () => Config): Command {
  const program = new Command("tend")
    .description("Tend: relationship marketing in the chat apps your customers already use")
    .showHelpAfterError("(run `tend --help` for usage)")
    .exitOverride();

  program
    .command("start")
    .description("run Tend: database, HTTP server (web chat, API, /healthz, /metrics) and the configured channels")
    .action(async () => {
      await runStart(config());
      keepRunning = true;
    });

  registerDatabaseCommands(program, config);

  // Administration commands open the database themselves, migrated like `start` would.
  const openDb = async () => {
    const db = await openDatabase(databaseOptionsFromConfig(config()));
    try {
      await applyMigrations(db.sql);
    } catch (error) {
      await db.close();
      throw error;
    }
    return db;
  };
  // Imported orders earn points as API orders do, booked in the same transaction as the orders.
  registerImportCommands(program, openDb, { loyaltySettings: () => loyaltySettingsFromConfig(config()) });
  registerReportCommands(program, openDb);
  registerClvCommands(program);
  registerAnalyticsCommands(program, openDb, config);
  return program;
}

async function main(argv: string[]): Promise<number> {
  loadDotEnv();
  let config: Config | undefined;
  const program = buildProgram(() => (config ??= loadConfig()));
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed the usage problem (or the help text, which is not an error).
      return error.exitCode;
    }
    if (error instanceof TendError) {
      process.stderr.write(`tend: ${error.message}\n`);
    } else {
      process.stderr.write(`tend: unexpected error: ${describeError(error)}\n`);
      if (process.env.LOG_LEVEL === "debug" || process.env.LOG_LEVEL === "trace") {
        process.stderr.write(`${(error as Error)?.stack ?? ""}\n`);
      }
    }
    return 1;
  }
}

const exitCode = await main(process.argv);
// Every command but a running `start` is done here; exit even if a library left a handle open.
if (!keepRunning || exitCode !== 0) process.exit(exitCode);
