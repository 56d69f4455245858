import { LIFECYCLE_STAGE_LABELS, type LifecycleStageName } from "../analytics/lifecycle.ts";
import { RELATIONSHIP_LEVEL_LABELS, type RelationshipLevelName } from "../analytics/relationship.ts";
import { RFM_SEGMENT_LABELS, type RfmSegment } from "../analytics/rfm.ts";
import { lunarMonthDayZh } from "../calendar/lunar-names.ts";
import type { CustomerCard } from "../customers/customer-card-types.ts";
import type { CustomerTexts } from "./customer-texts.ts";
import { type Html, html } from "./dashboard-html.ts";
import type { DashboardLang } from "./dashboard-texts.ts";

/** A time as staff read it everywhere on the dashboard (and `tend customer show`): minutes, UTC. */
export const stamp = (date: Date | string | null | undefined) => (date ? `${new Date(date).toISOString().slice(0, 16).replace("T", " ")} UTC` : "–");

/** A time in the customer's own zone (quiet hours are theirs): "2026-12-03 08:00 Asia/Shanghai". */
export function localStamp(date: Date, timeZone: string): string {
  try {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
        .formatToParts(date)
        .map((p) => [p.type, p.value]),
    );
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${timeZone}`;
  } catch {
    return stamp(date);
  }
}

const row = (label: string, value: Html | string | null | undefined) =>
  value === null || value === undefined || value === "" ? "" : html`<div class="kv"><dt>${label}</dt><dd>${value}</dd></div>`;

/**
 * The customer card as the dashboard shows it: every fact of the one card (`services.cards`, the
 * same Slack and `tend customer show` print), labelled and valued in the page's language. The
 * scores' reasons are the card's own ScoreExplanation sentences in that language.
 */
export function cardView(c: CustomerTexts, lang: DashboardLang, card: CustomerCard): Html {
  const p = card.profile;
  const h = card.handover;
  const handover = !h.active ? c.handoverNone : h.heldBy ? c.handoverHeld(h.heldBy.name, stamp(h.since)) : c.handoverWaiting(stamp(h.since));
  const consent = (topic: "care" | "marketing" | "surveys") => {
    const x = card.consent[topic];
    return `${x.granted ? c.granted : c.notGranted}${x.since ? ` (${c.since} ${stamp(x.since)})` : ""}`;
  };
  const l = card.loyalty;
  const survey = (s: CustomerCard["surveys"]["lastCsat"]) => (s ? `${s.score} · ${stamp(s.at)} · ${s.platform}${s.reason ? ` · ${s.reason}` : ""}` : c.none);
  return html`<div class="card" id="card">
  <dl class="kvs">
    ${row(c.customerId, html`<code>${card.customerId}</code>`)}
    ${row(c.externalId, card.externalId)}
    ${card.erasedAt ? row(c.erased, stamp(card.erasedAt)) : ""}
    ${row(c.name, p.displayName)}${row(c.email, p.email)}${row(c.phone, p.phone)}${row(c.birthday, p.birthday)}
    ${p.lunarBirthday ? row(c.lunarBirthday, `${p.lunarBirthday.month}-${p.lunarBirthday.day} (农历${lunarMonthDayZh(p.lunarBirthday.month, p.lunarBirthday.day)})`) : ""}
    ${row(c.locale, p.locale)}${row(c.timeZone, p.timeZone)}
    ${p.quietHours ? row(c.quietHours, `${p.quietHours.start}–${p.quietHours.end}`) : ""}
    ${row(c.tags, p.tags.join(", "))}${row(c.created, stamp(p.createdAt))}
    ${row(c.handover, handover)}
    ${row(c.outreach, card.outreach.paused ? c.outreachPaused(stamp(card.outreach.pausedUntil)) : c.outreachOn)}
  </dl>
  <h3>${c.channels}</h3>
  ${
    card.channels.length
      ? html`<ul class="plain">${card.channels.map(
          (ch) => html`<li><strong>${ch.platform}</strong> ${ch.platformUserId}${ch.displayName ? ` “${ch.displayName}”` : ""} · ${c.lastSeen} ${stamp(ch.lastSeenAt)}${
            ch.unreachableAt ? html` · <span class="bad">${c.unreachableSince} ${stamp(ch.unreachableAt)}</span>` : ""
          }</li>`,
        )}</ul>`
      : html`<p>${c.noChannels}</p>`
  }
  <h3>${c.consent}</h3>
  <dl class="kvs">${row(c.topics.care!, consent("care"))}${row(c.topics.marketing!, consent("marketing"))}${row(c.topics.surveys!, consent("surveys"))}</dl>
  <p>${c.weeklyCap(card.consent.maxCareMessagesPerWeek)}</p>
  <h3>${c.loyalty}</h3>
  <dl class="kvs">
    ${row(c.balance, html`<span id="balance">${c.points(l.balance)}</span>`)}
    ${row(c.tier, `${l.tier} · ${c.tierProgress(l.tierProgress, l.tierBasis)}; ${l.nextTier ? c.nextTier(l.nextTier.name, l.nextTier.missing) : c.topTier}`)}
    ${l.expiringSoon.points > 0 ? row("", c.expiring(l.expiringSoon.points, l.expiringSoon.withinDays, stamp(l.expiringSoon.earliestAt))) : ""}
    ${row(c.orders, c.ordersLine(card.orders.count, card.orders.total, stamp(card.orders.lastPlacedAt)))}
    ${row(c.lastCsat, survey(card.surveys.lastCsat))}${row(c.lastNps, survey(card.surveys.lastNps))}
    ${row(c.interactions, String(card.interactions.total))}
  </dl>
</div>`;
}

/** The scores with the card's explanation of each, in the page's language. */
export function scoresView(c: CustomerTexts, lang: DashboardLang, card: CustomerCard): Html {
  const s = card.scores;
  if (!s) return html`<p>${c.notScored}</p>`;
  const why = s.explanation;
  const say = (part: { en: string; zh: string } | undefined) => (part ? part[lang] : "");
  const segment = s.rfm.segment ? (RFM_SEGMENT_LABELS[s.rfm.segment as RfmSegment]?.[lang] ?? s.rfm.segment) : c.none;
  const rfm = s.rfm.recency !== null ? ` (R ${s.rfm.recency}, F ${s.rfm.frequency}, M ${s.rfm.monetary})` : "";
  const predicted = [
    s.probabilityAlive !== null ? c.pAlive(Math.round(s.probabilityAlive * 100)) : null,
    s.predictedPurchases !== null ? c.purchases(s.predictedPurchases.toFixed(2)) : null,
    s.predictedClv !== null ? c.predictedClv(s.predictedClv) : null,
  ].filter((x): x is string => x !== null);
  const score = (label: string, value: string, reason: string) => html`<div class="kv"><dt>${label}</dt><dd><strong>${value}</strong>${reason ? html`<br><span class="muted">${reason}</span>` : ""}</dd></div>`;
  return html`<p class="muted">${c.computed(stamp(s.computedAt), s.windowMonths)}</p>
  <dl class="kvs" id="scores">
    ${score(c.rfmSegment, `${segment}${rfm}`, say(why?.rfm))}
    ${score(c.lifecycle, LIFECYCLE_STAGE_LABELS[s.lifecycleStage as LifecycleStageName]?.[lang] ?? s.lifecycleStage, say(why?.lifecycle))}
    ${score(c.relationship, RELATIONSHIP_LEVEL_LABELS[s.relationshipLevel as RelationshipLevelName]?.[lang] ?? s.relationshipLevel, say(why?.relationship))}
    ${score(c.predictions, predicted.length ? predicted.join(", ") : c.none, say(why?.predictive))}
    ${score(c.historicClv, `${s.historicClv} (${c.ordersToDate(s.orderCount)})`, "")}
  </dl>`;
}
