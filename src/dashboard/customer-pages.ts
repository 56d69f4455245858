import type { CustomerMatch } from "../customers/customer-card-types.ts";
import type { CustomerPage, CustomerSort } from "./customer-list.ts";
import { CUSTOMER_SORTS } from "./customer-list.ts";
import { customerListTexts } from "./customer-list-texts.ts";
import { type Html, html } from "./dashboard-html.ts";
import type { DashboardLang, DashboardTexts } from "./dashboard-texts.ts";

const stamp = (date: Date | string | null) => (date ? `${new Date(date).toISOString().slice(0, 16).replace("T", " ")} UTC` : "–");

export interface CustomersView {
  lang: DashboardLang;
  q: string;
  sort: CustomerSort;
  matches: CustomerMatch[] | null;
  /** How many matches a search asks for: as many found means there may be more. */
  searchLimit?: number | undefined;
  page: CustomerPage | null;
  after: string | undefined;
}

/** The customers page: search (the one findCustomers), then either the matches or a keyset page of everyone. */
export function customersBody(t: DashboardTexts, view: CustomersView): Html {
  const l = customerListTexts(view.lang);
  const search = html`<form method="get" action="/dashboard/customers" role="search">
    <label for="q">${t.search}</label>
    <p class="muted" id="q-help">${l.searchHelp}</p>
    <div class="inline"><input type="search" id="q" name="q" value="${view.q}" aria-describedby="q-help" maxlength="200">
    <button type="submit">${t.searchButton}</button></div></form>`;
  if (view.matches) {
    const rows = view.matches.map(
      (m) => html`<tr><td data-label="${t.name}"><a href="/dashboard/customers/${m.customerId}">${m.displayName ?? t.unnamed}</a></td><td data-label="${t.externalId}">${m.externalId ?? "–"}</td>
        <td data-label="${t.matchedBy}">${l.matchedBy[m.matchedBy] ?? m.matchedBy}</td><td data-label="${t.channel}">${m.channels.map((c) => `${c.platform}:${c.displayName ?? c.platformUserId}`).join(", ")}</td></tr>`,
    );
    const more = view.searchLimit !== undefined && view.matches.length >= view.searchLimit ? html`<p class="muted">${l.firstResults(view.searchLimit)}</p>` : "";
    return html`${search}<section aria-live="polite">${
      rows.length
        ? html`${more}<table class="responsive" id="results"><caption class="vh">${t.customers}</caption><thead><tr><th scope="col">${t.name}</th><th scope="col">${t.externalId}</th><th scope="col">${t.matchedBy}</th><th scope="col">${t.channel}</th></tr></thead><tbody>${rows}</tbody></table>`
        : html`<p>${t.noMatch}</p>`
    }</section>`;
  }
  const page = view.page ?? { rows: [], next: null, approximateTotal: null };
  const sorts = html`<form method="get" action="/dashboard/customers" class="inline"><label for="sort">${t.sortBy}</label>
    <select id="sort" name="sort">${CUSTOMER_SORTS.map((s) => html`<option value="${s}" ${s === view.sort ? html`selected` : ""}>${l.sorts[s]}</option>`)}</select>
    <button type="submit" id="sort-button">${t.sortBy}</button></form>`;
  // A column that has an order is a link to it; the current one says so to screen readers.
  const header = (label: string, target: CustomerSort, current: boolean, direction: "ascending" | "descending") =>
    html`<th scope="col" ${current ? html`aria-sort="${direction}"` : ""}><a href="/dashboard/customers?sort=${target}">${label}</a></th>`;
  const byTime = view.sort === "newest" || view.sort === "oldest";
  const total = page.approximateTotal !== null ? html`<p class="muted" id="approximate-total">${l.approximateTotal(page.approximateTotal.toLocaleString(view.lang === "zh" ? "zh-CN" : "en"))}</p>` : "";
  return html`${search}<section>${sorts}${total}
    <table class="responsive" id="customers"><caption class="vh">${t.customers}</caption><thead><tr>${header(t.name, "name", view.sort === "name", "ascending")}<th scope="col">${t.externalId}</th>
      <th scope="col">${t.stage}</th><th scope="col">${t.segment}</th>${header(l.lastActive, "active", view.sort === "active", "descending")}${header(l.predictedClv, "clv", view.sort === "clv", "descending")}${header(t.created, view.sort === "newest" ? "oldest" : "newest", byTime, view.sort === "oldest" ? "ascending" : "descending")}</tr></thead><tbody>
      ${page.rows.map(
        (r) => html`<tr><td data-label="${t.name}"><a href="/dashboard/customers/${r.id}">${r.displayName ?? t.unnamed}</a></td><td data-label="${t.externalId}">${r.externalId ?? "–"}</td>
          <td data-label="${t.stage}">${r.lifecycleStage ?? "–"}</td><td data-label="${t.segment}">${r.rfmSegment ?? "–"}</td><td data-label="${l.lastActive}">${stamp(r.lastSeenAt)}</td>
          <td data-label="${l.predictedClv}">${r.predictedClv ?? "–"}</td><td data-label="${t.created}">${stamp(r.createdAt)}</td></tr>`,
      )}</tbody></table>
    <nav class="pager" aria-label="${l.pages}">${view.after ? html`<a href="/dashboard/customers?sort=${view.sort}" id="first-page">${t.first}</a>` : ""}
      ${page.next ? html`<a href="/dashboard/customers?sort=${view.sort}&amp;after=${page.next}" rel="next" id="next-page">${t.next}</a>` : ""}</nav></section>`;
}
