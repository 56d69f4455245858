/**
 * What a staff console may ask of Tend: the port between adapters/slack-staff and the domain.
 * Every call that changes something takes the acting staff member (`Actor`) and is audited by
 * the service behind it (src/staff-console/services.ts over the staff and customer services);
 * the console itself only renders and routes. Types only come from the domain here.
 */
import type { CustomerCard, CustomerMatch } from "../customers/customer-card-types.ts";
import type { StaffAdjustResult, TakeOverResult } from "../customers/customer-service.ts";
import type { OutreachStatus } from "../db/repositories/outreach-overview-repository.ts";
import type { PolicyVerdict } from "../outreach/contact-policy.ts";
import type { Actor } from "../staff/actor.ts";
import type { SurveyReport } from "../surveys/report.ts";
import type { Platform } from "./channel.ts";
import type { StaffAlertServices } from "./staff-alert-services.ts";

export type { Actor, CustomerCard, CustomerMatch, OutreachStatus, PolicyVerdict, StaffAdjustResult, SurveyReport, TakeOverResult };

/** The English names of a card's score keys ("at_risk" → "At risk"), as `tend customer show` prints them. */
export interface ScoreLabels {
  rfmSegment: string | null;
  lifecycleStage: string;
  relationshipLevel: string;
}

/** The customer card with the names of its scores, for people. */
export type StaffCustomerCard = CustomerCard & { scoreLabels: ScoreLabels | null };

export type StaffAccess = { allowed: true; actor: Actor } | { allowed: false; reason: string; message: string };

/** Where a staff request came from, for access control and the audit of a refusal. */
export interface SlackRequestOrigin {
  userId: string;
  /** Absent for a modal's submission whose metadata names none. */
  channelId: string | undefined;
  /** What was attempted, e.g. "command /tend", "action tend.staff.card.note", "view tend.staff.points". */
  attempt: string;
}

/**
 * How the contact policy treats a staff message: "staff" (the default) is a person writing, held
 * back only for an erased customer; "care" counts as a care message (consent, quiet hours, the
 * weekly cap, a pause), for a one-off message the customer did not ask for.
 */
export type StaffMessageTopic = "staff" | "care";

/** What the contact policy says about a message to this customer now, and where it would go. */
export interface MessageVerdict {
  verdict: PolicyVerdict;
  /** The channel a send would try first; null: no channel reaches the customer. */
  channel: Platform | null;
}

export type SendMessageResult =
  /** `dedupeKey` names the outbox row (`staff_message:<uuid>`). */
  | { status: "queued"; dedupeKey: string; verdict: PolicyVerdict; channel: Platform | null }
  /** The policy refused (an erased customer), or no channel reaches them: nothing was queued. */
  | { status: "refused"; verdict: PolicyVerdict; channel: Platform | null; reason: string }
  | { status: "not_found" };

export interface CaseLine {
  id: string;
  status: "open" | "closed";
  source: string;
  summary: string;
  assignee: string | null;
  openedAt: Date;
  closedAt: Date | null;
  closedBy: string | null;
  resolution: string | null;
}

/** A dashboard sign-in link for the asker (its URL is secret: send it only to them), or why not. */
export type DashboardLinkResult =
  | { status: "made"; url: string; expiresAt: Date; name: string }
  /** Not staff to the dashboard, or no address to link to (TEND_PUBLIC_URL unset): `message` says which, for the asker. */
  | { status: "refused" | "unavailable"; message: string };

/** `/tend report`: the last 30 days against the 30 before. */
export interface StaffReport {
  from: Date;
  to: Date;
  surveys: SurveyReport;
  /** The same report for the 30 days before `from`: the trend. */
  previousSurveys: SurveyReport;
  /** Customer messages Tend did not understand, most frequent first (texts as typed, trimmed, case folded). */
  topUnrecognised: { text: string; count: number }[];
  outreach: OutreachStatus;
  /** Outbox rows by what became of them, among those due in the range. */
  outreachInRange: { sent: number; deferred: number; failed: number; skipped: number };
}

export interface StaffConsoleServices {
  /**
   * Whether this Slack user may act here (a configured staff member, in a configured channel or a
   * direct message with the app). A refusal is logged and audited before it is returned.
   */
  authorizeSlack(origin: SlackRequestOrigin): Promise<StaffAccess>;
  /** Customers matching a name, handle, Tend id, external id or order id; exact matches first. The search is audited. */
  findCustomers(query: string, limit: number, actor: Actor): Promise<CustomerMatch[]>;
  /** The one customer card (as `tend customer show` and the API show it); viewing is audited. Null: no such customer. */
  card(customerId: string, actor: Actor, options?: { recent?: number }): Promise<StaffCustomerCard | null>;
  /** A staff note on the timeline; throws TendError for an empty or too long note or no customer. */
  addNote(customerId: string, actor: Actor, text: string): Promise<void>;
  /** Points added or taken with a reason, audited with the balance before and after; throws TendError when refused. */
  adjustPoints(customerId: string, actor: Actor, input: { points: number; reason: string; purpose: "adjust" | "goodwill"; idempotencyKey?: string }): Promise<StaffAdjustResult>;
  /** Holds care, marketing and survey messages back for `days` days; the end, or null for no such customer. */
  pauseOutreach(customerId: string, actor: Actor, days: number): Promise<Date | null>;
  /** The policy's verdict for a staff message now (shown before sending). Null: no such customer. */
  messageVerdict(customerId: string, topic?: StaffMessageTopic): Promise<MessageVerdict | null>;
  /** A staff message to the customer, through the outbox and the contact policy; audited with the verdict. */
  sendMessage(customerId: string, actor: Actor, text: string, topic?: StaffMessageTopic): Promise<SendMessageResult>;
  /** The staff member takes the conversation (the bot goes quiet); audited. */
  takeOver(customerId: string, actor: Actor): Promise<TakeOverResult>;
  /** The customer's feedback cases, open ones first, then the latest closed. */
  cases(customerId: string, limit: number): Promise<CaseLine[]>;
  /** The last 30 days' report; audited. */
  report(actor: Actor): Promise<StaffReport>;
  /**
   * `/tend login`: a one-time dashboard sign-in link for this Slack user (as `tend staff login-link`
   * makes it); audited, refusals too. Absent where no dashboard is wired (test doubles).
   */
  dashboardLink?(slackUserId: string, actor: Actor): Promise<DashboardLinkResult>;
  /** Alerts (Claim, Resolve) and takeover threads; absent when TEND_STAFF_SLACK_CHANNEL is unset. */
  alerts?: StaffAlertServices | undefined;
}
