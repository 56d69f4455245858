import type { CustomerMatch } from "../customers/customer-card-types.ts";
import type { CustomerPage, CustomerSort } from "./customer-list.ts";
import { CUSTOMER_SORTS } from "./customer-list.ts";
import { type Html, html } from "./dashboard-html.ts";
import type { DashboardTexts } from "./dashboard-texts.ts";

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
