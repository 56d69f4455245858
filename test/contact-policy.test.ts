import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/env.ts";
import { TendError } from "../src/errors.ts";
import { type ContactCustomer, type ContactFacts, type PolicyVerdict, decide } from "../src/outreach/contact-policy.ts";
import { POLICY_REASONS, describePolicyReason } from "../src/outreach/contact-policy-reasons.ts";
import { type ContactPolicySettings, contactPolicySettings, parseQuietWindow } from "../src/outreach/contact-policy-settings.ts";
import type { OutreachTopic } from "../src/outreach/topics.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TOPICS: OutreachTopic[] = ["care", "marketing", "survey", "case_followup", "staff", "transactional"];
const PACED: OutreachTopic[] = ["care", "marketing", "survey"];
const UNPACED: OutreachTopic[] = ["case_followup", "staff", "transactional"];

/** No business default, so a test sees quiet hours only where it sets them. */
const plain: ContactPolicySettings = { defaultQuietHours: null, poorRatingPauseDays: 14 };
// A Wednesday noon in UTC: outside every quiet window the tests use unless they move.
const NOON = new Date("2026-06-10T12:00:00Z");

function customer(overrides: Partial<ContactCustomer> = {}): ContactCustomer {
  return {
    timeZone: "UTC",
    quietHoursStart: null,
    quietHoursEnd: null,
    maxCareMessagesPerWeek: 2,
    careConsent: true,
    marketingConsent: true,
    surveyConsent: true,
    handedOverAt: null,
    erasedAt: null,
    outreachPausedUntil: null,
    ...overrides,
  };
}

function facts(overrides: Partial<ContactCustomer> = {}, rest: Partial<Omit<ContactFacts, "customer">> = {}): ContactFacts {
  return { now: NOON, customer: customer(overrides), hasOpenCase: false, lastPoorRatingAt: null, recentOutreachAt: [], ...rest };
}

const send: PolicyVerdict = { action: "send" };
const skip = (reason: string): PolicyVerdict => ({ action: "skip", reason });
const defer = (until: string | Date, reason: string): PolicyVerdict => ({ action: "defer", until: new Date(until), reason });

describe("contact policy: who may be written to at all", () => {
  it("sends every topic to a customer nothing holds back", () => {
    for (const topic of TOPICS) expect(decide(topic, facts(), plain), topic).toEqual(send);
  });

  it("needs the topic's own consent for care, marketing and surveys, and none for the rest", () => {
    const consentOf = { care: "careConsent", marketing: "marketingConsent", survey: "surveyConsent" } as const;
    for (const [topic, flag] of Object.entries(consentOf) as [keyof typeof consentOf, (typeof consentOf)[keyof typeof consentOf]][]) {
      expect(decide(topic, facts({ [flag]: false }), plain), topic).toEqual(skip(`no_consent:${topic}`));
      // The other two consents withdrawn do not matter to this topic.
      const others = Object.values(consentOf).filter((f) => f !== flag);
      expect(decide(topic, facts(Object.fromEntries(others.map((f) => [f, false]))), plain), topic).toEqual(send);
    }
    const noConsent = facts({ careConsent: false, marketingConsent: false, surveyConsent: false });
    for (const topic of UNPACED) expect(decide(topic, noConsent, plain), topic).toEqual(send);
  });

  it("sends nothing at all to an erased customer, whatever else holds", () => {
    const erased = facts({ erasedAt: new Date("2026-06-01T00:00:00Z"), careConsent: false, handedOverAt: new Date("2026-06-01T00:00:00Z") }, { hasOpenCase: true });
    for (const topic of TOPICS) expect(decide(topic, erased, plain), topic).toEqual(skip("erased"));
  });

  it("while staff have the conversation: no care, marketing or survey; staff messages and case follow-ups still go", () => {
    const handed = facts({ handedOverAt: new Date("2026-06-10T11:00:00Z") });
    for (const topic of PACED) expect(decide(topic, handed, plain), topic).toEqual(skip("handed_over"));
    for (const topic of UNPACED) expect(decide(topic, handed, plain), topic).toEqual(send);
  });

  it("an open feedback case skips care, marketing and surveys but not the case follow-up", () => {
    const complaining = facts({}, { hasOpenCase: true });
    for (const topic of PACED) expect(decide(topic, complaining, plain), topic).toEqual(skip("open_case"));
    for (const topic of UNPACED) expect(decide(topic, complaining, plain), topic).toEqual(send);
  });

  it("a skip wins over a deferral: no consent inside quiet hours is a skip, not a wait", () => {
    const night = facts({ careConsent: false, quietHoursStart: 11 * 60, quietHoursEnd: 13 * 60 });
    expect(decide("care", night, plain)).toEqual(skip("no_consent:care"));
  });
});

describe("contact policy: poor ratings and staff pauses", () => {
  it("a poor rating within the pause holds care, marketing and surveys until the pause ends", () => {
    const ratedAt = new Date(NOON.getTime() - 14 * DAY + 1);
    const recent = facts({}, { lastPoorRatingAt: ratedAt });
    for (const topic of PACED) expect(decide(topic, recent, plain), topic).toEqual(defer(new Date(ratedAt.getTime() + 14 * DAY), "poor_rating"));
    for (const topic of UNPACED) expect(decide(topic, recent, plain), topic).toEqual(send);
  });

  it("the pause ends exactly N days (of 24 h) after the rating", () => {
    expect(decide("care", facts({}, { lastPoorRatingAt: new Date(NOON.getTime() - 14 * DAY) }), plain)).toEqual(send);
    expect(decide("care", facts({}, { lastPoorRatingAt: new Date(NOON.getTime() - 14 * DAY - 1) }), plain)).toEqual(send);
    const threeDays = { ...plain, poorRatingPauseDays: 3 };
    expect(decide("care", facts({}, { lastPoorRatingAt: new Date(NOON.getTime() - 3 * DAY) }), threeDays)).toEqual(send);
    expect(decide("care", facts({}, { lastPoorRatingAt: new Date(NOON.getTime() - 2 * DAY) }), threeDays)).toEqual(defer(new Date(NOON.getTime() + DAY), "poor_rating"));
  });

  it("a pause of 0 days turns the rule off", () => {
    expect(decide("care", facts({}, { lastPoorRatingAt: NOON }), { ...plain, poorRatingPauseDays: 0 })).toEqual(send);
  });

  it("staff 'pause outreach until' defers care, marketing and surveys until then, nothing else", () => {
    const until = new Date("2026-06-20T10:00:00Z");
    const paused = facts({ outreachPausedUntil: until });
    for (const topic of PACED) expect(decide(topic, paused, plain), topic).toEqual(defer(until, "paused_by_staff"));
    for (const topic of UNPACED) expect(decide(topic, paused, plain), topic).toEqual(send);
  });

  it("a pause that has ended holds nothing", () => {
    expect(decide("care", facts({ outreachPausedUntil: NOON }), plain)).toEqual(send);
    expect(decide("care", facts({ outreachPausedUntil: new Date(NOON.getTime() - HOUR) }), plain)).toEqual(send);
  });
});

describe("contact policy: the weekly cap", () => {
  // The cap is one budget for the person: the facts hold sends from every channel together (see
  // the repository test for two channels in the database).
  const telegramYesterday = new Date(NOON.getTime() - 1 * DAY);
  const discordThreeDaysAgo = new Date(NOON.getTime() - 3 * DAY);

  it("counts sends on two channels together and waits until the oldest leaves the 7 days", () => {
    const full = facts({ maxCareMessagesPerWeek: 2 }, { recentOutreachAt: [telegramYesterday, discordThreeDaysAgo] });
    for (const topic of PACED) expect(decide(topic, full, plain), topic).toEqual(defer(new Date(discordThreeDaysAgo.getTime() + 7 * DAY), "weekly_cap"));
    // Case follow-ups, staff messages and replies are outside the budget.
    for (const topic of UNPACED) expect(decide(topic, full, plain), topic).toEqual(send);
  });

  it("sends while under the cap", () => {
    expect(decide("care", facts({ maxCareMessagesPerWeek: 2 }, { recentOutreachAt: [telegramYesterday] }), plain)).toEqual(send);
    expect(decide("care", facts({ maxCareMessagesPerWeek: 3 }, { recentOutreachAt: [telegramYesterday, discordThreeDaysAgo] }), plain)).toEqual(send);
  });

  it("over the cap, waits until enough have left the window for one more", () => {
    const sends = [1, 2, 4, 6].map((days) => new Date(NOON.getTime() - days * DAY));
    // Cap 2 with 4 in the window (e.g. after the customer lowered it): below 2 means one left, so
    // the three oldest (6, 4 and 2 days ago) must leave; the last of them goes in 5 days.
    expect(decide("care", facts({ maxCareMessagesPerWeek: 2 }, { recentOutreachAt: sends }), plain)).toEqual(defer(new Date(NOON.getTime() + 5 * DAY), "weekly_cap"));
  });

  it("a send exactly 7 days ago has left the window; sends after `now` are not counted", () => {
    const edge = [new Date(NOON.getTime() - 7 * DAY), telegramYesterday, new Date(NOON.getTime() + HOUR)];
    expect(decide("care", facts({ maxCareMessagesPerWeek: 2 }, { recentOutreachAt: edge }), plain)).toEqual(send);
    const inside = [new Date(NOON.getTime() - 7 * DAY + 1), telegramYesterday];
    expect(decide("care", facts({ maxCareMessagesPerWeek: 2 }, { recentOutreachAt: inside }), plain)).toEqual(defer(new Date(NOON.getTime() + 1), "weekly_cap"));
  });

  it("a cap of 0 means never: skipped, not deferred", () => {
    for (const topic of PACED) expect(decide(topic, facts({ maxCareMessagesPerWeek: 0 }), plain), topic).toEqual(skip("weekly_cap"));
    for (const topic of UNPACED) expect(decide(topic, facts({ maxCareMessagesPerWeek: 0 }), plain), topic).toEqual(send);
  });
});

describe("contact policy: quiet hours", () => {
  const shanghai = { timeZone: "Asia/Shanghai", quietHoursStart: 22 * 60, quietHoursEnd: 8 * 60 };
  const at = (iso: string, overrides: Partial<ContactCustomer>) => facts(overrides, { now: new Date(iso) });

  it("a window wrapping midnight, Asia/Shanghai (UTC+8 all year): the evening part waits for tomorrow 08:00", () => {
    // 23:30 on 10 June in Shanghai → 08:00 on 11 June = 00:00Z.
    expect(decide("care", at("2026-06-10T15:30:00Z", shanghai), plain)).toEqual(defer("2026-06-11T00:00:00Z", "quiet_hours"));
    // 22:00 sharp is inside.
    expect(decide("care", at("2026-06-10T14:00:00Z", shanghai), plain)).toEqual(defer("2026-06-11T00:00:00Z", "quiet_hours"));
  });

  it("the morning part waits for 08:00 the same day; 08:00 and 21:59 are outside", () => {
    expect(decide("care", at("2026-06-10T23:59:00Z", shanghai), plain)).toEqual(defer("2026-06-11T00:00:00Z", "quiet_hours"));
    expect(decide("care", at("2026-06-11T00:00:00Z", shanghai), plain)).toEqual(send);
    expect(decide("care", at("2026-06-10T13:59:00Z", shanghai), plain)).toEqual(send);
  });

  it("a window within one day (13:00-14:00) waits for its end", () => {
    const nap = { timeZone: "Asia/Shanghai", quietHoursStart: 13 * 60, quietHoursEnd: 14 * 60 };
    expect(decide("care", at("2026-06-10T05:30:00Z", nap), plain)).toEqual(defer("2026-06-10T06:00:00Z", "quiet_hours"));
    expect(decide("care", at("2026-06-10T06:00:00Z", nap), plain)).toEqual(send);
    expect(decide("care", at("2026-06-10T04:59:00Z", nap), plain)).toEqual(send);
  });

  it("holds care, marketing, surveys and case follow-ups; staff messages and replies go", () => {
    const night = at("2026-06-10T15:30:00Z", shanghai);
    for (const topic of ["care", "marketing", "survey", "case_followup"] as const) {
      expect(decide(topic, night, plain), topic).toEqual(defer("2026-06-11T00:00:00Z", "quiet_hours"));
    }
    expect(decide("staff", night, plain)).toEqual(send);
    expect(decide("transactional", night, plain)).toEqual(send);
  });

  describe("the business default (21:00-09:00)", () => {
    const business: ContactPolicySettings = { ...plain, defaultQuietHours: parseQuietWindow("21:00-09:00") };

    it("applies to a customer with no quiet hours of their own", () => {
      expect(decide("care", at("2026-06-10T14:00:00Z", { timeZone: "Asia/Shanghai" }), business)).toEqual(defer("2026-06-11T01:00:00Z", "quiet_hours"));
    });

    it("does not apply to a customer with their own: theirs alone counts", () => {
      // 21:30 in Shanghai: inside the default, outside the customer's 22:00-08:00.
      expect(decide("care", at("2026-06-10T13:30:00Z", shanghai), business)).toEqual(send);
      // 07:30: the customer's window ends at 08:00, not the default's 09:00.
      expect(decide("care", at("2026-06-10T23:30:00Z", shanghai), business)).toEqual(defer("2026-06-11T00:00:00Z", "quiet_hours"));
    });

    it("\"off\" means none", () => {
      expect(decide("care", at("2026-06-10T14:00:00Z", { timeZone: "Asia/Shanghai" }), { ...plain, defaultQuietHours: parseQuietWindow("off") })).toEqual(send);
    });
  });

  // The dates and offsets are the tz database's published rules, not computed here:
  // America/New_York EST (UTC-5) → EDT (UTC-4) at 2026-03-08 07:00Z, back at 2026-11-01 06:00Z;
  // Europe/Berlin CET (UTC+1) → CEST (UTC+2) at 2026-03-29 01:00Z, back at 2026-10-25 01:00Z.
  describe("on the days the clocks change, the deferral lands on the local 09:00", () => {
    const business: ContactPolicySettings = { ...plain, defaultQuietHours: { start: 21 * 60, end: 9 * 60 } };
    const cases = [
      // zone, now (UTC), local now, local 09:00 that day as UTC
      ["America/New_York", "2026-03-08T05:00:00Z", "00:00 EST, spring forward", "2026-03-08T13:00:00Z"],
      ["America/New_York", "2026-03-08T02:30:00Z", "21:30 EST the evening before", "2026-03-08T13:00:00Z"],
      ["America/New_York", "2026-11-01T04:30:00Z", "00:30 EDT, fall back", "2026-11-01T14:00:00Z"],
      ["America/New_York", "2026-11-01T01:30:00Z", "21:30 EDT the evening before", "2026-11-01T14:00:00Z"],
      ["Europe/Berlin", "2026-03-29T00:30:00Z", "01:30 CET, spring forward", "2026-03-29T07:00:00Z"],
      ["Europe/Berlin", "2026-03-28T21:00:00Z", "22:00 CET the evening before", "2026-03-29T07:00:00Z"],
      ["Europe/Berlin", "2026-10-25T00:30:00Z", "02:30 CEST, fall back", "2026-10-25T08:00:00Z"],
      ["Europe/Berlin", "2026-10-24T20:00:00Z", "22:00 CEST the evening before", "2026-10-25T08:00:00Z"],
      ["Asia/Shanghai", "2026-03-07T16:00:00Z", "00:00 CST (no DST)", "2026-03-08T01:00:00Z"],
    ] as const;
    for (const [zone, now, local, nine] of cases) {
      it(`${zone} at ${local}`, () => {
        expect(decide("care", at(now, { timeZone: zone }), business)).toEqual(defer(nine, "quiet_hours"));
        // At that instant the window is over.
        expect(decide("care", at(nine, { timeZone: zone }), business)).toEqual(send);
      });
    }
  });

  it("a window ending inside the hour the clocks skip ends when they jump (New York, 22:00-02:30)", () => {
    const early = { timeZone: "America/New_York", quietHoursStart: 22 * 60, quietHoursEnd: 2 * 60 + 30 };
    // 01:00 EST; 02:30 does not exist that night: the clock goes from 01:59:59 EST to 03:00 EDT (07:00Z).
    expect(decide("care", at("2026-03-08T06:00:00Z", early), plain)).toEqual(defer("2026-03-08T07:00:00Z", "quiet_hours"));
    expect(decide("care", at("2026-03-08T07:00:00Z", early), plain)).toEqual(send);
  });

  it("a window ending inside the hour the clocks repeat ends at the 01:30 still ahead (New York, 22:00-01:30)", () => {
    const early = { timeZone: "America/New_York", quietHoursStart: 22 * 60, quietHoursEnd: 90 };
    // 01:15 EDT (first pass) → 01:30 EDT = 05:30Z.
    expect(decide("care", at("2026-11-01T05:15:00Z", early), plain)).toEqual(defer("2026-11-01T05:30:00Z", "quiet_hours"));
    // 01:15 EST (second pass, after 01:30 EDT has gone by) → 01:30 EST = 06:30Z.
    expect(decide("care", at("2026-11-01T06:15:00Z", early), plain)).toEqual(defer("2026-11-01T06:30:00Z", "quiet_hours"));
  });
});

describe("contact policy: several holds at once", () => {
  const shanghai = { timeZone: "Asia/Shanghai", quietHoursStart: 22 * 60, quietHoursEnd: 8 * 60 };

  it("a staff pause ending inside quiet hours defers to the end of the quiet hours, reason the pause", () => {
    // Paused until 23:00 on 12 June in Shanghai (15:00Z) → quiet until 08:00 on 13 June (00:00Z).
    const paused = facts({ ...shanghai, outreachPausedUntil: new Date("2026-06-12T15:00:00Z") });
    expect(decide("care", paused, plain)).toEqual(defer("2026-06-13T00:00:00Z", "paused_by_staff"));
  });

  it("the weekly cap freeing a slot at night defers to the morning", () => {
    // The oldest send leaves the window at 02:00 on 14 June in Shanghai (13 June 18:00Z).
    const full = facts({ ...shanghai, maxCareMessagesPerWeek: 1 }, { recentOutreachAt: [new Date("2026-06-06T18:00:00Z")] });
    expect(decide("marketing", full, plain)).toEqual(defer("2026-06-14T00:00:00Z", "weekly_cap"));
  });

  it("a poor rating and a later staff pause: the later end counts", () => {
    const both = facts({ outreachPausedUntil: new Date(NOON.getTime() + 2 * DAY) }, { lastPoorRatingAt: new Date(NOON.getTime() - 10 * DAY) });
    expect(decide("survey", both, plain)).toEqual(defer(new Date(NOON.getTime() + 4 * DAY), "paused_by_staff"));
  });
});

describe("contact policy reasons and settings", () => {
  it("has an English and a Chinese text for every reason; an unknown reason reads as itself", () => {
    for (const reason of POLICY_REASONS) {
      expect(describePolicyReason(reason, "en"), reason).toMatch(/^[A-Z].+\.$/);
      expect(describePolicyReason(reason, "zh-CN"), reason).toMatch(/[\u4e00-\u9fff].*。$/);
    }
    expect(describePolicyReason("something_new")).toBe("something_new");
  });

  it("every verdict decide gives carries a reason from the list", () => {
    const verdicts = [
      decide("care", facts({ erasedAt: NOON }), plain),
      decide("care", facts({ careConsent: false }), plain),
      decide("marketing", facts({ marketingConsent: false }), plain),
      decide("survey", facts({ surveyConsent: false }), plain),
      decide("care", facts({ handedOverAt: NOON }), plain),
      decide("care", facts({}, { hasOpenCase: true }), plain),
      decide("care", facts({ outreachPausedUntil: new Date(NOON.getTime() + DAY) }), plain),
      decide("care", facts({}, { lastPoorRatingAt: NOON }), plain),
      decide("care", facts({ maxCareMessagesPerWeek: 0 }), plain),
      decide("care", facts({ quietHoursStart: 11 * 60, quietHoursEnd: 13 * 60 }), plain),
    ];
    const reasons = verdicts.map((v) => (v.action === "send" ? "send" : v.reason));
    expect(reasons.sort()).toEqual([...POLICY_REASONS, "weekly_cap"].filter((r, i, all) => all.indexOf(r) === i).sort());
  });

  it("reads OUTREACH_DEFAULT_QUIET_HOURS and OUTREACH_POOR_RATING_PAUSE_DAYS, with 21:00-09:00 and 14 days by default", () => {
    expect(contactPolicySettings(loadConfig({}))).toEqual({ defaultQuietHours: { start: 21 * 60, end: 9 * 60 }, poorRatingPauseDays: 14 });
    expect(contactPolicySettings(loadConfig({ OUTREACH_DEFAULT_QUIET_HOURS: "off", OUTREACH_POOR_RATING_PAUSE_DAYS: "0" }))).toEqual({
      defaultQuietHours: null,
      poorRatingPauseDays: 0,
    });
    expect(contactPolicySettings(loadConfig({ OUTREACH_DEFAULT_QUIET_HOURS: "22:30-7:15" })).defaultQuietHours).toEqual({ start: 22 * 60 + 30, end: 7 * 60 + 15 });
  });

  it("refuses a bad quiet-hours window or pause, naming the variable", () => {
    for (const bad of ["25:00-09:00", "21:00-21:00", "21:60-09:00", "evenings", "21:00"]) {
      let error: unknown;
      try {
        loadConfig({ OUTREACH_DEFAULT_QUIET_HOURS: bad });
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(TendError);
      expect((error as Error).message).toContain(`OUTREACH_DEFAULT_QUIET_HOURS must be local hours`);
      expect((error as Error).message).toContain(JSON.stringify(bad));
    }
    expect(() => loadConfig({ OUTREACH_POOR_RATING_PAUSE_DAYS: "-1" })).toThrow(/OUTREACH_POOR_RATING_PAUSE_DAYS must be days/);
  });
});
