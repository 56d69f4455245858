import { type Clock, systemClock } from "../core/clock.ts";
import { EventBus } from "../core/events.ts";
import type { PrismaClient } from "../db/generated/client.ts";
import { CustomerRepository } from "../db/repositories/customer-repository.ts";
import { type FeedbackCase, FeedbackCaseRepository, type FeedbackCaseSource } from "../db/repositories/feedback-case-repository.ts";
import { TendError, describeError } from "../errors.ts";
import { customerLanguage } from "./locale.ts";
import { caseClosedMessage } from "./texts.ts";

export type { FeedbackCase, FeedbackCaseSource };

/**
 * Sends a message to a customer on their channel. The engine's notifier also records the
 * outbound Interaction, so this service never records it itself.
 */
export type NotifyCustomer = (customerId: string, message: { text: string }) => Promise<void>;
export interface CustomerNotifier {
  notifyCustomer: NotifyCustomer;
}

export interface FeedbackServiceOptions {
  /** Either a PrismaClient, from which the repositories are made, or the repositories themselves. */
  prisma?: PrismaClient;
  cases?: FeedbackCaseRepository;
  customers?: CustomerRepository;
  clock?: Clock;
  events?: EventBus;
  /** Needed to close cases: closing tells the customer what was done. */
  notifier?: CustomerNotifier | NotifyCustomer;
  /** Told about failures that do not fail the call, e.g. a follow-up that could not be sent. */
  onError?: (what: string, error: unknown) => void;
}

export interface OpenCaseOptions {
  surveyResponseId?: string | null;
  assignee?: string | null;
}

export interface CloseCaseResult {
  case: FeedbackCase;
  /** True when the follow-up reached the notifier without error; customerNotifiedAt is then set. */
  notified: boolean;
  /** Why the customer was not told, when `notified` is false. The case stays closed either way. */
  notifyError?: string;
}

/** Summaries are for staff screens; a pasted essay is cut, not refused. */
const MAX_SUMMARY = 2000;

export class FeedbackService {
  private readonly cases: FeedbackCaseRepository;
  private readonly customers: CustomerRepository;
  private readonly clock: Clock;
  private readonly events: EventBus;
  private readonly notify: NotifyCustomer | undefined;
  private readonly onError: (what: string, error: unknown) => void;

  constructor(options: FeedbackServiceOptions) {
    const cases = options.cases ?? (options.prisma && new FeedbackCaseRepository(options.prisma));
    const customers = options.customers ?? (options.prisma && new CustomerRepository(options.prisma));
    if (!cases || !customers) throw new Error("FeedbackService needs `prisma` or both `cases` and `customers`");
    this.cases = cases;
    this.customers = customers;
    this.clock = options.clock ?? systemClock;
    this.events = options.events ?? new EventBus();
    const notifier = options.notifier;
    this.notify = typeof notifier === "function" ? notifier : notifier && ((id, message) => notifier.notifyCustomer(id, message));
    this.onError = options.onError ?? (() => {});
  }

  /** Opens a case for staff: from a low survey score, a complaint, a handover or staff themselves. */
  async open(customerId: string, source: FeedbackCaseSource, summary: string, options: OpenCaseOptions = {}): Promise<FeedbackCase> {
    const text = summary.trim();
    if (!text) throw new TendError("FEEDBACK_SUMMARY_REQUIRED", "a feedback case needs a summary of the problem");
    const customer = await this.customers.findById(customerId);
    if (!customer) throw new TendError("CUSTOMER_NOT_FOUND", `no customer with id ${customerId}`);
    const opened = await this.cases.create({
      customerId,
      source,
      summary: truncate(text, MAX_SUMMARY),
      surveyResponseId: options.surveyResponseId ?? null,
      assignee: options.assignee ?? null,
      openedAt: this.clock.now(),
    });
    this.events.emit("feedback.case_opened", { caseId: opened.id, customerId, source, at: opened.openedAt });
    return opened;
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
   * Closes a case and then tells the customer, in their language, what was done. A failed send
   * leaves the case closed with customerNotifiedAt empty (see `retryFollowUp`) and is reported in
   * the result and to `onError`, never thrown: the staff member's work is done either way.
   */
  async close(caseId: string, resolution: string, closedBy: string): Promise<CloseCaseResult> {
    const text = resolution.trim();
    if (!text) throw new TendError("FEEDBACK_RESOLUTION_REQUIRED", "closing a feedback case needs a resolution: what was done for the customer");
    const by = closedBy.trim();
    if (!by) throw new TendError("FEEDBACK_CLOSED_BY_REQUIRED", "closing a feedback case needs the name of who closed it");
    const closedAt = this.clock.now();
    if (!(await this.cases.closeIfOpen(caseId, { resolution: text, closedBy: by, closedAt }))) {
      const existing = await this.requireCase(caseId);
      throw new TendError("FEEDBACK_CASE_ALREADY_CLOSED", `feedback case ${caseId} is already closed${closedNote(existing)}`);
    }
    const closed = await this.requireCase(caseId);
    this.events.emit("feedback.case_closed", { caseId, customerId: closed.customerId, resolution: text, at: closedAt });
    return this.sendFollowUp(closed);
  }

  /** Sends a closed case's follow-up again when the first attempt failed. */
  async retryFollowUp(caseId: string): Promise<CloseCaseResult> {
    const existing = await this.requireCase(caseId);
    if (existing.status !== "closed" || existing.resolution === null) {
      throw new TendError("FEEDBACK_CASE_OPEN", `feedback case ${caseId} is still open; close it to tell the customer`);
    }
    if (existing.customerNotifiedAt) return { case: existing, notified: true };
    return this.sendFollowUp(existing);
  }

  private async sendFollowUp(closed: FeedbackCase): Promise<CloseCaseResult> {
    const failed = (error: unknown): CloseCaseResult => {
      this.onError("feedback.follow_up", error);
      return { case: closed, notified: false, notifyError: describeError(error) };
    };
    const customer = await this.customers.findById(closed.customerId);
    if (!customer) return failed(new Error("the customer no longer exists"));
    if (customer.erasedAt) return failed(new Error("the customer's personal data was erased; they cannot be contacted"));
    if (!this.notify) return failed(new Error("no customer notifier is configured"));
    try {
      await this.notify(closed.customerId, { text: caseClosedMessage(customerLanguage(customer.locale), closed.resolution ?? "") });
    } catch (error) {
      return failed(error);
    }
    return { case: await this.cases.markCustomerNotified(closed.id, this.clock.now()), notified: true };
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
