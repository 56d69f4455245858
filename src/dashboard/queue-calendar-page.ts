import type { OutreachCalendar } from "../outreach/outreach-calendar.ts";
import { type Html, html } from "./dashboard-html.ts";
import type { DashboardLang } from "./dashboard-texts.ts";
import { stamp } from "./queue-common.ts";
import { reasonText } from "./queue-outreach-page.ts";
import type { QueueTexts } from "./queue-texts.ts";

/**
 * The care-plan calendar: per UTC day and plan, how many customers a message is queued for and what
 * the contact policy would do with them (send, defer and why, skip and why), with a bar per day so
 * a festival's peak stands out without script or colour.
 */
export function calendarBody(t: QueueTexts, lang: DashboardLang, calendar: OutreachCalendar, asOf: Date): Html {
  const intro = html`<p class="muted">${t.calendarIntro} ${t.statusAt} ${stamp(asOf)}.</p>`;
  if (!calendar.cells.length) return html`${intro}<section><p id="calendar-empty">${t.nothingDue}</p></section>`;
  const max = Math.max(1, ...calendar.cells.map((cell) => cell.messages));
  const reasons = (counts: Record<string, number>) => {
    const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
    if (!entries.length) return "0";
    const n = entries.reduce((sum, [, k]) => sum + k, 0);
    return html`${n}<ul class="reasons">${entries.map(([reason, k]) => html`<li>${k} · ${reasonText(lang, reason)}</li>`)}</ul>`;
  };
  let lastDay = "";
  const rows = calendar.cells.map((cell) => {
    const day = cell.day === lastDay ? html`<span class="vh">${cell.day}</span>` : cell.day;
    lastDay = cell.day;
    return html`<tr><th scope="row">${day}</th><td data-label="${t.plan}">${t.plans[cell.plan] ?? cell.plan}</td>
      <td data-label="${t.customers}"><meter min="0" max="${max}" value="${cell.messages}" aria-hidden="true"></meter> <span>${cell.messages}</span></td>
      <td data-label="${t.wouldSend}">${cell.send}</td><td data-label="${t.wouldDefer}">${reasons(cell.defer)}</td><td data-label="${t.wouldSkip}">${reasons(cell.skip)}</td></tr>`;
  });
  return html`${intro}<section>
    <table class="responsive" id="calendar"><caption>${t.total(calendar.total)}</caption>
    <thead><tr><th scope="col">${t.day}</th><th scope="col">${t.plan}</th><th scope="col">${t.customers}</th><th scope="col">${t.wouldSend}</th>
    <th scope="col">${t.wouldDefer}</th><th scope="col">${t.wouldSkip}</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}
