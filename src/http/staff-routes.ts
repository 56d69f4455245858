import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { CustomerCards } from "../customers/customer-card.ts";
import type { CustomerService } from "../customers/customer-service.ts";
import type { Customer, CustomerRepository } from "../db/repositories/customer-repository.ts";
import { TendError } from "../errors.ts";
import type { FeedbackService } from "../feedback/feedback-service.ts";
import { intColumnNumber } from "../ingest/column-limits.ts";
import { storableText, unstorableTextReason } from "../ingest/storable-text.ts";
import type { LoyaltyService } from "../loyalty/loyalty-service.ts";
import type { StaffService } from "../staff/staff-service.ts";
import type { InviteResult } from "../surveys/survey-service.ts";
import { actorOf } from "./staff-actor.ts";
import { parseRequestBody, validationFailed } from "./validation-reply.ts";

export interface StaffRouteDependencies {
  feedback: FeedbackService;
  /** Finds the customer a `:id` names. */
  customers: Pick<CustomerRepository, "findByIdOrExternalId">;
  loyalty: LoyaltyService;
  /** Every change to a customer, audited with the caller's actor. */
  customerService: CustomerService;
  /** The audit (GET /api/audit) and audit entries for actions outside the customer service. */
  staff: StaffService;
  /** GET /api/customers/:id/card and GET /api/customers?q=. */
  cards: CustomerCards;
  /** Sends a survey invitation on the customer's last-used running channel. */
  inviteToSurvey: (customerId: string, kind: "csat" | "nps") => Promise<InviteResult>;
}

/** The staff routes' dependencies, taken from the built services (src/app.ts and the tests wire them the same way). */
export function staffRouteDependencies(
  services: Pick<StaffRouteDependencies, "feedback" | "customers" | "loyalty" | "customerService" | "staff" | "cards">,
  inviteToSurvey: StaffRouteDependencies["inviteToSurvey"],
): StaffRouteDependencies {
  const { feedback, customers, loyalty, customerService, staff, cards } = services;
  return { feedback, customers, loyalty, customerService, staff, cards, inviteToSurvey };
}

const objectBody = { error: "must be a JSON object" };

const surveyBody = z.object(
  { kind: z.enum(["csat", "nps"], { error: (issue) => (issue.input === undefined ? 'is required: "csat" or "nps"' : 'must be "csat" or "nps"') }) },
  objectBody,
);

const adjustBody = z.object(
  {
    // The ledger's points column is a 32-bit Int: anything larger would fail in the database.
    points: intColumnNumber("a whole number of points").refine((n) => n !== 0, "must not be 0"),
    reason: storableText().trim().min(1, "is required: adjustments must say why").max(500, "must be at most 500 characters"),
    /** Sent again with the same key, the adjustment is booked once. */
    idempotencyKey: storableText().trim().min(1, "must not be empty").max(200, "must be at most 200 characters").optional(),
  },
  objectBody,
);

const closeBody = z.object(
  {
    resolution: storableText().trim().min(1, "is required: say what was done").max(2000, "must be at most 2000 characters"),
    /**
     * Accepted for compatibility and ignored for the case: the case records the API key's name
     * (the caller's actor). The audit keeps what was sent, as `requestedBy`.
     */
    closedBy: storableText().trim().min(1, "must not be empty").max(200, "must be at most 200 characters").optional(),
  },
  objectBody,
);

const noteBody = z.object(
  { text: storableText().trim().min(1, "is required: the note's text").max(4000, "must be at most 4000 characters") },
  objectBody,
);

const caseId = z.uuid();

/** Longest external id the ingest schemas accept; anything longer names no customer. */
const MAX_EXTERNAL_ID = 200;

const statusFor: Record<string, number> = {
  FEEDBACK_CASE_NOT_FOUND: 404,
  FEEDBACK_CASE_ALREADY_CLOSED: 409,
  FEEDBACK_RESOLUTION_REQUIRED: 422,
};

/**
 * The customer a `:id` names: Tend's id or the business's external id, as `tend customer show`
 * takes them; undefined after answering 404. Text the database could not hold names nobody, so it is a 404, not a 500.
 */
export async function customerOfRoute(customers: Pick<CustomerRepository, "findByIdOrExternalId">, id: string, reply: FastifyReply): Promise<Customer | undefined> {
  const customer = id.length <= MAX_EXTERNAL_ID && !unstorableTextReason(id) ? await customers.findByIdOrExternalId(id) : null;
  if (customer) return customer;
  reply.code(404).send({ error: "no such customer: use Tend's customer id or your external id" });
  return undefined;
}

/**
 * What staff do over the API: look customers up and read their card, see and close cases, adjust
 * points, invite to surveys, take over and release conversations, write notes, read the audit.
 * Every route acts as the caller's API key (`actorOf`), and every change is audited with it.
 */
export function registerStaffRoutes(api: FastifyInstance, deps: StaffRouteDependencies): void {
  const { feedback, customers, loyalty, inviteToSurvey, customerService, staff, cards } = deps;
  const customerNamed = (id: string, reply: FastifyReply) => customerOfRoute(customers, id, reply);

  api.get("/cases", async () => ({ cases: await feedback.listOpen() }));

  api.post<{ Params: { id: string } }>("/cases/:id/close", async (request, reply) => {
    if (!caseId.safeParse(request.params.id).success) return reply.code(404).send({ error: "no such case" });
    const parsed = parseRequestBody(closeBody, request.body);
    if (!parsed.ok) return reply.code(422).send(parsed.body);
    try {
      const actor = actorOf(request);
      let result;
      try {
        result = await feedback.close(request.params.id, parsed.value.resolution, actor.name);
      } catch (error) {
        await staff.audit(actor, "case.close", { target: request.params.id, outcome: error instanceof TendError ? "refused" : "failed", detail: { reason: error instanceof Error ? error.message : String(error) } });
        throw error;
      }
      await staff.audit(actor, "case.close", {
        customerId: result.case.customerId,
        target: result.case.id,
        after: { status: "closed", followUpQueued: result.followUpQueued },
        ...(parsed.value.closedBy ? { detail: { requestedBy: parsed.value.closedBy } } : {}),
      });
      // The follow-up is queued with the case; the case's customerNotifiedAt is set once it was delivered.
      return { case: result.case, followUpQueued: result.followUpQueued, ...(result.notQueuedBecause ? { followUpNotQueued: result.notQueuedBecause } : {}) };
    } catch (error) {
      if (error instanceof TendError && statusFor[error.code]) return reply.code(statusFor[error.code]!).send({ error: error.message });
      throw error;
    }
  });

  api.get<{ Params: { id: string } }>("/customers/:id/loyalty", async (request, reply) => {
    const customer = await customerNamed(request.params.id, reply);
    if (!customer) return reply;
    return loyalty.summary(customer.id);
  });

  api.post<{ Params: { id: string } }>("/customers/:id/points", async (request, reply) => {
    const customer = await customerNamed(request.params.id, reply);
    if (!customer) return reply;
    const parsed = parseRequestBody(adjustBody, request.body);
    if (!parsed.ok) return reply.code(422).send(parsed.body);
    let adjusted;
    try {
      // Through the customer service: booked by the loyalty service, audited with the balance before and after.
      adjusted = await customerService.adjustPoints(customer.id, actorOf(request), parsed.value);
    } catch (error) {
      // e.g. a deduction larger than the balance: the customer's points never go below zero.
      if (error instanceof TendError) return reply.code(422).send({ error: error.message });
      throw error;
    }
    return reply.code(adjusted.result.status === "adjusted" ? 201 : 200).send({ status: adjusted.result.status, balance: adjusted.after });
  });

  api.post<{ Params: { id: string } }>("/customers/:id/surveys", async (request, reply) => {
    const customer = await customerNamed(request.params.id, reply);
    if (!customer) return reply;
    const parsed = parseRequestBody(surveyBody, request.body);
    if (!parsed.ok) return reply.code(422).send(parsed.body);
    try {
      const result = await inviteToSurvey(customer.id, parsed.value.kind);
      await staff.audit(actorOf(request), "survey.invite", {
        customerId: customer.id,
        target: parsed.value.kind,
        outcome: result.status === "refused" ? "refused" : "ok",
        detail: result.status === "refused" ? { reason: result.reason } : { invitationId: result.invitation.id },
      });
      if (result.status === "refused") {
        return reply.code(409).send({ error: `not invited: ${result.reason}`, reason: result.reason, nextAllowedAt: result.nextAllowedAt });
      }
      return reply.code(201).send({ invitationId: result.invitation.id, platform: result.invitation.platform, expiresAt: result.invitation.expiresAt });
    } catch (error) {
      if (error instanceof TendError && error.code === "CUSTOMER_UNREACHABLE") return reply.code(409).send({ error: error.message, reason: "unreachable" });
      throw error;
    }
  });

  api.post<{ Params: { id: string } }>("/customers/:id/release", async (request, reply) => {
    const customer = await customerNamed(request.params.id, reply);
    if (!customer) return reply;
    // Conditional, so two staff releasing at once get one 200 and one 409.
    const result = await customerService.release(customer.id, actorOf(request));
    if (result.status === "released") return { released: true, customerNotified: result.customerNotified };
    if (result.status === "not_found") return reply.code(404).send({ error: "no such customer: use Tend's customer id or your external id" });
    return reply.code(409).send({ error: "nothing to release: this customer is not handed over to staff" });
  });

  api.post<{ Params: { id: string }; Querystring: { force?: string } }>("/customers/:id/take-over", async (request, reply) => {
    const customer = await customerNamed(request.params.id, reply);
    if (!customer) return reply;
    // One conditional update decides between two staff at once: one 200, the other 409 naming the holder.
    const result = await customerService.takeOver(customer.id, actorOf(request), { force: request.query.force === "true" });
    switch (result.status) {
      case "taken":
        return { takenOver: true, handover: result.handover, customerNotified: result.customerNotified };
      case "already_yours":
        return { takenOver: true, handover: result.handover, customerNotified: false };
      case "held_by_other":
        return reply.code(409).send({ error: `${result.handover.heldBy?.name ?? "someone else"} has this conversation; add ?force=true to take it over`, handover: result.handover });
      default:
        return reply.code(404).send({ error: "no such customer (or their data was erased)" });
    }
  });

  api.post<{ Params: { id: string } }>("/customers/:id/notes", async (request, reply) => {
    const customer = await customerNamed(request.params.id, reply);
    if (!customer) return reply;
    const parsed = parseRequestBody(noteBody, request.body);
    if (!parsed.ok) return reply.code(422).send(parsed.body);
    const note = await customerService.addNote(customer.id, actorOf(request), parsed.value.text);
    return reply.code(201).send({ id: note.id, at: note.occurredAt });
  });

  api.get<{ Params: { id: string }; Querystring: { recent?: string } }>("/customers/:id/card", async (request, reply) => {
    const recent = request.query.recent === undefined ? 10 : Number(request.query.recent);
    if (!Number.isInteger(recent) || recent < 0 || recent > 1000) return reply.code(422).send(validationFailed([{ path: "recent", message: "must be a whole number from 0 to 1000" }]));
    const customer = await customerNamed(request.params.id, reply);
    if (!customer) return reply;
    const card = await cards.card(customer.id, { recent });
    if (!card) return reply.code(404).send({ error: "no such customer: use Tend's customer id or your external id" });
    await staff.audit(actorOf(request), "customer.view_card", { customerId: customer.id });
    return card;
  });

  api.get<{ Querystring: { q?: string; limit?: string } }>("/customers", async (request, reply) => {
    const q = request.query.q?.trim() ?? "";
    const limit = request.query.limit === undefined ? 10 : Number(request.query.limit);
    const errors = [
      ...(q ? [] : [{ path: "q", message: "is required: a name, platform user id or handle, customer id, external id or order id" }]),
      ...(Number.isInteger(limit) && limit >= 1 && limit <= 100 ? [] : [{ path: "limit", message: "must be a whole number from 1 to 100" }]),
    ];
    if (errors.length) return reply.code(422).send(validationFailed(errors));
    return { customers: await cards.findCustomers(q, limit) };
  });

  api.get<{ Querystring: { customer?: string; since?: string; actor?: string; action?: string; limit?: string } }>("/audit", async (request, reply) => {
    const { customer, since, actor, action } = request.query;
    const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
    const sinceDate = since === undefined ? undefined : new Date(since);
    const errors = [
      ...(sinceDate === undefined || !Number.isNaN(sinceDate.getTime()) ? [] : [{ path: "since", message: "must be a date or an ISO time, e.g. 2026-12-01 or 2026-12-01T08:00:00Z" }]),
      ...(Number.isInteger(limit) && limit >= 1 && limit <= 1000 ? [] : [{ path: "limit", message: "must be a whole number from 1 to 1000" }]),
    ];
    if (errors.length) return reply.code(422).send(validationFailed(errors));
    // A customer is named as everywhere else (Tend's id or the external id); an unknown one has no entries.
    let customerId: string | undefined;
    if (customer !== undefined) {
      const found = customer.length <= MAX_EXTERNAL_ID && !unstorableTextReason(customer) ? await customers.findByIdOrExternalId(customer) : null;
      customerId = found?.id ?? customer;
    }
    return { entries: await staff.auditLog({ customerId, since: sinceDate, actorId: actor, action, limit }) };
  });
}
