import type { StaffCustomerCard } from "../../src/core/staff-console-services.ts";
import { type Block, actions, button, context, escapeMrkdwn, header, oneLine, section, stamp } from "./blocks.ts";

/** The card's buttons; each one's value is the customer id. */
export const CARD_ACTIONS = {
  note: "tend.staff.card.note",
  points: "tend.staff.card.points",
  goodwill: "tend.staff.card.goodwill",
  pause: "tend.staff.card.pause",
  message: "tend.staff.card.message",
  takeOver: "tend.staff.card.take_over",
  history: "tend.staff.card.history",
} as const;

/** How many of the card's recent interactions the Slack card lists (the timeline button shows more). */
export const CARD_RECENT = 5;

const yesNo = (granted: boolean, since: Date | null) => `${granted ? "yes" : "no"}${since ? ` (since ${stamp(since)})` : ""}`;

/** Who has the conversation, in words. */
export function handoverLine(card: StaffCustomerCard): string {
  const h = card.handover;
  if (!h.active) return "Conversation: with the bot";
  if (!h.heldBy) return `Conversation: waiting for staff since ${stamp(h.since)}`;
  return `Conversation: ${h.heldBy.name} has it since ${stamp(h.since)}`;
}

/** The card's facts, one text per section: the same facts `tend customer show` prints, from the same card. */
export function cardSections(card: StaffCustomerCard): { title: string; subtitle: string; sections: string[] } {
  const p = card.profile;
  const title = card.erasedAt ? "Erased customer" : (p.displayName ?? "Customer without a name");
  const subtitle = [`Tend id ${card.customerId}`, card.externalId ? `external id ${card.externalId}` : null, `customer since ${stamp(p.createdAt)}`]
    .filter(Boolean)
    .join(" · ");
  const sections: string[] = [];

  const profile = [
    card.erasedAt ? `ERASED on ${stamp(card.erasedAt)}: personal data was removed on request` : null,
    p.email ? `Email: ${p.email}` : null,
    p.phone ? `Phone: ${p.phone}` : null,
    p.birthday ? `Birthday: ${p.birthday}` : null,
    p.lunarBirthday ? `Lunar birthday: ${p.lunarBirthday.month}-${p.lunarBirthday.day}` : null,
    `Language: ${p.locale} · Time zone: ${p.timeZone}${p.quietHours ? ` · Quiet hours: ${p.quietHours.start}-${p.quietHours.end}` : ""}`,
    p.tags.length ? `Tags: ${p.tags.join(", ")}` : null,
  ].filter((line): line is string => line !== null);
  sections.push(profile.join("\n"));

  const channels = card.channels.map(
    (c) => `${c.platform} ${c.platformUserId}${c.displayName ? ` "${c.displayName}"` : ""}, last seen ${stamp(c.lastSeenAt)}${c.unreachableAt ? `, unreachable since ${stamp(c.unreachableAt)}` : ""}`,
  );
  sections.push(`Channels (${card.channels.length})\n${channels.length ? channels.join("\n") : "none"}`);

  const consent = card.consent;
  sections.push(
    `Consent: care ${yesNo(consent.care.granted, consent.care.since)}; marketing ${yesNo(consent.marketing.granted, consent.marketing.since)}; surveys ${yesNo(consent.surveys.granted, consent.surveys.since)}\n` +
      `At most ${consent.maxCareMessagesPerWeek} care message${consent.maxCareMessagesPerWeek === 1 ? "" : "s"} a week`,
  );

  const l = card.loyalty;
  const next = l.nextTier ? `; ${l.nextTier.missing} more to ${l.nextTier.name}` : "";
  const expiring = l.expiringSoon.points > 0 ? `\n${l.expiringSoon.points} points expire within ${l.expiringSoon.withinDays} days (first ${stamp(l.expiringSoon.earliestAt)})` : "";
  const o = card.orders;
  sections.push(
    `Loyalty: ${l.balance} points · Tier: ${l.tier}${next}${expiring}\n` + `Orders: ${o.count}${o.count ? `, total ${o.total}, last ${stamp(o.lastPlacedAt)}` : ""}`,
  );

  sections.push(scoresText(card));

  const csat = card.surveys.lastCsat;
  const nps = card.surveys.lastNps;
  sections.push(
    [
      `Last CSAT: ${csat ? `${csat.score}/5 on ${stamp(csat.at)} (${csat.platform})${csat.reason ? ` "${oneLine(csat.reason, 200)}"` : ""}` : "none"}`,
      `Last NPS: ${nps ? `${nps.score}/10 on ${stamp(nps.at)} (${nps.platform})${nps.reason ? ` "${oneLine(nps.reason, 200)}"` : ""}` : "none"}`,
    ].join("\n"),
  );

  const cases = card.openCases.map((c) => `${stamp(c.openedAt)} ${c.source}: ${oneLine(c.summary, 200)}${c.assignee ? ` [${c.assignee}]` : ""}`);
  sections.push(`Open cases (${card.openCases.length})${cases.length ? `\n${cases.join("\n")}` : ""}`);

  sections.push(
    `Outreach: ${card.outreach.paused ? `paused until ${stamp(card.outreach.pausedUntil)}` : "not paused"}\n${handoverLine(card)}`,
  );

  const recent = card.interactions.recent.slice(0, CARD_RECENT).map(interactionLine);
  sections.push(`Interactions (${card.interactions.total})${recent.length ? `, latest ${recent.length}:\n${recent.join("\n")}` : ""}`);
  return { title, subtitle, sections };
}

export function interactionLine(i: StaffCustomerCard["interactions"]["recent"][number]): string {
  const what = i.event ? `${i.event}${i.staffName ? ` by ${i.staffName}` : ""}` : i.kind;
  const text = i.text ? ` ${oneLine(i.text)}` : "";
  return `${stamp(i.at)} ${i.platform} ${i.direction} ${what}${i.staffName && !i.event ? ` (${i.staffName})` : ""}${text}`;
}

function scoresText(card: StaffCustomerCard): string {
  const s = card.scores;
  const labels = card.scoreLabels;
  if (!s || !labels) return "Scores: not computed yet (they are refreshed by the analytics job)";
  const rfm = s.rfm.recency !== null ? ` (R ${s.rfm.recency}, F ${s.rfm.frequency}, M ${s.rfm.monetary})` : "";
  const why = s.explanation as unknown as Record<string, { en?: string } | undefined>;
  const say = (key: string) => why[key]?.en ?? "";
  const predicted = [
    s.probabilityAlive !== null ? `P(active) ${Math.round(s.probabilityAlive * 100)}%` : null,
    s.predictedPurchases !== null ? `${s.predictedPurchases.toFixed(2)} purchases expected` : null,
    s.predictedClv !== null ? `predicted CLV ${s.predictedClv}` : null,
  ].filter(Boolean);
  return [
    `Scores (computed ${stamp(s.computedAt)}; RFM over ${s.windowMonths} months)`,
    `Lifecycle: ${labels.lifecycleStage} — ${say("lifecycle")}`,
    `RFM segment: ${labels.rfmSegment ?? "none"}${rfm} — ${say("rfm")}`,
    `Relationship: ${labels.relationshipLevel} — ${say("relationship")}`,
    `Historic CLV: ${s.historicClv} (${s.orderCount} order${s.orderCount === 1 ? "" : "s"} to date)`,
    `Predicted: ${predicted.length ? predicted.join(", ") : "none"} — ${say("predictive")}`,
  ].join("\n");
}

/** The card as Block Kit: header, facts, and the staff buttons. */
export function cardBlocks(card: StaffCustomerCard): Block[] {
  const { title, subtitle, sections } = cardSections(card);
  const id = card.customerId;
  const buttons = [
    button("Add note", CARD_ACTIONS.note, id),
    button("Adjust points", CARD_ACTIONS.points, id),
    button("Goodwill points", CARD_ACTIONS.goodwill, id),
    button("Pause outreach", CARD_ACTIONS.pause, id),
    button("Send a message", CARD_ACTIONS.message, id),
    button(card.handover.active && card.handover.heldBy ? `Take over (from ${card.handover.heldBy.name})` : "Take over", CARD_ACTIONS.takeOver, id, "primary"),
    button("Cases & timeline", CARD_ACTIONS.history, id),
  ];
  return [header(title), context(subtitle), ...sections.map(section), actions(`tend.staff.card:${id}`, buttons)];
}

/** The text Slack shows in notifications for the card. */
export function cardFallback(card: StaffCustomerCard): string {
  // Notification text is mrkdwn: a name is escaped there (the blocks show it as plain text).
  return `Customer card: ${card.erasedAt ? "erased customer" : escapeMrkdwn(card.profile.displayName ?? card.customerId)}`;
}
