import fs from "node:fs";
import path from "node:path";
import { once } from "node:events";
import { TendError, describeError } from "../errors.ts";
import { CsvEncodingError, readCsvRecords } from "./csv-records.ts";
import type { IngestService, IngestStatus, ItemResult } from "./ingest-service.ts";
import type { FieldError } from "./schemas.ts";

export type ImportKind = "customers" | "orders";

/** The columns each import reads, in the order a template would list them. */
export const importColumns = {
  customers: {
    required: ["external_id"],
    optional: ["display_name", "email", "phone", "birthday", "birthday_calendar", "time_zone", "locale", "tags", "marketing_consent"],
  },
  orders: {
    required: ["external_id", "customer_external_id", "amount", "currency", "placed_at"],
    optional: [],
  },
} as const satisfies Record<ImportKind, { required: readonly string[]; optional: readonly string[] }>;

export interface ImportProgress {
  bytesRead: number;
  totalBytes: number;
  rows: number;
  rejected: number;
}

export interface ImportOptions {
  kind: ImportKind;
  file: string;
  ingest: IngestService;
  /** Rows written per call to the ingest service; at most its batch limit. */
  batchSize?: number;
  /** Writes the rejected rows here, with their line number and the reason. */
  rejectsFile?: string;
  onProgress?: (progress: ImportProgress) => void;
}

export interface RejectedRow {
  line: number;
  reason: string;
}

export interface ImportReport {
  kind: ImportKind;
  file: string;
  /** Data rows read, blank ones not counted. */
  rows: number;
  counts: Record<IngestStatus, number>;
  /** Orders: customers made with only their external id because the file named them first. */
  customersCreated: number;
  rejects: RejectedRow[];
  /** Header columns Tend does not read. */
  ignoredColumns: string[];
}

interface Pending {
  line: number;
  fields: string[];
  input?: Record<string, unknown>;
  /** Set for a row rejected before it reached the ingest service. */
  reason?: string;
}

/**
 * Imports a CSV file of customers or orders through the ingest service, in batches. Broken and
 * invalid rows are rejected with their line number; everything else is kept. Running the same
 * file again is harmless: customers are updated, orders come back as duplicates.
 */
export async function importCsv(options: ImportOptions): Promise<ImportReport> {
  const { kind, file, ingest } = options;
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 500, ingest.maxBatchItems));
  const totalBytes = checkReadable(file);
  const source = `import:${path.basename(file)}`;
  const report: ImportReport = {
    kind,
    file,
    rows: 0,
    counts: { created: 0, updated: 0, duplicate: 0, rejected: 0 },
    customersCreated: 0,
    rejects: [],
    ignoredColumns: [],
  };

  const stream = fs.createReadStream(file, { highWaterMark: 64 * 1024 });
  let rejectsOut: RejectsWriter | undefined;
  let header: string[] | undefined;
  let batch: Pending[] = [];
  let inputs = 0;
  const progress = () => options.onProgress?.({ bytesRead: stream.bytesRead, totalBytes, rows: report.rows, rejected: report.counts.rejected });

  const flush = async () => {
    const toIngest = batch.filter((row) => row.input);
    const results: ItemResult[] = toIngest.length
      ? kind === "customers"
        ? await ingest.upsertCustomers(toIngest.map((row) => row.input), { source })
        : await ingest.recordOrders(toIngest.map((row) => row.input), { source })
      : [];
    results.forEach((result, i) => {
      const row = toIngest[i]!;
      report.counts[result.status] += 1;
      if (result.customerCreated) report.customersCreated += 1;
      if (result.status === "rejected") row.reason = describeErrors(result.errors ?? []);
    });
    for (const row of batch) {
      if (row.reason === undefined) continue;
      if (!row.input) report.counts.rejected += 1;
      report.rejects.push({ line: row.line, reason: row.reason });
      await rejectsOut?.write(row, header!.length);
    }
    batch = [];
    inputs = 0;
    progress();
  };

  try {
    for await (const record of readCsvRecords(stream)) {
      if (!header) {
        if ("error" in record) throw new TendError("IMPORT_HEADER", `${file} line ${record.line}: cannot read the header row: ${record.error}`);
        header = readHeader(file, kind, record.fields, report);
        if (options.rejectsFile) rejectsOut = await RejectsWriter.open(options.rejectsFile, file, record.fields);
        continue;
      }
      if ("error" in record) {
        report.rows += 1;
        batch.push({ line: record.line, fields: [], reason: `${record.error}; the line reads: ${shorten(record.text)}` });
      } else if (record.fields.every((field) => field.trim() === "")) {
        continue;
      } else {
        report.rows += 1;
        if (record.fields.length !== header.length) {
          batch.push({
            line: record.line,
            fields: record.fields,
            reason: `wrong number of columns: the header has ${header.length}, this row has ${record.fields.length}`,
          });
        } else {
          const unstorable = unstorableField(kind, header, record.fields);
          if (unstorable) {
            batch.push({ line: record.line, fields: record.fields, reason: unstorable });
          } else {
            batch.push({ line: record.line, fields: record.fields, input: toInput(kind, header, record.fields) });
            inputs += 1;
          }
        }
      }
      // Rows rejected before the ingest count too: memory stays bounded in a file of broken rows.
      if (inputs >= batchSize || batch.length >= batchSize * 2) await flush();
    }
    if (!header) throw emptyFile(file, kind);
    await flush();
    await rejectsOut?.close();
    return report;
  } catch (error) {
    stream.destroy();
    let kept = false;
    if (error instanceof CsvEncodingError && header) {
      // Keep what was read before the undecodable line, as the message promises.
      kept = await flush().then(
        () => report.rows > 0,
        () => false,
      );
    }
    await rejectsOut?.close().catch(() => {});
    if (error instanceof CsvEncodingError) throw notUtf8(file, error, kept);
    throw error;
  }
}

/**
 * Fails early, before any database is opened, on what would stop the import anyway: a file that
 * cannot be read, is empty, or lacks a required column.
 */
export async function checkImportFile(file: string, kind: ImportKind): Promise<void> {
  checkReadable(file);
  const stream = fs.createReadStream(file, { highWaterMark: 64 * 1024 });
  try {
    for await (const record of readCsvRecords(stream)) {
      if ("error" in record) throw new TendError("IMPORT_HEADER", `${file} line ${record.line}: cannot read the header row: ${record.error}`);
      readHeader(file, kind, record.fields, { ignoredColumns: [] });
      return;
    }
    throw emptyFile(file, kind);
  } catch (error) {
    if (error instanceof CsvEncodingError) throw notUtf8(file, error, false);
    throw error;
  } finally {
    stream.destroy();
  }
}

function emptyFile(file: string, kind: ImportKind): TendError {
  return new TendError("IMPORT_EMPTY", `${file} is empty: expected a header row naming the columns (${importColumns[kind].required.join(", ")}, ...)`);
}

function notUtf8(file: string, error: CsvEncodingError, started: boolean): TendError {
  return new TendError(
    "IMPORT_ENCODING",
    `${file} is not UTF-8 text (near line ${error.line}): save it as "CSV UTF-8" and import it again` +
      (started ? "; rows before that line were imported, and importing them again is harmless" : ""),
  );
}

function checkReadable(file: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
    fs.accessSync(file, fs.constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : describeError(error);
    throw new TendError("IMPORT_FILE", `cannot read ${file}: ${why}`);
  }
  if (!stat.isFile()) throw new TendError("IMPORT_FILE", `cannot read ${file}: not a file`);
  return stat.size;
}

/** "External ID" and "external-id" both name external_id. */
function normalizeColumn(name: string): string {
  return name.trim().toLowerCase().replace(/[\s-]+/g, "_");
}

function readHeader(file: string, kind: ImportKind, fields: string[], report: Pick<ImportReport, "ignoredColumns">): string[] {
  const columns = fields.map(normalizeColumn);
  const known = new Set<string>([...importColumns[kind].required, ...importColumns[kind].optional]);
  const seen = new Set<string>();
  for (const column of columns) {
    if (column && seen.has(column) && known.has(column)) {
      throw new TendError("IMPORT_HEADER", `${file}: the column ${column} appears twice in the header`);
    }
    seen.add(column);
  }
  const missing = importColumns[kind].required.filter((column) => !seen.has(column));
  if (missing.length) {
    throw new TendError(
      "IMPORT_HEADER",
      `${file}: missing required column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} in the header row (it has: ${columns.join(", ") || "nothing"})`,
    );
  }
  report.ignoredColumns = columns.flatMap((column, i) => (known.has(column) ? [] : [column || `(unnamed column ${i + 1})`]));
  return columns;
}

const yes = new Set(["true", "yes", "y", "1", "是"]);
const no = new Set(["false", "no", "n", "0", "否"]);

/** A row as the ingest service takes it: blank cells are left out, so they change nothing. */
function toInput(kind: ImportKind, header: string[], fields: string[]): Record<string, unknown> {
  const known = new Set<string>([...importColumns[kind].required, ...importColumns[kind].optional]);
  const input: Record<string, unknown> = {};
  header.forEach((column, i) => {
    const value = fields[i]?.trim() ?? "";
    if (!known.has(column) || value === "") return;
    if (column === "marketing_consent") {
      const word = value.toLowerCase();
      input.marketingConsent = yes.has(word) ? true : no.has(word) ? false : value;
      return;
    }
    input[camelCase(column)] = value;
  });
  return input;
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text no database column can hold, found before it reaches the database: there it would fail the
 * whole batch (and, on PostgreSQL, name no line). Null when every column read is storable.
 */
function unstorableField(kind: ImportKind, header: string[], fields: string[]): string | null {
  const known = new Set<string>([...importColumns[kind].required, ...importColumns[kind].optional]);
  for (const [i, column] of header.entries()) {
    const value = fields[i] ?? "";
    if (!known.has(column)) continue;
    if (value.includes("\u0000")) return `${column}: contains a NUL character (byte 0), which cannot be stored; remove it and import the row again`;
    if (loneSurrogate.test(value)) {
      return `${column}: contains a lone UTF-16 surrogate (a broken character, often from a cut emoji), which cannot be stored; fix the text and import the row again`;
    }
  }
  return null;
}

function camelCase(column: string): string {
  return column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

function snakeCase(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function describeErrors(errors: FieldError[]): string {
  if (!errors.length) return "rejected";
  return errors.map((error) => (error.path ? `${snakeCase(error.path.split(".")[0]!)}: ${error.message}` : error.message)).join("; ");
}

/** The rejected rows as CSV: the file's own columns plus line and reason, for fixing and re-importing. */
class RejectsWriter {
  private failure: unknown;

  private constructor(
    private readonly out: fs.WriteStream,
    private readonly target: string,
  ) {
    out.on("error", (error) => {
      this.failure ??= error;
    });
  }

  static async open(target: string, source: string, header: string[]): Promise<RejectsWriter> {
    if (path.resolve(target) === path.resolve(source)) {
      throw new TendError("IMPORT_REJECTS", `--rejects must name another file than the one imported (${source})`);
    }
    const out = fs.createWriteStream(target);
    try {
      await once(out, "open");
    } catch (error) {
      throw new TendError("IMPORT_REJECTS", `cannot write the rejects file ${target}: ${describeError(error)}`);
    }
    const writer = new RejectsWriter(out, target);
    // A BOM lets spreadsheet programs open it as UTF-8, keeping Chinese names intact.
    await writer.line(`\uFEFF${toCsvLine([...header, "line", "reason"])}`);
    return writer;
  }

  async write(row: Pending, columns: number): Promise<void> {
    const fields = row.fields.length === columns ? row.fields : Array.from({ length: columns }, () => "");
    const reason = row.fields.length === columns || !row.fields.length ? row.reason! : `${row.reason}; the row reads: ${shorten(toCsvLine(row.fields))}`;
    await this.line(toCsvLine([...fields, String(row.line), reason]));
  }

  async close(): Promise<void> {
    if (!this.out.closed) {
      this.out.end();
      await once(this.out, "close").catch(() => {});
    }
    this.check();
  }

  private async line(text: string): Promise<void> {
    this.check();
    try {
      if (!this.out.write(`${text}\r\n`)) await once(this.out, "drain");
    } catch (error) {
      this.failure ??= error;
    }
    this.check();
  }

  private check(): void {
    if (this.failure) throw new TendError("IMPORT_REJECTS", `cannot write the rejects file ${this.target}: ${describeError(this.failure)}`);
  }
}

/** One line of at most 200 characters, for the report. */
function shorten(text: string): string {
  const line = text.replace(/\r?\n/g, "\\n");
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function toCsvLine(fields: readonly string[]): string {
  return fields.map((field) => (/[",\r\n]/.test(field) || /^\s|\s$/.test(field) ? `"${field.replace(/"/g, '""')}"` : field)).join(",");
}
