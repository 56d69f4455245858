import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { Customer, CustomerRepository } from "../db/repositories/customer-repository.ts";
import { TendError } from "../errors.ts";
import type { FeedbackService } from "../feedback/feedback-service.ts";
import { intColumnNumber } from "../ingest/column-limits.ts";
import { storableText, unstorableTextReason } from "../ingest/storable-text.ts";
import type { LoyaltyService } from "../loyalty/loyalty-service.ts";
import type { InviteResult } from "../surveys/survey-service.ts";
import { parseRequestBody } from "./validation-reply.ts";

export interface StaffRouteDependencies {
  feedback: FeedbackService;
  customers: CustomerRepository;
  loyalty: LoyaltyService;
  /** Sends a survey invitation on the customer's last-used running channel. */
  inviteToSurvey: (customerId: string, kind: "csat" | "nps") => Promise<InviteResult>;
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
    closedBy: storableText().trim().min(1, "must not be empty").max(200, "must be at most 200 characters").optional(),
  },
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

/** What staff do over the API until the Slack staff tools exist: see open cases, close them, release a handover. */
export function registerStaffRoutes(api: FastifyInstance, { feedback, customers, loyalty, inviteToSurvey }: StaffRouteDependencies): void {
  const customerNamed = (id: string, reply: FastifyReply) => customerOfRoute(customers, id, reply);

  api.get("/cases", async () => ({ cases: await feedback.listOpen() }));

  api.post<{ Params: { id: string } }>("/cases/:id/close", async (request, reply) => {
    if (!caseId.safeParse(request.params.id).success) return reply.code(404).send({ error: "no such case" });
    const parsed = parseRequestBody(closeBody, request.body);
    if (!parsed.ok) return reply.code(422).send(parsed.body);
    try {
      const result = await feedback.close(request.params.id, parsed.value.resolution, parsed.value.closedBy ?? "api");
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
    let result;
    try {
      result = await loyalty.adjust({ customerId: customer.id, ...parsed.value });
    } catch (error) {
      // e.g. a deduction larger than the balance: the customer's points never go below zero.
      if (error instanceof TendError) return reply.code(422).send({ error: error.message });
      throw error;
    }
    return reply.code(result.status === "adjusted" ? 201 : 200).send({ status: result.status, balance: await loyalty.balance(customer.id) });
  });

  api.post<{ Params: { id: string } }>("/customers/:id/surveys", async (request, reply) => {
    const customer = await customerNamed(request.params.id, reply);
    if (!customer) return reply;
    const parsed = parseRequestBody(surveyBody, request.body);
    if (!parsed.ok) return reply.code(422).send(parsed.body);
    try {
      const result = await inviteToSurvey(customer.id, parsed.value.kind);
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
    if (!(await customers.endHandover(customer.id))) {
      return reply.code(409).send({ error: "nothing to release: this customer is not handed over to staff" });
    }
    return { released: true };
  });
}
