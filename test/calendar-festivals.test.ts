import { describe, expect, it } from "vitest";
import { festivalDates, lunarBirthdayIn, lunarBirthdayOccurrencesIn, lunarDateToGregorian } from "../src/calendar/index.ts";

/*
 * The authority: the Hong Kong Observatory's Gregorian–Lunar calendar conversion tables (which agree with the
 * Purple Mountain Observatory almanac, GB/T 33661-2017), as transcribed into the LUNAR_INFO table of the
 * `chinese-days` project (github.com/vsme/chinese-days, src/solar_lunar/constants.ts at commit
 * 0e2d5dcf3dc1b472c424bd8ff028dcfbb4c71498). Each row is copied verbatim: bits 16..5 give months 1..12
 * (1 = 30 days, 0 = 29), the low 4 bits the leap month (0 = none), bit 17 the leap month's length.
 * Lunar year 2024 began on 2024-02-10. A second, independent check: the State Council's holiday notices
 * (gov.cn content_6986383: 2025 春节 holiday begins 1月28日 "农历除夕"; Dragon Boat 5月31日;
 * gov.cn content_7047091: 2026 端午 6月19日, 中秋 9月25日).
 */
const HKO_LUNAR_INFO: Record<number, number> = {
  2024: 0x04b60, 2025: 0x0a6e6, 2026: 0x0a4e0, 2027: 0x0d260, 2028: 0x0ea65, 2029: 0x0d530,
  2030: 0x05aa0, 2031: 0x076a3, 2032: 0x096d0, 2033: 0x04afb, 2034: 0x04ad0, 2035: 0x0a4d0,
  2036: 0x1d0b6, 2037: 0x0d250, 2038: 0x0d520, 2039: 0x0dd45, 2040: 0x0b5a0, 2041: 0x056d0,
  2042: 0x055b2, 2043: 0x049b0, 2044: 0x0a577, 2045: 0x0a4b0, 2046: 0x0aa50, 2047: 0x1b255,
  2048: 0x06d20, 2049: 0x0ada0, 2050: 0x14b63,
};
const LUNAR_2024_NEW_YEAR = Date.UTC(2024, 1, 10);
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

type AlmanacMonth = { lunarYear: number; month: number; leap: boolean; start: number; days: number };
const ALMANAC: AlmanacMonth[] = (() => {
  const months: AlmanacMonth[] = [];
  let start = LUNAR_2024_NEW_YEAR;
  for (let lunarYear = 2024; lunarYear <= 2050; lunarYear++) {
    const info = HKO_LUNAR_INFO[lunarYear]!;
    for (let month = 1; month <= 12; month++) {
      const days = info & (0x10000 >> month) ? 30 : 29;
      months.push({ lunarYear, month, leap: false, start, days });
      start += days * DAY;
      if ((info & 0xf) === month) {
        const leapDays = info & 0x10000 ? 30 : 29;
        months.push({ lunarYear, month, leap: true, start, days: leapDays });
        start += leapDays * DAY;
      }
    }
  }
  return months;
})();
const almanacMonth = (lunarYear: number, month: number) => ALMANAC.find((m) => m.lunarYear === lunarYear && m.month === month && !m.leap)!;
/** The almanac's date of a lunar birthday in lunar year L (30th → 29th in a short month). */
const almanacDay = (lunarYear: number, month: number, day: number) => {
  const m = almanacMonth(lunarYear, month);
  return iso(m.start + (Math.min(day, m.days) - 1) * DAY);
};

// Written out from the table above (and matching the State Council notices for 2025 and 2026).
const OFFICIAL: Record<number, { spring: string; dragonBoat: string; midAutumn: string }> = {
  2025: { spring: "2025-01-29", dragonBoat: "2025-05-31", midAutumn: "2025-10-06" },
  2026: { spring: "2026-02-17", dragonBoat: "2026-06-19", midAutumn: "2026-09-25" },
  2027: { spring: "2027-02-06", dragonBoat: "2027-06-09", midAutumn: "2027-09-15" },
  2028: { spring: "2028-01-26", dragonBoat: "2028-05-28", midAutumn: "2028-10-03" },
  2029: { spring: "2029-02-13", dragonBoat: "2029-06-16", midAutumn: "2029-09-22" },
  2030: { spring: "2030-02-03", dragonBoat: "2030-06-05", midAutumn: "2030-09-12" },
  2031: { spring: "2031-01-23", dragonBoat: "2031-06-24", midAutumn: "2031-10-01" },
  2032: { spring: "2032-02-11", dragonBoat: "2032-06-12", midAutumn: "2032-09-19" },
  2033: { spring: "2033-01-31", dragonBoat: "2033-06-01", midAutumn: "2033-09-08" },
  2034: { spring: "2034-02-19", dragonBoat: "2034-06-20", midAutumn: "2034-09-27" },
  2035: { spring: "2035-02-08", dragonBoat: "2035-06-10", midAutumn: "2035-09-16" },
  2036: { spring: "2036-01-28", dragonBoat: "2036-05-30", midAutumn: "2036-10-04" },
  2037: { spring: "2037-02-15", dragonBoat: "2037-06-18", midAutumn: "2037-09-24" },
  2038: { spring: "2038-02-04", dragonBoat: "2038-06-07", midAutumn: "2038-09-13" },
  2039: { spring: "2039-01-24", dragonBoat: "2039-05-27", midAutumn: "2039-10-02" },
  2040: { spring: "2040-02-12", dragonBoat: "2040-06-14", midAutumn: "2040-09-20" },
};
const VERIFIED_YEARS = Array.from({ length: 2050 - 2025 + 1 }, (_, i) => 2025 + i); // 2025..2050

const dateOf = (year: number, key: string, extra?: Parameters<typeof festivalDates>[1]) =>
  festivalDates(year, extra).find((f) => f.key === key)?.date;

describe("festival dates against the official almanac", () => {
  it("the written-out official dates agree with the transcribed HKO table", () => {
    for (const [year, official] of Object.entries(OFFICIAL).map(([y, o]) => [Number(y), o] as const)) {
      expect(almanacDay(year, 1, 1)).toBe(official.spring);
      expect(almanacDay(year, 5, 5)).toBe(official.dragonBoat);
      expect(almanacDay(year, 8, 15)).toBe(official.midAutumn);
    }
  });

  it("Spring Festival, Dragon Boat and Mid-Autumn 2025–2040 are the official dates", () => {
    for (const [year, official] of Object.entries(OFFICIAL).map(([y, o]) => [Number(y), o] as const)) {
      expect({ year, spring: dateOf(year, "spring-festival"), dragonBoat: dateOf(year, "dragon-boat"), midAutumn: dateOf(year, "mid-autumn") })
        .toEqual({ year, ...official });
    }
  });

  it("every lunar festival and New Year's Eve 2025–2050 falls on the almanac's day", () => {
    const lunarFestivals = { "spring-festival": [1, 1], lantern: [1, 15], "dragon-boat": [5, 5], qixi: [7, 7], "mid-autumn": [8, 15], "double-ninth": [9, 9] } as const;
    for (const year of VERIFIED_YEARS) {
      for (const [key, [month, day]] of Object.entries(lunarFestivals)) expect([year, key, dateOf(year, key)]).toEqual([year, key, almanacDay(year, month, day)]);
      const lastMonth = almanacMonth(year - 1, 12);
      expect([year, dateOf(year, "chinese-new-years-eve")]).toEqual([year, iso(lastMonth.start + (lastMonth.days - 1) * DAY)]);
    }
    // New Year's Eve is the 29th when the 12th month is short: 2026-02-16 ends lunar 2025 (12th month of 29 days).
    expect(dateOf(2026, "chinese-new-years-eve")).toBe("2026-02-16");
    expect(almanacMonth(2025, 12).days).toBe(29);
  });

  it("every regular month of lunar years 2025–2049 begins on the almanac's day", () => {
    for (const m of ALMANAC.filter((m) => !m.leap && m.lunarYear >= 2025 && m.lunarYear <= 2049)) {
      expect([m.lunarYear, m.month, lunarDateToGregorian(m.lunarYear, m.month, 1)]).toEqual([m.lunarYear, m.month, iso(m.start)]);
    }
  });

  it("ICU's Chinese calendar is a day off the almanac for Spring Festival 2027 and 2030 (why Tend does not use it)", () => {
    // Node 20's ICU (78) computes new moons itself; these are the days in 2026–2050 where it disagrees.
    const icu = new Intl.DateTimeFormat("en-u-ca-chinese", { month: "numeric", day: "numeric", timeZone: "Asia/Shanghai" });
    const icuDay = (date: string) => icu.format(new Date(`${date}T04:00:00Z`));
    const differing: string[] = [];
    for (const m of ALMANAC.filter((m) => m.lunarYear >= 2026 && m.lunarYear <= 2049)) {
      for (let d = 0; d < m.days; d++) {
        const date = iso(m.start + d * DAY);
        const almanac = `${m.month}${m.leap ? "bis" : ""}/${d + 1}`;
        if (icuDay(date) !== almanac) differing.push(date);
      }
    }
    // Whichever ICU runs the suite, the almanac's Spring Festival is what Tend uses.
    expect(dateOf(2027, "spring-festival")).toBe("2027-02-06");
    expect(dateOf(2030, "spring-festival")).toBe("2030-02-03");
    if (process.versions.icu?.startsWith("78")) {
      // ICU 78 puts 2027's first month a day late (2027-02-07) and 2030's a day early (2030-02-02).
      expect(icuDay("2027-02-06")).toBe("12/30");
      expect(icuDay("2030-02-02")).toBe("1/1");
      expect(differing.length).toBe(60);
      expect([differing[0], differing[29], differing[30], differing[59]]).toEqual(["2027-02-06", "2027-03-07", "2030-02-02", "2030-03-03"]);
    }
  });
});

describe("fixed-date festivals", () => {
  it("New Year, Valentine's Day and Christmas by default; the business's own added, replacing a default with the same key", () => {
    const dates = festivalDates(2027, [
      { key: "shop-anniversary", name: { en: "Our anniversary", zhCN: "店庆" }, monthDay: "06-18" },
      { key: "christmas", name: { en: "Christmas Eve", zhCN: "平安夜" }, monthDay: "12-24" },
    ]);
    expect(dates.find((f) => f.key === "new-year")).toEqual({ key: "new-year", name: { en: "New Year's Day", zhCN: "元旦" }, date: "2027-01-01" });
    expect(dateOf(2027, "valentines")).toBe("2027-02-14");
    expect(dates.find((f) => f.key === "shop-anniversary")?.date).toBe("2027-06-18");
    expect(dates.filter((f) => f.key === "christmas")).toEqual([{ key: "christmas", name: { en: "Christmas Eve", zhCN: "平安夜" }, date: "2027-12-24" }]);
    expect(dates.map((f) => f.date)).toEqual([...dates.map((f) => f.date)].sort());
  });

  it("a 02-29 festival only in leap years; a malformed one is an error naming it", () => {
    const leapDay = [{ key: "leap", name: { en: "Leap day", zhCN: "闰日" }, monthDay: "02-29" }];
    expect(dateOf(2028, "leap", leapDay)).toBe("2028-02-29");
    expect(dateOf(2027, "leap", leapDay)).toBeUndefined();
    expect(() => festivalDates(2027, [{ key: "bad", name: { en: "Bad", zhCN: "坏" }, monthDay: "02-30" }])).toThrow(/festival bad/);
    expect(() => festivalDates(2027, [{ key: "bad", name: { en: "Bad", zhCN: "坏" }, monthDay: "2-3" }])).toThrow(/MM-DD/);
  });
});

describe("lunar birthdays against the almanac", () => {
  const YEARS = Array.from({ length: 2040 - 2026 + 1 }, (_, i) => 2026 + i); // 2026..2040

  it("8-15 is Mid-Autumn and 1-1 is Spring Festival every year", () => {
    for (const year of YEARS) {
      expect(lunarBirthdayIn(year, 8, 15)).toBe(almanacDay(year, 8, 15));
      expect(lunarBirthdayIn(year, 1, 1)).toBe(almanacDay(year, 1, 1));
    }
    expect(lunarBirthdayIn(2027, 8, 15)).toBe("2027-09-15");
  });

  it("every birthday in months 1–10 falls once a year on the almanac's day, a 30th on the 29th in a short month", () => {
    for (const year of YEARS) {
      for (let month = 1; month <= 10; month++) {
        for (const day of [1, 10, 29, 30]) expect([year, month, day, lunarBirthdayIn(year, month, day)]).toEqual([year, month, day, almanacDay(year, month, day)]);
      }
    }
    // 2026's 2nd month has 29 days (0x0a4e0 & 0x4000 is 0): a 2-30 birthday is on the 29th, 2026-04-16.
    expect(almanacMonth(2026, 2).days).toBe(29);
    expect(lunarBirthdayIn(2026, 2, 30)).toBe("2026-04-16");
    expect(lunarBirthdayIn(2026, 2, 29)).toBe("2026-04-16");
  });

  it("a 12-30 birthday falls on New Year's Eve, the 29th in years whose 12th month is short", () => {
    const shortYears: number[] = [];
    for (const year of YEARS) {
      const last = almanacMonth(year - 1, 12);
      if (last.days === 29) shortYears.push(year);
      // The 12th month of lunar Y-1 ends in January/February of Y.
      expect(lunarBirthdayIn(year, 12, 30)).toBe(iso(last.start + (last.days - 1) * DAY));
      expect(lunarBirthdayIn(year, 12, 30)).toBe(dateOf(year, "chinese-new-years-eve"));
    }
    expect(shortYears).toContain(2026); // lunar 2025's 12th month has 29 days: 2026-02-16 is 12-29
    expect(lunarBirthdayIn(2026, 12, 30)).toBe("2026-02-16");
  });

  it("a birthday in a leap month (leap 6th month 2025) is celebrated in the regular 6th month", () => {
    // Leap 6-10 of 2025 was 2025-08-03 (the leap 6th month began 2025-07-25).
    const leapSixth = ALMANAC.find((m) => m.lunarYear === 2025 && m.month === 6 && m.leap)!;
    expect(iso(leapSixth.start + 9 * DAY)).toBe("2025-08-03");
    for (const year of YEARS) expect(lunarBirthdayIn(year, 6, 10)).toBe(almanacDay(year, 6, 10));
    // 2028 has a leap 5th month: a 5-10 birthday is on the regular one, not the leap one.
    expect(lunarBirthdayIn(2028, 5, 10)).toBe(almanacDay(2028, 5, 10));
    expect(ALMANAC.some((m) => m.lunarYear === 2028 && m.month === 5 && m.leap)).toBe(true);
  });

  it("Gregorian year Y celebrates the first occurrence lying in Y: two in a year keep January's, none leaves the year empty", () => {
    // Lunar 11-30: lunar 2026's is 2027-01-07, lunar 2027's is 2027-12-27, and 2028 holds none.
    expect(lunarBirthdayOccurrencesIn(2027, 11, 30)).toEqual([almanacDay(2026, 11, 30), almanacDay(2027, 11, 30)]);
    expect(lunarBirthdayOccurrencesIn(2027, 11, 30)).toEqual(["2027-01-07", "2027-12-27"]);
    expect(lunarBirthdayIn(2027, 11, 30)).toBe("2027-01-07");
    expect(lunarBirthdayOccurrencesIn(2028, 11, 30)).toEqual([]);
    expect(lunarBirthdayIn(2028, 11, 30)).toBeNull();
    // Over the years, every occurrence in the almanac lies in exactly one Gregorian year's list.
    for (const [month, day] of [[11, 15], [11, 30], [12, 1], [12, 20]] as const) {
      const listed = YEARS.flatMap((year) => lunarBirthdayOccurrencesIn(year, month, day));
      const almanac = [2025, ...YEARS].map((lunarYear) => almanacDay(lunarYear, month, day)).filter((d) => d >= "2026-01-01" && d <= "2040-12-31");
      expect(listed).toEqual(almanac);
      for (const year of YEARS) expect(lunarBirthdayIn(year, month, day)).toBe(lunarBirthdayOccurrencesIn(year, month, day)[0] ?? null);
    }
  });

  it("rejects a month or day that no lunar calendar has", () => {
    expect(() => lunarBirthdayIn(2027, 13, 1)).toThrow(RangeError);
    expect(() => lunarBirthdayIn(2027, 8, 31)).toThrow(RangeError);
  });
});
