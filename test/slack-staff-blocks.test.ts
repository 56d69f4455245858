import { describe, expect, it } from "vitest";
import { cardBlocks, cardSections } from "../adapters/slack-staff/card-blocks.ts";
import { pickListBlocks } from "../adapters/slack-staff/lookup.ts";
import { verdictText } from "../adapters/slack-staff/modals.ts";
import { decodeModalMetadata, encodeModalMetadata } from "../adapters/slack-staff/modal-metadata.ts";
import { requestOrigin } from "../adapters/slack-staff/access.ts";
import type { StaffCustomerCard } from "../src/core/staff-console-services.ts";

const at = new Date("2026-11-30T08:15:00Z");

function card(overrides: Partial<StaffCustomerCard> = {}): StaffCustomerCard {
  return {
    customerId: "11111111-2222-3333-4444-555555555555",
    externalId: "CRM-9",
    erasedAt: null,
    asOf: at,
    profile: {
      displayName: "*_[x](y)_* <@U123> <!channel>",
      email: "x@example.com",
      phone: null,
      birthday: null,
      lunarBirthday: null,
      locale: "en",
      timeZone: "Asia/Shanghai",
      quietHours: null,
      maxCareMessagesPerWeek: 2,
      tags: [],
      createdAt: at,
    },
    channels: [{ platform: "telegram", platformUserId: "4242", displayName: null, lastSeenAt: at, unreachableAt: null }],
    consent: {
      care: { granted: true, since: null },
      marketing: { granted: false, since: null },
      surveys: { granted: true, since: null },
      maxCareMessagesPerWeek: 2,
      recentChanges: [],
    },
    loyalty: { customerId: "c", balance: 70, tier: "Bronze", tierBasis: "points", tierProgress: 70, nextTier: { name: "Silver", threshold: 500, missing: 430 }, expiringSoon: { points: 0, earliestAt: null, withinDays: 30 } },
    orders: { count: 0, total: "0.00", lastPlacedAt: null },
    scores: null,
    scoreLabels: null,
    interactions: { total: 1, byKind: [], recent: [{ id: "i", at, platform: "telegram", direction: "in", kind: "text", text: "x".repeat(500), event: null, staffName: null }] },
    surveys: { lastCsat: { score: 2, reason: "slow", at, platform: "telegram" }, lastNps: null },
    openCases: [{ id: "k", source: "survey", summary: "CSAT 2", assignee: null, openedAt: at }],
    outreach: { paused: false, pausedUntil: null },
    handover: { active: true, since: at, heldBy: null },
    ...overrides,
  } as StaffCustomerCard;
}

describe("staff card blocks", () => {
  it("shows what customers typed as plain text, never as formatting or mentions, within Slack's limits", () => {
    const blocks = cardBlocks(card());
    const texts = blocks.flatMap((b) => {
      const t = (b as { text?: { type: string; text: string } }).text;
      return t ? [t] : [];
    });
    expect(texts.every((t) => t.type === "plain_text")).toBe(true);
    expect(texts[0]!.text).toBe("*_[x](y)_* <@U123> <!channel>");
    expect(texts.every((t) => t.text.length <= 3000)).toBe(true);
    expect(blocks.length).toBeLessThanOrEqual(50);
    const { sections } = cardSections(card());
    expect(sections.join("\n")).toMatch(/Loyalty: 70 points · Tier: Bronze; 430 more to Silver/);
    expect(sections.join("\n")).toMatch(/Last CSAT: 2\/5 on 2026-11-30 08:15 UTC \(telegram\) "slow"/);
    expect(sections.join("\n")).toMatch(/Conversation: waiting for staff since/);
    expect(sections.join("\n")).toMatch(/Scores: not computed yet/);
    expect(sections.join("\n")).toMatch(/x{99}…/);
  });

  it("names an erased customer so, and a long name is cut to the header's 150 characters", () => {
    expect(cardSections(card({ erasedAt: at })).title).toBe("Erased customer");
    const long = cardBlocks(card({ profile: { ...card().profile, displayName: "n".repeat(400) } }));
    expect(((long[0] as { text: { text: string } }).text.text).length).toBe(150);
  });

  it("lists several matches with a Show button each and says when there are more", () => {
    const blocks = pickListBlocks("Al", [{ customerId: "a", displayName: "<b>Al</b>", externalId: null, matchedBy: "name", channels: [], erased: false }], true);
    expect(blocks.map((b) => (b as { accessory?: { value: string } }).accessory?.value).filter(Boolean)).toEqual(["a"]);
    expect(JSON.stringify(blocks)).toMatch(/Only the first 10/);
  });

  it("says the contact policy's verdict in words", () => {
    expect(verdictText({ verdict: { action: "send" }, channel: "telegram" })).toBe("Contact policy: send now on telegram.");
    expect(verdictText({ verdict: { action: "defer", until: at, reason: "quiet_hours" }, channel: "web" })).toBe("Contact policy: wait until 2026-11-30 08:15 UTC (quiet hours), then send on web.");
    expect(verdictText({ verdict: { action: "skip", reason: "erased" }, channel: null })).toBe("Contact policy: not sent (erased).");
    expect(verdictText({ verdict: { action: "send" }, channel: null })).toMatch(/no channel reaches/);
  });

  it("keeps a modal's channel and customer in its metadata, and reads who asks from where for every kind of request", () => {
    const metadata = { channel: "C1", customerId: "c", responseUrl: "http://x" };
    expect(decodeModalMetadata(encodeModalMetadata(metadata))).toEqual(metadata);
    expect(decodeModalMetadata("not json")).toBeUndefined();
    expect(requestOrigin({ command: "/tend", user_id: "U1", channel_id: "C1" })).toEqual({ userId: "U1", channelId: "C1", attempt: "command /tend" });
    expect(requestOrigin({ type: "block_actions", user: { id: "U1" }, container: { channel_id: "C2" }, actions: [{ action_id: "a" }] })).toEqual({ userId: "U1", channelId: "C2", attempt: "action a" });
    expect(requestOrigin({ type: "view_submission", user: { id: "U1" }, view: { callback_id: "v", private_metadata: encodeModalMetadata(metadata) } })).toEqual({ userId: "U1", channelId: "C1", attempt: "view v" });
    expect(requestOrigin({ type: "event_callback", event: {} })).toBeUndefined();
  });
});
