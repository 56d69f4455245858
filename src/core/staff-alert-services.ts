/**
 * What the staff console's alert and takeover-thread features may ask of Tend (the implementation
 * is src/staff/takeover-console.ts, over src/staff/alerts.ts and src/staff/takeover.ts). Every
 * call that changes something takes the acting staff member and is audited there.
 */
import type { Actor } from "../staff/actor.ts";
import type { StaffPerson } from "./staff-notifier.ts";

export type AlertClaim =
  | { status: "claimed" }
  /** Someone had it first; `by` is who (you, when it was yours already). */
  | { status: "already_claimed"; by: StaffPerson }
  | { status: "resolved"; by: StaffPerson | null }
  | { status: "not_found" };

export type AlertResolution =
  | { status: "resolved"; followUpQueued: boolean; notQueuedBecause?: string | undefined }
  | { status: "already_resolved"; by: StaffPerson | null }
  | { status: "no_case" }
  | { status: "not_found" };

/** What a message in a takeover thread became. */
export type ThreadMessageOutcome =
  | { status: "relayed" }
  | { status: "note"; why: "not_owner" | "internal_prefix" | "nobody_has_it" | "released"; owner: StaffPerson | null }
  | { status: "ignored" };

export type HandOnResult = { status: "handed"; to: StaffPerson } | { status: "refused"; message: string } | { status: "not_found" };

export type ReleaseOutcome = { status: "released"; customerNotified: boolean } | { status: "not_handed_over" } | { status: "not_found" };

export interface StaffAlertServices {
  /** The internal-note prefix (TEND_STAFF_INTERNAL_PREFIX), for the thread's help text. */
  readonly internalPrefix: string;
  claim(alertId: string, actor: Actor): Promise<AlertClaim>;
  /** What the Resolve modal shows; null for no such alert. */
  describe(alertId: string): Promise<{ customerId: string; summary: string | null; resolvable: boolean; resolvedBy: StaffPerson | null } | null>;
  resolve(alertId: string, actor: Actor, resolution: string): Promise<AlertResolution>;
  /**
   * A message posted in the staff channel. `actor` is null for a Slack user who is not staff
   * (nothing is relayed or saved); a redelivered event (same ts) is relayed once.
   */
  threadMessage(message: { channel: string; threadTs: string; ts: string; actor: Actor | null; text: string }): Promise<ThreadMessageOutcome>;
  /** The staff member for a Slack user id, if they are staff (a colleague picked in a modal). */
  staffBySlackId(slackUserId: string): Actor | undefined;
  handToColleague(alertId: string, actor: Actor, colleague: Actor): Promise<HandOnResult>;
  /** Releases the customer of a thread's alert, or a customer named by id or external id. */
  release(target: { alertId: string } | { customer: string }, actor: Actor): Promise<ReleaseOutcome>;
  /** After a Take over from the card: the thread opens (or the waiting one is marked theirs). */
  threadForTakeover(customerId: string, actor: Actor): Promise<void>;
}
