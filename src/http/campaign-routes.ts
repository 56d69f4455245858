import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { CampaignService } from "../outreach/campaign-service.ts";
import { staffName } from "../outreach/campaign-input.ts";
import { actorOf } from "./staff-actor.ts";
import { parseRequestBody, validationFailed } from "./validation-reply.ts";

export interface CampaignRouteDependencies {
  campaigns: CampaignService;
}

/** `by` is accepted and kept in the audit as requestedBy when it differs: the record names the caller's actor (its API key). */
const actionBody = z.strictObject({ by: staffName.optional() }, { error: "must be a JSON object" });
const previewBody = z.strictObject(
  { limit: z.number({ error: "must be a whole number from 1 to 1000" }).int("must be a whole number from 1 to 1000").min(1, "must be from 1 to 1000").max(1000, "must be from 1 to 1000").optional() },
  { error: "must be a JSON object" },
);
const listQuery = z.object({ limit: z.coerce.number({ error: "must be a whole number from 1 to 1000" }).int().min(1).max(1000).optional() });

const notFound = (reply: FastifyReply) => reply.code(404).send({ error: "no such campaign" });

/**
 * Staff campaigns (issue 9 §3): create a draft, list, show, preview who gets what and what the contact
 * policy would do, send (queues the outbox rows; the dispatcher delivers), cancel. Create, send and
 * cancel act as the caller's actor (the API key's staff member or integration): the campaign and the
 * staff audit log record it.
 */
export function registerCampaignRoutes(api: FastifyInstance, { campaigns }: CampaignRouteDependencies): void {
  api.post("/campaigns", async (request, reply) => {
    const parsed = campaigns.parseDraft(request.body);
    if (!parsed.ok) return reply.code(422).send(validationFailed(parsed.errors));
    return reply.code(201).send(await campaigns.create(parsed.value, { actor: actorOf(request), requestedBy: parsed.value.by }));
  });

  api.get("/campaigns", async (request, reply) => {
    const query = listQuery.safeParse(request.query ?? {});
    if (!query.success) return reply.code(422).send(validationFailed([{ path: "limit", message: "must be a whole number from 1 to 1000" }]));
    return { campaigns: await campaigns.list(query.data.limit ?? 100) };
  });

  api.get<{ Params: { id: string } }>("/campaigns/:id", async (request, reply) => {
    const campaign = await campaigns.get(request.params.id);
    return campaign ?? notFound(reply);
  });

  api.post<{ Params: { id: string } }>("/campaigns/:id/preview", async (request, reply) => {
    const parsed = parseRequestBody(previewBody, request.body);
    if (!parsed.ok) return reply.code(422).send(parsed.body);
    const preview = await campaigns.preview(request.params.id, parsed.value.limit ?? 20);
    return preview ?? notFound(reply);
  });

  api.post<{ Params: { id: string } }>("/campaigns/:id/send", async (request, reply) => {
    const parsed = parseRequestBody(actionBody, request.body);
    if (!parsed.ok) return reply.code(422).send(parsed.body);
    const outcome = await campaigns.send(request.params.id, { actor: actorOf(request), requestedBy: parsed.value.by });
    switch (outcome.status) {
      case "not_found":
        return notFound(reply);
      case "disabled":
        return reply.code(409).send({ error: "campaigns are off: set plans.campaigns.enabled to true in the care plans file (CARE_PLANS_FILE) to send them" });
      case "busy":
        return reply.code(409).send({ error: "the campaign is being sent by another request right now; ask again when it has finished" });
      case "cancelled":
        return reply.code(409).send({ error: "the campaign was cancelled: it cannot be sent", campaign: outcome.campaign });
      default:
        return outcome;
    }
  });

  api.post<{ Params: { id: string } }>("/campaigns/:id/cancel", async (request, reply) => {
    const parsed = parseRequestBody(actionBody, request.body);
    if (!parsed.ok) return reply.code(422).send(parsed.body);
    const result = await campaigns.cancel(request.params.id, { actor: actorOf(request), requestedBy: parsed.value.by });
    return result ?? notFound(reply);
  });
}
