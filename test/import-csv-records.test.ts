import { describe, expect, it } from "vitest";
import { CsvEncodingError, type CsvRecord, readCsvRecords } from "../src/ingest/csv-records.ts";

async function read(input: string | Buffer, chunkSize = 3): Promise<CsvRecord[]> {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  // Tiny chunks split lines and multi-byte characters at every possible place.
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
  }
  const out: CsvRecord[] = [];
  for await (const record of readCsvRecords(chunks())) out.push(record);
  return out;
}

describe("CSV records", () => {
  it("gives each record the line it starts on, across CRLF, BOM, blank lines and quoted line breaks", async () => {
    const records = await read('\uFEFFa,b\r\n1,"张\r\n三"\r\n\r\n2,"x, ""y"""\r\n3,4');
    expect(records).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["1", "张\n三"] },
      { line: 5, fields: ["2", 'x, "y"'] },
      { line: 6, fields: ["3", "4"] },
    ]);
  });

  it("rejects a row with a bad quote and reads on", async () => {
    const records = await read('a,b\n1,"bad"x\n2,5" screen\n3,ok\n');
    expect(records.map((r) => [r.line, "error" in r ? r.error.slice(0, 12) : r.fields])).toEqual([
      [1, ["a", "b"]],
      [2, "bad quoting:"],
      [3, "bad quoting:"],
      [4, ["3", "ok"]],
    ]);
  });

  it("loses only the line of a quote that never closes", async () => {
    const records = await read('a,b\n1,"open\n2,two\n3,"three"\n4,four');
    expect(records).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, text: '1,"open', error: "bad quoting: a quoted field is never closed" },
      { line: 3, fields: ["2", "two"] },
      { line: 4, fields: ["3", "three"] },
      { line: 5, fields: ["4", "four"] },
    ]);
  });

  it("gives up on an open quote after the line limit", async () => {
    const lines = ['a,b', '1,"open', ...Array.from({ length: 150 }, (_, i) => `${i + 2},v`)];
    const out: CsvRecord[] = [];
    async function* source() {
      yield lines.join("\n");
    }
    for await (const record of readCsvRecords(source(), { maxRecordLines: 10 })) out.push(record);
    expect(out[1]).toMatchObject({ line: 2, error: expect.stringMatching(/never closed/) });
    expect(out).toHaveLength(152);
    expect(out.at(-1)).toEqual({ line: 152, fields: ["151", "v"] });
  });

  it("refuses text that is not UTF-8 and says near which line", async () => {
    const gbk = Buffer.concat([Buffer.from("a,b\n1,ok\n2,"), Buffer.from([0xd5, 0xc5, 0xce, 0xb0]), Buffer.from("\n")]);
    await expect(read(gbk, 1024)).rejects.toSatisfy((error) => error instanceof CsvEncodingError && error.line === 3);
  });
});
