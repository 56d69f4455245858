import type { PolicyReason } from "./contact-policy-reasons.ts";
import type { ContactPolicySettings, QuietWindow } from "./contact-policy-settings.ts";
import type { OutreachTopic } from "./topics.ts";
import { instantsAtLocalTime, nextLocalDate, wallClockAt } from "./zoned-time.ts";

export type { ContactPolicySettings, QuietWindow } from "./contact-policy-settings.ts";
export type { PolicyReason } from "./contact-policy-reasons.ts";

export type PolicyVerdict = { action: "send" } | { action: "defer"; until: Date; reason: string } | { action: "skip"; reason: string };

/** The parts of a customer the policy reads; a Customer row fits as it is. */
export interface ContactCustomer {
  /** IANA zone the quiet hours are kept in. */
  timeZone: string;
  /** Minutes after local midnight; both null when the customer set none. */
  quietHoursStart: number | null;
  quietHoursEnd: number | null;
  /** Care, marketing and survey messages in any 7 days; 0 (or less) for none at all. */
  maxCareMessagesPerWeek: number;
  careConsent: boolean;
  marketingConsent: boolean;
  surveyConsent: boolean;
  handedOverAt: Date | null;
  erasedAt: Date | null;
  outreachPausedUntil: Date | null;
}

/** Everything the policy needs to know about one customer at one moment (ContactFactsRepository reads it). */
export interface ContactFacts {
  /** The moment the message would go. */
  now: Date;
  customer: ContactCustomer;
  /** The customer has a feedback case staff have not closed. */
  hasOpenCase: boolean;
  /** When the customer last answered CSAT <= 2 or NPS <= 6; null if never. */
  lastPoorRatingAt: Date | null;
  /**
   * When care, marketing and survey messages reached the customer, on any channel, in the 7 days
   * up to `now` (older or later times may be included; the policy looks only at its window).
   */
  recentOutreachAt: Date[];
}

/** The rolling window of the weekly cap. */
export const CAP_WINDOW_MS = 7 * 86_400_000;
const DAY_MS = 86_400_000;

/** Topics that need the customer's consent, and which consent. */
const consentOf = {
  care: "careConsent",
  marketing: "marketingConsent",
  survey: "surveyConsent",
} as const satisfies Partial<Record<OutreachTopic, keyof ContactCustomer>>;

type PacedTopic = keyof typeof consentOf;

function isPaced(topic: OutreachTopic): topic is PacedTopic {
  return topic in consentOf;
}

/**
 * Whether a message on `topic` may go to the customer now, later (and when), or not at all.
 * Pure: the same facts always give the same verdict, so the planner's preview and the
 * dispatcher's check at send time agree.
 *
 * - Nothing goes to an erased customer.
 * - Transactional replies (the customer just asked) and staff messages go otherwise.
 * - Case follow-ups wait for the end of quiet hours, nothing else: they answer the customer's own complaint.
 * - Care, marketing and survey invitations need their consent; are skipped while the conversation
 *   is handed to staff, the customer has an open feedback case, or their cap is 0; and wait for a
 *   staff pause, a recent poor rating, the weekly cap and quiet hours to pass. A deferral is
 *   until the first moment all of those pass together; its reason is the first that holds now.
 */
export function decide(topic: OutreachTopic, facts: ContactFacts, settings: ContactPolicySettings): PolicyVerdict {
  const { customer } = facts;
  if (customer.erasedAt !== null) return skip("erased");
  if (topic === "transactional" || topic === "staff") return { action: "send" };

  if (isPaced(topic)) {
    if (!customer[consentOf[topic]]) return skip(`no_consent:${topic}`);
    if (customer.handedOverAt !== null) return skip("handed_over");
    // Open-ended: nothing says when the case will close, and closing it sends its own follow-up.
    if (facts.hasOpenCase) return skip("open_case");
    if (customer.maxCareMessagesPerWeek <= 0) return skip("weekly_cap");
  }

  const holds = topic === "case_followup" ? [quietHours] : [pausedByStaff, poorRating, weeklyCap, quietHours];
  let at = facts.now;
  let reason: PolicyReason | undefined;
  // Passing one rule can land inside another (a pause ending at 23:00 inside quiet hours), so
  // move to the latest end until nothing holds. Each rule's end is fixed or daily, so this settles
  // in a few rounds; if it did not, the dispatcher asks again at `at` anyway.
  for (let round = 0; round < 8; round++) {
    const held = holds.map((rule) => rule(facts, settings, at)).filter((hold) => hold !== null);
    if (held.length === 0) break;
    reason ??= held[0]!.reason;
    at = new Date(Math.max(...held.map((hold) => hold.until.getTime())));
  }
  return reason === undefined ? { action: "send" } : { action: "defer", until: at, reason };
}

function skip(reason: PolicyReason): PolicyVerdict {
  return { action: "skip", reason };
}

interface Hold {
  reason: PolicyReason;
  /** The first moment the rule lets the message go. */
  until: Date;
}

type Rule = (facts: ContactFacts, settings: ContactPolicySettings, at: Date) => Hold | null;

const pausedByStaff: Rule = ({ customer }, _settings, at) =>
  customer.outreachPausedUntil !== null && customer.outreachPausedUntil > at ? { reason: "paused_by_staff", until: customer.outreachPausedUntil } : null;

const poorRating: Rule = ({ lastPoorRatingAt }, { poorRatingPauseDays }, at) => {
  if (lastPoorRatingAt === null || poorRatingPauseDays <= 0) return null;
  const until = new Date(lastPoorRatingAt.getTime() + poorRatingPauseDays * DAY_MS);
  return until > at ? { reason: "poor_rating", until } : null;
};

/** At most `maxCareMessagesPerWeek` in any window (at - 7 days, at]; waits for the oldest to leave it. */
const weeklyCap: Rule = ({ customer, recentOutreachAt }, _settings, at) => {
  const cap = customer.maxCareMessagesPerWeek;
  const since = at.getTime() - CAP_WINDOW_MS;
  const inWindow = recentOutreachAt
    .map((sent) => sent.getTime())
    .filter((sent) => sent > since && sent <= at.getTime())
    .sort((a, b) => a - b);
  if (inWindow.length < cap) return null;
  // Once this one leaves the window, cap - 1 remain and one more may go.
  return { reason: "weekly_cap", until: new Date(inWindow[inWindow.length - cap]! + CAP_WINDOW_MS) };
};

const quietHours: Rule = ({ customer }, settings, at) => {
  const window = quietWindowOf(customer, settings);
  if (window === null) return null;
  const until = quietUntil(customer.timeZone, window, at);
  return until === null ? null : { reason: "quiet_hours", until };
};

/** The customer's own quiet hours, else the business's default (which may be none). */
export function quietWindowOf(customer: Pick<ContactCustomer, "quietHoursStart" | "quietHoursEnd">, settings: ContactPolicySettings): QuietWindow | null {
  const { quietHoursStart: start, quietHoursEnd: end } = customer;
  if (start !== null && end !== null && start !== end) return { start, end };
  return settings.defaultQuietHours;
}

/** The end of the quiet window `at` falls in, in `timeZone`; null when `at` is outside it. */
export function quietUntil(timeZone: string, window: QuietWindow, at: Date): Date | null {
  const local = wallClockAt(timeZone, at);
  const minute = local.hour * 60 + local.minute;
  const wraps = window.start > window.end;
  const inside = wraps ? minute >= window.start || minute < window.end : minute >= window.start && minute < window.end;
  if (!inside) return null;
  // In the evening part of a window that wraps midnight, it ends tomorrow.
  const endDate = wraps && minute >= window.start ? nextLocalDate(local) : local;
  const ends = instantsAtLocalTime(timeZone, endDate, window.end);
  // When the clocks go back through the end time it comes twice; the one still ahead counts.
  return ends.find((end) => end > at) ?? ends[ends.length - 1]!;
}
