import { describe, expect, it } from "vitest";
import { lunarMonthDayZh } from "../src/calendar/index.ts";
import { recogniseIntent } from "../src/engine/intents.ts";
import { parseLunarBirthday } from "../src/engine/profile-input.ts";

describe("lunar birthday input", () => {
  it("reads numbers and the almanac's Chinese names", () => {
    const cases: [string, number, number, boolean][] = [
      ["8-15", 8, 15, false], ["08/15", 8, 15, false], ["8月15日", 8, 15, false], ["lunar 12-30", 12, 30, false],
      ["八月十五", 8, 15, false], ["正月初一", 1, 1, false], ["一月初十", 1, 10, false], ["腊月三十", 12, 30, false],
      ["冬月廿三", 11, 23, false], ["十一月二十", 11, 20, false], ["十二月廿九", 12, 29, false], ["农历五月初五", 5, 5, false],
      ["闰六月初十", 6, 10, true], ["leap 6-10", 6, 10, true], ["三月卅", 3, 30, false], ["九月初九", 9, 9, false], ["七月十九日", 7, 19, false],
    ];
    for (const [text, month, day, leap] of cases) expect([text, parseLunarBirthday(text)]).toEqual([text, { month, day, leap }]);
  });

  it("refuses what is no lunar day", () => {
    for (const text of ["13-1", "8-31", "0-5", "8-0", "八月三十一", "十三月初一", "初十一", "八月", "", "1990-05-12", "soon"]) expect([text, parseLunarBirthday(text)]).toEqual([text, null]);
  });

  it("writes every day as calendars do and reads it back", () => {
    expect(lunarMonthDayZh(8, 15)).toBe("八月十五");
    expect(lunarMonthDayZh(1, 1)).toBe("正月初一");
    expect(lunarMonthDayZh(11, 20)).toBe("冬月二十");
    expect(lunarMonthDayZh(12, 30)).toBe("腊月三十");
    for (let month = 1; month <= 12; month++) for (let day = 1; day <= 30; day++) expect(parseLunarBirthday(lunarMonthDayZh(month, day))).toEqual({ month, day, leap: false });
  });

  it("tells a lunar birthday from a Gregorian one", () => {
    for (const text of ["birthday lunar 8-15", "lunar birthday 8-15", "my lunar birthday is 8-15", "农历生日 八月十五", "农历生日8-15", "阴历生日：腊月初八", "生日 农历八月十五"]) {
      expect([text, recogniseIntent(text)?.kind]).toEqual([text, "lunarBirthday"]);
    }
    expect(recogniseIntent("birthday lunar 8-15")).toEqual({ kind: "lunarBirthday", value: "8-15" });
    expect(recogniseIntent("生日 农历八月十五")).toEqual({ kind: "lunarBirthday", value: "农历八月十五" });
    expect(recogniseIntent("birthday 1990-05-12")).toEqual({ kind: "birthday", value: "1990-05-12" });
    expect(recogniseIntent("生日 1990-05-12")).toEqual({ kind: "birthday", value: "1990-05-12" });
    expect(recogniseIntent("birthday lunaria")).toEqual({ kind: "birthday", value: "lunaria" });
  });
});
