import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Clock } from "../core/clock.ts";
import type { PrismaClient } from "../db/generated/client.ts";
import type { BuiltServices } from "../engine/build-services.ts";
import { TendError } from "../errors.ts";
import { customerBody } from "./customer-page.ts";
import { type Html, html, page } from "./dashboard-html.ts";
import { sessionOf } from "./dashboard-session-hooks.ts";
import { sendPage, signedInFrame } from "./dashboard-frame.ts";

export interface CustomerRouteOptions {
  prisma: PrismaClient;
  services: Pick<BuiltServices, "cards" | "customerService" | "feedback" | "staff">;
  clock: Clock;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The customer page and its actions, on the dashboard's guarded scope: each action runs through the
 * owning service as the signed-in staff member (the same calls and audit as the staff API and Slack).
 */
export function registerCustomerRoutes(scope: FastifyInstance, { services, clock }: CustomerRouteOptions): void {
  const frame = signedInFrame;

  scope.get<{ Params: { id: string }; Querystring: { done?: string; error?: string } }>("/customers/:id", async (request, reply) => {
    const card = await services.cards.cardOf(request.params.id, { recent: 50 });
    const f = frame(request, (t) => t.customer);
    if (!card) return sendPage(reply, page(f, html`<p class="error" role="alert">${f.t.notFound}</p>`), 404);
    await services.staff.audit(sessionOf(request).actor, "customer.view_card", { customerId: card.customerId });
    const message: Html | null = request.query.done
      ? html`<p class="notice" role="status">${f.t.done}</p>`
      : request.query.error
        ? html`<p class="error" role="alert">${f.t.badInput} ${request.query.error.slice(0, 300)}</p>`
        : null;
    const title = card.profile.displayName ?? card.externalId ?? card.customerId;
    return sendPage(reply, page({ ...f, title }, customerBody(f.t, f.lang, card, f.who.csrf, message)));
  });

  /** Runs an action on a customer as the session's staff member, then back to the customer's page (post/redirect/get). */
  const act = (path: string, run: (customerId: string, body: Record<string, string>, request: FastifyRequest) => Promise<void>) =>
    scope.post<{ Params: { id: string; caseId?: string }; Body: Record<string, string> }>(path, async (request, reply) => {
      const customer = await services.customerService.find(request.params.id);
      if (!customer) return reply.code(404).type("text/plain; charset=utf-8").send("no such customer");
      const back = `/dashboard/customers/${customer.id}`;
      try {
        await run(customer.id, request.body ?? {}, request);
      } catch (error) {
        if (!(error instanceof TendError)) throw error;
        return reply.code(303).header("location", `${back}?error=${encodeURIComponent(error.message)}`).send();
      }
      return reply.code(303).header("location", `${back}?done=1`).send();
    });

  act("/customers/:id/notes", async (customerId, body, request) => {
    await services.customerService.addNote(customerId, sessionOf(request).actor, String(body.text ?? ""));
  });

  act("/customers/:id/pause", async (customerId, body, request) => {
    const days = Number(body.days);
    if (!Number.isInteger(days) || days < 1 || days > 365) throw new TendError("DASHBOARD_INPUT", "days must be a whole number from 1 to 365");
    await services.customerService.pauseOutreach(customerId, new Date(clock.now().getTime() + days * 86_400_000), sessionOf(request).actor);
  });

  act("/customers/:id/resume", async (customerId, _body, request) => {
    await services.customerService.resumeOutreach(customerId, sessionOf(request).actor);
  });

  act("/customers/:id/cases/:caseId/resolve", async (customerId, body, request) => {
    const actor = sessionOf(request).actor;
    const caseId = (request.params as { caseId: string }).caseId;
    const resolution = String(body.resolution ?? "").trim();
    const card = await services.cards.card(customerId, { recent: 0 });
    if (!UUID.test(caseId) || !card?.openCases.some((c) => c.id === caseId)) throw new TendError("DASHBOARD_INPUT", "that case is not open for this customer");
    if (!resolution) throw new TendError("DASHBOARD_INPUT", "a resolution is required: what was done for the customer");
    try {
      const result = await services.feedback.close(caseId, resolution, actor.name);
      // As the API's case close audits it (src/http/staff-routes.ts).
      await services.staff.audit(actor, "case.close", { customerId, target: caseId, detail: { followUpQueued: result.followUpQueued } });
    } catch (error) {
      await services.staff.audit(actor, "case.close", { customerId, target: caseId, outcome: error instanceof TendError ? "refused" : "failed", detail: { reason: error instanceof Error ? error.message : String(error) } });
      throw error;
    }
  });
}
