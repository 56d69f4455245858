import type { Clock } from "../core/clock.ts";
import type { StaffMessageRef, StaffPerson } from "../core/staff-notifier.ts";
import type { PrismaClient } from "../db/generated/client.ts";
import { type ClaimedOutbox, type OutboxDraft, type OutboxEnd, type OutboxRepository, enqueue } from "../db/repositories/outbox-repository.ts";
import { addTimelineRow, claimHandover, lastSeenPlatform } from "../db/repositories/customer-writes.ts";
import { type StaffAlert, StaffAlertRepository } from "../db/repositories/staff-alert-repository.ts";
import type { CustomerService, HandoverState, ReleaseResult, TakeOverResult } from "../customers/customer-service.ts";
import { handoverOf } from "../customers/customer-service.ts";
import type { Actor } from "./actor.ts";
import type { StaffAlerts } from "./alerts.ts";
import type { StaffService } from "./staff-service.ts";
import { staffDraft } from "./staff-notifier.ts";

/** The outbox kind of a staff member's message to the customer (the relay and the HTTP API). */
export const STAFF_REPLY_KIND = "staff_reply";

/** Longest message staff may relay, in characters (the platforms' own limits are higher). */
export const MAX_REPLY_LENGTH = 4000;

export interface TakeoverOptions {
  prisma: PrismaClient;
  customers: CustomerService;
  staff: StaffService;
  alerts: StaffAlerts;
  outbox: OutboxRepository;
  clock: Clock;
  /** A thread message starting with this stays internal even from the owner (TEND_STAFF_INTERNAL_PREFIX). */
  internalPrefix: string;
}

/** A message someone wrote in a takeover thread. */
export interface ThreadMessage {
  channel: string;
  /** The thread's root: the takeover alert. */
  threadTs: string;
  /** The message itself (a Slack redelivery has the same one: relayed once). */
  ts: string;
  /** Staff after access control; null for anyone else (never relayed, never saved). */
  actor: Actor | null;
  text: string;
}

export type NoteReason = "not_owner" | "internal_prefix" | "nobody_has_it" | "released";

export type ThreadOutcome =
  /** Queued to the customer; ✅ or ⚠️ follows when the dispatcher knows. */
  | { status: "relayed"; customerId: string }
  /** Saved on the timeline as a staff note, never sent. `owner`: who speaks to the customer. */
  | { status: "note"; customerId: string; why: NoteReason; owner: StaffPerson | null }
  /** Not a takeover thread, or not staff, or empty: nothing done. */
  | { status: "ignored"; why: "not_a_thread" | "not_staff" | "empty" };

export type ReplyResult =
  | { status: "queued"; customerId: string; dedupeKey: string }
  | { status: "refused"; why: "not_handed_over" | "not_owner" | "erased"; message: string; owner?: StaffPerson | null }
  | { status: "not_found" };

export type HandToResult =
  | { status: "handed"; to: StaffPerson; handover: HandoverState }
  | { status: "refused"; message: string }
  | { status: "not_found" };

/**
 * The human takeover relay (issues 10 and 14). A customer who asks for a person, or whom staff take
 * over, gets a thread in the staff channel (the takeover alert) mapped to them in StaffAlert. Their
 * messages appear in it (staff outbox rows). In the thread only the staff member who has the
 * conversation speaks to the customer; every other message, and the owner's own starting with the
 * internal prefix, is an internal note on the timeline, never sent. A relayed message goes through
 * the outbox to the customer's channel and gets ✅ when delivered, ⚠️ with the reason when not.
 */
export class Takeover {
  private readonly alertsRepo: StaffAlertRepository;

  constructor(private readonly options: TakeoverOptions) {
    this.alertsRepo = new StaffAlertRepository(options.prisma);
  }

  /**
   * The customer wrote while handed over: the message goes to their takeover thread (made now if
   * staff took the conversation some other way). Keyed by the inbound message, so a redelivered or
   * taken-over copy of it is shown once.
   */
  async customerWrote(customerId: string, inboundId: string, text: string): Promise<void> {
    const customer = await this.options.prisma.customer.findUnique({ where: { id: customerId } });
    if (!customer?.handedOverAt) return;
    const thread = (await this.alertsRepo.activeThread(customerId)) ?? (await this.openThread(customerId, handoverOf(customer).heldBy));
    const draft = staffDraft(customerId, { notice: "thread", alertId: thread.id }, `${customer.displayName ?? "Customer"}: ${text}`, `staff_thread_in:${inboundId}`, this.options.clock.now());
    await this.options.outbox.enqueueNow([draft]);
  }

  /**
   * Staff take the conversation (the card's Take over): the customer service decides and tells
   * the customer; the thread is opened (or the waiting one marked as theirs).
   */
  async takeOver(customerId: string, actor: Actor): Promise<TakeOverResult> {
    const taken = await this.options.customers.takeOver(customerId, actor);
    if (taken.status === "taken") await this.threadForTakeover(customerId, actor);
    return taken;
  }

  /** After a takeover decided elsewhere (the card's button): the waiting thread becomes theirs, or one opens. */
  async threadForTakeover(customerId: string, actor: Actor): Promise<void> {
    const thread = await this.alertsRepo.activeThread(customerId);
    if (!thread) {
      await this.openThread(customerId, { actorId: actor.id, name: actor.name });
      return;
    }
    await this.alertsRepo.setClaimed(thread.id, { id: actor.id, name: actor.name }, this.options.clock.now());
    await this.options.alerts.queueUpdate(thread);
  }

  /** A message in a staff thread: relayed, kept as a note, or ignored (see the class comment). */
  async threadMessage(message: ThreadMessage): Promise<ThreadOutcome> {
    const text = message.text.trim();
    if (!text) return { status: "ignored", why: "empty" };
    const thread = await this.alertsRepo.findByMessage(message.channel, message.threadTs);
    if (!thread || !(thread.reason === "handover" || thread.reason === "takeover")) return { status: "ignored", why: "not_a_thread" };
    const actor = message.actor;
    if (!actor) return { status: "ignored", why: "not_staff" };
    const customer = await this.options.prisma.customer.findUnique({ where: { id: thread.customerId } });
    if (!customer) return { status: "ignored", why: "not_a_thread" };
    const handover = handoverOf(customer);
    const owner = handover.heldBy ? { id: handover.heldBy.actorId, name: handover.heldBy.name } : null;
    const why: NoteReason | null = thread.releasedAt || !handover.active
      ? "released"
      : !owner
        ? "nobody_has_it"
        : owner.id !== actor.id
          ? "not_owner"
          : text.startsWith(this.options.internalPrefix)
            ? "internal_prefix"
            : null;
    if (why) {
      await this.options.customers.addNote(thread.customerId, actor, text);
      return { status: "note", customerId: thread.customerId, why, owner };
    }
    const dedupeKey = `${STAFF_REPLY_KIND}:slack:${message.channel}:${message.ts}`;
    await this.queueReply(thread.customerId, actor, text, dedupeKey, { channel: message.channel, ts: message.ts, threadTs: message.threadTs }, "slack thread");
    return { status: "relayed", customerId: thread.customerId };
  }

  /**
   * The HTTP API's (or the dashboard's, `from`) reply: only while the customer is handed over, and only from the staff member
   * who has the conversation (the same rule as the thread). It also appears in the thread, saying where it came from.
   */
  async reply(customerId: string, actor: Actor, text: string, idempotencyKey?: string, from: "api" | "dashboard" = "api"): Promise<ReplyResult> {
    const at = this.options.clock.now();
    const customer = await this.options.prisma.customer.findUnique({ where: { id: customerId } });
    if (!customer) return { status: "not_found" };
    const handover = handoverOf(customer);
    const owner = handover.heldBy ? { id: handover.heldBy.actorId, name: handover.heldBy.name } : null;
    const refuse = async (why: "not_handed_over" | "not_owner" | "erased", message: string): Promise<ReplyResult> => {
      await this.options.staff.audit(actor, "message.send", { customerId, outcome: "refused", detail: { reason: why }, at });
      return { status: "refused", why, message, owner };
    };
    if (customer.erasedAt) return refuse("erased", "the customer's personal data was erased; they cannot be contacted");
    if (!handover.active) return refuse("not_handed_over", "the customer is not handed over to staff: take the conversation over first");
    if (!owner) return refuse("not_owner", "nobody has taken this conversation yet: take it over first");
    if (owner.id !== actor.id) return refuse("not_owner", `${owner.name} has this conversation; only they can write to the customer`);
    const dedupeKey = `${STAFF_REPLY_KIND}:${from}:${actor.id}:${idempotencyKey ?? `${at.toISOString()}:${Math.random().toString(36).slice(2)}`}`;
    await this.queueReply(customerId, actor, text, dedupeKey, null, from === "api" ? "http api" : "dashboard");
    const thread = await this.alertsRepo.activeThread(customerId);
    if (thread) {
      await this.options.outbox.enqueueNow([staffDraft(customerId, { notice: "thread", alertId: thread.id }, `${actor.name} (via the ${from === "api" ? "API" : "dashboard"}): ${text}`, `staff_thread_api:${dedupeKey}`, at)]);
    }
    return { status: "queued", customerId, dedupeKey };
  }

  /** The dispatcher delivered a staff reply: ✅ on the staff member's message. */
  async relayDelivered(row: ClaimedOutbox): Promise<void> {
    await this.mark(row, "white_check_mark");
  }

  /** A staff reply did not reach the customer: ⚠️ and the reason in the thread. */
  async relayEnded(row: ClaimedOutbox, end: OutboxEnd, reason: string): Promise<void> {
    const why = end === "skipped" ? `not sent (${reason})` : `not delivered: ${reason}`;
    await this.mark(row, "warning", `⚠️ Your message did not reach the customer: ${why}`);
  }

  /**
   * The owner hands the conversation to a colleague (staff): they speak to the customer from now
   * on. Audited, on the timeline, and the thread's alert shows the new owner.
   */
  async handToColleague(alertId: string, actor: Actor, colleague: Actor): Promise<HandToResult> {
    const at = this.options.clock.now();
    const thread = await this.alertsRepo.findById(alertId);
    if (!thread || !(thread.reason === "handover" || thread.reason === "takeover")) return { status: "not_found" };
    const outcome = await this.options.prisma.$transaction(async (tx) => {
      const before = await tx.customer.findUnique({ where: { id: thread.customerId } });
      if (!before) return { status: "not_found" as const };
      const held = handoverOf(before);
      if (!held.active || thread.releasedAt) return { status: "refused" as const, message: "the conversation is back with the bot" };
      if (held.heldBy?.actorId !== actor.id) {
        return { status: "refused" as const, message: held.heldBy ? `only ${held.heldBy.name}, who has the conversation, can hand it on` : "take the conversation over first" };
      }
      if (colleague.id === actor.id) return { status: "refused" as const, message: "you have it already" };
      const after = await claimHandover(tx, thread.customerId, { actorId: colleague.id, name: colleague.name }, at, true);
      if (!after) return { status: "refused" as const, message: "the customer can no longer be handed over" };
      const platform = await lastSeenPlatform(tx, thread.customerId);
      await addTimelineRow(tx, {
        customerId: thread.customerId,
        platform,
        direction: "in",
        kind: "system",
        text: null,
        metadata: { event: "handed_to_colleague", by: actor.name, byId: actor.id, to: colleague.name, toId: colleague.id },
        at,
      });
      await new StaffAlertRepository(tx).setClaimed(thread.id, { id: colleague.id, name: colleague.name }, at);
      await this.options.staff.auditIn(tx, actor, "customer.hand_to_colleague", {
        customerId: thread.customerId,
        target: colleague.id,
        before: { heldBy: held.heldBy },
        after: { heldBy: { actorId: colleague.id, name: colleague.name } },
        at,
      });
      await enqueue(tx, [this.threadLine(thread, `${actor.name} handed the conversation to ${colleague.name}: only they write to the customer now.`, at)]);
      await this.options.alerts.queueUpdate(thread, tx);
      return { status: "handed" as const, to: { id: colleague.id, name: colleague.name }, handover: handoverOf(after) };
    });
    if (outcome.status === "handed") this.options.outbox.queued();
    else if (outcome.status === "refused") {
      await this.options.staff.audit(actor, "customer.hand_to_colleague", { customerId: thread.customerId, target: colleague.id, outcome: "refused", detail: { reason: outcome.message }, at });
    }
    return outcome;
  }

  /**
   * Hands the conversation back to the bot: the customer service tells the customer, audits, and
   * announces it (`conversation.released`), on which the thread ends and says so.
   */
  async release(customerId: string, actor: Actor): Promise<ReleaseResult> {
    // The customer service tells the customer and announces it; the threads end on that (threadsReleased).
    return this.options.customers.release(customerId, actor);
  }

  /**
   * The conversation went back to the bot (here or through the HTTP API: the customer service's
   * `conversation.released`): its threads end and say so. Twice: the second finds none open.
   */
  async threadsReleased(customerId: string, by: string, at: Date): Promise<void> {
    const threads = await this.alertsRepo.releaseThreads(customerId, at);
    await this.options.outbox.enqueueNow(threads.map((thread) => this.threadLine(thread, `${by} released the conversation: the bot answers the customer again.`, at)));
    for (const thread of threads) await this.options.alerts.queueUpdate(thread);
  }

  /** The thread a Slack message belongs to, for buttons and `/tend release` typed in a thread. */
  findThread(channel: string, threadTs: string): Promise<StaffAlert | null> {
    return this.alertsRepo.findByMessage(channel, threadTs);
  }

  private async openThread(customerId: string, heldBy: { actorId: string; name: string } | null): Promise<StaffAlert> {
    const at = this.options.clock.now();
    const created = await this.options.prisma.$transaction(async (tx) => {
      const alert = await new StaffAlertRepository(tx).create({
        customerId,
        caseId: null,
        reason: "takeover",
        claimedBy: heldBy ? { id: heldBy.actorId, name: heldBy.name } : undefined,
        at,
      });
      await enqueue(tx, [staffDraft(customerId, { notice: "alert", alertId: alert.id }, "Conversation taken over", `staff_alert:${alert.id}`, at)]);
      return alert;
    });
    this.options.outbox.queued();
    return created;
  }

  private async queueReply(customerId: string, actor: Actor, text: string, dedupeKey: string, relay: (StaffMessageRef & { threadTs: string }) | null, via: string): Promise<void> {
    const at = this.options.clock.now();
    const draft: OutboxDraft = {
      customerId,
      topic: "staff",
      kind: STAFF_REPLY_KIND,
      message: { text },
      dedupeKey,
      notBefore: at,
      details: { author: { id: actor.id, name: actor.name }, ...(relay ? { relay: { channel: relay.channel, ts: relay.ts, threadTs: relay.threadTs } } : {}) },
    };
    const added = await this.options.prisma.$transaction(async (tx) => {
      const count = await enqueue(tx, [draft]);
      // A redelivered Slack event finds its message queued already: relayed (and audited) once.
      if (count) await this.options.staff.auditIn(tx, actor, "message.send", { customerId, target: dedupeKey, detail: { via, length: text.length }, at });
      return count;
    });
    if (added) this.options.outbox.queued();
  }

  private async mark(row: ClaimedOutbox, reaction: "white_check_mark" | "warning", reply?: string): Promise<void> {
    if (row.kind !== STAFF_REPLY_KIND) return;
    const relay = row.details?.relay as { channel?: string; ts?: string; threadTs?: string } | undefined;
    if (!relay?.channel || !relay.ts || !relay.threadTs) return;
    const message = { channel: relay.channel, ts: relay.ts };
    const thread = { channel: relay.channel, ts: relay.threadTs };
    const notice = { notice: "reaction" as const, message, thread, reaction, ...(reply ? { reply } : {}) };
    await this.options.outbox.enqueueNow([staffDraft(row.customerId, notice, reply ?? "delivered", `staff_reaction:${row.id}`, this.options.clock.now())]);
  }

  private threadLine(thread: StaffAlert, text: string, at: Date): OutboxDraft {
    return staffDraft(thread.customerId, { notice: "thread", alertId: thread.id }, text, `staff_thread_line:${thread.id}:${at.toISOString()}:${Math.random().toString(36).slice(2)}`, at);
  }
}
