import type { OutreachStatus } from "../outreach/outreach-status.ts";
import { describePolicyReason } from "../outreach/contact-policy-reasons.ts";
import { type Html, html } from "./dashboard-html.ts";
import type { DashboardLang } from "./dashboard-texts.ts";
import { csrfField, stamp } from "./queue-common.ts";
import type { DeadLetter } from "./queue-outreach-data.ts";
import type { QueueTexts } from "./queue-texts.ts";

export interface OutreachQueueView {
  status: OutreachStatus;
  dead: { rows: DeadLetter[]; next: string | null };
  after: string | undefined;
  csrf: string;
  message: Html | null;
}

/** A policy reason in the reader's language, with its stable key beside it for those who grep logs. */
export function reasonText(lang: DashboardLang, reason: string): string {
  const text = describePolicyReason(reason, lang === "zh" ? "zh-CN" : "en");
  return text === reason ? reason : `${text} (${reason})`;
}

/** The outreach queue: `tend outreach status`'s counts, then the dead letters with Retry and Retry all. */
export function outreachQueueBody(t: QueueTexts, lang: DashboardLang, view: OutreachQueueView): Html {
  const s = view.status;
  const reasons = (byReason: Record<string, number>) =>
    Object.entries(byReason).map(([reason, n]) => html`<tr class="sub"><th scope="row">· ${reasonText(lang, reason)}</th><td>${n}</td></tr>`);
  const counts = html`<table id="outreach-status"><caption>${t.statusCaption} <span class="muted">(${t.statusAt} ${stamp(s.at)})</span></caption>
    <thead><tr><th scope="col">${t.state}</th><th scope="col">${t.count}</th></tr></thead><tbody>
    <tr><th scope="row">${t.queued}</th><td>${s.queued.total} <span class="muted">(${t.dueNow} ${s.queued.dueNow}, ${t.later} ${s.queued.later})</span></td></tr>
    <tr><th scope="row">${t.deferred}</th><td>${s.deferred.total}</td></tr>${reasons(s.deferred.byReason)}
    <tr><th scope="row">${t.sending}</th><td>${s.sending}</td></tr>
    <tr><th scope="row">${t.sent}</th><td>${s.sent.total} <span class="muted">(${t.last24h} ${s.sent.last24h})</span></td></tr>
    <tr><th scope="row">${t.failed}</th><td>${s.failed}</td></tr>
    <tr><th scope="row">${t.dead}</th><td id="dead-count">${s.dead}</td></tr>
    <tr><th scope="row">${t.skipped}</th><td>${s.skipped.total}</td></tr>${reasons(s.skipped.byReason)}
    <tr><th scope="row">${t.control}</th><td>${s.control}</td></tr>
    <tr><th scope="row">${t.cancelled}</th><td>${s.cancelled}</td></tr>
    </tbody></table>`;
  const rows = view.dead.rows.map((row) => {
    const who = row.customerName ?? t.customer;
    return html`<tr><td data-label="${t.due}">${stamp(row.dueAt)}</td><td data-label="${t.customer}"><a href="/dashboard/customers/${row.customerId}">${who}</a>${row.audience === "staff" ? html` <span class="muted">(${t.staffAudience})</span>` : ""}</td>
      <td data-label="${t.plan}">${t.plans[row.kind] ?? row.kind}</td><td data-label="${t.channel}">${row.platform ?? html`<span class="muted">${t.channelAuto}</span>`}</td>
      <td data-label="${t.attempts}">${row.attempts}</td><td data-label="${t.reason}">${row.reason ?? "–"}</td>
      <td><form method="post" action="/dashboard/outreach/dead/${row.id}/retry">${csrfField(view.csrf)}<button type="submit" aria-label="${t.retryLabel(`${t.plans[row.kind] ?? row.kind} · ${who}`)}">${t.retry}</button></form></td></tr>`;
  });
  const dead = view.dead.rows.length
    ? html`<form method="post" action="/dashboard/outreach/dead/retry-all">${csrfField(view.csrf)}<button type="submit" id="retry-all">${t.retryAll(s.dead)}</button></form>
      <table class="responsive" id="dead-letters"><caption class="vh">${t.deadTitle}</caption><thead><tr><th scope="col">${t.due}</th><th scope="col">${t.customer}</th><th scope="col">${t.plan}</th>
      <th scope="col">${t.channel}</th><th scope="col">${t.attempts}</th><th scope="col">${t.reason}</th><th scope="col"><span class="vh">${t.retry}</span></th></tr></thead><tbody>${rows}</tbody></table>
      <nav class="pager" aria-label="${t.deadTitle}">${view.after ? html`<a href="/dashboard/outreach">${t.backToStart}</a>` : ""}
      ${view.dead.next ? html`<a href="/dashboard/outreach?after=${view.dead.next}" rel="next">${t.more}</a>` : ""}</nav>`
    : html`<p>${t.noDead}</p>`;
  return html`${view.message ?? ""}<section>${counts}</section>
    <section aria-labelledby="h-dead"><h2 id="h-dead">${t.deadTitle}</h2><p class="muted">${t.deadIntro}</p>${dead}</section>`;
}
