import type { AlertReason, AlertView } from "../../src/core/staff-notifier.ts";
import { type Block, actions, button, context, header, section } from "./blocks.ts";

/** Action ids of the alert's and the takeover thread's buttons; each button's value is the alert id. */
export const ALERT_ACTIONS = {
  claim: "tend.staff.alert.claim",
  resolve: "tend.staff.alert.resolve",
  handOn: "tend.staff.thread.hand",
  release: "tend.staff.thread.release",
} as const;

/** Callback ids of their modals. */
export const ALERT_MODALS = {
  resolve: "tend.staff.modal.alert_resolve",
  handOn: "tend.staff.modal.thread_hand",
} as const;

const titles: Record<AlertReason, string> = {
  csat_low: "Poor CSAT score",
  nps_low: "Poor NPS score",
  complaint: "Complaint",
  high_value: "High-value customer not understood",
  handover: "Customer asks for a person",
  takeover: "Conversation taken over",
};

const isThread = (alert: AlertView) => alert.reason === "handover" || alert.reason === "takeover";

/** The alert's plain text (notifications, screen readers): no typed-in text, only our words. */
export function alertText(alert: AlertView): string {
  return `${titles[alert.reason]}: ${alert.customerName ?? "a customer"}`;
}

/** Status line: who has it, who resolved it, released. */
function status(alert: AlertView): string {
  const parts: string[] = [];
  if (alert.resolvedBy) parts.push(`✅ Resolved by ${alert.resolvedBy.name}${alert.resolution ? `: ${alert.resolution}` : ""}`);
  if (isThread(alert)) {
    if (alert.released) parts.push("Released: the bot answers the customer again.");
    else if (alert.claimedBy) parts.push(`💬 ${alert.claimedBy.name} has the conversation: only they write to the customer from this thread.`);
    else parts.push("Nobody has the conversation yet: press Take over to answer the customer from this thread.");
  } else if (!alert.resolvedBy) {
    parts.push(alert.claimedBy ? `👤 Claimed by ${alert.claimedBy.name}` : "Unclaimed");
  }
  return parts.join("\n");
}

/** The alert as posted and as updated (Claim, Resolve, a hand-on, Release): rendered whole each time. */
export function alertBlocks(alert: AlertView, internalPrefix: string): Block[] {
  const blocks: Block[] = [header(titles[alert.reason]), section(`${alert.customerName ?? "(no name)"}${alert.summary ? `\n${alert.summary}` : ""}`)];
  if (isThread(alert) && alert.card.length) blocks.push(section(alert.card.join("\n")));
  blocks.push(context(status(alert)));
  if (isThread(alert) && !alert.released) {
    blocks.push(context(`Messages in this thread from the person who has the conversation go to the customer (✅ delivered, ⚠️ not). Everyone else's, and any starting with ${internalPrefix}, are internal notes.`));
  }
  const buttons: Block[] = [];
  const id = alert.alertId;
  if (!alert.claimedBy && !alert.resolvedBy && !alert.released) buttons.push(button(isThread(alert) ? "Take over" : "Claim", ALERT_ACTIONS.claim, id, "primary"));
  if (isThread(alert) && !alert.released) {
    if (alert.claimedBy) buttons.push(button("Hand to colleague", ALERT_ACTIONS.handOn, id));
    buttons.push(button("Release", ALERT_ACTIONS.release, id, "danger"));
  }
  if (alert.caseId && alert.caseOpen && !alert.resolvedBy) buttons.push(button("Resolve", ALERT_ACTIONS.resolve, id));
  if (buttons.length) blocks.push(actions(`tend.staff.alert.${id}`, buttons));
  return blocks;
}

/** Text posted in a thread (the customer's words, a failure's reason): plain, never formatted or mentioning anyone. */
export function threadBlocks(text: string): Block[] {
  return [section(text)];
}
