import { beforeEach, expect, it } from "vitest";
import { describeEachDatabase } from "./support/databases.ts";
import { type EngineHarness, createEngineHarness, only, uniqueUser } from "./support/engine-harness.ts";

// Gregorian dates from the Hong Kong Observatory's table (see test/calendar-festivals.test.ts): in 2027 lunar
// 8-15 is 2027-09-15, 1-1 is 2027-02-06, 6-10 is 2027-07-13, 11-23 is 2027-12-20, and lunar 2026's 12th month
// has 29 days, so its "30th" is 2027-02-05; 11-30 falls in no day of 2028 and next on 2029-01-14.
describeEachDatabase("engine: lunar birthdays in the chat", (db) => {
  let h: EngineHarness;
  beforeEach(async () => {
    h = await createEngineHarness(db(), { start: "2027-03-01T09:00:00.000Z" });
  });

  it("birthday lunar 8-15 is saved and shown in both calendars; a Gregorian birthday said later replaces it", async () => {
    const user = uniqueUser("lunar-en");
    expect(only(await h.say(user, "birthday lunar 8-15")).text).toBe("Saved: your birthday is lunar 8-15 (this year: 2027-09-15).");
    expect(await h.requireCustomer(user)).toMatchObject({ lunarBirthMonth: 8, lunarBirthDay: 15 });
    expect(only(await h.say(user, "profile")).text).toContain("• Birthday: lunar 8-15 (this year: 2027-09-15) (birthday lunar M-D)");

    expect(only(await h.say(user, "my lunar birthday is leap 6-10")).text).toBe(
      "Saved: your birthday is lunar 6-10 (this year: 2027-07-13). A leap-month birthday is celebrated in the regular month 6.",
    );
    expect(only(await h.say(user, "lunar birthday 12-30")).text).toBe(
      "Saved: your birthday is lunar 12-30 (this year: 2027-02-05). In years when that month has 29 days, it falls on the 29th.",
    );

    expect(only(await h.say(user, "birthday 1990-05-12")).text).toBe("Saved: your birthday is 1990-05-12.");
    expect(await h.requireCustomer(user)).toMatchObject({ lunarBirthMonth: null, lunarBirthDay: null });
    expect(only(await h.say(user, "profile")).text).toContain("• Birthday: 1990-05-12 (birthday YYYY-MM-DD, or: birthday lunar M-D)");
    await h.expectOnTimeline();
  });

  it("农历生日 八月十五 / 8-15 / 正月初一 / 冬月廿三 / 闰六月初十 in Chinese, shown back as 农历…（今年：…）", async () => {
    const user = uniqueUser("lunar-zh");
    await h.say(user, "你好");
    expect(only(await h.say(user, "农历生日 八月十五")).text).toBe("已保存：您的生日是农历八月十五（今年：2027-09-15）。");
    expect(await h.requireCustomer(user)).toMatchObject({ lunarBirthMonth: 8, lunarBirthDay: 15 });
    expect(only(await h.say(user, "设置")).text).toContain("• 生日：农历八月十五（今年：2027-09-15）（农历生日 八月十五）");

    expect(only(await h.say(user, "农历生日 8-15")).text).toBe("已保存：您的生日是农历八月十五（今年：2027-09-15）。");
    expect(only(await h.say(user, "农历生日：正月初一")).text).toBe("已保存：您的生日是农历正月初一（今年：2027-02-06）。");
    expect(only(await h.say(user, "生日 农历冬月廿三")).text).toBe("已保存：您的生日是农历冬月廿三（今年：2027-12-20）。");
    expect(await h.requireCustomer(user)).toMatchObject({ lunarBirthMonth: 11, lunarBirthDay: 23 });
    expect(only(await h.say(user, "农历生日 闰六月初十")).text).toBe("已保存：您的生日是农历六月初十（今年：2027-07-13）。闰月生日在当年的（非闰）六月庆祝。");
    expect(only(await h.say(user, "农历生日 腊月三十")).text).toBe("已保存：您的生日是农历腊月三十（今年：2027-02-05）。该月只有二十九天的年份，在二十九日庆祝。");
    await h.expectOnTimeline();
  });

  it("a year without the birthday says when the next one is", async () => {
    h.clock.set("2028-03-01T09:00:00.000Z");
    const en = uniqueUser("lunar-none");
    expect(only(await h.say(en, "birthday lunar 11-30")).text).toBe("Saved: your birthday is lunar 11-30 (none this year; next: 2029-01-14). In years when that month has 29 days, it falls on the 29th.");
    const zh = uniqueUser("lunar-none-zh");
    await h.say(zh, "你好");
    expect(only(await h.say(zh, "农历生日 十一月三十")).text).toBe("已保存：您的生日是农历冬月三十（今年没有；下次：2029-01-14）。该月只有二十九天的年份，在二十九日庆祝。");
  });

  it("an impossible lunar date gets the hint and changes nothing", async () => {
    const user = uniqueUser("lunar-bad");
    await h.say(user, "birthday lunar 8-15");
    for (const bad of ["birthday lunar 13-1", "birthday lunar 8-31", "birthday lunar", "lunar birthday soon"]) {
      expect(only(await h.say(user, bad)).text).toBe("Please give your lunar birthday as month-day, for example: birthday lunar 8-15 (or: 农历生日 八月十五)");
    }
    const zh = uniqueUser("lunar-bad-zh");
    await h.say(zh, "你好");
    expect(only(await h.say(zh, "农历生日 八月三十一")).text).toBe("请按月-日输入农历生日，例如：农历生日 八月十五（或：农历生日 8-15）");
    expect(only(await h.say(zh, "农历生日 十三月初一")).text).toBe("请按月-日输入农历生日，例如：农历生日 八月十五（或：农历生日 8-15）");
    expect(await h.requireCustomer(user)).toMatchObject({ lunarBirthMonth: 8, lunarBirthDay: 15 });
    expect(await h.requireCustomer(zh)).toMatchObject({ lunarBirthMonth: null, lunarBirthDay: null });
  });
});
