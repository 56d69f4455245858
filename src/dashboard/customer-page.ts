import type { CaseLine } from "../core/staff-console-services.ts";
import type { CustomerCard } from "../customers/customer-card-types.ts";
import { type MessageVerdicts, actionsView, reasonText } from "./customer-actions-view.ts";
import { cardView, localStamp, scoresView, stamp } from "./customer-card-view.ts";
import type { ConsentRow, HistoryPage, LedgerRow, SurveyRow, TimelineRow, WaitingRow } from "./customer-history.ts";
import type { CustomerTexts } from "./customer-texts.ts";
import { type Html, html } from "./dashboard-html.ts";
import type { DashboardLang, DashboardTexts } from "./dashboard-texts.ts";

/** Everything the customer page shows, read by the route (src/dashboard/customer-routes.ts). */
export interface CustomerPageView {
  card: CustomerCard;
  csrf: string;
  actorId: string;
  message: Html | null;
  timeline: HistoryPage<TimelineRow>;
  waiting: WaitingRow[];
  ledger: HistoryPage<LedgerRow>;
  consent: HistoryPage<ConsentRow>;
  surveys: SurveyRow[];
  cases: CaseLine[];
  verdict: MessageVerdicts | undefined;
  canReply: boolean;
  /** The cursors this page was opened at (each section pages on its own). */
  cursors: { t?: string | undefined; l?: string | undefined; c?: string | undefined };
}

const th = (label: string) => html`<th scope="col">${label}</th>`;
/** A cell that names its column: on a phone the table's rows stack and each cell says what it is. */
const td = (label: string, content: unknown, cls = "") => html`<td data-label="${label}"${cls ? html` class="${cls}"` : ""}>${content}</td>`;

/** "Newest" and "Older" links of one section; the other sections keep their place. */
function pager(c: CustomerTexts, base: string, label: string, anchor: string, key: "t" | "l" | "c", view: CustomerPageView, next: string | null): Html {
  const link = (cursor: string | undefined) => {
    const query = new URLSearchParams();
    for (const k of ["t", "l", "c"] as const) {
      const value = k === key ? cursor : view.cursors[k];
      if (value) query.set(k, value);
    }
    const text = query.toString();
    return `${base}${text ? `?${text}` : ""}#${anchor}`;
  };
  if (!view.cursors[key] && !next) return html``;
  return html`<nav class="pager" aria-label="${label}">${view.cursors[key] ? html`<a href="${link(undefined)}">${c.newest}</a>` : ""}
    ${next ? html`<a href="${link(next)}" rel="next">${c.older}</a>` : ""}</nav>`;
}

function timelineSection(t: DashboardTexts, c: CustomerTexts, lang: DashboardLang, view: CustomerPageView, base: string): Html {
  const zone = view.card.profile.timeZone;
  const waiting = view.waiting.length
    ? html`<h3 id="h-waiting">${c.waiting}</h3><p class="muted">${c.waitingHelp}</p>
      <table class="responsive history" id="waiting"><caption class="vh">${c.waiting}</caption><thead><tr>${th(c.due)}${th(c.kind)}${th(c.text)}${th(c.status)}</tr></thead><tbody>
      ${view.waiting.map(
        (w) => html`<tr>${td(c.due, localStamp(w.notBefore, zone), "nowrap")}${td(c.kind, w.kind)}${td(c.text, w.text ?? "")}
          ${td(c.status, html`${c.outboxStatus[w.status] ?? w.status}${w.deferReason ? html` · <span class="warn">${c.deferredBecause} ${reasonText(c, lang, w.deferReason)}</span>` : ""}`)}</tr>`,
      )}</tbody></table>`
    : "";
  const rows = view.timeline.rows.map((i) => {
    const text = i.text ?? (i.event ? `[${c.events[i.event] ?? i.event}]` : "");
    const delivery = !i.delivery
      ? ""
      : i.delivery.status === "sent"
        ? html`<span class="ok">${c.sent}</span>`
        : html`<span class="bad">${c.failed}${i.delivery.error ? `: ${i.delivery.error}` : ""}</span>`;
    return html`<tr>${td(c.at, stamp(i.at), "nowrap")}${td(c.channel, i.platform, "nowrap")}${td(c.direction, i.direction === "in" ? c.in : c.out, "nowrap")}${td(c.kind, c.kinds[i.kind] ?? i.kind, "nowrap")}
      ${td(c.text, text)}${td(c.by, i.staffName ?? "")}${td(c.delivery, delivery)}</tr>`;
  });
  return html`<section aria-labelledby="h-timeline"><h2 id="h-timeline">${c.timeline}</h2>${waiting}
    <p class="muted">${c.timelineHelp}</p>
    ${
      rows.length
        ? html`<table class="responsive history" id="timeline"><caption class="vh">${c.timeline}</caption><thead><tr>${th(c.at)}${th(c.channel)}${th(c.direction)}${th(c.kind)}${th(c.text)}${th(c.by)}${th(c.delivery)}</tr></thead><tbody>${rows}</tbody></table>`
        : html`<p id="timeline">${c.noTimeline}</p>`
    }
    ${pager(c, base, c.timeline, "h-timeline", "t", view, view.timeline.next)}</section>`;
}

function ledgerSection(c: CustomerTexts, view: CustomerPageView, base: string): Html {
  const rows = view.ledger.rows.map(
    (e) => html`<tr>${td(c.at, stamp(e.at), "nowrap")}${td(c.kind, c.ledgerKinds[e.kind] ?? e.kind)}${td(c.pointsCol, e.points > 0 ? `+${e.points}` : String(e.points), "num")}
      ${td(c.reason, e.reason ?? "")}${td(c.expires, e.expiresAt ? stamp(e.expiresAt) : "")}</tr>`,
  );
  return html`<section aria-labelledby="h-ledger"><h2 id="h-ledger">${c.ledger}</h2>
    <p>${c.balance}: <strong>${c.points(view.card.loyalty.balance)}</strong> · ${c.tier}: ${view.card.loyalty.tier}</p>
    ${
      rows.length
        ? html`<table class="responsive history" id="ledger"><caption class="vh">${c.ledger}</caption><thead><tr>${th(c.at)}${th(c.kind)}${th(c.pointsCol)}${th(c.reason)}${th(c.expires)}</tr></thead><tbody>${rows}</tbody></table>`
        : html`<p id="ledger">${c.noLedger}</p>`
    }
    ${pager(c, base, c.ledger, "h-ledger", "l", view, view.ledger.next)}</section>`;
}

function surveysSection(c: CustomerTexts, view: CustomerPageView): Html {
  return html`<section aria-labelledby="h-surveys"><h2 id="h-surveys">${c.surveys}</h2>${
    view.surveys.length
      ? html`<table class="responsive history" id="surveys"><caption class="vh">${c.surveys}</caption><thead><tr>${th(c.sentAt)}${th(c.survey)}${th(c.channel)}${th(c.status)}${th(c.answer)}</tr></thead><tbody>
        ${view.surveys.map(
          (s) => html`<tr>${td(c.sentAt, stamp(s.sentAt), "nowrap")}${td(c.survey, s.kind.toUpperCase())}${td(c.channel, s.platform)}${td(c.status, c.surveyStatus[s.status] ?? s.status)}
            ${td(c.answer, s.answer ? html`<strong>${s.answer.score}</strong> · ${stamp(s.answer.at)}${s.answer.reason ? html`<br>${s.answer.reason}` : ""}` : "")}</tr>`,
        )}</tbody></table>`
      : html`<p>${c.noSurveys}</p>`
  }</section>`;
}

function casesSection(t: DashboardTexts, c: CustomerTexts, view: CustomerPageView, base: string): Html {
  const token = html`<input type="hidden" name="_csrf" value="${view.csrf}">`;
  const open = view.card.openCases.length
    ? view.card.openCases.map(
        (fc) => html`<form method="post" action="${base}/cases/${fc.id}/resolve" class="case">${token}
          <p><strong>${c.sources[fc.source] ?? fc.source}</strong> · ${stamp(fc.openedAt)} · ${fc.summary}${fc.assignee ? ` [${fc.assignee}]` : ""}</p>
          <label for="res-${fc.id}">${t.resolution}</label><textarea id="res-${fc.id}" name="resolution" rows="2" required maxlength="2000"></textarea>
          <button type="submit">${t.resolve}</button></form>`,
      )
    : html`<p>${t.noCases}</p>`;
  const closed = view.cases.filter((fc) => fc.status === "closed");
  return html`<section aria-labelledby="h-cases"><h2 id="h-cases">${c.cases}</h2>
    <h3>${t.openCases}</h3>${open}
    ${
      closed.length
        ? html`<table class="responsive history" id="cases"><caption>${c.caseStatus.closed}</caption><thead><tr>${th(c.at)}${th(c.source)}${th(c.summary)}${th(t.resolution)}</tr></thead><tbody>
          ${closed.map(
            (fc) => html`<tr>${td(c.at, stamp(fc.openedAt), "nowrap")}${td(c.source, c.sources[fc.source] ?? fc.source)}${td(c.summary, fc.summary)}
              ${td(t.resolution, html`${fc.resolution ?? ""}${fc.closedAt ? html`<br><span class="muted">${c.closedBy(fc.closedBy ?? "?", stamp(fc.closedAt))}</span>` : ""}`)}</tr>`,
          )}</tbody></table>`
        : ""
    }</section>`;
}

function consentSection(c: CustomerTexts, view: CustomerPageView, base: string): Html {
  return html`<section aria-labelledby="h-consent"><h2 id="h-consent">${c.consentHistory}</h2>${
    view.consent.rows.length
      ? html`<table class="responsive history" id="consent"><caption class="vh">${c.consentHistory}</caption><thead><tr>${th(c.at)}${th(c.consent)}${th(c.change)}${th(c.source)}</tr></thead><tbody>
        ${view.consent.rows.map(
          (x) => html`<tr>${td(c.at, stamp(x.at), "nowrap")}${td(c.consent, c.topics[x.topic] ?? x.topic)}${td(c.change, x.granted ? c.grantedVerb : c.withdrawn)}${td(c.source, x.source)}</tr>`,
        )}</tbody></table>`
      : html`<p>${c.noConsentChanges}</p>`
  }${pager(c, base, c.consentHistory, "h-consent", "c", view, view.consent.next)}</section>`;
}

/**
 * The customer page: the card (the same one Slack and `tend customer show` read), the actions,
 * then the customer's history section by section, all in the page's language.
 */
export function customerBody(t: DashboardTexts, c: CustomerTexts, lang: DashboardLang, view: CustomerPageView): Html {
  const base = `/dashboard/customers/${view.card.customerId}`;
  return html`${view.message ?? ""}
  <section aria-labelledby="h-card"><h2 id="h-card">${c.card}</h2>${cardView(c, lang, view.card)}</section>
  <section aria-labelledby="h-actions"><h2 id="h-actions">${c.actions}</h2>${actionsView(t, c, lang, view)}</section>
  ${timelineSection(t, c, lang, view, base)}
  ${casesSection(t, c, view, base)}
  ${ledgerSection(c, view, base)}
  <section aria-labelledby="h-scores"><h2 id="h-scores">${c.scores}</h2>${scoresView(c, lang, view.card)}</section>
  ${surveysSection(c, view)}
  ${consentSection(c, view, base)}`;
}
