import { chartsJson, overviewCharts } from "./chart-specs.ts";
import { Html, barTable, html } from "./dashboard-html.ts";
import type { DashboardLang, DashboardTexts } from "./dashboard-texts.ts";
import type { Overview } from "./overview-data.ts";
import { type OverviewTexts, overviewTextsFor } from "./overview-texts.ts";

const pct = (value: number | null) => (value === null ? "–" : `${Math.round(value)}%`);

/** Money as the page's language writes it, two decimals. */
function money(lang: DashboardLang, value: number | null): string {
  if (value === null) return "–";
  return value.toLocaleString(lang === "zh" ? "zh-CN" : "en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/**
 * A chart (drawn by chart-client.js from the page's embedded specs) above its table. The table is
 * the accessible version and the fallback: it starts open, and the script folds it once the chart
 * is drawn; the holder stays hidden without script.
 */
function charted(id: string, title: string, ot: OverviewTexts, table: Html | null): Html {
  return html`<div class="chart" data-chart="${id}" data-label="${title}. ${ot.chartNote}" hidden></div>${
    table ? html`<details class="as-table" open><summary>${ot.asTable}</summary>${table}</details>` : ""
  }`;
}

/** The overview's body: every figure as a chart with its table; the chart data travel as JSON in the page. */
export function overviewBody(t: DashboardTexts, lang: DashboardLang, o: Overview): Html {
  const ot = overviewTextsFor(lang);
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

  const responseRows = [...o.responseByChannel.map((r) => ({ name: r.channel, r })), { name: ot.allChannels, r: o.responseTotal }];
  const response = o.responseTotal.invitations
    ? html`<table id="response-rate"><caption class="vh">${ot.responseTitle}</caption><thead><tr><th scope="col">${t.channel}</th><th scope="col">${ot.invitations}</th>
        <th scope="col">${ot.answered}</th><th scope="col">${ot.stillOpen}</th><th scope="col">${t.responseRate}</th></tr></thead><tbody>
        ${responseRows.map(({ name, r }) => html`<tr><th scope="row">${name}</th><td>${r.invitations}</td><td>${r.responses}</td><td>${r.stillOpen}</td><td>${pct(r.responseRate)}</td></tr>`)}
        </tbody></table>`
    : html`<p>${t.none}</p>`;

  const outreach = html`<table class="responsive"><caption class="vh">${t.outreach}</caption><thead><tr>
      <th scope="col">${t.day}</th><th scope="col">${t.sent}</th><th scope="col">${t.deferred}</th><th scope="col">${t.failed}</th></tr></thead><tbody>
      ${o.outreachDays.map(
        (d) => html`<tr><th scope="row">${d.day}</th><td data-label="${t.sent}">${d.sent}</td>
          <td data-label="${t.deferred}">${d.deferred}${Object.keys(d.deferredByReason).length ? html` <span class="muted">(${Object.entries(d.deferredByReason).map(([reason, n]) => `${ot.reason(reason)} ${n}`).join(", ")})</span>` : ""}</td>
          <td data-label="${t.failed}">${d.failed}</td></tr>`,
      )}
    </tbody></table>`;

  const moves = o.moves.length
    ? html`<table id="moves"><caption class="vh">${ot.movesTitle}</caption><thead><tr><th scope="col">${ot.from}</th><th scope="col">${ot.to}</th><th scope="col">${t.customersCount}</th></tr></thead><tbody>
        ${o.moves.map((m) => html`<tr><td>${ot.stage(m.from)}</td><td>${ot.stage(m.to)}</td><td>${m.count}</td></tr>`)}</tbody></table>`
    : html`<p>${o.lifecycle.length ? ot.noMoves : t.notScored}</p>`;

  const clv = o.segments.length
    ? html`<table id="clv" class="responsive"><caption class="vh">${ot.clvTitle}</caption><thead><tr><th scope="col">${t.segment}</th><th scope="col">${t.customersCount}</th>
        <th scope="col">${ot.withClv}</th><th scope="col">${ot.clvSum}</th><th scope="col">${ot.clvMean}</th></tr></thead><tbody>
        ${o.segments.map(
          (s) => html`<tr><th scope="row">${ot.segment(s.label)}</th><td data-label="${t.customersCount}">${s.customers}</td><td data-label="${ot.withClv}">${s.withClv}</td>
            <td data-label="${ot.clvSum}">${money(lang, s.withClv ? s.clvSum : null)}</td><td data-label="${ot.clvMean}">${money(lang, s.clvMean)}</td></tr>`,
        )}</tbody></table>`
    : html`<p>${t.notScored}</p>`;

  const stageRows = o.lifecycle.map((c) => ({ label: ot.stage(c.label), count: c.count }));
  const segmentRows = o.segments.map((s) => ({ label: ot.segment(s.label), count: s.customers }));
  const charts = overviewCharts(o, t, ot);

  return html`
  <section aria-labelledby="h-surveys"><h2 id="h-surveys">${t.csat}</h2>
    ${o.surveys.length ? html`<h3>${ot.csatChart}</h3>${charted("csat", ot.csatChart, ot, null)}<h3>${ot.npsChart}</h3>${charted("nps", ot.npsChart, ot, surveys)}` : surveys}</section>
  <section aria-labelledby="h-response"><h2 id="h-response">${ot.responseTitle}</h2><p class="muted" id="response-definition">${ot.responseDefinition(o.surveysFrom)}</p>
    ${o.responseTotal.invitations ? charted("response", ot.responseTitle, ot, response) : response}</section>
  <section aria-labelledby="h-out"><h2 id="h-out">${t.outreach}</h2>${charted("outreach", t.outreach, ot, outreach)}
    <h3>${t.deferredNow}</h3>${barTable(t.deferredNow, [t.reason, t.count], o.deferredByReason.map((c) => ({ label: ot.reason(c.label), count: c.count })), t.none)}</section>
  <div class="grid">
    <section aria-labelledby="h-tiers"><h2 id="h-tiers">${t.tiers}</h2>${charted("tiers", t.tiers, ot, barTable(t.tiers, [t.tier, t.customersCount], o.tiers, t.none))}</section>
    <section aria-labelledby="h-life"><h2 id="h-life">${t.lifecycle}</h2>
      ${o.lifecycle.length ? charted("lifecycle", t.lifecycle, ot, barTable(t.lifecycle, [t.stage, t.customersCount], stageRows, t.notScored)) : html`<p>${t.notScored}</p>`}</section>
    <section aria-labelledby="h-moves"><h2 id="h-moves">${ot.movesTitle}</h2><p class="muted">${ot.movesHelp}</p>
      ${o.moves.length ? charted("moves", ot.movesTitle, ot, moves) : moves}
      ${o.lifecycle.length ? html`<p id="moves-other">${ot.firstScored}: ${o.firstScored} · ${ot.unchanged}: ${o.unchanged}</p>` : ""}</section>
    <section aria-labelledby="h-rfm"><h2 id="h-rfm">${t.rfm}</h2>
      ${o.segments.length ? charted("rfm", t.rfm, ot, barTable(t.rfm, [t.segment, t.customersCount], segmentRows, t.notScored)) : html`<p>${t.notScored}</p>`}</section>
  </div>
  <section aria-labelledby="h-clv"><h2 id="h-clv">${ot.clvTitle}</h2><p class="muted">${ot.clvHelp}</p>${o.segments.length ? charted("clv", ot.clvTitle, ot, clv) : clv}</section>
  <section aria-labelledby="h-cases"><h2 id="h-cases">${t.cases}</h2>
    ${charted("cases", t.cases, ot, barTable(t.cases, [t.age, t.count], o.openCasesByAge.map((c) => ({ label: t.ages[c.label] ?? c.label, count: c.count })), t.none))}</section>
  <script type="application/json" id="overview-charts">${new Html(chartsJson(charts))}</script>
  <link rel="stylesheet" href="/dashboard/assets/overview.css">
  <script src="/dashboard/assets/chart.umd.min.js" defer></script>
  <script src="/dashboard/assets/chart-client.js" defer></script>`;
}
