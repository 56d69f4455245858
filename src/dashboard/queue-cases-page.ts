import { type Html, html } from "./dashboard-html.ts";
import { ageText, csrfField, stamp } from "./queue-common.ts";
import { type BoardCase, type BoardColumn, CASE_COLUMNS, type CaseColumn } from "./queue-cases-data.ts";
import type { QueueTexts } from "./queue-texts.ts";

export interface CasesBoardView {
  columns: Record<CaseColumn, BoardColumn>;
  counts: { open: number; claimed: number };
  /** The cursors this page was opened with, kept when another column pages on. */
  cursors: Partial<Record<CaseColumn, string>>;
  now: Date;
  csrf: string;
  message: Html | null;
}

/**
 * The feedback cases board: three columns (open, claimed, resolved), each a list of cards paged on
 * its own; each open or claimed card carries its Claim and Resolve forms. Columns stack on a phone.
 */
export function casesBoardBody(t: QueueTexts, view: CasesBoardView): Html {
  const columns = CASE_COLUMNS.map((column) => {
    const { rows, next } = view.columns[column];
    const count = column === "resolved" ? "" : html` <span class="muted">(${t.columnCount(view.counts[column])})</span>`;
    const link = (cursor: string | undefined) => {
      const query = new URLSearchParams(Object.entries({ ...view.cursors, [column]: cursor }).filter((entry): entry is [string, string] => Boolean(entry[1])));
      const text = query.toString();
      return `/dashboard/cases${text ? `?${text}` : ""}#col-${column}`;
    };
    return html`<section aria-labelledby="col-${column}" class="board-column" id="board-${column}">
      <h2 id="col-${column}">${t.columns[column]}${count}</h2>
      ${rows.length ? html`<ol class="cards">${rows.map((row) => html`<li>${caseCard(t, column, row, view)}</li>`)}</ol>` : html`<p>${t.noCases}</p>`}
      <nav class="pager" aria-label="${t.columns[column]}">
        ${view.cursors[column] ? html`<a href="${link(undefined)}">${t.backToStart}</a>` : ""}
        ${next ? html`<a href="${link(next)}" rel="next">${t.more}</a>` : ""}
      </nav></section>`;
  });
  return html`${view.message ?? ""}<p class="muted">${t.casesIntro}</p><div class="grid">${columns}</div>`;
}

function caseCard(t: QueueTexts, column: CaseColumn, row: BoardCase, view: CasesBoardView): Html {
  const base = `/dashboard/cases/${row.id}`;
  const customer = html`<a href="/dashboard/customers/${row.customerId}">${row.customerName ?? row.externalId ?? t.unnamed}</a>`;
  const head = html`<p><strong>${t.sources[row.source] ?? row.source}</strong> · ${customer}</p><p>${row.summary}</p>`;
  if (column === "resolved") {
    return html`<article class="case-card" aria-label="${row.summary}">${head}
      <p class="muted">${t.resolvedBy} ${row.closedBy ?? "–"} · ${stamp(row.closedAt)}</p><p>${row.resolution ?? ""}</p></article>`;
  }
  const age = html`<p class="muted">${t.waiting} <strong>${ageText(t, row.openedAt, view.now)}</strong> · ${stamp(row.openedAt)}${
    row.assignee ? html` · ${t.claimedBy} <strong>${row.assignee}</strong>` : ""
  }</p>`;
  const claim =
    column === "open"
      ? html`<form method="post" action="${base}/claim" class="inline">${csrfField(view.csrf)}<button type="submit" aria-label="${t.claim}: ${row.summary}">${t.claim}</button></form>`
      : "";
  return html`<article class="case-card" aria-label="${row.summary}">${head}${age}${claim}
    <form method="post" action="${base}/resolve">${csrfField(view.csrf)}
      <label for="res-${row.id}">${t.resolutionLabel}</label><textarea id="res-${row.id}" name="resolution" rows="2" required maxlength="2000"></textarea>
      <button type="submit">${t.resolve}</button></form></article>`;
}
