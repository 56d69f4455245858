import type { Actor } from "../staff/actor.ts";
import type { AuditDetails } from "../staff/audit-types.ts";
import { StaffService } from "../staff/staff-service.ts";
import { type Clock, systemClock } from "../core/clock.ts";
import { EventBus } from "../core/events.ts";
import type { ConsentTopic, Interaction, Prisma, PrismaClient } from "../db/generated/client.ts";
import { type Customer, CustomerRepository, type ProfilePatch } from "../db/repositories/customer-repository.ts";
import {
  addTimelineRow,
  claimHandover,
  endHandover,
  lastSeenPlatform,
  requestHandover as markHandoverRequested,
  setOutreachPause,
  writeConsent,
} from "../db/repositories/customer-writes.ts";
import { OutboxRepository, enqueue } from "../db/repositories/outbox-repository.ts";
import { TendError } from "../errors.ts";
import { type FeedbackCase, FeedbackService } from "../feedback/feedback-service.ts";
import { customerLanguage } from "../feedback/locale.ts";
import { LoyaltyService } from "../loyalty/loyalty-service.ts";
import type { AdjustResult } from "../loyalty/results.ts";
import { handoverTexts } from "./handover-texts.ts";

export type { Customer, ProfilePatch };

/** Who has a customer's conversation. */
export interface HandoverState {
  /** True while staff have the conversation (the bot is quiet). */
  active: boolean;
  /** Since when: the customer's request, or the takeover when staff stepped in unasked. */
  since: Date | null;
  /** The staff member who took it; null while it waits for someone (the customer asked, nobody claimed yet). */
  heldBy: { actorId: string; name: string } | null;
}

export type TakeOverResult =
  /** `customerNotified`: the "X has joined" message is in the outbox (not for an erased customer). */
  | { status: "taken"; customer: Customer; handover: HandoverState; customerNotified: boolean }
  /** The same actor had it already: nothing changed, nothing sent again. */
  | { status: "already_yours"; customer: Customer; handover: HandoverState }
  /** Someone else holds it; pass `{ force: true }` to take it from them. */
  | { status: "held_by_other"; handover: HandoverState }
  | { status: "not_found" };

export type ReleaseResult =
  | { status: "released"; customer: Customer; customerNotified: boolean; releasedFrom: HandoverState }
  /** Not handed over (someone released it first, or it never was). */
  | { status: "not_handed_over" }
  | { status: "not_found" };

export type RequestHandoverResult =
  | { status: "handed_over"; customer: Customer; case: FeedbackCase }
  | { status: "already_handed_over"; customer: Customer };

export interface StaffAdjustInput {
  /** Signed, not 0. */
  points: number;
  /** Required: said in the ledger and the audit. */
  reason: string;
  idempotencyKey?: string | undefined;
  /** "adjust" (a correction) or "goodwill" (a gesture); only the audit's action detail differs. */
  purpose?: "adjust" | "goodwill" | undefined;
}

export interface StaffAdjustResult {
  result: AdjustResult;
  /** Spendable balance before and after, as the loyalty service computes it (the audit's before/after). */
  before: number;
  after: number;
}

/** What a staff member may change of a profile (not consent: see `setConsent`). */
export type StaffProfilePatch = Partial<
  Pick<Customer, "displayName" | "email" | "phone" | "timeZone" | "locale" | "quietHoursStart" | "quietHoursEnd" | "maxCareMessagesPerWeek" | "tags">
>;

export interface CustomerServiceOptions {
  prisma: PrismaClient;
  /** The audit; default: a StaffService over `prisma` (no Slack staff configured). */
  staff?: StaffService | undefined;
  /** Pass the application's (configured tiers and expiry); the default has the default settings. */
  loyalty?: LoyaltyService | undefined;
  /** Opens the case of a handover request; default: one over `prisma`. */
  feedback?: FeedbackService | undefined;
  /** Told when a message to the customer was queued, so the dispatcher looks at once. */
  outbox?: OutboxRepository | undefined;
  clock?: Clock | undefined;
  events?: EventBus | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Longest staff note, in characters. */
export const MAX_NOTE_LENGTH = 4000;

/**
 * The one owner of writes to a customer: consent, profile, handover, outreach pause, notes, staff
 * points adjustments. Chat handlers call the customer's own methods (`updateOwnProfile`,
 * `setOwnConsent`, `requestHandover`); the HTTP API, Slack and the dashboard call the staff
 * methods, which take the acting staff member and audit every call, its outcome included. Writes
 * that are database changes are audited in the same transaction.
 */
export class CustomerService {
  private readonly prisma: PrismaClient;
  private readonly repo: CustomerRepository;
  private readonly staff: StaffService;
  private readonly loyalty: LoyaltyService;
  private readonly feedback: FeedbackService;
  private readonly outbox: OutboxRepository;
  private readonly clock: Clock;
  private readonly events: EventBus;

  constructor(options: CustomerServiceOptions) {
    this.prisma = options.prisma;
    this.repo = new CustomerRepository(options.prisma);
    this.outbox = options.outbox ?? new OutboxRepository(options.prisma);
    this.clock = options.clock ?? systemClock;
    this.events = options.events ?? new EventBus();
    const { prisma } = options;
    this.staff = options.staff ?? new StaffService({ prisma, clock: this.clock });
    this.loyalty = options.loyalty ?? new LoyaltyService({ prisma, clock: this.clock, events: this.events });
    this.feedback = options.feedback ?? new FeedbackService({ prisma, clock: this.clock, events: this.events, outbox: this.outbox });
  }

  // --- Reading ---

  /** By Tend's id or the business's external id (as `tend customer show` and the API's `:id`). */
  find(idOrExternalId: string): Promise<Customer | null> {
    return this.repo.findByIdOrExternalId(idOrExternalId);
  }

  consentHistory(customerId: string) {
    return this.repo.consentHistory(customerId);
  }

  /** Who has the conversation; null for no such customer. */
  async handover(customerId: string): Promise<HandoverState | null> {
    const customer = UUID.test(customerId) ? await this.repo.findById(customerId) : null;
    return customer ? handoverOf(customer) : null;
  }

  // --- The customer's own changes (chat) ---

  /** A profile change the customer made themselves (birthday, time zone, quiet hours, language…). */
  updateOwnProfile(customerId: string, patch: ProfilePatch): Promise<Customer> {
    return this.repo.update(customerId, patch);
  }

  /** A consent change the customer made (`source` e.g. "chat:telegram:stop"); kept in the consent history. */
  setOwnConsent(customerId: string, topic: ConsentTopic, granted: boolean, source: string, at: Date = this.clock.now()): Promise<Customer> {
    return this.prisma.$transaction((tx) => writeConsent(tx, customerId, topic, granted, source, at));
  }

  /**
   * The customer asked for a person: the bot goes quiet, a "handover" feedback case opens and
   * `conversation.handed_over` is emitted (staff alerts listen). Conditional: asked twice, once.
   */
  async requestHandover(customerId: string, why: string): Promise<RequestHandoverResult> {
    const at = this.clock.now();
    if (!(await markHandoverRequested(this.prisma, customerId, at))) {
      return { status: "already_handed_over", customer: await this.requireCustomer(customerId) };
    }
    const opened = await this.feedback.open(customerId, "handover", why);
    this.events.emit("conversation.handed_over", { customerId, at });
    return { status: "handed_over", customer: await this.requireCustomer(customerId), case: opened };
  }

  // --- Staff actions (all audited) ---

  /**
   * A staff member takes the conversation: the bot stays quiet, the customer is told who joined
   * (outbox, topic "transactional"). One conditional update decides between two staff at once:
   * one gets "taken", the other "held_by_other". Works whether or not the customer asked.
   */
  async takeOver(customerId: string, actor: Actor, options: { force?: boolean } = {}): Promise<TakeOverResult> {
    const at = this.clock.now();
    const outcome = await this.prisma.$transaction(async (tx) => {
      const before = UUID.test(customerId) ? await tx.customer.findUnique({ where: { id: customerId } }) : null;
      if (!before) return { status: "not_found" as const };
      const previous = handoverOf(before);
      if (previous.heldBy?.actorId === actor.id) return { status: "already_yours" as const, customer: before, handover: previous };
      const taken = await claimHandover(tx, customerId, { actorId: actor.id, name: actor.name }, at, options.force === true);
      if (!taken) {
        const now = await tx.customer.findUnique({ where: { id: customerId } });
        return { status: "held_by_other" as const, handover: now ? handoverOf(now) : previous, erased: before.erasedAt !== null };
      }
      const platform = await lastSeenPlatform(tx, customerId);
      await addTimelineRow(tx, { customerId, platform, direction: "in", kind: "system", text: null, metadata: { event: "taken_over", by: actor.name, byId: actor.id }, at });
      const customerNotified = await this.notify(tx, taken, "handover_taken", handoverTexts[customerLanguage(taken.locale)].takenOver(actor.name), at);
      await this.staff.auditIn(tx, actor, "customer.take_over", { customerId, before: handoverJson(previous), after: handoverJson(handoverOf(taken)), at });
      return { status: "taken" as const, customer: taken, handover: handoverOf(taken), customerNotified };
    });
    if (outcome.status === "taken") {
      if (outcome.customerNotified) this.outbox.queued();
      return outcome;
    }
    if (outcome.status === "held_by_other") {
      const why = outcome.erased ? "the customer's data was erased" : `held by ${outcome.handover.heldBy?.name ?? "someone else"}`;
      await this.staff.audit(actor, "customer.take_over", { customerId, outcome: "refused", detail: { reason: why }, at });
      return { status: "held_by_other", handover: outcome.handover };
    }
    if (outcome.status === "not_found") await this.staff.audit(actor, "customer.take_over", { target: customerId, outcome: "failed", detail: { reason: "no such customer" }, at });
    return outcome;
  }

  /**
   * Hands the conversation back to the bot and tells the customer (outbox). Conditional, so two
   * staff releasing at once get one "released" and one "not_handed_over".
   */
  async release(customerId: string, actor: Actor): Promise<ReleaseResult> {
    const at = this.clock.now();
    const outcome = await this.prisma.$transaction(async (tx) => {
      const before = UUID.test(customerId) ? await tx.customer.findUnique({ where: { id: customerId } }) : null;
      if (!before) return { status: "not_found" as const };
      if (!(await endHandover(tx, customerId))) return { status: "not_handed_over" as const };
      const after = (await tx.customer.findUnique({ where: { id: customerId } }))!;
      const platform = await lastSeenPlatform(tx, customerId);
      await addTimelineRow(tx, { customerId, platform, direction: "in", kind: "system", text: null, metadata: { event: "released", by: actor.name, byId: actor.id }, at });
      const customerNotified = await this.notify(tx, after, "handover_released", handoverTexts[customerLanguage(after.locale)].released, at);
      await this.staff.auditIn(tx, actor, "customer.release", { customerId, before: handoverJson(handoverOf(before)), after: handoverJson(handoverOf(after)), at });
      return { status: "released" as const, customer: after, customerNotified, releasedFrom: handoverOf(before) };
    });
    if (outcome.status === "released") {
      if (outcome.customerNotified) this.outbox.queued();
      this.events.emit("conversation.released", { customerId, at, by: actor.name });
    } else {
      await this.staff.audit(actor, "customer.release", {
        ...(outcome.status === "not_found" ? { target: customerId } : { customerId }),
        outcome: outcome.status === "not_found" ? "failed" : "refused",
        detail: { reason: outcome.status === "not_found" ? "no such customer" : "not handed over" },
        at,
      });
    }
    return outcome;
  }

  /**
   * Holds care, marketing and survey messages back until `until` (the contact policy defers them).
   * The timeline records who. Null for no such customer; OUTREACH_PAUSE_INVALID for a time not in the future.
   */
  async pauseOutreach(customerId: string, until: Date, actor: Actor): Promise<Customer | null> {
    const at = this.clock.now();
    if (!(until.getTime() > at.getTime())) {
      throw new TendError("OUTREACH_PAUSE_INVALID", `a pause must end in the future (got ${Number.isNaN(until.getTime()) ? "an invalid date" : until.toISOString()})`);
    }
    return this.setPause(customerId, until, actor, at);
  }

  /** Lifts a pause. Null for no such customer. */
  resumeOutreach(customerId: string, actor: Actor): Promise<Customer | null> {
    return this.setPause(customerId, null, actor, this.clock.now());
  }

  /** A staff note on the customer's timeline (kind staff_note, with the staff member's name); never sent to the customer. */
  async addNote(customerId: string, actor: Actor, text: string): Promise<Interaction> {
    const note = text.trim();
    if (!note) throw new TendError("NOTE_EMPTY", "a note needs some text");
    if (note.length > MAX_NOTE_LENGTH) throw new TendError("NOTE_TOO_LONG", `a note is at most ${MAX_NOTE_LENGTH} characters (got ${note.length})`);
    const at = this.clock.now();
    const row = await this.prisma.$transaction(async (tx) => {
      if (!UUID.test(customerId) || !(await tx.customer.findUnique({ where: { id: customerId }, select: { id: true } }))) return null;
      const platform = await lastSeenPlatform(tx, customerId);
      const written = await addTimelineRow(tx, { customerId, platform, direction: "out", kind: "staff_note", text: note, metadata: { event: "staff_note", by: actor.name, byId: actor.id }, at });
      // The note's text is on the timeline (where erasure empties it); the audit keeps only its length.
      await this.staff.auditIn(tx, actor, "customer.note", { customerId, target: written.id, detail: { length: note.length }, at });
      return written;
    });
    if (!row) {
      await this.staff.audit(actor, "customer.note", { target: customerId, outcome: "failed", detail: { reason: "no such customer" }, at });
      throw new TendError("CUSTOMER_NOT_FOUND", `no customer with id ${customerId}`);
    }
    return row;
  }

  /**
   * Adds or takes points through the loyalty service (its lock, its rules: never below zero) and
   * audits the balance before and after. A refusal (overdrawn, invalid) is audited as "refused" and rethrown.
   */
  async adjustPoints(customerId: string, actor: Actor, input: StaffAdjustInput): Promise<StaffAdjustResult> {
    const purpose = input.purpose ?? "adjust";
    const detail = { points: input.points, reason: input.reason, purpose, ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}) };
    let result: AdjustResult;
    try {
      result = await this.loyalty.adjust({ customerId, points: input.points, reason: input.reason, idempotencyKey: input.idempotencyKey });
    } catch (error) {
      const refused = error instanceof TendError;
      await this.staff.audit(actor, "loyalty.adjust", { customerId, outcome: refused ? "refused" : "failed", detail: { ...detail, error: refused ? error.message : "internal error" } });
      throw error;
    }
    const after = result.status === "adjusted" ? result.balance : await this.loyalty.balance(customerId);
    const before = result.status === "adjusted" ? result.balance - input.points : after;
    await this.staff.audit(actor, "loyalty.adjust", {
      customerId,
      target: result.entry.id,
      before: { balance: before },
      after: { balance: after },
      detail: { ...detail, ...(result.status === "already_adjusted" ? { repeated: true } : {}) },
    });
    return { result, before, after };
  }

  /** A profile change by staff; audited with the changed fields before and after. */
  async updateProfile(customerId: string, actor: Actor, patch: StaffProfilePatch): Promise<Customer> {
    const at = this.clock.now();
    const fields = Object.keys(patch) as (keyof StaffProfilePatch)[];
    return this.prisma.$transaction(async (tx) => {
      const before = UUID.test(customerId) ? await tx.customer.findUnique({ where: { id: customerId } }) : null;
      if (!before) throw new TendError("CUSTOMER_NOT_FOUND", `no customer with id ${customerId}`);
      const after = await tx.customer.update({ where: { id: customerId }, data: patch });
      await this.staff.auditIn(tx, actor, "customer.update_profile", { customerId, before: pick(before, fields), after: pick(after, fields), at });
      return after;
    });
  }

  /** A consent change made by staff on the customer's word (source "staff:<actor id>"); audited. */
  async setConsent(customerId: string, actor: Actor, topic: ConsentTopic, granted: boolean): Promise<Customer> {
    const at = this.clock.now();
    return this.prisma.$transaction(async (tx) => {
      const before = UUID.test(customerId) ? await tx.customer.findUnique({ where: { id: customerId } }) : null;
      if (!before) throw new TendError("CUSTOMER_NOT_FOUND", `no customer with id ${customerId}`);
      const after = await writeConsent(tx, customerId, topic, granted, `staff:${actor.id}`, at);
      await this.staff.auditIn(tx, actor, "customer.set_consent", { customerId, target: topic, before: { [topic]: consentOf(before, topic) }, after: { [topic]: granted }, at });
      return after;
    });
  }

  // --- Internals ---

  private async setPause(customerId: string, until: Date | null, actor: Actor, at: Date): Promise<Customer | null> {
    const action = until ? "customer.pause_outreach" : "customer.resume_outreach";
    const changed = await this.prisma.$transaction(async (tx) => {
      const before = UUID.test(customerId) ? await tx.customer.findUnique({ where: { id: customerId }, select: { outreachPausedUntil: true } }) : null;
      if (!before || !(await setOutreachPause(tx, customerId, until))) return null;
      const platform = await lastSeenPlatform(tx, customerId);
      await addTimelineRow(tx, {
        customerId,
        platform,
        direction: "in",
        kind: "system",
        text: null,
        metadata: until ? { event: "outreach_paused", until: until.toISOString(), by: actor.name, byId: actor.id } : { event: "outreach_resumed", by: actor.name, byId: actor.id },
        at,
      });
      await this.staff.auditIn(tx, actor, action, {
        customerId,
        before: { outreachPausedUntil: before.outreachPausedUntil?.toISOString() ?? null },
        after: { outreachPausedUntil: until?.toISOString() ?? null },
        at,
      });
      return tx.customer.findUnique({ where: { id: customerId } });
    });
    if (!changed) await this.staff.audit(actor, action, { target: customerId, outcome: "failed", detail: { reason: "no such customer" }, at });
    return changed;
  }

  /** Queues a transactional message to the customer in `tx`; false (nothing queued) for an erased customer. */
  private async notify(tx: Prisma.TransactionClient, customer: Customer, kind: string, text: string, at: Date): Promise<boolean> {
    if (customer.erasedAt) return false;
    await enqueue(tx, [{ customerId: customer.id, topic: "transactional", kind, message: { text }, dedupeKey: `${kind}:${customer.id}:${at.toISOString()}`, notBefore: at }]);
    return true;
  }

  private async requireCustomer(customerId: string): Promise<Customer> {
    const customer = await this.repo.findById(customerId);
    if (!customer) throw new TendError("CUSTOMER_NOT_FOUND", `no customer with id ${customerId}`);
    return customer;
  }
}

/** Who has a customer's conversation, from the customer's row. */
export function handoverOf(customer: Pick<Customer, "handedOverAt" | "handedOverTo" | "handedOverToName">): HandoverState {
  const active = customer.handedOverAt !== null;
  return {
    active,
    since: customer.handedOverAt,
    heldBy: active && customer.handedOverTo ? { actorId: customer.handedOverTo, name: customer.handedOverToName ?? customer.handedOverTo } : null,
  };
}

function handoverJson(state: HandoverState): Prisma.InputJsonValue {
  return { active: state.active, since: state.since?.toISOString() ?? null, heldBy: state.heldBy };
}

function consentOf(customer: Customer, topic: ConsentTopic): boolean {
  return topic === "care" ? customer.careConsent : topic === "marketing" ? customer.marketingConsent : customer.surveyConsent;
}

/**
 * Personal fields: the audit says they changed, not what to, because the audit outlives an erasure
 * ("delete my data" empties the customer's row and timeline, not the staff audit).
 */
const PERSONAL_FIELDS: ReadonlySet<string> = new Set(["displayName", "email", "phone"]);

function pick(customer: Customer, fields: readonly string[]): Prisma.InputJsonValue {
  const out: Record<string, Prisma.InputJsonValue | null> = {};
  for (const field of fields) {
    const value = (customer as unknown as Record<string, unknown>)[field];
    if (PERSONAL_FIELDS.has(field)) out[field] = value === null || value === undefined ? null : "(personal data, not kept in the audit)";
    else out[field] = value instanceof Date ? value.toISOString() : (value as Prisma.InputJsonValue | null);
  }
  return out as Prisma.InputJsonValue;
}

export type { AuditDetails };
