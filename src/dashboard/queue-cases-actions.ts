import type { PrismaClient } from "../db/generated/client.ts";
import { StaffAlertRepository } from "../db/repositories/staff-alert-repository.ts";
import { TendError } from "../errors.ts";
import type { FeedbackService } from "../feedback/feedback-service.ts";
import type { Actor } from "../staff/actor.ts";
import type { StaffAlerts } from "../staff/alerts.ts";
import type { StaffService } from "../staff/staff-service.ts";

export interface CaseActionDependencies {
  prisma: PrismaClient;
  feedback: FeedbackService;
  staff: Pick<StaffService, "audit">;
  /** The staff alerts (src/staff/alerts.ts): a case with an alert is claimed and resolved through it, as the Slack buttons do. */
  alerts: Pick<StaffAlerts, "claim" | "resolve">;
}

/** What a board action came to: a message code for the page, and a name or count to go with it. */
export interface CaseActionOutcome {
  ok: boolean;
  code: string;
  detail?: string | undefined;
}

const MAX_RESOLUTION = 2000;

/**
 * Claims a case for the signed-in staff member. A case with a staff alert is claimed through the
 * alert (one conditional update: of two at once, one wins; a handover claim takes the conversation
 * over; the alert in Slack shows the claimer), as Slack's Claim button does; it audits itself. A case
 * without one (alerts off, or opened by staff) is assigned through the feedback service and audited here.
 */
export async function claimCase(deps: CaseActionDependencies, caseId: string, actor: Actor): Promise<CaseActionOutcome> {
  const found = await deps.feedback.get(caseId);
  if (!found) {
    await deps.staff.audit(actor, "case.claim", { target: caseId, outcome: "failed", detail: { reason: "no such case" } });
    return { ok: false, code: "not_found" };
  }
  const alert = await new StaffAlertRepository(deps.prisma).findByCase(found.id);
  if (alert) {
    const result = await deps.alerts.claim(alert.id, actor);
    switch (result.status) {
      case "claimed":
        return { ok: true, code: "claimed" };
      case "already_claimed":
        return result.by.id === actor.id ? { ok: true, code: "already_yours" } : { ok: false, code: "already_claimed", detail: result.by.name };
      case "resolved":
        return { ok: false, code: "already_resolved", detail: result.by?.name ?? "" };
      default:
        return { ok: false, code: "not_found" };
    }
  }
  const refuse = async (reason: string) =>
    deps.staff.audit(actor, "case.claim", { customerId: found.customerId, target: found.id, outcome: "refused", detail: { reason } });
  // One conditional update (open and unclaimed): of two staff claiming at once, exactly one wins.
  const result = await deps.feedback.claim(found.id, actor.name);
  switch (result.status) {
    case "claimed":
      await deps.staff.audit(actor, "case.claim", { customerId: found.customerId, target: found.id, after: { claimedBy: actor.name } });
      return { ok: true, code: "claimed" };
    case "already_yours":
      return { ok: true, code: "already_yours" };
    case "claimed_by_other":
      await refuse(`claimed by ${result.case.assignee}`);
      return { ok: false, code: "already_claimed", detail: result.case.assignee ?? "" };
    case "closed":
      await refuse("resolved");
      return { ok: false, code: "already_resolved", detail: result.case.closedBy ?? "" };
    default:
      await deps.staff.audit(actor, "case.claim", { target: caseId, outcome: "failed", detail: { reason: "no such case" } });
      return { ok: false, code: "not_found" };
  }
}

/**
 * Resolves a case: closes it with the resolution (the feedback service queues the customer's
 * follow-up to their own channel through the outbox), through its alert when it has one (so Slack's
 * alert shows who resolved it, as its Resolve button does), audited as `case.close` either way.
 */
export async function resolveCase(deps: CaseActionDependencies, caseId: string, actor: Actor, text: string): Promise<CaseActionOutcome> {
  const resolution = text.trim();
  if (!resolution || resolution.length > MAX_RESOLUTION) return { ok: false, code: "resolution_required" };
  const found = await deps.feedback.get(caseId);
  if (!found) {
    await deps.staff.audit(actor, "case.close", { target: caseId, outcome: "failed", detail: { reason: "no such case" } });
    return { ok: false, code: "not_found" };
  }
  const alert = await new StaffAlertRepository(deps.prisma).findByCase(found.id);
  if (alert) {
    let result;
    try {
      result = await deps.alerts.resolve(alert.id, actor, resolution);
    } catch (error) {
      // The alerts audited the refusal; an unexpected error is the server's.
      if (error instanceof TendError) return { ok: false, code: "refused", detail: error.message };
      throw error;
    }
    switch (result.status) {
      case "resolved":
        return result.followUpQueued ? { ok: true, code: "resolved" } : { ok: true, code: "resolved_no_followup", detail: result.notQueuedBecause };
      case "already_resolved":
        return { ok: false, code: "already_resolved", detail: result.by?.name ?? "" };
      default:
        return { ok: false, code: "not_found" };
    }
  }
  let closed;
  try {
    closed = await deps.feedback.close(found.id, resolution, actor.name);
  } catch (error) {
    const refused = error instanceof TendError;
    await deps.staff.audit(actor, "case.close", {
      customerId: found.customerId,
      target: found.id,
      outcome: refused ? "refused" : "failed",
      detail: { reason: error instanceof Error ? error.message : String(error) },
    });
    if (refused && error.code === "FEEDBACK_CASE_ALREADY_CLOSED") {
      const now = await deps.feedback.get(found.id);
      return { ok: false, code: "already_resolved", detail: now?.closedBy ?? "" };
    }
    if (refused) return { ok: false, code: "refused", detail: error.message };
    throw error;
  }
  // As the API's case close audits it (src/http/staff-routes.ts).
  await deps.staff.audit(actor, "case.close", {
    customerId: found.customerId,
    target: found.id,
    after: { status: "closed", followUpQueued: closed.followUpQueued },
    detail: { resolutionLength: resolution.length },
  });
  return closed.followUpQueued ? { ok: true, code: "resolved" } : { ok: true, code: "resolved_no_followup", detail: closed.notQueuedBecause };
}
