import path from "node:path";
import cliProgress from "cli-progress";
import { type Command, InvalidArgumentError } from "commander";
import { type Clock, systemClock } from "../core/clock.ts";
import { EventBus } from "../core/events.ts";
import type { Database } from "../db/database.ts";
import { migrationStatus } from "../db/migrations.ts";
import { TendError } from "../errors.ts";
import { type ImportKind, type ImportReport, checkImportFile, importColumns, importCsv } from "../ingest/csv-import.ts";
import type { IngestSettings } from "../ingest/ingest-service.ts";
import type { LoyaltySettings } from "../loyalty/settings.ts";

export interface ImportCommandOptions {
  clock?: Clock;
  settings?: Partial<IngestSettings>;
  /** How orders earn points (the configured loyalty settings); points are booked with each order. */
  loyaltySettings?: () => Partial<LoyaltySettings>;
  /**
   * Lets other parts react to what the import records (`order.recorded`): called with the open
   * database and the import's event bus before the first row. What it returns is awaited after
   * the last row, before the database closes, so listeners still at work can finish.
   */
  subscribe?: (events: EventBus, db: Database) => Promise<(() => Promise<void>) | void> | (() => Promise<void>) | void;
  /** For tests; default process.stdout / process.stderr. A progress bar is drawn only on a TTY. */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Exit status when the file was imported but some rows were rejected (1 means nothing could be done). */
export const EXIT_SOME_REJECTED = 2;

/** `tend import customers FILE.csv` and `tend import orders FILE.csv`. */
export function registerImportCommands(program: Command, openDb: () => Promise<Database>, options: ImportCommandOptions = {}): void {
  const importCommand = program
    .command("import")
    .description("import customers or orders from a CSV file (UTF-8, header row; safe to run again)");

  for (const kind of ["customers", "orders"] as const) {
    const { required, optional } = importColumns[kind];
    importCommand
      .command(`${kind} <file>`)
      .description(
        `import ${kind} from a CSV file. Columns: ${required.join(", ")} (required)${optional.length ? `, ${optional.join(", ")}` : ""}. ` +
          `Exits ${EXIT_SOME_REJECTED} when some rows were rejected, 1 when nothing could be imported.`,
      )
      .option("--rejects <file>", "also write the rejected rows, with line number and reason, to this CSV file")
      .option("--batch-size <rows>", "rows written to the database at a time", parseBatchSize, 500)
      .action(async (file: string, flags: { rejects?: string; batchSize: number }) => {
        const report = await runImport(kind, file, flags, openDb, options);
        if (report.counts.rejected > 0) process.exitCode = EXIT_SOME_REJECTED;
      });
  }
}

function parseBatchSize(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError("must be a whole number from 1 to 1000");
  return n;
}

/** Runs one import and prints its report; the exit status is left to the caller. */
export async function runImport(
  kind: ImportKind,
  file: string,
  flags: { rejects?: string | undefined; batchSize?: number | undefined },
  openDb: () => Promise<Database>,
  options: ImportCommandOptions = {},
): Promise<ImportReport> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  // Before the database: a wrong file name should not cost a database start-up.
  await checkImportFile(file, kind);
  // Loaded here rather than at the top: they load the database client, which `tend --help` should not wait for.
  const [{ IngestService }, { LoyaltyService }] = await Promise.all([import("../ingest/ingest-service.ts"), import("../loyalty/loyalty-service.ts")]);

  const db = await openDb();
  let bar: cliProgress.SingleBar | undefined;
  try {
    const status = await migrationStatus(db.sql);
    if (status.pending.length || status.failed.length) {
      throw new TendError("SCHEMA_OUTDATED", `the database schema of ${db.description} is not up to date: run \`tend migrate\` first`);
    }
    const events = new EventBus((name, error) => stderr.write(`tend: a listener for ${name} failed: ${String(error)}\n`));
    const settle = await options.subscribe?.(events, db);
    const clock = options.clock ?? systemClock;
    const loyalty = new LoyaltyService({ prisma: db.prisma, clock, events, settings: options.loyaltySettings?.() ?? {} });
    const ingest = new IngestService(db.prisma, events, clock, options.settings, loyalty);
    const started = performance.now();

    const report = await importCsv({
      kind,
      file,
      ingest,
      batchSize: flags.batchSize,
      ...(flags.rejects ? { rejectsFile: flags.rejects } : {}),
      onProgress: (progress) => {
        if (!stderr.isTTY) return;
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              stream: stderr as NodeJS.WriteStream,
              format: `importing ${kind} [{bar}] {percentage}% | {rows} rows, {rejected} rejected | {rate} rows/s | ETA {eta_formatted}`,
              hideCursor: true,
              clearOnComplete: true,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(Math.max(progress.totalBytes, 1), 0, { rows: 0, rejected: 0, rate: 0 });
        }
        const seconds = (performance.now() - started) / 1000;
        const rate = seconds > 0 ? Math.round(progress.rows / seconds) : 0;
        bar.update(Math.min(progress.bytesRead, progress.totalBytes), { rows: progress.rows, rejected: progress.rejected, rate });
      },
    });
    bar?.stop();
    bar = undefined;
    if (typeof settle === "function") await settle();
    stdout.write(formatReport(report, flags.rejects));
    return report;
  } finally {
    bar?.stop();
    await db.close();
  }
}

export function formatReport(report: ImportReport, rejectsFile?: string): string {
  const { counts } = report;
  const lines = [
    `${report.kind} from ${path.basename(report.file)}: ${report.rows} row${report.rows === 1 ? "" : "s"} read`,
    `  created:   ${counts.created}`,
    `  updated:   ${counts.updated}`,
    `  duplicate: ${counts.duplicate}`,
    `  rejected:  ${counts.rejected}`,
  ];
  if (report.customersCreated) {
    lines.push(`  ${report.customersCreated} customer${report.customersCreated === 1 ? " was" : "s were"} unknown and created with only their external id`);
  }
  if (report.ignoredColumns.length) lines.push(`  ignored columns: ${report.ignoredColumns.join(", ")}`);
  if (report.rejects.length) {
    lines.push("rejected rows:");
    for (const reject of report.rejects) lines.push(`  line ${reject.line}: ${reject.reason}`);
  }
  if (rejectsFile) lines.push(`rejected rows written to ${rejectsFile}`);
  return `${lines.join("\n")}\n`;
}
