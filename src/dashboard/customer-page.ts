import { formatCustomerCard } from "../cli/analytics-commands.ts";
import type { CustomerCard } from "../customers/customer-card-types.ts";
import { type Html, html } from "./dashboard-html.ts";
import type { DashboardLang, DashboardTexts } from "./dashboard-texts.ts";

const stamp = (date: Date | string | null) => (date ? `${new Date(date).toISOString().slice(0, 16).replace("T", " ")} UTC` : "–");

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
