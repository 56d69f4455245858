import type { ScoreExplanation } from "../analytics/refresh.ts";
import type { LoyaltySummary } from "../loyalty/results.ts";
import type { HandoverState } from "./customer-service.ts";

export type { HandoverState, LoyaltySummary, ScoreExplanation };

/**
 * One customer at a glance: what Slack, the HTTP API (GET /api/customers/:id/card), the dashboard
 * and `tend customer show` all print, from one query (`CustomerCards.card`), so they never
 * disagree. Plain JSON values but for Dates (ISO strings once serialised); money as decimal strings.
 */
export interface CustomerCard {
  customerId: string;
  externalId: string | null;
  /** Set when the customer's personal data was erased on request. */
  erasedAt: Date | null;
  /** When the card was read (the clock the loyalty figures were computed at). */
  asOf: Date;
  profile: CardProfile;
  channels: CardChannel[];
  consent: CardConsent;
  /** Exactly LoyaltyService.summary: balance (ledger less lapsed-but-unbooked points), tier, next tier, expiring soon. */
  loyalty: LoyaltySummary;
  orders: { count: number; total: string; lastPlacedAt: Date | null };
  /** Null until the first analytics refresh has scored the customer. */
  scores: CardScores | null;
  interactions: { total: number; byKind: { kind: string; direction: string; count: number }[]; recent: CardInteraction[] };
  surveys: { lastCsat: CardSurveyAnswer | null; lastNps: CardSurveyAnswer | null };
  /** Oldest first. */
  openCases: CardCase[];
  outreach: { paused: boolean; pausedUntil: Date | null };
  /** Who has the conversation: nobody (the bot), waiting for staff, or a named staff member. */
  handover: HandoverState;
}

export interface CardProfile {
  displayName: string | null;
  email: string | null;
  phone: string | null;
  /** YYYY-MM-DD. */
  birthday: string | null;
  /** A lunar (农历) birthday, the one celebrated when set. */
  lunarBirthday: { month: number; day: number } | null;
  locale: string;
  timeZone: string;
  /** "HH:MM" local; may wrap midnight. */
  quietHours: { start: string; end: string } | null;
  maxCareMessagesPerWeek: number;
  tags: string[];
  createdAt: Date;
}

export interface CardChannel {
  platform: string;
  platformUserId: string;
  displayName: string | null;
  lastSeenAt: Date;
  /** A send found the person unreachable here (blocked the bot) since then. */
  unreachableAt: Date | null;
}

export interface CardConsent {
  care: { granted: boolean; since: Date | null };
  marketing: { granted: boolean; since: Date | null };
  surveys: { granted: boolean; since: Date | null };
  maxCareMessagesPerWeek: number;
  /** Newest first, at most the card's `recent`. */
  recentChanges: { at: Date; topic: string; granted: boolean; source: string }[];
}

export interface CardScores {
  computedAt: Date;
  windowMonths: number;
  rfm: { segment: string | null; recency: number | null; frequency: number | null; monetary: number | null };
  lifecycleStage: string;
  relationshipLevel: string;
  probabilityAlive: number | null;
  predictedPurchases: number | null;
  /** Revenue to date, a decimal string. */
  historicClv: string;
  /** Over ANALYTICS_CLV_HORIZON_MONTHS, discounted; null when the models could not be fitted (see explanation.predictive). */
  predictedClv: string | null;
  orderCount: number;
  /** English and Chinese sentences behind each score. */
  explanation: ScoreExplanation;
}

export interface CardInteraction {
  id: string;
  at: Date;
  platform: string;
  direction: "in" | "out";
  kind: string;
  /** Null for system events and erased texts. */
  text: string | null;
  /** A system row's event ("taken_over", "outreach_paused", "staff_note"…). */
  event: string | null;
  /** The staff member behind a note, a takeover or a staff reply. */
  staffName: string | null;
}

export interface CardSurveyAnswer {
  score: number;
  reason: string | null;
  at: Date;
  platform: string;
}

export interface CardCase {
  id: string;
  source: string;
  summary: string;
  assignee: string | null;
  openedAt: Date;
}

/** One result of `findCustomers`. */
export interface CustomerMatch {
  customerId: string;
  displayName: string | null;
  externalId: string | null;
  /** What the query matched: Tend's id, the business's id, an order's id, a platform user id/handle, or a name. */
  matchedBy: "customer_id" | "external_id" | "email" | "phone" | "order_id" | "platform_user" | "name";
  channels: { platform: string; platformUserId: string; displayName: string | null }[];
  erased: boolean;
}
