import type { CareForecast } from "../outreach/care-forecast.ts";
import type { OutreachCalendar } from "../outreach/outreach-calendar.ts";
import { type Html, html } from "./dashboard-html.ts";
import type { DashboardLang } from "./dashboard-texts.ts";
import { stamp } from "./queue-common.ts";
import { reasonText } from "./queue-outreach-page.ts";
import type { QueueTexts } from "./queue-texts.ts";

/**
 * The care-plan calendar: first the forecast of the next 14 days per date and plan (how many
 * customers each occasion is planned or will be planned for, from the care plans' own rules), then
 * the messages already queued per UTC day and plan with what the contact policy would do with the
 * first of them (send, defer and why, skip and why). A bar per row lets a festival's peak stand out
 * without script or colour.
 */
export function calendarBody(t: QueueTexts, lang: DashboardLang, calendar: OutreachCalendar, asOf: Date, forecast: CareForecast | null = null): Html {
  return html`${forecast ? forecastSection(t, lang, forecast) : ""}${queuedSection(t, lang, calendar, asOf)}`;
}

function forecastSection(t: QueueTexts, lang: DashboardLang, forecast: CareForecast): Html {
  const intro = html`<h2>${t.forecastTitle}</h2><p class="muted" id="forecast-intro">${t.forecastIntro}</p>`;
  const winback = forecast.winbackNow === null ? "" : html`<p id="forecast-winback">${t.winbackNow(forecast.winbackNow)}</p>`;
  if (!forecast.cells.length) return html`<section>${intro}<p id="forecast-empty">${t.forecastNone}</p>${winback}</section>`;
  const max = Math.max(1, ...forecast.cells.map((cell) => cell.customers));
  let lastDay = "";
  const rows = forecast.cells.map((cell) => {
    const day = cell.day === lastDay ? html`<span class="vh">${cell.day}</span>` : cell.day;
    lastDay = cell.day;
    const plan = t.plans[cell.plan] ?? cell.plan;
    const what = cell.festival ? `${plan}: ${lang === "zh" ? cell.festival.name.zhCN : cell.festival.name.en}` : plan;
    return html`<tr><th scope="row">${day}</th><td data-label="${t.plan}">${what}</td>
      <td data-label="${t.customers}"><meter min="0" max="${max}" value="${cell.customers}" aria-hidden="true"></meter> <span>${cell.customers}</span></td></tr>`;
  });
  return html`<section>${intro}
    <table class="responsive" id="forecast"><caption>${t.forecastTotal(forecast.total)}</caption>
    <thead><tr><th scope="col">${t.forecastDay}</th><th scope="col">${t.plan}</th><th scope="col">${t.customers}</th></tr></thead><tbody>${rows}</tbody></table>${winback}</section>`;
}

function queuedSection(t: QueueTexts, lang: DashboardLang, calendar: OutreachCalendar, asOf: Date): Html {
  const intro = html`<h2>${t.queuedTitle}</h2><p class="muted">${t.calendarIntro} ${t.judgedNote(calendar.judgeLimit)} ${t.statusAt} ${stamp(asOf)}.</p>`;
  if (!calendar.cells.length) return html`<section>${intro}<p id="calendar-empty">${t.nothingDue}</p></section>`;
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
      <td data-label="${t.judged}">${cell.judged}</td>
      <td data-label="${t.wouldSend}">${cell.send}</td><td data-label="${t.wouldDefer}">${reasons(cell.defer)}</td><td data-label="${t.wouldSkip}">${reasons(cell.skip)}</td></tr>`;
  });
  return html`<section>${intro}
    <table class="responsive" id="calendar"><caption>${t.total(calendar.total)}</caption>
    <thead><tr><th scope="col">${t.day}</th><th scope="col">${t.plan}</th><th scope="col">${t.customers}</th><th scope="col">${t.judged}</th><th scope="col">${t.wouldSend}</th>
    <th scope="col">${t.wouldDefer}</th><th scope="col">${t.wouldSkip}</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}
