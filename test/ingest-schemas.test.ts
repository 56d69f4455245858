import { describe, expect, it } from "vitest";
import { supportedLocale } from "../src/feedback/locale.ts";
import { canonicalTimeZone, parseCustomer, parseOrder, parseTimestamp } from "../src/ingest/schemas.ts";

const now = new Date("2026-11-23T12:00:00Z");
const skew = 5 * 60_000;
const order = { externalId: "o-1", customerExternalId: "c-1", amount: "12.50", currency: "CNY", placedAt: "2026-03-01T14:30:00+08:00" };

function errorsOf(result: ReturnType<typeof parseCustomer> | ReturnType<typeof parseOrder>) {
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.value)}`);
  return Object.fromEntries(result.errors.map((e) => [e.path, e.message]));
}

describe("customer validation", () => {
  it("normalises what it accepts", () => {
    const result = parseCustomer(
      {
        externalId: " c-1 ",
        displayName: "张伟",
        email: " zhang@example.com ",
        phone: "+86 138-0000 0001",
        birthday: "1992-02-29",
        timeZone: "asia/shanghai",
        locale: "zh_cn",
        tags: "vip; 早鸟;;vip",
        marketingConsent: true,
      },
      now,
    );
    expect(result).toEqual({
      ok: true,
      value: {
        externalId: "c-1",
        displayName: "张伟",
        email: "zhang@example.com",
        phone: "+86 138-0000 0001",
        birthday: new Date("1992-02-29T00:00:00Z"),
        timeZone: "Asia/Shanghai",
        locale: "zh-CN",
        tags: ["vip", "早鸟"],
        marketingConsent: true,
      },
    });
  });

  it("takes a whole-number external id as text, and null or empty as clearing a field", () => {
    expect(parseCustomer({ externalId: 1042, email: null, phone: "" }, now)).toEqual({
      ok: true,
      value: { externalId: "1042", email: null, phone: null },
    });
  });

  it("names every bad field with a reason", () => {
    const errors = errorsOf(
      parseCustomer(
        {
          externalId: "",
          email: "not-an-email",
          birthday: "2026-11-25",
          timeZone: "+08:00",
          locale: "fr",
          tags: [1],
          marketingConsent: "yes",
          nickname: "x",
        },
        now,
      ),
    );
    expect(Object.keys(errors).sort()).toEqual(["birthday", "email", "externalId", "locale", "marketingConsent", "nickname", "tags.0", "timeZone"]);
    expect(errors.externalId).toBe("is required");
    expect(errors.birthday).toMatch(/past/);
    expect(errors.nickname).toBe("is not a known field");
  });

  it("refuses impossible dates and over-long ids", () => {
    expect(errorsOf(parseCustomer({ externalId: "c", birthday: "1990-02-29" }, now)).birthday).toMatch(/real date/);
    expect(errorsOf(parseCustomer({ externalId: "c", birthday: "12/05/1990" }, now)).birthday).toMatch(/YYYY-MM-DD/);
    expect(errorsOf(parseCustomer({ externalId: "x".repeat(201) }, now)).externalId).toMatch(/200/);
    expect(parseCustomer({ externalId: "x".repeat(200) }, now).ok).toBe(true);
  });

  it("wants an object", () => {
    expect(errorsOf(parseCustomer([], now))).toEqual({ "": "must be an object" });
    expect(errorsOf(parseCustomer("c-1", now))).toEqual({ "": "must be an object" });
  });
});

describe("text that PostgreSQL cannot store", () => {
  const nul = "a\u0000b";
  const loneHigh = "a\ud800b";
  const loneLow = "\udc00";

  it("refuses a NUL or a lone surrogate in every customer text field, naming the field", () => {
    for (const bad of [nul, loneHigh, loneLow]) {
      for (const [field, value, path] of [
        ["externalId", bad, "externalId"],
        ["displayName", bad, "displayName"],
        ["email", `x${bad}@example.com`, "email"],
        ["phone", `+86 138${bad}`, "phone"],
        ["birthday", `1990-05-12${bad}`, "birthday"],
        ["timeZone", `Asia/Shanghai${bad}`, "timeZone"],
        ["locale", `zh${bad}`, "locale"],
        ["tags", ["vip", bad], "tags.1"],
        ["tags", `vip;${bad}`, "tags.1"],
      ] as const) {
        const errors = errorsOf(parseCustomer({ externalId: "c-1", [field]: value }, now));
        expect(Object.keys(errors), `${field} ${JSON.stringify(value)}`).toEqual([path]);
        expect(errors[path]).toMatch(bad === nul ? /NUL/ : /surrogate/);
      }
    }
  });

  it("refuses them in every order text field", () => {
    for (const field of ["externalId", "customerExternalId", "amount", "currency", "placedAt"] as const) {
      const errors = errorsOf(parseOrder({ ...order, [field]: `${order[field]}\u0000` }, now, skew));
      expect(Object.keys(errors), field).toEqual([field]);
      expect(errors[field]).toMatch(/NUL/);
    }
  });

  it("keeps surrogate pairs, CJK and full-width punctuation as written", () => {
    const result = parseCustomer({ externalId: "c-😀", displayName: "李娜，你好！🎉", tags: ["早鸟"] }, now);
    expect(result).toEqual({ ok: true, value: { externalId: "c-😀", displayName: "李娜，你好！🎉", tags: ["早鸟"] } });
  });
});

describe("locales", () => {
  it("takes the usual spellings of the two languages Tend writes in", () => {
    for (const alias of ["zh", "zh-CN", "zh_CN", "zh-cn", "ZH-CN", "zh-Hans", "zh-Hans-CN", "zh_Hans_CN", "zh-SG"]) {
      expect(supportedLocale(alias), alias).toBe("zh-CN");
    }
    for (const alias of ["en", "EN", "en-US", "en_GB", "en-AU"]) expect(supportedLocale(alias), alias).toBe("en");
    for (const other of ["fr", "", "zh-", "english", "en-US-x-", "z"]) expect(supportedLocale(other), other).toBeNull();
  });

  it("are normalised by the customer schema, which the API and the CSV import share", () => {
    for (const [given, stored] of [["zh", "zh-CN"], ["zh-Hans", "zh-CN"], ["en-GB", "en"]] as const) {
      const result = parseCustomer({ externalId: "c-1", locale: given }, now);
      expect(result.ok && result.value.locale, given).toBe(stored);
    }
    expect(errorsOf(parseCustomer({ externalId: "c-1", locale: "fr" }, now)).locale).toMatch(/"en" or "zh-CN"/);
  });
});

describe("order validation", () => {
  it("normalises amount, currency and time", () => {
    expect(parseOrder({ ...order, amount: 12.5, currency: "cny" }, now, skew)).toEqual({
      ok: true,
      value: { ...order, amount: "12.50", currency: "CNY", placedAt: new Date("2026-03-01T06:30:00Z") },
    });
    const dateOnly = parseOrder({ ...order, amount: "0007", placedAt: "2026-03-01" }, now, skew);
    expect(dateOnly.ok && dateOnly.value).toMatchObject({ amount: "7.00", placedAt: new Date("2026-03-01T00:00:00Z") });
  });

  it("refuses non-positive, over-precise and formatted amounts", () => {
    for (const amount of [0, "0.00", -5, "1.234", 0.1 + 0.2, "1,299.50", "12.5 CNY", Number.NaN, "1e3", "1234567890123.00"]) {
      expect(errorsOf(parseOrder({ ...order, amount }, now, skew)).amount, String(amount)).toBeDefined();
    }
    expect(errorsOf(parseOrder({ ...order, amount: "1.234" }, now, skew)).amount).toBe("must have at most 2 decimal places");
    expect(errorsOf(parseOrder({ ...order, amount: 0 }, now, skew)).amount).toBe("must be greater than 0");
  });

  it("checks the currency against ISO 4217", () => {
    expect(errorsOf(parseOrder({ ...order, currency: "XYZ" }, now, skew)).currency).toMatch(/ISO 4217/);
    expect(errorsOf(parseOrder({ ...order, currency: "us" }, now, skew)).currency).toMatch(/ISO 4217/);
  });

  it("refuses times in the future beyond the clock skew, and times without a zone", () => {
    expect(parseOrder({ ...order, placedAt: "2026-11-23T12:04:59Z" }, now, skew).ok).toBe(true);
    expect(errorsOf(parseOrder({ ...order, placedAt: "2026-11-23T12:05:01Z" }, now, skew)).placedAt).toBe("is in the future");
    expect(errorsOf(parseOrder({ ...order, placedAt: "2026-03-01T10:00:00" }, now, skew)).placedAt).toMatch(/time zone/);
    expect(errorsOf(parseOrder({ ...order, placedAt: "2026-02-30" }, now, skew)).placedAt).toBeDefined();
  });

  it("requires every field", () => {
    expect(Object.keys(errorsOf(parseOrder({}, now, skew))).sort()).toEqual(["amount", "currency", "customerExternalId", "externalId", "placedAt"]);
  });
});

describe("time helpers", () => {
  it("parses ISO instants with offsets and fractions", () => {
    expect(parseTimestamp("2026-03-01T14:30:00.123456+08:00")?.toISOString()).toBe("2026-03-01T06:30:00.123Z");
    expect(parseTimestamp("2026-03-01 14:30-0530")?.toISOString()).toBe("2026-03-01T20:00:00.000Z");
    expect(parseTimestamp("2026-03-01T24:00:00Z")).toBeNull();
  });

  it("gives canonical IANA zone names", () => {
    expect(canonicalTimeZone("US/Pacific")).toBe("America/Los_Angeles");
    expect(canonicalTimeZone("Mars/Olympus")).toBeNull();
  });
});
