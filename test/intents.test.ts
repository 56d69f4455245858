import { describe, expect, it } from "vitest";
import { type Intent, looksChinese, normalise, recogniseIntent } from "../src/engine/intents.ts";

function kinds(texts: string[]): (string | null)[] {
  return texts.map((text) => recogniseIntent(text)?.kind ?? null);
}

describe("recogniseIntent", () => {
  it("recognises the menu and help in both languages", () => {
    const texts = ["/start", "/help", "/menu", "help", "HELP", "Help!", "menu", "hi", "hello.", "帮助", "菜单", "你好", "您好！", "ｈｅｌｐ"];
    expect(kinds(texts)).toEqual(texts.map(() => "help"));
  });

  it("recognises points, tier and rewards in both languages, full-width included", () => {
    expect(kinds(["积分", "我的积分", "points", "Points?", "point", "my points", "balance", "等级", "tier", "my tier", "/points", "Ｐｏｉｎｔｓ", "积分？"])).toEqual(
      Array(13).fill("points"),
    );
    expect(kinds(["奖励", "rewards", "Reward", "catalogue", "catalog", "/rewards", "奖品", "礼品"])).toEqual(Array(8).fill("rewards"));
  });

  it("recognises redeem with and without a reward, in both languages", () => {
    const cases: [string, Intent][] = [
      ["redeem coffee", { kind: "redeem", reward: "coffee" }],
      ["REDEEM Coffee", { kind: "redeem", reward: "Coffee" }],
      ["redeem: tote", { kind: "redeem", reward: "tote" }],
      ["兑换 coffee", { kind: "redeem", reward: "coffee" }],
      ["兑换coffee", { kind: "redeem", reward: "coffee" }],
      ["兑换：免费咖啡", { kind: "redeem", reward: "免费咖啡" }],
      ["redeem", { kind: "redeem", reward: null }],
      ["兑换", { kind: "redeem", reward: null }],
      ["redeem   free   coffee ", { kind: "redeem", reward: "free coffee" }],
    ];
    for (const [text, intent] of cases) expect(recogniseIntent(text), text).toEqual(intent);
  });

  it("recognises rating, handover, consent and privacy commands in both languages", () => {
    expect(kinds(["rate us", "Rate", "feedback", "survey", "/feedback", "评价", "评价我们", "反馈"])).toEqual(Array(8).fill("rate"));
    expect(kinds(["agent", "human", "Human", "person", "talk to a person", "real person", "operator", "人工", "人工客服", "转人工", "客服"])).toEqual(
      Array(11).fill("agent"),
    );
    expect(kinds(["STOP", "stop", "Stop!", "stop.", "unsubscribe", "stop all", "退订", "退订。", "取消订阅", "ＳＴＯＰ"])).toEqual(Array(10).fill("stop"));
    expect(kinds(["START", "start", "Start!", "subscribe", "resume", "订阅", "恢复订阅"])).toEqual(Array(7).fill("start"));
    expect(kinds(["my data", "My Data", "export", "export my data", "我的数据", "导出数据", "导出我的数据"])).toEqual(Array(7).fill("export"));
    expect(kinds(["delete my data", "erase my data", "forget me", "删除我的数据", "删除数据"])).toEqual(Array(5).fill("erase"));
  });

  it("recognises profile commands with their values", () => {
    const cases: [string, Intent][] = [
      ["profile", { kind: "profile" }],
      ["设置", { kind: "profile" }],
      ["settings", { kind: "profile" }],
      ["birthday 1990-05-12", { kind: "birthday", value: "1990-05-12" }],
      ["Birthday: 1990-05-12", { kind: "birthday", value: "1990-05-12" }],
      ["my birthday is 1990-05-12", { kind: "birthday", value: "1990-05-12" }],
      ["生日 1990-05-12", { kind: "birthday", value: "1990-05-12" }],
      ["生日1990年5月12日", { kind: "birthday", value: "1990年5月12日" }],
      ["生日：１９９０－０５－１２", { kind: "birthday", value: "1990-05-12" }],
      ["timezone asia/shanghai", { kind: "timezone", value: "asia/shanghai" }],
      ["time zone Europe/London", { kind: "timezone", value: "Europe/London" }],
      ["tz UTC", { kind: "timezone", value: "UTC" }],
      ["时区 Asia/Shanghai", { kind: "timezone", value: "Asia/Shanghai" }],
      ["quiet 22:00-08:00", { kind: "quiet", value: "22:00-08:00" }],
      ["quiet hours off", { kind: "quiet", value: "off" }],
      ["免打扰 关闭", { kind: "quiet", value: "关闭" }],
      ["frequency 2", { kind: "frequency", value: "2" }],
      ["频率 3", { kind: "frequency", value: "3" }],
      ["english", { kind: "language", language: "en" }],
      ["English", { kind: "language", language: "en" }],
      ["中文", { kind: "language", language: "zh-CN" }],
      ["lang zh", { kind: "language", language: "zh-CN" }],
    ];
    for (const [text, intent] of cases) expect(recogniseIntent(text), text).toEqual(intent);
  });

  it("gives a command without its value an empty value, so the handler can show the hint", () => {
    expect(recogniseIntent("birthday")).toEqual({ kind: "birthday", value: "" });
    expect(recogniseIntent("生日")).toEqual({ kind: "birthday", value: "" });
    expect(recogniseIntent("timezone")).toEqual({ kind: "timezone", value: "" });
    expect(recogniseIntent("quiet")).toEqual({ kind: "quiet", value: "" });
    expect(recogniseIntent("频率")).toEqual({ kind: "frequency", value: "" });
  });

  it("recognises link with and without a code", () => {
    expect(recogniseIntent("link")).toEqual({ kind: "link", code: null });
    expect(recogniseIntent("绑定")).toEqual({ kind: "link", code: null });
    expect(recogniseIntent("link ABC234")).toEqual({ kind: "link", code: "ABC234" });
    expect(recogniseIntent("link: abc 234")).toEqual({ kind: "link", code: "abc 234" });
    expect(recogniseIntent("绑定 ABC234")).toEqual({ kind: "link", code: "ABC234" });
    expect(recogniseIntent("绑定ABC234")).toEqual({ kind: "link", code: "ABC234" });
  });

  it("does not take words that merely start like a command for the command", () => {
    for (const text of [
      "linkedin",
      "links please",
      "redeemable?",
      "birthdays are fun",
      "tzatziki",
      "quietly",
      "frequently asked",
      "timezones confuse me",
      "helpful",
      "stopped",
      "pointless",
      "starters",
    ]) {
      expect(recogniseIntent(text), text).toBeNull();
    }
  });

  it("returns null for empty, emoji-only, mixed and unknown texts", () => {
    for (const text of ["", "   ", "🙏", "👍👍👍", "积分 please 🙏", "what is this", "我想问一下", "12345"]) {
      expect(recogniseIntent(text), text).toBeNull();
    }
  });
});

describe("normalise", () => {
  it("folds full-width forms, trims and collapses white space", () => {
    expect(normalise("  ＳＴＯＰ  ")).toBe("STOP");
    expect(normalise("\u3000积分\u3000")).toBe("积分");
    expect(normalise("redeem \t\n  coffee")).toBe("redeem coffee");
    expect(normalise("")).toBe("");
  });
});

describe("looksChinese", () => {
  it("spots Han characters anywhere in the text", () => {
    expect(looksChinese("积分")).toBe(true);
    expect(looksChinese("积分 please 🙏")).toBe(true);
    expect(looksChinese("points")).toBe(false);
    expect(looksChinese("🙏")).toBe(false);
    expect(looksChinese("")).toBe(false);
  });
});
