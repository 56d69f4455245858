import { type Html, html } from "./dashboard-html.ts";
import type { QueueTexts } from "./queue-texts.ts";

/** A moment as the dashboard prints it: minutes, UTC (the customer page's format). */
export const stamp = (date: Date | string | null) => (date ? `${new Date(date).toISOString().slice(0, 16).replace("T", " ")} UTC` : "–");

/** How long something has waited, in the reader's language. */
export function ageText(t: QueueTexts, since: Date, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - since.getTime()) / 60_000));
  return t.age(Math.floor(minutes / 1440), Math.floor((minutes % 1440) / 60), minutes % 60);
}

/** The hidden CSRF field every dashboard form carries. */
export const csrfField = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}">`;

/**
 * The result of the last action, from the redirect's query (post/redirect/get): `ok` or `error` names
 * a message code (never free text from the URL); `by` and `n` fill in a name or a count.
 */
export function flash(t: QueueTexts, query: { ok?: string; error?: string; by?: string; n?: string }): Html | null {
  const extra = [query.by?.slice(0, 200), query.n && /^\d{1,9}$/.test(query.n) ? query.n : undefined].filter(Boolean).join(" ");
  if (query.ok && t.outcomes[query.ok]) return html`<p class="notice" role="status" id="flash">${t.outcomes[query.ok]}${extra ? ` ${extra}` : ""}</p>`;
  if (query.error && (t.errors[query.error] ?? t.outcomes[query.error])) {
    return html`<p class="error" role="alert" id="flash">${t.errors[query.error] ?? t.outcomes[query.error]}${extra ? ` ${extra}` : ""}</p>`;
  }
  return null;
}

/** Where to send the browser after an action: `path` with the outcome in its query. */
export function afterAction(path: string, outcome: { ok: boolean; code: string; detail?: string | undefined; n?: number }): string {
  const query = new URLSearchParams({ [outcome.ok ? "ok" : "error"]: outcome.code });
  if (outcome.detail) query.set("by", outcome.detail.slice(0, 200));
  if (outcome.n !== undefined) query.set("n", String(outcome.n));
  return `${path}?${query.toString()}`;
}
