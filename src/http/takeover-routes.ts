import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { CustomerService } from "../customers/customer-service.ts";
import { storableText } from "../ingest/storable-text.ts";
import { MAX_REPLY_LENGTH, type Takeover } from "../staff/takeover.ts";
import { actorOf } from "./staff-actor.ts";
import { parseRequestBody } from "./validation-reply.ts";

const replyBody = z.object(
  {
    text: storableText().trim().min(1, "is required: what to tell the customer").max(MAX_REPLY_LENGTH, `must be at most ${MAX_REPLY_LENGTH} characters`),
    idempotencyKey: storableText().trim().min(1).max(200).optional(),
  },
  { error: () => "the body must be a JSON object" },
);

/**
 * POST /api/customers/:id/reply: a staff message during a takeover, through the outbox to the
 * customer's channel. Only while the customer is handed over and only from the staff member who
 * has the conversation (the same rule as the Slack thread); 409 says which rule refused it.
 */
export function registerTakeoverRoutes(api: FastifyInstance, deps: { takeover: Takeover; customers: CustomerService }): void {
  api.post<{ Params: { id: string } }>("/customers/:id/reply", async (request, reply) => {
    const customer = await deps.customers.find(request.params.id);
    if (!customer) return reply.code(404).send({ error: "no such customer: use Tend's customer id or your external id" });
    const parsed = parseRequestBody(replyBody, request.body);
    if (!parsed.ok) return reply.code(422).send(parsed.body);
    const result = await deps.takeover.reply(customer.id, actorOf(request), parsed.value.text, parsed.value.idempotencyKey);
    switch (result.status) {
      case "queued":
        return reply.code(202).send({ queued: true });
      case "refused":
        return reply.code(409).send({ error: result.message, reason: result.why, ...(result.owner ? { heldBy: result.owner.name } : {}) });
      default:
        return reply.code(404).send({ error: "no such customer: use Tend's customer id or your external id" });
    }
  });
}
