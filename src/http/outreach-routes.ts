import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Clock } from "../core/clock.ts";
import type { CustomerService } from "../customers/customer-service.ts";
import type { CustomerRepository } from "../db/repositories/customer-repository.ts";
import type { OutboxRepository } from "../db/repositories/outbox-repository.ts";
import type { OutreachOverviewRepository } from "../db/repositories/outreach-overview-repository.ts";
import { TendError } from "../errors.ts";
import { storableText } from "../ingest/storable-text.ts";
import { actorOf } from "./staff-actor.ts";
import { customerOfRoute } from "./staff-routes.ts";
import { parseRequestBody, validationFailed } from "./validation-reply.ts";

export interface OutreachRouteDependencies {
  overview: Pick<OutreachOverviewRepository, "status">;
  outbox: Pick<OutboxRepository, "requeueDead" | "queued">;
  customers: Pick<CustomerRepository, "findByIdOrExternalId">;
  /** Pauses and resumes, audited with the caller's actor. */
  customerService: Pick<CustomerService, "pauseOutreach" | "resumeOutreach">;
  clock: Clock;
}

const pauseBody = z.object(
  {
    until: z.iso.datetime({ offset: true, error: (issue) => (issue.input === undefined ? "is required: an ISO time with its zone, e.g. 2026-12-31T00:00:00Z" : "must be an ISO time with its zone, e.g. 2026-12-31T00:00:00Z") }),
    /** Accepted for compatibility and ignored: the timeline and the audit name the API key (the caller's actor). */
    by: storableText().trim().min(1, "must not be empty").max(200, "must be at most 200 characters").optional(),
  },
  { error: "must be a JSON object" },
);

const byBody = z.object({ by: storableText().trim().min(1, "must not be empty").max(200, "must be at most 200 characters").optional() }, { error: "must be a JSON object" });

/** Outreach for staff (issue 9 §5): the outbox's numbers, requeueing dead letters, pausing one customer's outreach. */
export function registerOutreachRoutes(api: FastifyInstance, { overview, outbox, customers, customerService, clock }: OutreachRouteDependencies): void {
  // The same numbers as `tend outreach status --json`.
  api.get("/outreach/status", async () => overview.status(clock.now()));

  api.post("/outreach/retry-dead", async () => {
    const requeued = await outbox.requeueDead(clock.now());
    if (requeued) outbox.queued();
    return { requeued };
  });

  api.post<{ Params: { id: string } }>("/customers/:id/outreach-pause", async (request, reply) => {
    const customer = await customerOfRoute(customers, request.params.id, reply);
    if (!customer) return reply;
    const parsed = parseRequestBody(pauseBody, request.body);
    if (!parsed.ok) return reply.code(422).send(parsed.body);
    try {
      const paused = await customerService.pauseOutreach(customer.id, new Date(parsed.value.until), actorOf(request));
      if (!paused) return reply.code(404).send({ error: "no such customer: use Tend's customer id or your external id" });
      return { customerId: paused.id, outreachPausedUntil: paused.outreachPausedUntil };
    } catch (error) {
      // A time not in the future pauses nothing.
      if (error instanceof TendError && error.code === "OUTREACH_PAUSE_INVALID") return reply.code(422).send(validationFailed([{ path: "until", message: error.message }]));
      throw error;
    }
  });

  api.delete<{ Params: { id: string } }>("/customers/:id/outreach-pause", async (request, reply) => {
    const customer = await customerOfRoute(customers, request.params.id, reply);
    if (!customer) return reply;
    const parsed = parseRequestBody(byBody, request.body);
    if (!parsed.ok) return reply.code(422).send(parsed.body);
    const resumed = await customerService.resumeOutreach(customer.id, actorOf(request));
    if (!resumed) return reply.code(404).send({ error: "no such customer: use Tend's customer id or your external id" });
    return { customerId: resumed.id, outreachPausedUntil: null };
  });
}
