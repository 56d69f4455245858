import { randomUUID } from "node:crypto";
import type { MessageVerdict } from "../core/staff-console-services.ts";
import type { CustomerCard } from "../customers/customer-card-types.ts";
import { describePolicyReason } from "../outreach/contact-policy-reasons.ts";
import { localStamp, stamp } from "./customer-card-view.ts";
import type { CustomerTexts } from "./customer-texts.ts";
import { type Html, html } from "./dashboard-html.ts";
import type { DashboardLang, DashboardTexts } from "./dashboard-texts.ts";

/** A contact policy reason in the page's language (the policy's own texts; "unreachable" is the console's). */
export function reasonText(c: CustomerTexts, lang: DashboardLang, reason: string): string {
  return reason === "unreachable" ? c.noChannel : describePolicyReason(reason, lang === "zh" ? "zh-CN" : "en");
}

/** What the contact policy would do with a staff message now, as the Slack console shows it before sending. */
export function verdictText(c: CustomerTexts, lang: DashboardLang, judged: MessageVerdict, timeZone: string): string {
  const { verdict, channel } = judged;
  if (verdict.action === "skip") return c.verdictSkip(reasonText(c, lang, verdict.reason));
  if (channel === null) return c.verdictSkip(c.noChannel);
  if (verdict.action === "defer") return c.verdictDefer(localStamp(verdict.until, timeZone), reasonText(c, lang, verdict.reason));
  return c.verdictSend(channel);
}

/** The verdict for a personal staff message and for a one-off care message (null: no such customer). */
export interface MessageVerdicts {
  staff: MessageVerdict | null;
  care: MessageVerdict | null;
}

export interface ActionsView {
  card: CustomerCard;
  csrf: string;
  /** The signed-in staff member's actor id: whether they hold the conversation. */
  actorId: string;
  /** The policy's verdict for a message now, per topic; undefined when this server offers no sending (no console wired). */
  verdict: MessageVerdicts | undefined;
  /** Whether replies during a takeover can be sent from here. */
  canReply: boolean;
}

/**
 * The customer page's actions, each a form posting the session's CSRF token to one route that runs
 * the owning service as the signed-in staff member: note, pause/resume, points, message, takeover.
 * (Resolving a case sits with the open cases.)
 */
export function actionsView(t: DashboardTexts, c: CustomerTexts, lang: DashboardLang, view: ActionsView): Html {
  const { card } = view;
  const base = `/dashboard/customers/${card.customerId}`;
  const token = html`<input type="hidden" name="_csrf" value="${view.csrf}">`;
  const h = card.handover;
  const mine = h.heldBy?.actorId === view.actorId;
  const takeover = mine
    ? html`<p id="handover-state">${c.handoverHeld(h.heldBy!.name, stamp(h.since))}</p>
      ${
        view.canReply
          ? html`<form method="post" action="${base}/reply">${token}<input type="hidden" name="idempotencyKey" value="${randomUUID()}">
          <label for="reply">${c.replyLabel}</label><textarea id="reply" name="text" rows="3" required maxlength="4000"></textarea>
          <button type="submit">${c.replyButton}</button></form>`
          : ""
      }`
    : html`<p class="muted" id="handover-state">${!h.active ? c.takeOverHelp : h.heldBy ? c.handoverHeld(h.heldBy.name, stamp(h.since)) : c.handoverWaiting(stamp(h.since))}</p>
      <form method="post" action="${base}/take-over">${token}${h.heldBy ? html`<input type="hidden" name="force" value="true">` : ""}
        <button type="submit">${h.heldBy ? c.forceTakeOver(h.heldBy.name) : c.takeOverButton}</button></form>`;
  const release = h.active ? html`<form method="post" action="${base}/release">${token}<button type="submit" class="secondary">${c.release}</button></form>` : "";
  const verdicts = view.verdict;
  const say = (judged: MessageVerdict | null) => (judged ? verdictText(c, lang, judged, card.profile.timeZone) : c.noChannel);
  const message =
    verdicts === undefined
      ? ""
      : html`<form method="post" action="${base}/message">${token}<h3>${c.message}</h3>
        <label for="message">${c.messageLabel}</label><p class="muted" id="message-help">${c.messageHelp}</p>
        <textarea id="message" name="text" rows="3" required maxlength="3000" aria-describedby="message-help"></textarea>
        <fieldset class="topics"><legend>${c.messageAs}</legend>
          <div class="choice"><input type="radio" id="topic-staff" name="topic" value="staff" checked aria-describedby="verdict-staff"><label for="topic-staff">${c.asStaff}</label>
            <p class="muted" id="verdict-staff">${c.verdictNow} ${say(verdicts.staff)}</p></div>
          <div class="choice"><input type="radio" id="topic-care" name="topic" value="care" aria-describedby="verdict-care"><label for="topic-care">${c.asCare}</label>
            <p class="muted" id="verdict-care">${c.verdictNow} ${say(verdicts.care)}</p></div>
        </fieldset>
        <button type="submit">${c.sendButton}</button></form>`;
  return html`<div class="grid">
      <form method="post" action="${base}/notes">${token}<h3>${t.addNote}</h3>
        <label for="note">${t.noteLabel}</label><textarea id="note" name="text" rows="3" required maxlength="4000"></textarea>
        <button type="submit">${t.save}</button></form>
      <form method="post" action="${base}/points">${token}<h3>${c.adjust}</h3><input type="hidden" name="idempotencyKey" value="${randomUUID()}">
        <label for="points">${c.adjustPoints}</label><input type="number" id="points" name="points" step="1" min="-1000000" max="1000000" required>
        <label for="points-reason">${c.adjustReason}</label><input type="text" id="points-reason" name="reason" required maxlength="500">
        <button type="submit">${c.adjustButton}</button></form>
      ${message}
      <div><h3>${c.takeOver}</h3>${takeover}${release}</div>
      <div><form method="post" action="${base}/pause">${token}<h3>${t.pause}</h3>
        <label for="days">${t.pauseDays}</label><input type="number" id="days" name="days" min="1" max="365" value="7" required>
        <button type="submit">${t.pauseButton}</button></form>
        ${card.outreach.paused ? html`<form method="post" action="${base}/resume">${token}<p>${c.outreachPaused(stamp(card.outreach.pausedUntil))}</p><button type="submit">${t.resume}</button></form>` : ""}</div>
    </div>`;
}
