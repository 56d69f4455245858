import { type Html, barTable, html } from "./dashboard-html.ts";
import type { DashboardTexts } from "./dashboard-texts.ts";
import type { Overview } from "./overview-data.ts";

const pct = (value: number | null) => (value === null ? "–" : `${Math.round(value)}%`);

/** The overview's body: each chart is a table with bars, so it reads without colour, script or a chart library. */
export function overviewBody(t: DashboardTexts, o: Overview): Html {
  const surveys = o.surveys.length
    ? html`<table class="responsive"><caption class="vh">${t.csat}</caption><thead><tr>
        <th scope="col">${t.week}</th><th scope="col">${t.channel}</th><th scope="col">${t.csatPct}</th><th scope="col">${t.nps}</th>
        <th scope="col">${t.responses}</th><th scope="col">${t.responseRate}</th></tr></thead><tbody>
        ${o.surveys.map(
          (r) => html`<tr><td data-label="${t.week}">${r.week}</td><td>${r.channel}</td>
            <td>${r.csatPercent === null ? "–" : html`<meter min="0" max="100" value="${Math.round(r.csatPercent)}" aria-hidden="true"></meter> ${pct(r.csatPercent)}`}</td>
            <td>${r.nps === null ? "–" : String(r.nps)}</td><td>${r.responses}</td><td>${pct(r.responseRate)}</td></tr>`,
        )}</tbody></table>`
    : html`<p>${t.none}</p>`;
  const outreach = html`<table class="responsive"><caption class="vh">${t.outreach}</caption><thead><tr>
      <th scope="col">${t.day}</th><th scope="col">${t.sent}</th><th scope="col">${t.deferred}</th><th scope="col">${t.failed}</th></tr></thead><tbody>
      ${o.outreachDays.map((d) => html`<tr><th scope="row">${d.day}</th><td>${d.sent}</td><td>${d.deferred}</td><td>${d.failed}</td></tr>`)}
    </tbody></table>`;
  return html`
  <section aria-labelledby="h-surveys"><h2 id="h-surveys">${t.csat}</h2>${surveys}</section>
  <div class="grid">
    <section aria-labelledby="h-tiers"><h2 id="h-tiers">${t.tiers}</h2>${barTable(t.tiers, [t.tier, t.customersCount], o.tiers, t.none)}</section>
    <section aria-labelledby="h-life"><h2 id="h-life">${t.lifecycle}</h2>${barTable(t.lifecycle, [t.stage, t.customersCount], o.lifecycle, t.notScored)}</section>
    <section aria-labelledby="h-rfm"><h2 id="h-rfm">${t.rfm}</h2>${barTable(t.rfm, [t.segment, t.customersCount], o.rfm, t.notScored)}</section>
    <section aria-labelledby="h-cases"><h2 id="h-cases">${t.cases}</h2>${barTable(t.cases, [t.age, t.count], o.openCasesByAge.map((c) => ({ label: t.ages[c.label] ?? c.label, count: c.count })), t.none)}</section>
  </div>
  <section aria-labelledby="h-out"><h2 id="h-out">${t.outreach}</h2>${outreach}
    <h3>${t.deferredNow}</h3>${barTable(t.deferredNow, [t.reason, t.count], o.deferredByReason, t.none)}</section>`;
}
