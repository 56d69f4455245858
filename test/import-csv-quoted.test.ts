import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../src/analytics/clv/simulate.ts";
import { splitQuoted } from "../src/ingest/csv-records.ts";

/** What csv-parse makes of one row (as the reader calls it), or "error". */
const byCsvParse = (text: string): string[] | "error" => {
  try {
    const rows = parse(text, { relax_column_count: true, bom: false }) as string[][];
    return rows.length === 1 ? rows[0]! : "error";
  } catch {
    return "error";
  }
};

describe("CSV rows with quoted fields, split without a parser per row", () => {
  it("splits well-formed rows exactly as csv-parse does", () => {
    for (const text of [
      '"a","b","c"',
      '"a",b,"c"',
      '"",x,""',
      '"say ""hi""",2',
      '"a,b",c',
      '"line one\nline two",3',
      '"trailing",',
      'x,"",',
      '"中文","名字"',
      '"""quoted"""',
      '" spaced ",y',
    ]) {
      expect(splitQuoted(text), text).toEqual(byCsvParse(text));
    }
  });

  it("leaves every row it cannot split to csv-parse, and splits the others as csv-parse does (random rows)", () => {
    const random = mulberry32(7);
    const pieces = ['"', '""', ",", "a", "b c", " ", "中", "\n", "\r", "x"];
    let split = 0;
    for (let n = 0; n < 20_000; n++) {
      let text = "";
      const length = 1 + Math.floor(random() * 12);
      for (let i = 0; i < length; i++) text += pieces[Math.floor(random() * pieces.length)];
      if (!text.includes('"') || text.trim() === "") continue;
      const mine = splitQuoted(text);
      if (mine === undefined) continue;
      split += 1;
      expect(mine, JSON.stringify(text)).toEqual(byCsvParse(text));
    }
    // Most random rows are malformed; enough well-formed ones were compared.
    expect(split).toBeGreaterThan(500);
  });

  it("gives up on stray quotes, text after a closing quote and quotes never closed", () => {
    for (const text of ['5" screen,2', '"bad"x,1', '"open,2', 'a,b"c', '"a" ,b']) expect(splitQuoted(text), text).toBeUndefined();
  });
});
