import { type CsvError, parse } from "csv-parse/sync";

/**
 * A CSV file, read as a stream, as records with the line each starts on. csv-parse splits the
 * fields of rows with quotes; this file finds where each record ends first, because csv-parse's
 * own recovery from a bad quote swallows the rest of the file (as a stream too: after `"bad"x` it
 * skips the following good rows). Here a broken record costs only itself: a quote that never
 * closes rejects the line it opened on and reading resumes on the next line.
 */
export type CsvRecord = { line: number; fields: string[] } | { line: number; error: string; text: string };

export interface CsvReadOptions {
  /** A quoted field may span lines (an address); beyond this many the quote is taken as broken. */
  maxRecordLines?: number;
}

/** The file is not UTF-8 (often a legacy encoding such as GBK from a spreadsheet's plain "CSV"). */
export class CsvEncodingError extends Error {
  constructor(readonly line: number) {
    super(`not valid UTF-8 text near line ${line}`);
    this.name = "CsvEncodingError";
  }
}

export async function* readCsvRecords(chunks: AsyncIterable<string | Buffer>, options: CsvReadOptions = {}): AsyncGenerator<CsvRecord> {
  const assembler = new RecordAssembler(options.maxRecordLines ?? 100);
  const decoder = new Utf8Decoder();
  const decode = (chunk?: Buffer) => {
    try {
      return decoder.decode(chunk);
    } catch {
      throw new CsvEncodingError(lineNo + 1 + (chunk ? linesBeforeInvalidUtf8(chunk) : 0));
    }
  };
  let partial = "";
  let lineNo = 0;
  let first = true;
  for await (const chunk of chunks) {
    partial += typeof chunk === "string" ? chunk : decode(chunk);
    if (first && partial.length) {
      if (partial.charCodeAt(0) === 0xfeff) partial = partial.slice(1);
      first = false;
    }
    let start = 0;
    let end: number;
    const records: CsvRecord[] = [];
    while ((end = partial.indexOf("\n", start)) !== -1) {
      records.push(...assembler.push(stripCr(partial.slice(start, end)), ++lineNo));
      start = end + 1;
    }
    partial = partial.slice(start);
    yield* records;
  }
  partial += decode();
  if (first && partial.charCodeAt(0) === 0xfeff) partial = partial.slice(1);
  if (partial !== "") yield* assembler.push(stripCr(partial), ++lineNo);
  yield* assembler.end();
}

/**
 * UTF-8, strictly: a wrongly decoded file would store every Chinese name as replacement
 * characters, so anything else is an error for the whole file. One exception: a lone UTF-16
 * surrogate written the way UTF-8 would write it (ED A0..BF xx, as some programs do with broken
 * text) is one bad character, not a wrong encoding. It is decoded as that lone surrogate, and the
 * row holding it is rejected on its own later.
 */
class Utf8Decoder {
  private readonly decoder = new TextDecoder("utf-8", { fatal: true });
  private carry: Buffer | undefined;

  /** The text of the next chunk; no chunk ends the input. Throws on bytes that are not UTF-8. */
  decode(chunk?: Buffer): string {
    let bytes = this.carry && chunk ? Buffer.concat([this.carry, chunk]) : (chunk ?? this.carry ?? Buffer.alloc(0));
    this.carry = undefined;
    const end = chunk === undefined;
    if (!end) {
      // A surrogate's bytes split across chunks wait for the rest.
      const keep = bytes.length >= 1 && bytes[bytes.length - 1] === 0xed ? 1 : bytes.length >= 2 && bytes[bytes.length - 2] === 0xed && isSurrogateSecond(bytes[bytes.length - 1]!) ? 2 : 0;
      if (keep) {
        this.carry = bytes.subarray(bytes.length - keep);
        bytes = bytes.subarray(0, bytes.length - keep);
      }
    }
    let text = "";
    let start = 0;
    for (let at = bytes.indexOf(0xed); at !== -1 && at + 2 < bytes.length; at = bytes.indexOf(0xed, at + 1)) {
      if (!isSurrogateSecond(bytes[at + 1]!) || (bytes[at + 2]! & 0xc0) !== 0x80) continue;
      // Not streaming here: a character cut short just before the surrogate is an error.
      text += this.decoder.decode(bytes.subarray(start, at));
      text += String.fromCharCode(0xd000 | ((bytes[at + 1]! & 0x3f) << 6) | (bytes[at + 2]! & 0x3f));
      start = at + 3;
      at += 2;
    }
    return text + this.decoder.decode(bytes.subarray(start), { stream: !end });
  }
}

function isSurrogateSecond(byte: number): boolean {
  return (byte & 0xe0) === 0xa0;
}

/** How many whole lines of this chunk come before its first byte that is not UTF-8. */
function linesBeforeInvalidUtf8(chunk: Buffer): number {
  let start = 0;
  // Continuation bytes at the very start finish a character begun in the previous chunk.
  while (start < chunk.length && start < 3 && (chunk[start]! & 0xc0) === 0x80) start++;
  for (let line = 0; ; line++) {
    const end = chunk.indexOf(0x0a, start);
    const segment = chunk.subarray(start, end === -1 ? chunk.length : end);
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(segment, { stream: end === -1 });
    } catch {
      return line;
    }
    if (end === -1) return line;
    start = end + 1;
  }
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

class RecordAssembler {
  private pending: { start: number; lines: string[] } | undefined;

  constructor(private readonly maxRecordLines: number) {}

  push(line: string, lineNo: number): CsvRecord[] {
    const out: CsvRecord[] = [];
    this.accept(line, lineNo, out);
    return out;
  }

  end(): CsvRecord[] {
    const out: CsvRecord[] = [];
    while (this.pending) this.giveUp(out);
    return out;
  }

  private accept(line: string, lineNo: number, out: CsvRecord[]): void {
    if (!this.pending) {
      if (line.trim() === "") return;
      if (!endsInsideQuotes(line, false)) {
        out.push(splitRecord(line, lineNo));
        return;
      }
      this.pending = { start: lineNo, lines: [line] };
      return;
    }
    this.pending.lines.push(line);
    if (!endsInsideQuotes(line, true)) {
      const record = splitRecord(this.pending.lines.join("\n"), this.pending.start);
      // A broken record over several lines most likely began with a stray quote: lose one line, not all.
      if ("error" in record) this.giveUp(out);
      else {
        this.pending = undefined;
        out.push(record);
      }
    } else if (this.pending.lines.length >= this.maxRecordLines) {
      this.giveUp(out);
    }
  }

  /** The open quote is broken: reject the line it is on and read the following lines afresh. */
  private giveUp(out: CsvRecord[]): void {
    const { start, lines } = this.pending!;
    this.pending = undefined;
    out.push({ line: start, text: lines[0]!, error: "bad quoting: a quoted field is never closed" });
    lines.slice(1).forEach((line, i) => this.accept(line, start + 1 + i, out));
  }
}

/**
 * Whether a quoted field is still open at the end of this line. A quote opens a field only at the
 * start of one; `""` inside a quoted field is an escaped quote. Stray quotes elsewhere are left for
 * csv-parse to reject.
 */
function endsInsideQuotes(line: string, startsInside: boolean): boolean {
  let inside = startsInside;
  let fieldStart = !startsInside;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inside) {
      if (c === '"') {
        if (line[i + 1] === '"') i++;
        else inside = false;
      }
    } else if (c === ",") {
      fieldStart = true;
      continue;
    } else if (c === '"' && fieldStart) {
      inside = true;
    }
    fieldStart = false;
  }
  return inside;
}

const loneSurrogates = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** A noncharacter: holds a lone surrogate's place through csv-parse, which would turn it into U+FFFD. */
const SURROGATE_STAND_IN = "\uFDD0";

function splitRecord(text: string, line: number): CsvRecord {
  // Most rows quote nothing: for those a split on commas is exactly what csv-parse would return,
  // at a fraction of the cost (a parser per row dominated a large import's reading time).
  if (!text.includes('"')) return { line, fields: text.split(",") };
  const broken = text.search(loneSurrogates) !== -1;
  // Rows with well-formed quoted fields (a spreadsheet that quotes every field): split by hand, 15x
  // faster than a parser per row. Anything unusual is csv-parse's to judge and explain.
  const quoted = broken ? undefined : splitQuoted(text);
  if (quoted) return { line, fields: quoted };
  try {
    const rows = parse(broken ? text.replace(loneSurrogates, SURROGATE_STAND_IN) : text, { relax_column_count: true, bom: false }) as string[][];
    if (rows.length !== 1) return { line, text, error: "cannot parse the row" };
    // The row keeps a lone surrogate where it had one, so the import can reject it by its column.
    return { line, fields: broken ? rows[0]!.map((field) => field.replaceAll(SURROGATE_STAND_IN, "\uD800")) : rows[0]! };
  } catch (error) {
    return { line, text, error: describeCsvError(error as CsvError) };
  }
}

/**
 * The fields of a row whose quotes are all well formed, as csv-parse returns them (default options):
 * a field that starts with a quote runs to the next quote not doubled, `""` inside it is one quote,
 * and a comma or the end of the row must follow; other fields run to the next comma and hold no
 * quote or line break. Undefined for anything else (a stray quote, text after a closing quote, a quote never closed).
 */
export function splitQuoted(text: string): string[] | undefined {
  const fields: string[] = [];
  const n = text.length;
  for (let i = 0; ; ) {
    let end: number;
    if (text.charCodeAt(i) === 34) {
      let value = "";
      let from = i + 1;
      for (;;) {
        const quote = text.indexOf('"', from);
        if (quote === -1) return undefined;
        if (text.charCodeAt(quote + 1) === 34) {
          value += text.slice(from, quote + 1);
          from = quote + 2;
          continue;
        }
        value += text.slice(from, quote);
        end = quote + 1;
        break;
      }
      if (end < n && text.charCodeAt(end) !== 44) return undefined;
      fields.push(value);
    } else {
      const comma = text.indexOf(",", i);
      end = comma === -1 ? n : comma;
      const value = text.slice(i, end);
      // A line break outside quotes never reaches here from the reader; csv-parse would end the record.
      if (value.includes('"') || value.includes("\n") || value.includes("\r")) return undefined;
      fields.push(value);
    }
    if (end >= n) return fields;
    // After a comma: the next field, empty when the row ends here.
    i = end + 1;
    if (i === n) {
      fields.push("");
      return fields;
    }
  }
}

function describeCsvError(error: CsvError): string {
  switch (error.code) {
    case "CSV_INVALID_CLOSING_QUOTE":
      return "bad quoting: text follows a closing quote (write a quote inside a quoted field as \"\")";
    case "INVALID_OPENING_QUOTE":
      return 'bad quoting: a quote inside an unquoted field (quote the whole field and double the inner quote: "5"" screen")';
    case "CSV_QUOTE_NOT_CLOSED":
      return "bad quoting: a quoted field is never closed";
    default:
      return `cannot parse the row: ${error.message.replace(/ at line \d+/, "")}`;
  }
}
