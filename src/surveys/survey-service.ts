import { type Clock, systemClock } from "../core/clock.ts";
import { EventBus } from "../core/events.ts";
import type { Platform, Prisma, PrismaClient } from "../db/generated/client.ts";
import { CustomerRepository } from "../db/repositories/customer-repository.ts";
import { type PendingReason, type SurveyInvitation, SurveyRepository, type SurveyResponse } from "../db/repositories/survey-repository.ts";
import { complaintWordsIn } from "../feedback/complaint-words.ts";
import { FeedbackService } from "../feedback/feedback-service.ts";
import { type CustomerLanguage, customerLanguage } from "../feedback/locale.ts";
import { type SurveyChoice, surveyActionId } from "./actions.ts";
import { type SurveyReport, summarizeSurveyCells } from "./report.ts";
import { type SurveyKind, describeScore, inScale, isLowScore, scales } from "./scales.ts";
import { type SurveySettings, defaultSurveySettings } from "./settings.ts";
import { choiceLabel, outOfRangeReply, surveyQuestion, surveyReplies } from "./texts.ts";

export type { PendingReason, SurveyInvitation, SurveyKind, SurveyResponse };

export interface SurveyServiceOptions {
  /** Either a PrismaClient, from which the repositories are made, or the repositories themselves. */
  prisma?: PrismaClient;
  surveys?: SurveyRepository;
  customers?: CustomerRepository;
  /** Opens cases for low scores and complaints; made from `prisma` when not given. */
  feedback?: FeedbackService;
  clock?: Clock;
  events?: EventBus;
  settings?: Partial<SurveySettings>;
  /** Told about failures that do not fail the call, e.g. a throwing `onCompleted` hook. */
  onError?: (what: string, error: unknown) => void;
}

export type InviteRefusal =
  | "unknown_customer"
  /** The customer's personal data was erased. */
  | "erased"
  /** The customer turned surveys off. */
  | "no_consent"
  /** An NPS invitation went out within NPS_MIN_DAYS_BETWEEN days. */
  | "too_soon";

export type InviteResult =
  | {
      status: "invited";
      invitation: SurveyInvitation;
      language: CustomerLanguage;
      /** The question in the customer's language. */
      question: string;
      /** One button per score; each id is `survey:<invitationId>:<score>` (see parseSurveyAction). */
      choices: SurveyChoice[];
    }
  | { status: "refused"; reason: InviteRefusal; /** For "too_soon": the first moment another NPS may go out. */ nextAllowedAt?: Date };

/** Every answer result carries `reply`: what to tell the customer, in their language. */
export type AnswerResult =
  | {
      status: "recorded";
      invitation: SurveyInvitation;
      response: SurveyResponse;
      /** The "why?" question; the customer's next message (within the reason window) is the reason. */
      reply: string;
      /** The case a low score opened, if it did. */
      caseId: string | null;
      reasonExpiresAt: Date;
    }
  | { status: "already_answered"; response: SurveyResponse; reply: string }
  | { status: "expired"; invitation: SurveyInvitation; reply: string }
  | { status: "out_of_range"; min: number; max: number; reply: string }
  /** The invitation belongs to another customer: a forwarded button, say. Nothing is revealed. */
  | { status: "not_yours"; reply: string }
  | { status: "not_found"; reply: string };

export type ReasonResult =
  | {
      status: "recorded";
      response: SurveyResponse;
      /** The case for this response (opened now, or the one its low score opened), if any. */
      caseId: string | null;
      /** True when this reason opened a new case (complaint words with an otherwise fine score). */
      caseOpened: boolean;
      complaintWords: string[];
      reply: string;
    }
  | { status: "already_given"; reply: string }
  | { status: "empty" }
  | { status: "not_found" };

/** Reasons past this are cut: a reason is a sentence or two, not a document. */
const MAX_REASON = 2000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export class SurveyService {
  private readonly surveys: SurveyRepository;
  private readonly customers: CustomerRepository;
  private readonly feedback: FeedbackService;
  private readonly clock: Clock;
  private readonly events: EventBus;
  private readonly settings: SurveySettings;
  private readonly onError: (what: string, error: unknown) => void;

  constructor(options: SurveyServiceOptions) {
    const surveys = options.surveys ?? (options.prisma && new SurveyRepository(options.prisma));
    const customers = options.customers ?? (options.prisma && new CustomerRepository(options.prisma));
    if (!surveys || !customers) throw new Error("SurveyService needs `prisma` or both `surveys` and `customers`");
    this.surveys = surveys;
    this.customers = customers;
    this.clock = options.clock ?? systemClock;
    this.events = options.events ?? new EventBus();
    this.settings = { ...defaultSurveySettings, ...options.settings };
    this.onError = options.onError ?? (() => {});
    const feedback =
      options.feedback ??
      (options.prisma && new FeedbackService({ prisma: options.prisma, clock: this.clock, events: this.events, onError: this.onError }));
    if (!feedback) throw new Error("SurveyService needs `feedback` when it is not given `prisma`");
    this.feedback = feedback;
  }

  /**
   * Creates an invitation and returns the question and answer buttons to send. Refuses (without
   * throwing) customers who turned surveys off or were erased, and NPS within the minimum gap.
   */
  async invite(
    customerId: string,
    kind: SurveyKind,
    platform: Platform,
    context?: string | null,
    /** Runs in the invitation's transaction: queue the message carrying it there, so neither exists without the other. */
    deliver?: (tx: Prisma.TransactionClient, invited: Extract<InviteResult, { status: "invited" }>) => Promise<void>,
  ): Promise<InviteResult> {
    const customer = await this.customers.findById(customerId);
    if (!customer) return { status: "refused", reason: "unknown_customer" };
    if (customer.erasedAt) return { status: "refused", reason: "erased" };
    if (!customer.surveyConsent) return { status: "refused", reason: "no_consent" };
    const now = this.clock.now();
    const gap = this.settings.npsMinDaysBetween * DAY;
    const language = customerLanguage(customer.locale);
    const { min, max } = scales[kind];
    const invited = (invitation: SurveyInvitation): Extract<InviteResult, { status: "invited" }> => {
      const choices: SurveyChoice[] = [];
      for (let score = min; score <= max; score++) choices.push({ id: surveyActionId(invitation.id, score), label: choiceLabel(kind, score) });
      return { status: "invited", invitation, language, question: surveyQuestion(kind, language), choices };
    };
    const created = await this.surveys.createInvitation(
      { customerId, kind, platform, context: context ?? null, sentAt: now, expiresAt: new Date(now.getTime() + this.settings.answerWindowHours * HOUR) },
      kind === "nps" && gap > 0 ? new Date(now.getTime() - gap) : undefined,
      deliver && ((tx, invitation) => deliver(tx, invited(invitation))),
    );
    if (!created.created) return { status: "refused", reason: "too_soon", nextAllowedAt: new Date(created.lastSentAt.getTime() + gap) };
    return invited(created.invitation);
  }

  /**
   * Records a score (from a button, see parseSurveyAction). One answer per invitation: a double
   * tap records once and the second tap hears "already answered". A recorded low score opens a
   * feedback case; every recorded answer then waits for the customer's "why?".
   */
  async answer(invitationId: string, customerId: string, score: number): Promise<AnswerResult> {
    const customer = await this.customers.findById(customerId);
    const language = customerLanguage(customer?.locale);
    const invitation = await this.surveys.findInvitation(invitationId);
    if (!invitation || !customer) return { status: "not_found", reply: surveyReplies.notFound[language] };
    if (invitation.customerId !== customerId) return { status: "not_yours", reply: surveyReplies.notFound[language] };
    const { min, max } = scales[invitation.kind];
    if (!inScale(invitation.kind, score)) return { status: "out_of_range", min, max, reply: outOfRangeReply(min, max, language) };
    const earlier = await this.surveys.findResponseByInvitation(invitation.id);
    if (earlier) return { status: "already_answered", response: earlier, reply: surveyReplies.alreadyAnswered[language] };

    const now = this.clock.now();
    if (invitation.status === "expired" || now.getTime() >= invitation.expiresAt.getTime()) {
      await this.surveys.markExpired(invitation.id);
      return { status: "expired", invitation: { ...invitation, status: "expired" }, reply: surveyReplies.expired[language] };
    }

    const recorded = await this.surveys.recordResponse({ invitationId: invitation.id, customerId, score, respondedAt: now });
    if (!recorded.created) return { status: "already_answered", response: recorded.response, reply: surveyReplies.alreadyAnswered[language] };
    const { response } = recorded;

    // Only the one call that stored the answer gets here, so none of this happens twice.
    const reasonExpiresAt = new Date(now.getTime() + this.settings.reasonWindowMinutes * 60_000);
    await this.surveys.awaitReason(customerId, { responseId: response.id, invitationId: invitation.id, createdAt: now, expiresAt: reasonExpiresAt });
    let caseId: string | null = null;
    if (isLowScore(invitation.kind, score)) {
      const opened = await this.feedback.open(customerId, "survey", caseSummary(invitation, score, null, []), { surveyResponseId: response.id });
      caseId = opened.id;
    }
    this.events.emit("survey.answered", { invitationId: invitation.id, customerId, kind: invitation.kind, score, at: now });
    await this.runCompletedHook(customerId, invitation.id);
    return {
      status: "recorded",
      invitation: { ...invitation, status: "answered" },
      response,
      reply: surveyReplies.askReason[language],
      caseId,
      reasonExpiresAt,
    };
  }

  /**
   * Stores the free-text "why?" of a response (once). Complaint words open a case even after a
   * good score; a response that already has a case gets the reason added to that case instead.
   */
  async addReason(responseId: string, text: string): Promise<ReasonResult> {
    const reason = truncate(text.trim(), MAX_REASON);
    if (!reason) return { status: "empty" };
    const found = await this.surveys.findResponse(responseId);
    if (!found) return { status: "not_found" };
    const { invitation, ...response } = found;
    const customer = await this.customers.findById(response.customerId);
    const language = customerLanguage(customer?.locale);
    const now = this.clock.now();
    if (!(await this.surveys.setReasonOnce(response.id, reason, now))) {
      return { status: "already_given", reply: surveyReplies.reasonThanks[language] };
    }
    await this.surveys.clearPendingReason(response.customerId, response.id, now);

    const words = complaintWordsIn(reason);
    const summary = caseSummary(invitation, response.score, reason, words);
    const existing = await this.feedback.findBySurveyResponse(response.id);
    let caseId: string | null = existing?.id ?? null;
    let caseOpened = false;
    if (existing) {
      await this.feedback.updateSummary(existing.id, summary);
    } else if (words.length > 0 || isLowScore(invitation.kind, response.score)) {
      const source = words.length > 0 ? "complaint" : "survey";
      caseId = (await this.feedback.open(response.customerId, source, summary, { surveyResponseId: response.id })).id;
      caseOpened = true;
    }
    return {
      status: "recorded",
      response: { ...response, reason, reasonAt: now },
      caseId,
      caseOpened,
      complaintWords: words,
      reply: caseId ? surveyReplies.reasonFollowedUp[language] : surveyReplies.reasonThanks[language],
    };
  }

  /**
   * For the router: when the customer owes a "why?", their message is the reason and this returns
   * its result; otherwise null and the message goes its usual way.
   */
  async takeReason(customerId: string, text: string): Promise<ReasonResult | null> {
    const pending = await this.pendingReasonFor(customerId);
    if (!pending) return null;
    return this.addReason(pending.responseId, text);
  }

  /** The "why?" the customer still owes, if its window is open. */
  pendingReasonFor(customerId: string): Promise<PendingReason | null> {
    return this.surveys.pendingReason(customerId, this.clock.now());
  }

  /** The newest invitation the customer can still answer. */
  openInvitationFor(customerId: string): Promise<SurveyInvitation | null> {
    return this.surveys.openInvitationFor(customerId, this.clock.now());
  }

  /**
   * For channels without buttons: a message that is just a number ("4", "４") answers the
   * customer's open invitation. Null when there is no open invitation or the text is not a number.
   */
  async answerFromText(customerId: string, text: string): Promise<AnswerResult | null> {
    const match = /^\s*(\d{1,2})\s*[.!。！]?\s*$/.exec(text.normalize("NFKC"));
    if (!match?.[1]) return null;
    const open = await this.openInvitationFor(customerId);
    if (!open) return null;
    return this.answer(open.id, customerId, Number(match[1]));
  }

  /** Marks invitations past their answer window expired (for a periodic job); returns how many. */
  expireOverdue(): Promise<number> {
    return this.surveys.expireOverdue(this.clock.now());
  }

  /**
   * Invitations sent in [from, to) per channel and ISO week (UTC), with their answers. Defaults:
   * `now` from the clock, `to` = now, `from` = 28 days before `to`.
   */
  async surveyReport(range: { from?: Date; to?: Date; now?: Date } = {}): Promise<SurveyReport> {
    const now = range.now ?? this.clock.now();
    const to = range.to ?? now;
    const from = range.from ?? new Date(to.getTime() - 28 * DAY);
    const cells = await this.surveys.reportCells(from, to, now);
    return summarizeSurveyCells(cells, { from, to, generatedAt: now });
  }

  private async runCompletedHook(customerId: string, invitationId: string): Promise<void> {
    if (!this.settings.onCompleted) return;
    try {
      await this.settings.onCompleted(customerId, invitationId);
    } catch (error) {
      this.onError("survey.on_completed", error);
    }
  }
}

/** What staff read on the case: the score, where it came from and, once given, the reason. */
function caseSummary(invitation: SurveyInvitation, score: number, reason: string | null, complaintWords: string[]): string {
  const parts = [`${describeScore(invitation.kind, score)} on ${invitation.platform}${invitation.context ? ` (${invitation.context})` : ""}`];
  parts.push(reason === null ? "waiting for the customer's reason" : `reason: "${reason}"`);
  if (complaintWords.length) parts.push(`complaint words: ${complaintWords.join(", ")}`);
  return parts.join(" — ");
}

function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}
