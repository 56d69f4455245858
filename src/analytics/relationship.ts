/**
 * Relationship level, after Kotler's five levels of relationship marketing, read from the
 * customer's side: how far they take part in the relationship we offer.
 *
 *   basic        — we sell; they do not talk to us (no conversation they started, no answers).
 *   reactive     — they contact us when they need something (they start conversations), but do
 *                  not respond when we reach out.
 *   accountable  — they tell us how we did when asked: they answer surveys, or give feedback
 *                  (a survey's "why?" reason, or a complaint that opened a feedback case).
 *   proactive    — our proactive care reaches them: they reply to care messages. A care message
 *                  counts as replied when an inbound message follows within `careReplyDays`,
 *                  and at least `minCareReplyRate` of our care messages get replies.
 *   partnership  — a two-way relationship: they reply to care AND start conversations themselves
 *                  AND show at least two of: answers surveys, gives feedback, linked more than one
 *                  chat channel to their profile.
 *
 * The highest level whose rule holds wins. A conversation is started by whoever sends the first
 * message after `conversationGapHours` of silence (or the very first one); staff notes and
 * system events are not conversation. All counts cover the analysis window except linked
 * channels, which are counted as they are now.
 */

export const RELATIONSHIP_LEVELS = ["basic", "reactive", "accountable", "proactive", "partnership"] as const;
export type RelationshipLevelName = (typeof RELATIONSHIP_LEVELS)[number];

export const RELATIONSHIP_LEVEL_LABELS: Readonly<Record<RelationshipLevelName, { en: string; zh: string }>> = {
  basic: { en: "Basic", zh: "基本型" },
  reactive: { en: "Reactive", zh: "被动型" },
  accountable: { en: "Accountable", zh: "负责型" },
  proactive: { en: "Proactive", zh: "能动型" },
  partnership: { en: "Partnership", zh: "伙伴型" },
};

export interface RelationshipSettings {
  /** An inbound message this many days after a care message is a reply to it. */
  careReplyDays: number;
  /** Share of care messages that must be replied to for "replies to care" (0 = any one reply). */
  minCareReplyRate: number;
  /** Silence after which the next message starts a new conversation. */
  conversationGapHours: number;
}

export const defaultRelationshipSettings: RelationshipSettings = {
  careReplyDays: 3,
  minCareReplyRate: 0.2,
  conversationGapHours: 24,
};

/** Per customer, as counted by the analytics repository. */
export interface EngagementFacts {
  inbound: number;
  outbound: number;
  /** Conversations the customer started. */
  customerInitiated: number;
  /** Conversations we started. */
  businessInitiated: number;
  careSent: number;
  careReplied: number;
  surveysInvited: number;
  surveysAnswered: number;
  /** Survey answers with a "why?" reason. */
  surveyReasons: number;
  /** Feedback cases opened from the customer's complaints. */
  complaints: number;
  /** Channel identities linked to the customer (one per chat app account). */
  channels: number;
}

export const noEngagement: EngagementFacts = {
  inbound: 0,
  outbound: 0,
  customerInitiated: 0,
  businessInitiated: 0,
  careSent: 0,
  careReplied: 0,
  surveysInvited: 0,
  surveysAnswered: 0,
  surveyReasons: 0,
  complaints: 0,
  channels: 0,
};

export interface EngagementSignals {
  initiatesContact: boolean;
  answersSurveys: boolean;
  repliesToCare: boolean;
  givesFeedback: boolean;
  linkedChannels: boolean;
}

export interface RelationshipResult {
  level: RelationshipLevelName;
  signals: EngagementSignals;
  facts: EngagementFacts & { careReplyRate: number | null };
  en: string;
  zh: string;
}

export function engagementSignals(facts: EngagementFacts, settings: RelationshipSettings = defaultRelationshipSettings): EngagementSignals {
  const replyRate = facts.careSent > 0 ? facts.careReplied / facts.careSent : 0;
  return {
    initiatesContact: facts.customerInitiated > 0,
    answersSurveys: facts.surveysAnswered > 0,
    repliesToCare: facts.careReplied > 0 && replyRate >= settings.minCareReplyRate,
    givesFeedback: facts.surveyReasons + facts.complaints > 0,
    linkedChannels: facts.channels > 1,
  };
}

export function relationshipLevel(facts: EngagementFacts, settings: RelationshipSettings = defaultRelationshipSettings): RelationshipResult {
  const signals = engagementSignals(facts, settings);
  return describeRelationship(levelOf(signals), facts, signals);
}

/** relationshipLevel's level alone, without the facts and sentences (the refresh stores the counts; readers describe them). */
export function relationshipLevelName(facts: EngagementFacts, settings: RelationshipSettings = defaultRelationshipSettings): RelationshipLevelName {
  return levelOf(engagementSignals(facts, settings));
}

function levelOf(signals: EngagementSignals): RelationshipLevelName {
  const extras = [signals.answersSurveys, signals.givesFeedback, signals.linkedChannels].filter(Boolean).length;
  if (signals.repliesToCare && signals.initiatesContact && extras >= 2) return "partnership";
  if (signals.repliesToCare) return "proactive";
  if (signals.answersSurveys || signals.givesFeedback) return "accountable";
  if (signals.initiatesContact) return "reactive";
  return "basic";
}

/**
 * The level's facts and sentences from the engagement counts alone: the refresh stores the counts
 * and every reader renders this from them (score-explanation.ts). Without `signals` they are read
 * back from the counts and the level: "replies to care" holds exactly at proactive and partnership,
 * the two levels that require it, whatever the reply-rate setting was.
 */
export function describeRelationship(level: RelationshipLevelName, facts: EngagementFacts, signals?: EngagementSignals): RelationshipResult {
  const read = signals ?? { ...engagementSignals(facts, { ...defaultRelationshipSettings, minCareReplyRate: 0 }), repliesToCare: level === "proactive" || level === "partnership" };
  const careReplyRate = facts.careSent > 0 ? Math.round((facts.careReplied / facts.careSent) * 100) / 100 : null;
  const s = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const en = [
    `started ${s(facts.customerInitiated, "conversation")} (we started ${facts.businessInitiated})`,
    `replied to ${facts.careReplied} of ${s(facts.careSent, "care message")}`,
    `answered ${facts.surveysAnswered} of ${s(facts.surveysInvited, "survey")}`,
    `gave ${s(facts.surveyReasons + facts.complaints, "piece")} of feedback`,
    `${s(facts.channels, "linked channel")}`,
  ];
  const zh = [
    `主动发起 ${facts.customerInitiated} 次对话（我方发起 ${facts.businessInitiated} 次）`,
    `回复关怀消息 ${facts.careReplied}/${facts.careSent}`,
    `回答调查 ${facts.surveysAnswered}/${facts.surveysInvited}`,
    `反馈意见 ${facts.surveyReasons + facts.complaints} 条`,
    `绑定渠道 ${facts.channels} 个`,
  ];
  const label = RELATIONSHIP_LEVEL_LABELS[level];
  return {
    level,
    signals: read,
    facts: { ...facts, careReplyRate },
    en: `${label.en}: ${en.join("; ")}.`,
    zh: `${label.zh}：${zh.join("；")}。`,
  };
}
