// First: the process runs in UTC before any query reads a timestamp (src/config/utc-process.ts says why).
import "../config/utc-process.ts";
import fs from "node:fs";
import { Command } from "commander";
import packageJson from "../../package.json" with { type: "json" };
import type { Config } from "../config/env.ts";
import type { Database } from "../db/database.ts";
import { TendError } from "../errors.ts";
import { loyaltySettingsFromConfig } from "../loyalty/settings.ts";
import { registerAnalyticsCommands } from "./analytics-commands.ts";
import { registerClvCommands } from "./clv-commands.ts";
import { registerDatabaseCommands } from "./database-commands.ts";
import { resolveFileArguments } from "./file-arguments.ts";
import { registerImportCommands } from "./import-commands.ts";
import { RunningTendFound, openOrHandOver, runOnHolder } from "./remote-command.ts";
import { registerReportCommands } from "./report-commands.ts";
import { registerOutreachReportCommand } from "./outreach-report-command.ts";
import { registerOutreachCommands } from "./outreach-commands.ts";
import { registerStaffCommands } from "./staff-commands.ts";
import { runProgram } from "./run-program.ts";

/**
 * `tend`: one entry point for running Tend and for its administration commands. Errors go to
 * stderr as one line, with a non-zero exit code; stdout stays for results (and logs under `start`).
 * Modules that load the database or the server are imported by the commands that need them, so
 * `tend --help` and `tend --version` answer at once.
 */
export interface CommandContext {
  config: () => Config;
  /** Opens the database for one command; closing it is the command's job. */
  openDb: () => Promise<Database>;
  /** Relative file names on the command line are resolved against this folder. */
  cwd: string;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Runs Tend until a signal; absent where Tend already runs (a command sent to it by a CLI). */
  start?: () => Promise<void>;
}

export function buildProgram(context: CommandContext): Command {
  const { config, stdout, stderr } = context;
  const program = new Command("tend")
    .description("Tend: relationship marketing in the chat apps your customers already use")
    .version(packageJson.version, "-V, --version", "print Tend's version")
    .configureOutput({ writeOut: (text) => void stdout.write(text), writeErr: (text) => void stderr.write(text) })
    .showHelpAfterError("(run `tend --help` for usage)")
    .exitOverride();

  program
    .command("start")
    .description("run Tend: database, HTTP server (web chat, API, /healthz, /metrics) and the configured channels")
    .action(async () => {
      if (!context.start) throw new TendError("ALREADY_RUNNING", "Tend is already running on this data folder");
      await context.start();
    });

  registerDatabaseCommands(program, context.openDb, stdout);

  // Administration commands open the database themselves, migrated like `start` would.
  const openDb = async () => {
    const db = await context.openDb();
    try {
      const { applyMigrations } = await import("../db/migrations.ts");
      await applyMigrations(db.sql);
    } catch (error) {
      await db.close();
      throw error;
    }
    return db;
  };
  // Imported orders earn points as API orders do, booked in the same transaction as the orders.
  registerImportCommands(program, openDb, { loyaltySettings: () => loyaltySettingsFromConfig(config()), stdout, stderr });
  registerReportCommands(program, openDb, (text) => void stdout.write(text));
  registerOutreachReportCommand(program, openDb, (text) => void stdout.write(text));
  registerOutreachCommands(program, openDb, config, (text) => void stdout.write(text));
  registerClvCommands(program, { stdout, stderr });
  registerAnalyticsCommands(program, openDb, config, { stdout, stderr });
  registerStaffCommands(program, openDb, (text) => void stdout.write(text));
  resolveFileArguments(program, context.cwd);
  return program;
}

function loadDotEnv(): void {
  // Variables already set in the environment win over the file, as with most tools.
  if (fs.existsSync(".env")) process.loadEnvFile(".env");
}

/** Set by `start`: the process then lives until a signal instead of exiting when the command returns. */
let keepRunning = false;

async function main(args: string[]): Promise<number> {
  loadDotEnv();
  let env: typeof import("../config/env.ts") | undefined;
  let config: Config | undefined;
  const context: CommandContext = {
    config: () => (config ??= env!.loadConfig()),
    openDb: async () => {
      const { DATABASE_URL, TEND_DATA_DIR } = context.config();
      const open = async () => {
        const { databaseOptionsFromConfig, openDatabase } = await import("../db/database.ts");
        return openDatabase(databaseOptionsFromConfig(context.config()));
      };
      if (DATABASE_URL) return open();
      // The embedded database allows one process: if Tend runs on it, the command runs there.
      return openOrHandOver(TEND_DATA_DIR, open, (text) => void (process.stderr.isTTY && process.stderr.write(text)));
    },
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    start: async () => {
      const { runStart } = await import("./start-command.ts");
      await runStart(context.config(), buildProgram);
      keepRunning = true;
    },
  };
  const program = buildProgram(context);
  // Loaded only when a command runs, not for --help or --version.
  program.hook("preAction", async () => {
    env ??= await import("../config/env.ts");
  });
  try {
    return await runProgram(program, args, process);
  } catch (error) {
    if (!(error instanceof RunningTendFound)) throw error;
    const { configVariableNames } = env!;
    const variables = Object.fromEntries(configVariableNames.flatMap((name) => (process.env[name] !== undefined ? [[name, process.env[name]!]] : [])));
    const terminal = process.stderr.isTTY ? { terminal: { columns: process.stderr.columns || 80 } } : {};
    return runOnHolder(error.holder, { args, cwd: process.cwd(), env: variables, ...terminal }, process);
  }
}

const exitCode = await main(process.argv.slice(2));
// Every command but a running `start` is done here; exit even if a library left a handle open.
if (!keepRunning || exitCode !== 0) process.exit(exitCode);
