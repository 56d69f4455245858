/**
 * The staff notifier port: what the dispatcher needs of a staff console to deliver staff outbox
 * rows (alerts, lines in a takeover thread, reactions). The staff Slack app implements it
 * (adapters/slack-staff/alerts-notifier.ts); src/staff/staff-notifier.ts turns rows into calls.
 * It lives in src/core because adapters may only import the ports there.
 *
 * Failures are thrown as ChannelError (platform "slack"), so the dispatcher retries, waits out a
 * rate limit or fails the row exactly as it does for customer messages.
 */

/** A message in the staff workspace: its conversation and Slack timestamp. */
export interface StaffMessageRef {
  channel: string;
  ts: string;
}

export const alertReasons = ["csat_low", "nps_low", "complaint", "high_value", "handover", "takeover"] as const;
export type AlertReason = (typeof alertReasons)[number];

export function isAlertReason(value: string): value is AlertReason {
  return (alertReasons as readonly string[]).includes(value);
}

/** A handover's alert is also the takeover thread: the customer's messages and the relay run under it. */
export function isTakeoverReason(reason: string): boolean {
  return reason === "handover" || reason === "takeover";
}

export interface StaffPerson {
  id: string;
  name: string;
}

/** Everything an alert message shows; rendered again whenever it changes (claimed, resolved, released). */
export interface AlertView {
  alertId: string;
  reason: AlertReason;
  customerId: string;
  customerName: string | null;
  /** The case's summary (the score, the customer's words); null without a case. */
  summary: string | null;
  caseId: string | null;
  caseOpen: boolean;
  claimedBy: StaffPerson | null;
  resolvedBy: StaffPerson | null;
  resolution: string | null;
  /** A takeover thread that went back to the bot. */
  released: boolean;
  /** One line per card fact ("Tier: Gold, 2,400 points"), for a takeover thread's customer card. */
  card: string[];
}

/** The two marks a relayed message gets: delivered to the customer, or not (the reason follows in the thread). */
export type StaffReaction = "white_check_mark" | "warning";

export interface StaffNotifier {
  /** Posts a new alert (with its Claim and Resolve buttons) in the staff channel. */
  postAlert(alert: AlertView): Promise<StaffMessageRef>;
  /** Shows an alert's new state in place (who claimed it, resolved, released). */
  updateAlert(message: StaffMessageRef, alert: AlertView): Promise<void>;
  /** A reply in a thread (the customer's words, a delivery failure's reason). */
  postInThread(thread: StaffMessageRef, text: string): Promise<StaffMessageRef>;
  addReaction(message: StaffMessageRef, reaction: StaffReaction): Promise<void>;
}
