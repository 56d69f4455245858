import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { EventBus } from "../src/core/events.ts";
import { importCsv } from "../src/ingest/csv-import.ts";
import { IngestService } from "../src/ingest/ingest-service.ts";
import { parseCustomer } from "../src/ingest/schemas.ts";
import { describeEachDatabase } from "./support/databases.ts";

const now = new Date("2026-11-23T12:00:00Z");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tend-lunar-import-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("birthday_calendar in the customer schema", () => {
  it("lunar takes birthday as the lunar MM-DD; gregorian clears a lunar birthday; absent leaves it alone", () => {
    expect(parseCustomer({ externalId: "a", birthdayCalendar: "lunar", birthday: "08-15" }, now)).toEqual({ ok: true, value: { externalId: "a", lunarBirthday: { month: 8, day: 15 } } });
    expect(parseCustomer({ externalId: "a", birthdayCalendar: "Lunar", birthday: "12-30" }, now)).toEqual({ ok: true, value: { externalId: "a", lunarBirthday: { month: 12, day: 30 } } });
    expect(parseCustomer({ externalId: "a", birthdayCalendar: "lunar", birthday: "" }, now)).toEqual({ ok: true, value: { externalId: "a", lunarBirthday: null } });
    expect(parseCustomer({ externalId: "a", birthdayCalendar: "gregorian", birthday: "1990-05-12" }, now)).toEqual({
      ok: true,
      value: { externalId: "a", birthday: new Date("1990-05-12T00:00:00Z"), lunarBirthday: null },
    });
    expect(parseCustomer({ externalId: "a", birthday: "1990-05-12" }, now)).toEqual({ ok: true, value: { externalId: "a", birthday: new Date("1990-05-12T00:00:00Z") } });
  });

  it("says what is wrong with a mismatched or impossible lunar birthday", () => {
    const errors = (input: Record<string, unknown>) => {
      const parsed = parseCustomer({ externalId: "a", ...input }, now);
      return parsed.ok ? [] : parsed.errors;
    };
    expect(errors({ birthdayCalendar: "lunar", birthday: "13-01" })).toEqual([{ path: "birthday", message: expect.stringMatching(/lunar month-day as MM-DD/) }]);
    expect(errors({ birthdayCalendar: "lunar", birthday: "08-31" })).toEqual([{ path: "birthday", message: expect.stringMatching(/day 1-30/) }]);
    expect(errors({ birthdayCalendar: "lunar", birthday: "1990-05-12" })).toEqual([{ path: "birthday", message: expect.stringMatching(/MM-DD.*when birthdayCalendar is "lunar"/) }]);
    expect(errors({ birthdayCalendar: "lunar" })).toEqual([{ path: "birthday", message: expect.stringMatching(/^is required with birthdayCalendar "lunar"/) }]);
    expect(errors({ birthday: "08-15" })).toEqual([{ path: "birthday", message: expect.stringMatching(/set birthdayCalendar to "lunar"/) }]);
    expect(errors({ birthdayCalendar: "chinese", birthday: "08-15" })).toEqual([{ path: "birthdayCalendar", message: 'must be "gregorian" or "lunar"' }]);
  });
});

describeEachDatabase("lunar birthdays through the API and the CSV import", (db) => {
  const clock = new ManualClock(now);
  const ingest = () => new IngestService(db().prisma, new EventBus(), clock);
  const stored = (externalId: string) => db().prisma.customer.findUniqueOrThrow({ where: { externalId }, select: { birthday: true, lunarBirthMonth: true, lunarBirthDay: true } });

  it("the API stores a lunar birthday, leaves it on an update without a calendar, and clears it for a Gregorian one", async () => {
    const id = `api-lunar-${Date.now()}`;
    expect((await ingest().upsertCustomers([{ externalId: id, birthdayCalendar: "lunar", birthday: "08-15" }]))[0]).toMatchObject({ status: "created" });
    expect(await stored(id)).toEqual({ birthday: null, lunarBirthMonth: 8, lunarBirthDay: 15 });
    expect((await ingest().upsertCustomers([{ externalId: id, birthdayCalendar: "lunar", birthday: "08-15" }]))[0]).toMatchObject({ status: "updated" });
    await ingest().upsertCustomers([{ externalId: id, birthday: "1990-09-01" }]);
    expect(await stored(id)).toEqual({ birthday: new Date("1990-09-01T00:00:00Z"), lunarBirthMonth: 8, lunarBirthDay: 15 });
    await ingest().upsertCustomers([{ externalId: id, birthdayCalendar: "gregorian" }]);
    expect(await stored(id)).toEqual({ birthday: new Date("1990-09-01T00:00:00Z"), lunarBirthMonth: null, lunarBirthDay: null });
    const rejected = (await ingest().upsertCustomers([{ externalId: id, birthdayCalendar: "lunar", birthday: "8-32" }]))[0];
    expect(rejected).toMatchObject({ status: "rejected", errors: [{ path: "birthday" }] });
    expect(await stored(id)).toEqual({ birthday: new Date("1990-09-01T00:00:00Z"), lunarBirthMonth: null, lunarBirthDay: null });
  });

  it("the CSV import reads birthday_calendar and rejects a bad row by line, keeping the rest", async () => {
    const tag = `csv-lunar-${Date.now()}`;
    const file = path.join(tmp, `${tag}.csv`);
    fs.writeFileSync(
      file,
      ["external_id,birthday,birthday_calendar", `${tag}-a,08-15,lunar`, `${tag}-b,1990-05-12,gregorian`, `${tag}-c,08-15,`, `${tag}-d,12-30,lunar`].join("\n") + "\n",
    );
    const report = await importCsv({ kind: "customers", file, ingest: ingest() });
    expect(report.counts).toEqual({ created: 3, updated: 0, duplicate: 0, rejected: 1 });
    expect(report.rejects).toEqual([expect.objectContaining({ line: 4, reason: expect.stringMatching(/^birthday: .*birthdayCalendar to "lunar"/) })]);
    expect(await stored(`${tag}-a`)).toEqual({ birthday: null, lunarBirthMonth: 8, lunarBirthDay: 15 });
    expect(await stored(`${tag}-b`)).toEqual({ birthday: new Date("1990-05-12T00:00:00Z"), lunarBirthMonth: null, lunarBirthDay: null });
    expect(await stored(`${tag}-d`)).toEqual({ birthday: null, lunarBirthMonth: 12, lunarBirthDay: 30 });
  });
});
