import { describe, expect, it } from "vitest";
import { canonicalTimeZone, formatMinutes, isValidTimeZone, parseBirthday, parseFrequency, parseQuietHours } from "../src/engine/profile-input.ts";

const today = new Date("2026-03-02T09:00:00Z");

describe("parseBirthday", () => {
  it("reads real dates in the usual spellings", () => {
    expect(parseBirthday("1990-05-12", today)?.toISOString()).toBe("1990-05-12T00:00:00.000Z");
    expect(parseBirthday(" 1990/5/2 ", today)?.toISOString()).toBe("1990-05-02T00:00:00.000Z");
    expect(parseBirthday("1990.05.12", today)?.toISOString()).toBe("1990-05-12T00:00:00.000Z");
    expect(parseBirthday("1990年5月12日", today)?.toISOString()).toBe("1990-05-12T00:00:00.000Z");
    expect(parseBirthday("2000-02-29", today)?.toISOString()).toBe("2000-02-29T00:00:00.000Z");
    expect(parseBirthday("1900-01-01", today)?.toISOString()).toBe("1900-01-01T00:00:00.000Z");
    // Born today is possible.
    expect(parseBirthday("2026-03-02", today)?.toISOString()).toBe("2026-03-02T00:00:00.000Z");
  });

  it("refuses dates that do not exist, lie in the future, are too old, or are not dates", () => {
    for (const text of [
      "1990-02-30",
      "1990-13-01",
      "1990-00-10",
      "1990-04-31",
      "1999-02-29",
      "1900-02-29",
      "1899-12-31",
      "2026-03-03",
      "2090-01-01",
      "garbage",
      "",
      "12/05/1990",
      "1990-05",
      "1990-05-12 extra",
      "１９９０-05-12x",
    ]) {
      expect(parseBirthday(text, today), text).toBeNull();
    }
  });
});

describe("time zones", () => {
  it("accepts IANA names in any case and gives their canonical spelling", () => {
    expect(isValidTimeZone("asia/shanghai")).toBe(true);
    expect(canonicalTimeZone("asia/shanghai")).toBe("Asia/Shanghai");
    expect(isValidTimeZone("Europe/London")).toBe(true);
    expect(canonicalTimeZone("EUROPE/LONDON")).toBe("Europe/London");
    expect(isValidTimeZone("America/Argentina/Buenos_Aires")).toBe(true);
    expect(isValidTimeZone("UTC")).toBe(true);
    expect(canonicalTimeZone("utc")).toBe("UTC");
    expect(isValidTimeZone("Etc/GMT+8")).toBe(true);
  });

  it("refuses made-up zones, offsets and path tricks", () => {
    for (const zone of ["Mars/Olympus_Mons", "Asia/Nowhere", "", " ", "UTC+8", "+08:00", "../etc/passwd", "Asia/Shanghai; drop", "北京"]) {
      expect(isValidTimeZone(zone), zone).toBe(false);
    }
  });
});

describe("parseQuietHours", () => {
  it("reads windows, with or without minutes, wrapping midnight", () => {
    expect(parseQuietHours("22:00-08:00")).toEqual({ start: 22 * 60, end: 8 * 60 });
    expect(parseQuietHours("22-8")).toEqual({ start: 22 * 60, end: 8 * 60 });
    expect(parseQuietHours("13:30–14:15")).toEqual({ start: 13 * 60 + 30, end: 14 * 60 + 15 });
    expect(parseQuietHours("22:00 ~ 07:30")).toEqual({ start: 22 * 60, end: 7 * 60 + 30 });
    expect(parseQuietHours("22:00到08:00")).toEqual({ start: 22 * 60, end: 8 * 60 });
    expect(parseQuietHours("0:00-23:59")).toEqual({ start: 0, end: 23 * 60 + 59 });
  });

  it("reads off in both languages", () => {
    for (const text of ["off", "OFF", "none", "关闭", "无"]) expect(parseQuietHours(text), text).toBe("off");
  });

  it("refuses impossible or empty windows and other text", () => {
    for (const text of ["24:00-08:00", "22:60-08:00", "22:00-22:00", "22:00", "22:00-", "late", "", "22:0-08:00", "-1-5"]) {
      expect(parseQuietHours(text), text).toBeNull();
    }
  });
});

describe("parseFrequency", () => {
  it("reads a number of care messages a week, 0 to 14", () => {
    const cases: [string, number][] = [
      ["2", 2],
      ["0", 0],
      ["14", 14],
      ["2/week", 2],
      ["2 per week", 2],
      ["3 a week", 3],
      ["每周2", 2],
      ["每周 2 次", 2],
      ["3次/周", 3],
      ["1条", 1],
    ];
    for (const [text, n] of cases) expect(parseFrequency(text), text).toBe(n);
  });

  it("refuses out-of-range and non-numbers", () => {
    for (const text of ["15", "99", "-1", "1.5", "two", "", "lots", "2 per day"]) expect(parseFrequency(text), text).toBeNull();
  });
});

describe("formatMinutes", () => {
  it("writes HH:MM", () => {
    expect(formatMinutes(0)).toBe("00:00");
    expect(formatMinutes(8 * 60)).toBe("08:00");
    expect(formatMinutes(22 * 60 + 5)).toBe("22:05");
    expect(formatMinutes(23 * 60 + 59)).toBe("23:59");
  });
});
