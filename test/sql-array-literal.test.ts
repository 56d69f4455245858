import { expect, it } from "vitest";
import { numberArrayLiteral, textArrayLiteral } from "../src/db/sql-array-literal.ts";
import { describeEachDatabase } from "./support/databases.ts";

describeEachDatabase("array literals built for the refresh's writes", (db) => {
  it("reach the database as the values they were, whatever the text holds", async () => {
    const texts = [
      "plain_word",
      "3f0c6a36-8a0b-4b8e-9a57-0d7b8a6f2c11",
      null,
      "NULL",
      "null",
      "",
      " spaced ",
      'a "quoted" \\ backslash',
      "{braces},commas",
      '{"en":"It\'s \\"fine\\"","zh":"好"}',
      "line\nbreak",
    ];
    const numbers = [0, -1, 42, 1.5, -0.25, 1700000000123, 2 ** 53 - 1, 1e-7, null, 123456789.125];
    const [row] = await db().prisma.$queryRawUnsafe<{ t: (string | null)[]; n: (number | null)[] }[]>(
      `SELECT $1::text[] AS "t", $2::float8[] AS "n"`,
      textArrayLiteral(texts),
      numberArrayLiteral(numbers),
    );
    expect(row!.t).toEqual(texts);
    expect(row!.n).toEqual(numbers);
    const [json] = await db().prisma.$queryRawUnsafe<{ j: unknown }[]>(`SELECT ($1::jsonb[])[1] AS "j"`, textArrayLiteral([JSON.stringify({ why: 'a "b" \\ c' })]));
    expect(json!.j).toEqual({ why: 'a "b" \\ c' });
    expect(textArrayLiteral([])).toBe("{}");
  });
});
