import { describe, expect, it } from "vitest";
import { type EngagementFacts, engagementSignals, noEngagement, relationshipLevel } from "../src/analytics/relationship.ts";

const facts = (over: Partial<EngagementFacts>): EngagementFacts => ({ ...noEngagement, channels: 1, ...over });

describe("relationship level", () => {
  it("is basic when the customer never talks to us, however much we write", () => {
    const result = relationshipLevel(facts({ outbound: 12, businessInitiated: 6, careSent: 4 }));
    expect(result.level).toBe("basic");
    expect(result.signals).toEqual({ initiatesContact: false, answersSurveys: false, repliesToCare: false, givesFeedback: false, linkedChannels: false });
    expect(result.facts.careReplyRate).toBe(0);
    expect(result.en).toBe(
      "Basic: started 0 conversations (we started 6); replied to 0 of 4 care messages; answered 0 of 0 surveys; gave 0 pieces of feedback; 1 linked channel.",
    );
    expect(result.zh).toBe("基本型：主动发起 0 次对话（我方发起 6 次）；回复关怀消息 0/4；回答调查 0/0；反馈意见 0 条；绑定渠道 1 个。");
    expect(relationshipLevel(noEngagement)).toMatchObject({ level: "basic", facts: { careReplyRate: null } });
  });

  it("is reactive when the customer comes to us but does not answer our outreach", () => {
    const result = relationshipLevel(facts({ inbound: 5, customerInitiated: 3, careSent: 2, surveysInvited: 1 }));
    expect(result.level).toBe("reactive");
    expect(result.signals.initiatesContact).toBe(true);
  });

  it("is accountable when the customer answers surveys or gives feedback", () => {
    expect(relationshipLevel(facts({ surveysInvited: 2, surveysAnswered: 1 })).level).toBe("accountable");
    expect(relationshipLevel(facts({ complaints: 1, customerInitiated: 1 })).level).toBe("accountable");
    expect(relationshipLevel(facts({ surveyReasons: 1, surveysAnswered: 1 })).signals.givesFeedback).toBe(true);
  });

  it("is proactive when the customer replies to enough of our care messages", () => {
    expect(relationshipLevel(facts({ careSent: 4, careReplied: 1, surveysAnswered: 1 })).level).toBe("proactive");
    // One reply to twenty care messages is below the 20% rate: that is not a conversation.
    const rare = relationshipLevel(facts({ careSent: 20, careReplied: 1 }));
    expect(rare.signals.repliesToCare).toBe(false);
    expect(rare.level).toBe("basic");
    expect(rare.facts.careReplyRate).toBe(0.05);
    expect(relationshipLevel(facts({ careSent: 20, careReplied: 1 }), { careReplyDays: 3, minCareReplyRate: 0, conversationGapHours: 24 }).level).toBe("proactive");
  });

  it("is partnership when two-way: replies to care, starts conversations and shows two more signs", () => {
    const base = { careSent: 3, careReplied: 2, customerInitiated: 2 };
    expect(relationshipLevel(facts({ ...base, surveysAnswered: 1, channels: 2 })).level).toBe("partnership");
    expect(relationshipLevel(facts({ ...base, surveysAnswered: 1, surveyReasons: 1 })).level).toBe("partnership");
    // Only one extra sign: proactive.
    expect(relationshipLevel(facts({ ...base, channels: 3 })).level).toBe("proactive");
    // Everything but starting conversations: proactive.
    expect(relationshipLevel(facts({ ...base, customerInitiated: 0, surveysAnswered: 1, channels: 2, complaints: 1 })).level).toBe("proactive");
    const result = relationshipLevel(facts({ ...base, surveysInvited: 1, surveysAnswered: 1, channels: 2 }));
    expect(result.signals).toEqual({ initiatesContact: true, answersSurveys: true, repliesToCare: true, givesFeedback: false, linkedChannels: true });
    expect(result.en).toMatch(/^Partnership: started 2 conversations/);
    expect(result.zh).toMatch(/^伙伴型：/);
  });

  it("exposes the signals on their own", () => {
    expect(engagementSignals(facts({ channels: 2 })).linkedChannels).toBe(true);
    expect(engagementSignals(facts({ channels: 1 })).linkedChannels).toBe(false);
  });
});
