import { randomUUID } from "node:crypto";
import type { Clock } from "../core/clock.ts";
import { type AlertReason, type AlertView, type StaffPerson, isAlertReason, isTakeoverReason } from "../core/staff-notifier.ts";
import type { Prisma, PrismaClient } from "../db/generated/client.ts";
import { type OutboxRepository, enqueue } from "../db/repositories/outbox-repository.ts";
import { type StaffAlert, StaffAlertRepository } from "../db/repositories/staff-alert-repository.ts";
import { TendError } from "../errors.ts";
import type { CustomerCard, CustomerCards } from "../customers/customer-card.ts";
import type { CustomerService } from "../customers/customer-service.ts";
import type { FeedbackCase, FeedbackService, OpenCaseOptions } from "../feedback/feedback-service.ts";
import type { Actor } from "./actor.ts";
import type { StaffService } from "./staff-service.ts";
import { staffDraft } from "./staff-notifier.ts";

/**
 * Who counts as a high-value customer, whose message Tend did not understand is worth a person's
 * look: one of these loyalty tiers, or one of these RFM segments at the last analytics refresh.
 */
export interface HighValueSettings {
  tiers: readonly string[];
  segments: readonly string[];
}

export interface StaffAlertsOptions {
  prisma: PrismaClient;
  feedback: FeedbackService;
  customers: CustomerService;
  cards: CustomerCards;
  staff: StaffService;
  outbox: OutboxRepository;
  clock: Clock;
  highValue: HighValueSettings;
}

export type ClaimResult =
  | { status: "claimed"; alert: StaffAlert }
  /** Someone had it first (or it was yours already: `by` is you). */
  | { status: "already_claimed"; by: StaffPerson; alert: StaffAlert }
  | { status: "resolved"; by: StaffPerson | null; alert: StaffAlert }
  | { status: "not_found" };

export type ResolveResult =
  | { status: "resolved"; alert: StaffAlert; followUpQueued: boolean; notQueuedBecause?: string | undefined }
  | { status: "already_resolved"; by: StaffPerson | null; alert: StaffAlert }
  /** A takeover thread has no case to close: Release ends it. */
  | { status: "no_case"; alert: StaffAlert }
  | { status: "not_found" };

/**
 * Staff alerts with the closed loop (issue 10): a poor CSAT or NPS, complaint words, a high-value
 * customer Tend did not understand, or a request for a person each open a feedback case, and the
 * alert is written with the case, in its transaction, as a staff outbox row, so none is lost while
 * Slack is down. Claim is one conditional update (two people at once: one wins, the other hears
 * who); Resolve closes the case through the feedback service, whose follow-up goes to the
 * customer's own channel through the outbox. Every claim and resolution is audited.
 */
export class StaffAlerts {
  private readonly alerts: StaffAlertRepository;

  constructor(private readonly options: StaffAlertsOptions) {
    this.alerts = new StaffAlertRepository(options.prisma);
  }

  /** FeedbackService's case-opened hook: the alert, in the case's transaction. */
  readonly caseOpened = async (tx: Prisma.TransactionClient, opened: FeedbackCase, options: OpenCaseOptions): Promise<boolean> => {
    const reason = options.alert && isAlertReason(options.alert) ? options.alert : await reasonOf(tx, opened);
    if (!reason) return false;
    const alert = await new StaffAlertRepository(tx).create({ customerId: opened.customerId, caseId: opened.id, reason, at: opened.openedAt });
    await enqueue(tx, [staffDraft(opened.customerId, { notice: "alert", alertId: alert.id }, alertHeadline(reason, opened.summary), `staff_alert:${alert.id}`, opened.openedAt)]);
    return true;
  };

  /**
   * A message Tend did not understand: from a high-value customer without an open case, it opens
   * one (source "staff": for staff to answer) and so alerts staff. Returns whether it did.
   */
  async unrecognised(customerId: string, text: string): Promise<boolean> {
    if (!(await this.isHighValue(customerId))) return false;
    const open = await this.options.feedback.listByCustomer(customerId, 20);
    if (open.some((c) => c.status === "open")) return false;
    await this.options.feedback.open(customerId, "staff", `A high-value customer wrote something Tend did not understand: "${text}"`, { alert: "high_value" });
    return true;
  }

  async isHighValue(customerId: string): Promise<boolean> {
    const { tiers, segments } = this.options.highValue;
    if (segments.length) {
      const score = await this.options.prisma.customerScore.findUnique({ where: { customerId }, select: { rfmSegment: true } });
      if (score?.rfmSegment && segments.includes(score.rfmSegment)) return true;
    }
    if (!tiers.length) return false;
    const card = await this.options.cards.card(customerId, { recent: 0 });
    return card !== null && tiers.some((tier) => tier.toLowerCase() === card.loyalty.tier.toLowerCase());
  }

  /**
   * Claims an alert. For a handover (the customer asked for a person) claiming is taking the
   * conversation over, through the customer service: the claimer is then the one staff member
   * who speaks to the customer from the thread.
   */
  async claim(alertId: string, actor: Actor): Promise<ClaimResult> {
    const at = this.options.clock.now();
    const alert = await this.alerts.findById(alertId);
    if (!alert) {
      await this.options.staff.audit(actor, "case.claim", { target: alertId, outcome: "failed", detail: { reason: "no such alert" }, at });
      return { status: "not_found" };
    }
    const me = { id: actor.id, name: actor.name };
    if (alert.resolvedAt) {
      await this.options.staff.audit(actor, "case.claim", { customerId: alert.customerId, target: alert.caseId ?? alert.id, outcome: "refused", detail: { reason: "resolved" }, at });
      return { status: "resolved", by: resolverOf(alert), alert };
    }
    if (isTakeoverReason(alert.reason)) {
      // The customer service decides (one conditional update) and audits the takeover itself.
      const taken = await this.options.customers.takeOver(alert.customerId, actor);
      if (taken.status === "not_found") return { status: "not_found" };
      if (taken.status === "held_by_other") {
        const holder = taken.handover.heldBy;
        const by = holder ? { id: holder.actorId, name: holder.name } : { id: "", name: "someone else" };
        return { status: "already_claimed", by, alert };
      }
      if (taken.status === "already_yours") return { status: "already_claimed", by: me, alert };
      await this.alerts.setClaimed(alert.id, me, at);
      if (alert.caseId) await this.options.feedback.assign(alert.caseId, actor.name).catch(() => undefined);
      await this.queueUpdate(alert);
      return { status: "claimed", alert: (await this.alerts.findById(alert.id))! };
    }
    if (!(await this.alerts.claim(alert.id, me, at))) {
      const now = (await this.alerts.findById(alert.id))!;
      await this.options.staff.audit(actor, "case.claim", {
        customerId: alert.customerId,
        target: alert.caseId ?? alert.id,
        outcome: "refused",
        detail: { reason: now.resolvedAt ? "resolved" : `claimed by ${now.claimedByName}` },
        at,
      });
      if (now.resolvedAt) return { status: "resolved", by: resolverOf(now), alert: now };
      return { status: "already_claimed", by: claimerOf(now)!, alert: now };
    }
    if (alert.caseId) await this.options.feedback.assign(alert.caseId, actor.name).catch(() => undefined);
    await this.options.staff.audit(actor, "case.claim", { customerId: alert.customerId, target: alert.caseId ?? alert.id, after: { claimedBy: actor.name }, at });
    await this.queueUpdate(alert);
    return { status: "claimed", alert: (await this.alerts.findById(alert.id))! };
  }

  /**
   * Resolves an alert: closes its case with the resolution (the feedback service queues the
   * customer's follow-up to their own channel) and shows who resolved it. Twice: once.
   */
  async resolve(alertId: string, actor: Actor, resolution: string): Promise<ResolveResult> {
    const at = this.options.clock.now();
    const alert = await this.alerts.findById(alertId);
    if (!alert) {
      await this.options.staff.audit(actor, "case.close", { target: alertId, outcome: "failed", detail: { reason: "no such alert" }, at });
      return { status: "not_found" };
    }
    if (!alert.caseId) return { status: "no_case", alert };
    if (alert.resolvedAt) {
      await this.options.staff.audit(actor, "case.close", { customerId: alert.customerId, target: alert.caseId, outcome: "refused", detail: { reason: "already resolved" }, at });
      return { status: "already_resolved", by: resolverOf(alert), alert };
    }
    let closed;
    try {
      closed = await this.options.feedback.close(alert.caseId, resolution, actor.name);
    } catch (error) {
      if (error instanceof TendError && error.code === "FEEDBACK_CASE_ALREADY_CLOSED") {
        // Closed elsewhere (the HTTP API, or a resolution whose alert update was cut off): the alert says so too.
        const existing = await this.options.feedback.get(alert.caseId);
        const by = { id: "", name: existing?.closedBy ?? "someone" };
        await this.alerts.resolve(alert.id, by, existing?.closedAt ?? at);
        await this.queueUpdate(alert);
        await this.options.staff.audit(actor, "case.close", { customerId: alert.customerId, target: alert.caseId, outcome: "refused", detail: { reason: "already closed" }, at });
        return { status: "already_resolved", by, alert: (await this.alerts.findById(alert.id))! };
      }
      await this.options.staff.audit(actor, "case.close", {
        customerId: alert.customerId,
        target: alert.caseId,
        outcome: error instanceof TendError ? "refused" : "failed",
        detail: { reason: error instanceof TendError ? error.message : "internal error" },
        at,
      });
      throw error;
    }
    await this.alerts.resolve(alert.id, { id: actor.id, name: actor.name }, at);
    await this.options.staff.audit(actor, "case.close", {
      customerId: alert.customerId,
      target: alert.caseId,
      after: { status: "closed", followUpQueued: closed.followUpQueued },
      detail: { resolutionLength: resolution.trim().length },
      at,
    });
    await this.queueUpdate(alert);
    return { status: "resolved", alert: (await this.alerts.findById(alert.id))!, followUpQueued: closed.followUpQueued, notQueuedBecause: closed.notQueuedBecause };
  }

  find(alertId: string): Promise<StaffAlert | null> {
    return this.alerts.findById(alertId);
  }

  /** The alert as the staff app shows it now. */
  async view(alert: StaffAlert): Promise<AlertView> {
    const [card, theCase] = await Promise.all([
      this.options.cards.card(alert.customerId, { recent: 0 }),
      alert.caseId ? this.options.feedback.get(alert.caseId) : Promise.resolve(null),
    ]);
    return {
      alertId: alert.id,
      reason: isAlertReason(alert.reason) ? alert.reason : "complaint",
      customerId: alert.customerId,
      customerName: card?.profile.displayName ?? null,
      summary: theCase?.summary ?? null,
      caseId: alert.caseId,
      caseOpen: theCase?.status === "open",
      claimedBy: claimerOf(alert),
      resolvedBy: resolverOf(alert),
      resolution: theCase?.resolution ?? null,
      released: alert.releasedAt !== null,
      card: card ? cardLines(card) : [],
    };
  }

  /** Queues the alert's new look (a staff row: it waits out a Slack outage like the alert did). */
  async queueUpdate(alert: StaffAlert, db: PrismaClient | Prisma.TransactionClient = this.options.prisma): Promise<void> {
    const draft = staffDraft(alert.customerId, { notice: "alert_update", alertId: alert.id }, "alert update", `staff_alert_update:${alert.id}:${randomUUID()}`, this.options.clock.now());
    await enqueue(db, [draft]);
    if (db === this.options.prisma) this.options.outbox.queued();
  }
}

/** Why a case alerts staff, from how it was opened; null for one staff opened themselves. */
async function reasonOf(tx: Prisma.TransactionClient, opened: FeedbackCase): Promise<AlertReason | null> {
  switch (opened.source) {
    case "complaint":
      return "complaint";
    case "handover":
      return "handover";
    case "survey": {
      if (!opened.surveyResponseId) return "csat_low";
      const response = await tx.surveyResponse.findUnique({ where: { id: opened.surveyResponseId }, select: { invitation: { select: { kind: true } } } });
      return response?.invitation.kind === "nps" ? "nps_low" : "csat_low";
    }
    default:
      return null;
  }
}

const headlines: Record<AlertReason, string> = {
  csat_low: "Poor CSAT",
  nps_low: "Poor NPS",
  complaint: "Complaint",
  high_value: "High-value customer not understood",
  handover: "Customer asks for a person",
  takeover: "Conversation taken over",
};

/** One line for the alert's plain text (notifications, the outbox listing). */
export function alertHeadline(reason: AlertReason, summary: string | null): string {
  return summary ? `${headlines[reason]}: ${summary}` : headlines[reason];
}

export function alertTitle(reason: AlertReason): string {
  return headlines[reason];
}

function claimerOf(alert: StaffAlert): StaffPerson | null {
  return alert.claimedById ? { id: alert.claimedById, name: alert.claimedByName ?? alert.claimedById } : null;
}

function resolverOf(alert: StaffAlert): StaffPerson | null {
  return alert.resolvedAt ? { id: alert.resolvedById ?? "", name: alert.resolvedByName ?? "someone" } : null;
}

/** The card's essentials, one fact a line, for a takeover thread (the full card is `/tend customer`). */
export function cardLines(card: CustomerCard): string[] {
  const lines = [
    `Customer: ${card.profile.displayName ?? "(no name)"}${card.externalId ? ` (${card.externalId})` : ""} · ${card.profile.locale}`,
    `Channels: ${card.channels.map((c) => c.platform).join(", ") || "none"}`,
    `Tier: ${card.loyalty.tier}, ${card.loyalty.balance} points · orders: ${card.orders.count} (${card.orders.total})`,
  ];
  if (card.scores) lines.push(`Segment: ${card.scores.rfm.segment ?? "none"} · stage: ${card.scores.lifecycleStage} · CLV: ${card.scores.historicClv} to date, ${card.scores.predictedClv ?? "no"} predicted`);
  const csat = card.surveys.lastCsat;
  const nps = card.surveys.lastNps;
  if (csat || nps) lines.push(`Last CSAT: ${csat ? csat.score : "none"} · last NPS: ${nps ? nps.score : "none"}`);
  if (card.openCases.length) lines.push(`Open cases: ${card.openCases.length}`);
  if (card.outreach.paused) lines.push(`Outreach paused until ${card.outreach.pausedUntil?.toISOString().slice(0, 10)}`);
  return lines;
}
