import { formatCustomerCard } from "../cli/analytics-commands.ts";
import type { CustomerCard, CustomerMatch } from "../customers/customer-card-types.ts";
import type { CustomerPage, CustomerSort } from "./customer-list.ts";
import { CUSTOMER_SORTS } from "./customer-list.ts";
import { type Html, html } from "./dashboard-html.ts";
import type { DashboardLang, DashboardTexts } from "./dashboard-texts.ts";

const stamp = (date: Date | string | null) => (date ? `${new Date(date).toISOString().slice(0, 16).replace("T", " ")} UTC` : "–");

/** The customers page: search (the one findCustomers), then either the matches or a keyset page of everyone. */
export function customersBody(
  t: DashboardTexts,
  view: { q: string; sort: CustomerSort; matches: CustomerMatch[] | null; page: CustomerPage | null; after: string | undefined },
): Html {
  const search = html`<form method="get" action="/dashboard/customers" role="search">
    <label for="q">${t.search}</label>
    <p class="muted" id="q-help">${t.searchHelp}</p>
    <div class="inline"><input type="search" id="q" name="q" value="${view.q}" aria-describedby="q-help" maxlength="200">
    <button type="submit">${t.searchButton}</button></div></form>`;
  if (view.matches) {
    const rows = view.matches.map(
      (m) => html`<tr><td><a href="/dashboard/customers/${m.customerId}">${m.displayName ?? t.unnamed}</a></td><td>${m.externalId ?? "–"}</td>
        <td>${m.matchedBy}</td><td>${m.channels.map((c) => `${c.platform}:${c.displayName ?? c.platformUserId}`).join(", ")}</td></tr>`,
    );
    return html`${search}<section aria-live="polite">${
      rows.length
        ? html`<table class="responsive" id="results"><caption class="vh">${t.customers}</caption><thead><tr><th scope="col">${t.name}</th><th scope="col">${t.externalId}</th><th scope="col">${t.matchedBy}</th><th scope="col">${t.channel}</th></tr></thead><tbody>${rows}</tbody></table>`
        : html`<p>${t.noMatch}</p>`
    }</section>`;
  }
  const page = view.page ?? { rows: [], next: null };
  const sorts = html`<form method="get" action="/dashboard/customers" class="inline"><label for="sort">${t.sortBy}</label>
    <select id="sort" name="sort">${CUSTOMER_SORTS.map((s) => html`<option value="${s}" ${s === view.sort ? html`selected` : ""}>${t.sorts[s] ?? s}</option>`)}</select>
    <button type="submit">${t.sortBy}</button></form>`;
  return html`${search}<section>${sorts}
    <table class="responsive" id="customers"><caption class="vh">${t.customers}</caption><thead><tr><th scope="col">${t.name}</th><th scope="col">${t.externalId}</th>
      <th scope="col">${t.stage}</th><th scope="col">${t.segment}</th><th scope="col">${t.created}</th></tr></thead><tbody>
      ${page.rows.map(
        (r) => html`<tr><td><a href="/dashboard/customers/${r.id}">${r.displayName ?? t.unnamed}</a></td><td>${r.externalId ?? "–"}</td>
          <td>${r.lifecycleStage ?? "–"}</td><td>${r.rfmSegment ?? "–"}</td><td>${stamp(r.createdAt)}</td></tr>`,
      )}</tbody></table>
    <nav class="pager" aria-label="${t.customers}">${view.after ? html`<a href="/dashboard/customers?sort=${view.sort}">${t.first}</a>` : ""}
      ${page.next ? html`<a href="/dashboard/customers?sort=${view.sort}&after=${page.next}" rel="next">${t.next}</a>` : ""}</nav></section>`;
}

/**
 * The customer page: the card exactly as `tend customer show` prints it (the same function over the
 * same card), the timeline, and the actions, each a form posting the session's CSRF token.
 */
export function customerBody(t: DashboardTexts, lang: DashboardLang, card: CustomerCard, csrf: string, message: Html | null): Html {
  const base = `/dashboard/customers/${card.customerId}`;
  const token = html`<input type="hidden" name="_csrf" value="${csrf}">`;
  const timeline = card.interactions.recent;
  const cases = card.openCases.length
    ? card.openCases.map(
        (c) => html`<form method="post" action="${base}/cases/${c.id}/resolve" class="case">${token}
          <p><strong>${c.source}</strong> · ${stamp(c.openedAt)} · ${c.summary}</p>
          <label for="res-${c.id}">${t.resolution}</label><textarea id="res-${c.id}" name="resolution" rows="2" required maxlength="2000"></textarea>
          <button type="submit">${t.resolve}</button></form>`,
      )
    : html`<p>${t.noCases}</p>`;
  return html`${message ?? ""}
  <section aria-labelledby="h-card"><h2 id="h-card">${t.card}</h2><pre class="card" id="card">${formatCustomerCard(card, lang)}</pre></section>
  <section aria-labelledby="h-actions"><h2 id="h-actions">${t.actions}</h2>
    <div class="grid">
      <form method="post" action="${base}/notes">${token}<h3>${t.addNote}</h3>
        <label for="note">${t.noteLabel}</label><textarea id="note" name="text" rows="3" required maxlength="4000"></textarea>
        <button type="submit">${t.save}</button></form>
      <div><form method="post" action="${base}/pause">${token}<h3>${t.pause}</h3>
        <label for="days">${t.pauseDays}</label><input type="number" id="days" name="days" min="1" max="365" value="7" required>
        <button type="submit">${t.pauseButton}</button></form>
        ${card.outreach.paused ? html`<form method="post" action="${base}/resume">${token}<p>${stamp(card.outreach.pausedUntil)}</p><button type="submit">${t.resume}</button></form>` : ""}</div>
    </div>
    <h3 id="h-cases">${t.openCases}</h3>${cases}
  </section>
  <section aria-labelledby="h-timeline"><h2 id="h-timeline">${t.timeline}</h2>
    <table class="responsive" id="timeline"><caption class="vh">${t.timeline}</caption><thead><tr><th scope="col">${t.at}</th><th scope="col">${t.channel}</th><th scope="col">${t.direction}</th><th scope="col">${t.text}</th><th scope="col">${t.by}</th></tr></thead><tbody>
    ${timeline.map(
      (i) => html`<tr><td>${stamp(i.at)}</td><td>${i.platform}</td><td>${i.direction === "in" ? t.in : t.out}</td>
        <td>${i.text ?? i.event ?? i.kind}</td><td>${i.staffName ?? ""}</td></tr>`,
    )}</tbody></table></section>`;
}
