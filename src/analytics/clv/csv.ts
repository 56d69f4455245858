import fs from "node:fs";
import { TendError } from "../../errors.ts";
import { CsvEncodingError, readCsvRecords } from "../../ingest/csv-records.ts";
import type { Transaction } from "./model.ts";

/** A transactions file for the CLV models: a header row, then one purchase per row. */
export const TRANSACTION_COLUMNS = ["customer_id", "date", "amount"] as const;

export interface RejectedRow {
  line: number;
  reason: string;
}

export interface TransactionsFile {
  transactions: Transaction[];
  /** Data rows read (blank lines not counted). */
  rows: number;
  rejected: RejectedRow[];
}

/** YYYY-MM-DD or YYYYMMDD as UTC midnight; null for anything else, including dates that do not exist. */
export function parseTransactionDate(value: string): Date | null {
  const match = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(value.trim());
  if (!match) return null;
  // One style or the other, not 2026-0301.
  if (value.trim().length !== 8 && value.trim().length !== 10) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? date : null;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

const shorten = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

/** Reads and checks a transactions CSV. Rows that cannot be used are returned with line and reason, not thrown. */
export async function readTransactionsCsv(file: string, onReject?: (row: RejectedRow) => void): Promise<TransactionsFile> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TendError("CLV_FILE", code === "ENOENT" ? `${file} does not exist` : `cannot read ${file} (${code ?? String(error)})`, { cause: error });
  }
  if (!stat.isFile()) throw new TendError("CLV_FILE", `${file} is not a file`);

  const result: TransactionsFile = { transactions: [], rows: 0, rejected: [] };
  const reject = (line: number, reason: string) => {
    const row = { line, reason };
    result.rejected.push(row);
    onReject?.(row);
  };
  let columns: { id: number; date: number; amount: number; count: number } | undefined;
  const stream = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  try {
    for await (const record of readCsvRecords(stream)) {
      if (!columns) {
        if ("error" in record) throw new TendError("CLV_CSV_HEADER", `${file} line ${record.line}: cannot read the header row: ${record.error}`);
        columns = readHeader(file, record.fields);
        continue;
      }
      if ("error" in record) {
        result.rows++;
        reject(record.line, record.error);
        continue;
      }
      if (record.fields.every((field) => field.trim() === "")) continue;
      result.rows++;
      if (record.fields.length !== columns.count) {
        reject(record.line, `wrong number of columns: the header has ${columns.count}, this row has ${record.fields.length}`);
        continue;
      }
      const customerId = record.fields[columns.id]!.trim();
      const dateText = record.fields[columns.date]!.trim();
      const amountText = record.fields[columns.amount]!.trim();
      if (customerId === "") {
        reject(record.line, "customer_id is empty");
        continue;
      }
      const date = parseTransactionDate(dateText);
      if (!date) {
        reject(record.line, dateText === "" ? "date is empty" : `date ${shorten(dateText)} is not a date written YYYY-MM-DD or YYYYMMDD`);
        continue;
      }
      const amount = NUMBER.test(amountText) ? Number(amountText) : NaN;
      if (amountText === "") reject(record.line, "amount is empty");
      else if (!Number.isFinite(amount)) reject(record.line, `amount ${shorten(amountText)} is not a number (write e.g. 12.50, no currency sign or thousands separator)`);
      // A free order is still a purchase (lifetimes counts it too); a refund is not one.
      else if (amount < 0) reject(record.line, `amount ${amountText} is negative (a refund): not a purchase`);
      else result.transactions.push({ customerId, date, amount });
    }
  } catch (error) {
    if (error instanceof CsvEncodingError) {
      throw new TendError("CLV_CSV_ENCODING", `${file} is not UTF-8 text (near line ${error.line}): save it as "CSV UTF-8"`, { cause: error });
    }
    throw error;
  } finally {
    stream.destroy();
  }
  if (!columns) throw new TendError("CLV_CSV_EMPTY", `${file} is empty: expected a header row naming the columns ${TRANSACTION_COLUMNS.join(", ")}`);
  return result;
}

function readHeader(file: string, fields: string[]): { id: number; date: number; amount: number; count: number } {
  const names = fields.map((field) => field.trim().toLowerCase());
  const missing = TRANSACTION_COLUMNS.filter((column) => !names.includes(column));
  if (missing.length) {
    throw new TendError(
      "CLV_CSV_COLUMNS",
      `${file} has no ${missing.join(", ")} column${missing.length > 1 ? "s" : ""}: the header row must name ${TRANSACTION_COLUMNS.join(", ")} ` +
        `(found ${names.slice(0, 10).map(shorten).join(", ")}${names.length > 10 ? ", …" : ""})`,
    );
  }
  return { id: names.indexOf("customer_id"), date: names.indexOf("date"), amount: names.indexOf("amount"), count: fields.length };
}
