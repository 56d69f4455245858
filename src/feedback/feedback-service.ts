import { type Clock, systemClock } from "../core/clock.ts";
import { EventBus } from "../core/events.ts";
import type { Prisma, PrismaClient } from "../db/generated/client.ts";
import { type Customer, CustomerRepository } from "../db/repositories/customer-repository.ts";
import { type FeedbackCase, FeedbackCaseRepository, type FeedbackCaseSource } from "../db/repositories/feedback-case-repository.ts";
import { OutboxRepository, enqueue as enqueueOutbox } from "../db/repositories/outbox-repository.ts";
import { TendError } from "../errors.ts";
import { customerLanguage } from "./locale.ts";
import { caseClosedMessage } from "./texts.ts";

export type { FeedbackCase, FeedbackCaseSource };

/** Queues outbox rows inside the given transaction (src/db/repositories/outbox-repository.ts `enqueue`). */
export type EnqueueOutbox = typeof enqueueOutbox;

/** The dedupe key of a case's follow-up: one per case, however often closing or a retry queues it. */
export function followUpKey(caseId: string): string {
  return `case_followup:${caseId}`;
}

/** The case a follow-up's dedupe key names, or null for any other key. */
export function caseOfFollowUp(dedupeKey: string): string | null {
  return dedupeKey.startsWith("case_followup:") ? dedupeKey.slice("case_followup:".length) : null;
}

export interface FeedbackServiceOptions {
  /** Either a PrismaClient, from which the repositories are made, or the repositories themselves. */
  prisma?: PrismaClient;
  cases?: FeedbackCaseRepository;
  customers?: CustomerRepository;
  clock?: Clock;
  events?: EventBus;
  /** Where follow-ups go (made from `prisma` when not given); closing a case needs `prisma` to write both together. */
  outbox?: OutboxRepository;
  /** How follow-ups are queued in the closing transaction; tests swap it to fail after the case is written. */
  enqueue?: EnqueueOutbox;
  /** Told about failures that do not fail the call. */
  onError?: (what: string, error: unknown) => void;
}

export interface OpenCaseOptions {
  surveyResponseId?: string | null;
  assignee?: string | null;
  /** Why staff should be alerted, when the source alone does not say (src/staff/alerts.ts). */
  alert?: string | undefined;
}

/**
 * Written in the transaction that opens a case (a staff alert, src/staff/alerts.ts), so a crash
 * leaves both or neither. Returns true when it queued outbox rows (the dispatcher is woken).
 */
export type CaseOpenedHook = (tx: Prisma.TransactionClient, opened: FeedbackCase, options: OpenCaseOptions) => Promise<boolean>;

/** What a claim came to; `case` is the case after it (its assignee is the winner when claimed by another). */
export type ClaimCaseResult =
  | { status: "claimed" | "already_yours" | "claimed_by_other" | "closed"; case: FeedbackCase }
  | { status: "not_found" };

export interface CloseCaseResult {
  case: FeedbackCase;
  /**
   * True when the follow-up telling the customer what was done is in the outbox (written with the
   * case); the dispatcher sends it and then sets the case's customerNotifiedAt.
   */
  followUpQueued: boolean;
  /** Why no follow-up was queued (an erased customer), when `followUpQueued` is false. The case stays closed. */
  notQueuedBecause?: string;
}

/** Summaries are for staff screens; a pasted essay is cut, not refused. */
const MAX_SUMMARY = 2000;

export class FeedbackService {
  private readonly cases: FeedbackCaseRepository;
  private readonly customers: CustomerRepository;
  private readonly clock: Clock;
  private readonly events: EventBus;
  private readonly prisma: PrismaClient | undefined;
  private readonly outbox: OutboxRepository | undefined;
  private readonly enqueue: EnqueueOutbox;
  private readonly onError: (what: string, error: unknown) => void;
  private caseOpenedHook: CaseOpenedHook | undefined;

  constructor(options: FeedbackServiceOptions) {
    const cases = options.cases ?? (options.prisma && new FeedbackCaseRepository(options.prisma));
    const customers = options.customers ?? (options.prisma && new CustomerRepository(options.prisma));
    if (!cases || !customers) throw new Error("FeedbackService needs `prisma` or both `cases` and `customers`");
    this.cases = cases;
    this.customers = customers;
    this.clock = options.clock ?? systemClock;
    this.events = options.events ?? new EventBus();
    this.prisma = options.prisma;
    this.outbox = options.outbox ?? (options.prisma && new OutboxRepository(options.prisma));
    this.enqueue = options.enqueue ?? enqueueOutbox;
    this.onError = options.onError ?? (() => {});
  }

  /** Opens a case for staff: from a low survey score, a complaint, a handover or staff themselves. */
  async open(customerId: string, source: FeedbackCaseSource, summary: string, options: OpenCaseOptions = {}): Promise<FeedbackCase> {
    const text = summary.trim();
    if (!text) throw new TendError("FEEDBACK_SUMMARY_REQUIRED", "a feedback case needs a summary of the problem");
    const customer = await this.customers.findById(customerId);
    if (!customer) throw new TendError("CUSTOMER_NOT_FOUND", `no customer with id ${customerId}`);
    const input = {
      customerId,
      source,
      summary: truncate(text, MAX_SUMMARY),
      surveyResponseId: options.surveyResponseId ?? null,
      assignee: options.assignee ?? null,
      openedAt: this.clock.now(),
    };
    const hook = this.caseOpenedHook;
    let opened: FeedbackCase;
    if (hook && this.prisma) {
      let queued = false;
      opened = await this.prisma.$transaction(async (tx) => {
        const created = await new FeedbackCaseRepository(tx).create(input);
        queued = await hook(tx, created, options);
        return created;
      });
      if (queued) this.outbox?.queued();
    } else {
      opened = await this.cases.create(input);
    }
    this.events.emit("feedback.case_opened", { caseId: opened.id, customerId, source, at: opened.openedAt });
    return opened;
  }

  /** Staff alerts (src/staff/alerts.ts): written with each case opened from now on. */
  onCaseOpened(hook: CaseOpenedHook): void {
    this.caseOpenedHook = hook;
  }

  /** Rewrites an open or closed case's summary, e.g. when a survey reason arrives after the score. */
  updateSummary(caseId: string, summary: string): Promise<FeedbackCase> {
    return this.cases.updateSummary(caseId, truncate(summary.trim(), MAX_SUMMARY));
  }

  get(caseId: string): Promise<FeedbackCase | null> {
    return this.cases.findById(caseId);
  }

  findBySurveyResponse(surveyResponseId: string): Promise<FeedbackCase | null> {
    return this.cases.findBySurveyResponse(surveyResponseId);
  }

  /** Open cases, the longest waiting first. */
  listOpen(limit?: number): Promise<FeedbackCase[]> {
    return this.cases.listOpen(limit);
  }

  /** A customer's cases, newest first. */
  listByCustomer(customerId: string, limit?: number): Promise<FeedbackCase[]> {
    return this.cases.listByCustomer(customerId, limit);
  }

  /** Gives an open case to a member of staff (null unassigns it). */
  async assign(caseId: string, assignee: string | null): Promise<FeedbackCase> {
    const name = assignee?.trim() || null;
    if (!(await this.cases.assignIfOpen(caseId, name))) {
      const existing = await this.requireCase(caseId);
      throw new TendError("FEEDBACK_CASE_CLOSED", `feedback case ${caseId} is closed${closedNote(existing)}; it cannot be assigned`);
    }
    return this.requireCase(caseId);
  }

  /**
   * Claims an open, unclaimed case for a member of staff: one conditional update, so of two staff
   * claiming at once one wins and the other learns who did. `assign` hands a case over regardless.
   */
  async claim(caseId: string, claimer: string): Promise<ClaimCaseResult> {
    const name = claimer.trim();
    if (!name) throw new TendError("FEEDBACK_CLAIMER_REQUIRED", "claiming a feedback case needs the name of who claims it");
    if (await this.cases.claimIfUnclaimed(caseId, name)) return { status: "claimed", case: await this.requireCase(caseId) };
    const existing = await this.cases.findById(caseId);
    if (!existing) return { status: "not_found" };
    if (existing.status !== "open") return { status: "closed", case: existing };
    if (existing.assignee === name) return { status: "already_yours", case: existing };
    return { status: "claimed_by_other", case: existing };
  }

  /**
   * Closes a case and queues the follow-up telling the customer, in their language, what was done:
   * both in one transaction, so a crash or an error leaves either both or neither. An erased
   * customer gets no follow-up (the result says why); the case closes all the same.
   */
  async close(caseId: string, resolution: string, closedBy: string): Promise<CloseCaseResult> {
    const text = resolution.trim();
    if (!text) throw new TendError("FEEDBACK_RESOLUTION_REQUIRED", "closing a feedback case needs a resolution: what was done for the customer");
    const by = closedBy.trim();
    if (!by) throw new TendError("FEEDBACK_CLOSED_BY_REQUIRED", "closing a feedback case needs the name of who closed it");
    const prisma = this.requirePrisma();
    const closedAt = this.clock.now();
    const outcome = await prisma.$transaction(async (tx) => {
      const cases = new FeedbackCaseRepository(tx);
      if (!(await cases.closeIfOpen(caseId, { resolution: text, closedBy: by, closedAt }))) return null;
      const closed = (await cases.findById(caseId))!;
      const customer = await tx.customer.findUnique({ where: { id: closed.customerId } });
      const notQueuedBecause = await this.queueFollowUp(tx, closed, customer);
      return { closed, notQueuedBecause };
    });
    if (!outcome) {
      const existing = await this.requireCase(caseId);
      throw new TendError("FEEDBACK_CASE_ALREADY_CLOSED", `feedback case ${caseId} is already closed${closedNote(existing)}`);
    }
    const { closed, notQueuedBecause } = outcome;
    if (!notQueuedBecause) this.outbox?.queued();
    this.events.emit("feedback.case_closed", { caseId, customerId: closed.customerId, resolution: text, at: closedAt });
    return notQueuedBecause ? { case: closed, followUpQueued: false, notQueuedBecause } : { case: closed, followUpQueued: true };
  }

  /**
   * Queues a closed case's follow-up again when it did not reach the customer (it failed or was
   * dead-lettered, say after the customer unblocked the bot). Already told: nothing to do.
   */
  async retryFollowUp(caseId: string): Promise<CloseCaseResult> {
    const existing = await this.requireCase(caseId);
    if (existing.status !== "closed" || existing.resolution === null) {
      throw new TendError("FEEDBACK_CASE_OPEN", `feedback case ${caseId} is still open; close it to tell the customer`);
    }
    if (existing.customerNotifiedAt) return { case: existing, followUpQueued: true };
    const prisma = this.requirePrisma();
    const customer = await this.customers.findById(existing.customerId);
    const notQueuedBecause = await this.queueFollowUp(prisma, existing, customer);
    if (notQueuedBecause) return { case: existing, followUpQueued: false, notQueuedBecause };
    await this.outbox?.requeue(followUpKey(existing.id), this.clock.now());
    this.outbox?.queued();
    return { case: existing, followUpQueued: true };
  }

  /** The dispatcher sent the follow-up: the case records when the customer was told. */
  async followUpSent(caseId: string, at: Date): Promise<void> {
    await this.cases.markCustomerNotified(caseId, at);
  }

  /** Queues the follow-up; returns why not when the customer cannot be contacted. */
  private async queueFollowUp(db: PrismaClient | Prisma.TransactionClient, closed: FeedbackCase, customer: Customer | null): Promise<string | undefined> {
    if (!customer) return "the customer no longer exists";
    if (customer.erasedAt) return "the customer's personal data was erased; they cannot be contacted";
    await this.enqueue(db, [
      {
        customerId: closed.customerId,
        topic: "case_followup",
        kind: "case_followup",
        message: { text: caseClosedMessage(customerLanguage(customer.locale), closed.resolution ?? "") },
        dedupeKey: followUpKey(closed.id),
        notBefore: this.clock.now(),
      },
    ]);
    return undefined;
  }

  private requirePrisma(): PrismaClient {
    if (!this.prisma) throw new Error("closing a feedback case needs FeedbackService's `prisma`: the case and its follow-up are written together");
    return this.prisma;
  }

  private async requireCase(caseId: string): Promise<FeedbackCase> {
    const found = await this.cases.findById(caseId);
    if (!found) throw new TendError("FEEDBACK_CASE_NOT_FOUND", `no feedback case with id ${caseId}`);
    return found;
  }
}

function closedNote(existing: FeedbackCase): string {
  if (existing.status !== "closed") return "";
  const when = existing.closedAt ? ` on ${existing.closedAt.toISOString()}` : "";
  const who = existing.closedBy ? ` by ${existing.closedBy}` : "";
  return `${when}${who}`;
}

function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}
