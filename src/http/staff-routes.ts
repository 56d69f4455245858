import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { CustomerRepository } from "../db/repositories/customer-repository.ts";
import { TendError } from "../errors.ts";
import type { FeedbackService } from "../feedback/feedback-service.ts";
import type { LoyaltyService } from "../loyalty/loyalty-service.ts";
import type { InviteResult } from "../surveys/survey-service.ts";

export interface StaffRouteDependencies {
  feedback: FeedbackService;
  customers: CustomerRepository;
  loyalty: LoyaltyService;
  /** Sends a survey invitation on the customer's last-used running channel. */
  inviteToSurvey: (customerId: string, kind: "csat" | "nps") => Promise<InviteResult>;
}

const surveyBody = z.object({ kind: z.enum(["csat", "nps"]) });

const adjustBody = z.object({
  points: z.number().int().refine((n) => n !== 0, "points must not be 0"),
  reason: z.string().trim().min(1, "reason is required: adjustments must say why").max(500),
  /** Sent again with the same key, the adjustment is booked once. */
  idempotencyKey: z.string().trim().min(1).max(200).optional(),
});

const closeBody = z.object({
  resolution: z.string().trim().min(1, "resolution is required: say what was done").max(2000),
  closedBy: z.string().trim().min(1).max(200).optional(),
});

const caseOrCustomerId = z.uuid();

const statusFor: Record<string, number> = {
  FEEDBACK_CASE_NOT_FOUND: 404,
  FEEDBACK_CASE_ALREADY_CLOSED: 409,
  FEEDBACK_RESOLUTION_REQUIRED: 422,
};

/** What staff do over the API until the Slack staff tools exist: see open cases, close them, release a handover. */
export function registerStaffRoutes(api: FastifyInstance, { feedback, customers, loyalty, inviteToSurvey }: StaffRouteDependencies): void {
  api.get("/cases", async () => ({ cases: await feedback.listOpen() }));

  api.post<{ Params: { id: string } }>("/cases/:id/close", async (request, reply) => {
    if (!caseOrCustomerId.safeParse(request.params.id).success) return reply.code(404).send({ error: "no such case" });
    const parsed = closeBody.safeParse(request.body ?? {});
    if (!parsed.success) {
      return reply.code(422).send({ error: parsed.error.issues.map((i) => i.message).join("; ") });
    }
    try {
      const result = await feedback.close(request.params.id, parsed.data.resolution, parsed.data.closedBy ?? "api");
      return { case: result.case, customerNotified: result.notified };
    } catch (error) {
      if (error instanceof TendError && statusFor[error.code]) return reply.code(statusFor[error.code]!).send({ error: error.message });
      throw error;
    }
  });

  api.get<{ Params: { id: string } }>("/customers/:id/loyalty", async (request, reply) => {
    const customer = caseOrCustomerId.safeParse(request.params.id).success ? await customers.findById(request.params.id) : null;
    if (!customer) return reply.code(404).send({ error: "no such customer" });
    return loyalty.summary(customer.id);
  });

  api.post<{ Params: { id: string } }>("/customers/:id/points", async (request, reply) => {
    const customer = caseOrCustomerId.safeParse(request.params.id).success ? await customers.findById(request.params.id) : null;
    if (!customer) return reply.code(404).send({ error: "no such customer" });
    const parsed = adjustBody.safeParse(request.body ?? {});
    if (!parsed.success) return reply.code(422).send({ error: parsed.error.issues.map((i) => i.message).join("; ") });
    let result;
    try {
      result = await loyalty.adjust({ customerId: customer.id, ...parsed.data });
    } catch (error) {
      // e.g. a deduction larger than the balance: the customer's points never go below zero.
      if (error instanceof TendError) return reply.code(422).send({ error: error.message });
      throw error;
    }
    return reply.code(result.status === "adjusted" ? 201 : 200).send({ status: result.status, balance: await loyalty.balance(customer.id) });
  });

  api.post<{ Params: { id: string } }>("/customers/:id/surveys", async (request, reply) => {
    const customer = caseOrCustomerId.safeParse(request.params.id).success ? await customers.findById(request.params.id) : null;
    if (!customer) return reply.code(404).send({ error: "no such customer" });
    const parsed = surveyBody.safeParse(request.body ?? {});
    if (!parsed.success) return reply.code(422).send({ error: 'kind must be "csat" or "nps"' });
    try {
      const result = await inviteToSurvey(customer.id, parsed.data.kind);
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
    const customer = caseOrCustomerId.safeParse(request.params.id).success ? await customers.findById(request.params.id) : null;
    if (!customer) return reply.code(404).send({ error: "no such customer" });
    await customers.update(customer.id, { handedOverAt: null });
    return { released: true };
  });
}
