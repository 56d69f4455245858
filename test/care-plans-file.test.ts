import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CHINESE_FESTIVALS, DEFAULT_FIXED_FESTIVALS, NEW_YEARS_EVE_KEY } from "../src/calendar/index.ts";
import { defaultCarePlansFile, loadCarePlans } from "../src/outreach/care-plans-file.ts";
import { controlDraw } from "../src/outreach/planner-control.ts";
import { renderTemplate } from "../src/outreach/templates.ts";

const knownFestivals = [...CHINESE_FESTIVALS.map((f) => f.key), NEW_YEARS_EVE_KEY, ...DEFAULT_FIXED_FESTIVALS.map((f) => f.key)];

function writePlans(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tend-plans-"));
  const file = path.join(dir, "care-plans.json");
  fs.writeFileSync(file, text);
  return file;
}

function errorOf(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the plans file to be refused");
}

describe("care plans file", () => {
  it("ships defaults: every plan on except campaigns, control 5 % for check-ins and win-back, 0 % for birthdays and festivals", () => {
    const plans = loadCarePlans(undefined, { knownFestivals });
    expect(plans.birthday).toMatchObject({ enabled: true, sendAt: "10:00", control: 0 });
    expect(plans.festivals).toMatchObject({ enabled: true, sendAt: "10:00", control: 0 });
    expect(plans.checkin).toMatchObject({ enabled: true, daysAfterOrder: 7, control: 0.05 });
    expect(plans.winback).toMatchObject({ enabled: true, control: 0.05 });
    expect(plans.anniversary.enabled).toBe(true);
    expect(plans.tierUpgrade.enabled).toBe(true);
    expect(plans.campaigns.enabled).toBe(false);
    expect(Object.keys(plans.festivals.festivals)).toEqual(expect.arrayContaining(["spring-festival", "lantern", "dragon-boat", "mid-autumn"]));
    for (const plan of [plans.birthday, plans.festivals, plans.checkin, plans.winback, plans.anniversary, plans.tierUpgrade]) {
      expect(Object.keys(plan.message).sort()).toEqual(["en", "zh-CN"]);
    }
  });

  it("takes a business file's plans and the defaults for plans it leaves out", () => {
    const file = writePlans(JSON.stringify({ plans: { checkin: { daysAfterOrder: 3, message: { en: "Hi {name}" } } } }, null, 2));
    const plans = loadCarePlans(file, { knownFestivals });
    expect(plans.checkin).toMatchObject({ daysAfterOrder: 3, cooldownDays: 30, control: 0.05, sendAt: "11:00", message: { en: "Hi {name}" } });
    expect(plans.birthday.message.en).toContain("{points}");
  });

  it("refuses a template with an unknown placeholder, naming the file and the line", () => {
    const text = [
      "{", //                                      1
      '  "plans": {', //                           2
      '    "birthday": {', //                      3
      '      "message": {', //                     4
      '        "en": "Happy birthday {name}",', // 5
      '        "zh-CN": "{nmae}，生日快乐"', //      6
      "      }",
      "    }",
      "  }",
      "}",
    ].join("\n");
    const file = writePlans(text);
    const message = errorOf(() => loadCarePlans(file, { knownFestivals }));
    expect(message).toContain(`${file}:6:`);
    expect(message).toContain("plans.birthday.message.zh-CN");
    expect(message).toContain("unknown placeholder {nmae}");
  });

  it("refuses a placeholder the plan cannot fill ({festival} in a check-in)", () => {
    const file = writePlans('{\n  "plans": {\n    "checkin": {\n      "message": { "en": "Happy {festival}" }\n    }\n  }\n}\n');
    expect(errorOf(() => loadCarePlans(file))).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:4: .*unknown placeholder \\{festival\\}`));
  });

  it("refuses bad values with file:line, every one of them at once", () => {
    const text = [
      "{",
      '  "plans": {',
      '    "checkin": {',
      '      "control": 1.5,', //                  4
      '      "sendAt": "25:00",', //               5
      '      "message": { "en": "Hi" }',
      "    },",
      '    "festivals": {',
      '      "message": { "en": "Happy {festival}" },',
      '      "festivals": {',
      '        "mid-autum": { "locales": ["zh-CN"] }', // 11
      "      }",
      "    }",
      "  }",
      "}",
    ].join("\n");
    const file = writePlans(text);
    const message = errorOf(() => loadCarePlans(file, { knownFestivals }));
    expect(message).toContain(`${file}:4: plans.checkin.control:`);
    expect(message).toContain(`${file}:5: plans.checkin.sendAt:`);
    // Schema errors come first; the festival key is checked once the values are well-formed.
    const fixed = text.replace('"control": 1.5', '"control": 0.1').replace('"25:00"', '"09:30"');
    const second = errorOf(() => loadCarePlans(writePlans(fixed), { knownFestivals }));
    expect(second).toMatch(/:11: plans\.festivals\.festivals\.mid-autum: unknown festival "mid-autum"/);
  });

  it("refuses a win-back segment that analytics never writes (a misspelt name would match nobody), naming the line", () => {
    const text = ["{", '  "plans": {', '    "winback": {', '      "segments": ["at_risk", "cannot_lose"]', "    }", "  }", "}"].join("\n");
    const file = writePlans(text);
    expect(errorOf(() => loadCarePlans(file, { knownFestivals }))).toMatch(/:4: plans\.winback\.segments\[1\]: .*"cant_lose"/);
    expect(loadCarePlans(defaultCarePlansFile, { knownFestivals }).winback.segments).toEqual(["at_risk", "cant_lose"]);
  });

  it("reports a missing English text at the message's line, and a JSON syntax error at its line", () => {
    const file = writePlans('{\n  "plans": {\n    "anniversary": {\n      "message": { "zh-CN": "周年快乐" }\n    }\n  }\n}\n');
    expect(errorOf(() => loadCarePlans(file))).toContain(`${file}:4: plans.anniversary.message:`);
    const broken = writePlans('{\n  "plans": {\n    "birthday": {\n      "enabled": tru\n    }\n  }\n}\n');
    expect(errorOf(() => loadCarePlans(broken))).toContain(`${broken}:4: not valid JSON`);
  });

  it("the shipped default file is the one loaded without CARE_PLANS_FILE", () => {
    expect(fs.existsSync(defaultCarePlansFile)).toBe(true);
  });
});

describe("templates", () => {
  const template = { en: "Happy birthday, {name}! {points} points", "zh-CN": "{name}，生日快乐！{points} 积分" };

  it("renders in the customer's locale, the same language's text, or English when the locale is missing", () => {
    expect(renderTemplate(template, "zh-CN", { name: "李雷", points: 100 })).toBe("李雷，生日快乐！100 积分");
    expect(renderTemplate(template, "zh", { name: "李雷", points: 100 })).toBe("李雷，生日快乐！100 积分");
    expect(renderTemplate(template, "fr", { name: "Anne", points: 100 })).toBe("Happy birthday, Anne! 100 points");
    expect(renderTemplate({ en: "Hi {name}" }, "zh-CN", { name: "Li" })).toBe("Hi Li");
  });

  it("escapes nothing: adapters escape for their own platform", () => {
    expect(renderTemplate({ en: "Hi {name}" }, "en", { name: "<b>A & B</b> *x*" })).toBe("Hi <b>A & B</b> *x*");
  });
});

describe("control assignment", () => {
  it("holds out close to the configured share over 10,000 customers, the same way every time", () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    const held = ids.filter((id) => controlDraw(id, `winback:${id}:2027-01-05`) < 0.05).length;
    // Binomial(10,000, 0.05): mean 500, standard deviation 21.8; five deviations either side.
    expect(held).toBeGreaterThan(391);
    expect(held).toBeLessThan(609);
    expect(ids.map((id) => controlDraw(id, "birthday:x:2027"))).toEqual(ids.map((id) => controlDraw(id, "birthday:x:2027")));
  });
});

describe("tend start with a care plans file", { timeout: 600_000 }, () => {
  it("stops at start-up on a bad plans file, naming the file and line, before opening the database", async () => {
    const { runTend } = await import("./support/run-tend.ts");
    const file = writePlans('{\n  "plans": {\n    "winback": {\n      "reward": { "en": "10% off" },\n      "message": { "en": "Back soon, {nam}? {reward}" }\n    }\n  }\n}\n');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tend-plans-data-"));
    const run = await runTend(["start"], { CARE_PLANS_FILE: file, TEND_DATA_DIR: dataDir, PORT: "0" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${file}:5: plans.winback.message.en: unknown placeholder {nam}`);
    // The check comes first: the embedded database was never created.
    expect(fs.existsSync(path.join(dataDir, "pglite"))).toBe(false);
  });
});
