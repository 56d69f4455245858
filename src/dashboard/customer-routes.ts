import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Clock } from "../core/clock.ts";
import type { StaffConsoleServices } from "../core/staff-console-services.ts";
import type { PrismaClient } from "../db/generated/client.ts";
import { StaffConsoleRepository } from "../db/repositories/staff-console-repository.ts";
import type { BuiltServices } from "../engine/build-services.ts";
import { TendError } from "../errors.ts";
import { unstorableTextReason } from "../ingest/storable-text.ts";
import { isPolicyReason } from "../outreach/contact-policy-reasons.ts";
import type { Takeover } from "../staff/takeover.ts";
import { reasonText } from "./customer-actions-view.ts";
import { localStamp } from "./customer-card-view.ts";
import { consentPage, ledgerPage, surveyRows, timelinePage, waitingRows } from "./customer-history.ts";
import { customerBody } from "./customer-page.ts";
import { type CustomerTexts, customerTextsFor } from "./customer-texts.ts";
import { sendPage, signedInFrame } from "./dashboard-frame.ts";
import { type Html, html, page } from "./dashboard-html.ts";
import { sessionOf } from "./dashboard-session-hooks.ts";
import type { DashboardLang, DashboardTexts } from "./dashboard-texts.ts";

/**
 * What the customer page's message and takeover actions run through: the staff consoles' port (the
 * contact policy's verdict, then the outbox, as Slack's "send a message") and the takeover relay
 * (a reply only from the staff member who has the conversation, as POST /api/customers/:id/reply).
 */
export interface CustomerActionServices {
  console: Pick<StaffConsoleServices, "messageVerdict" | "sendMessage">;
  takeover: Pick<Takeover, "reply">;
}

export interface CustomerRouteOptions {
  prisma: PrismaClient;
  services: Pick<BuiltServices, "cards" | "customerService" | "feedback" | "staff">;
  clock: Clock;
  /** Without it the page offers no message or reply forms (a server built without the staff side). */
  actions?: CustomerActionServices | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMELINE_PAGE = 50;
const LEDGER_PAGE = 25;
const CONSENT_PAGE = 25;

type PageQuery = { done?: string; error?: string; sent?: string; why?: string; until?: string; booked?: string; t?: string; l?: string; c?: string };

/** A form's text field: trimmed, required, at most `max` characters, storable. */
function textField(body: Record<string, string>, name: string, what: string, max: number): string {
  const value = String(body[name] ?? "").trim();
  if (!value) throw new TendError("DASHBOARD_INPUT", `${what} is required`);
  if (value.length > max) throw new TendError("DASHBOARD_INPUT", `${what} must be at most ${max} characters`);
  const bad = unstorableTextReason(value);
  if (bad) throw new TendError("DASHBOARD_INPUT", `${what} ${bad}`);
  return value;
}

/** The notice at the top of the page after an action (post/redirect/get carries it in the query). */
function flash(t: DashboardTexts, c: CustomerTexts, lang: DashboardLang, query: PageQuery, balance: number, timeZone: string): Html | null {
  const notice = (text: string) => html`<p class="notice" role="status">${text}</p>`;
  const why = query.why && (isPolicyReason(query.why) || query.why === "unreachable") ? reasonText(c, lang, query.why) : null;
  if (query.error) return html`<p class="error" role="alert">${t.badInput} ${query.error.slice(0, 300)}</p>`;
  if (query.sent === "deferred" && why && /^\d{1,15}$/.test(query.until ?? "")) return notice(c.queuedDeferred(localStamp(new Date(Number(query.until)), timeZone), why));
  if (query.sent === "queued") return notice(c.queued);
  if (query.sent === "refused") return html`<p class="error" role="alert">${c.refusedSend(why ?? "?")}</p>`;
  if (query.booked && /^-?\d{1,7}$/.test(query.booked)) return notice(c.booked(Number(query.booked), balance));
  if (query.done === "took") return notice(c.tookOver);
  if (query.done === "released") return notice(c.released);
  if (query.done === "replied") return notice(c.replyQueued);
  if (query.done) return notice(t.done);
  return null;
}

/**
 * The customer page and its actions, on the dashboard's guarded scope: each action runs through the
 * owning service as the signed-in staff member (the same calls and audit as the staff API and Slack).
 */
export function registerCustomerRoutes(scope: FastifyInstance, { prisma, services, clock, actions }: CustomerRouteOptions): void {
  const frame = signedInFrame;
  const cases = new StaffConsoleRepository(prisma);

  scope.get<{ Params: { id: string }; Querystring: PageQuery }>("/customers/:id", async (request, reply) => {
    const card = await services.cards.cardOf(request.params.id, { recent: 0 });
    const f = frame(request, (t) => t.customer);
    if (!card) return sendPage(reply, page(f, html`<p class="error" role="alert">${f.t.notFound}</p>`), 404);
    const session = sessionOf(request);
    const q = request.query;
    const id = card.customerId;
    const [timeline, waiting, ledger, consent, surveys, caseLines, verdict] = await Promise.all([
      timelinePage(prisma, id, q.t, TIMELINE_PAGE),
      waitingRows(prisma, id, 20),
      ledgerPage(prisma, id, q.l, LEDGER_PAGE),
      consentPage(prisma, id, q.c, CONSENT_PAGE),
      surveyRows(prisma, id, 20),
      cases.cases(id, 20),
      actions
        ? Promise.all([actions.console.messageVerdict(id, "staff"), actions.console.messageVerdict(id, "care")]).then(([staff, care]) => ({ staff, care }))
        : Promise.resolve(undefined),
    ]);
    await services.staff.audit(session.actor, "customer.view_card", { customerId: id });
    const c = customerTextsFor(f.lang);
    const message = flash(f.t, c, f.lang, q, card.loyalty.balance, card.profile.timeZone);
    const title = card.profile.displayName ?? card.externalId ?? card.customerId;
    const view = {
      card,
      csrf: f.who.csrf,
      actorId: session.actor.id,
      message,
      timeline,
      waiting,
      ledger,
      consent,
      surveys,
      cases: caseLines,
      verdict,
      canReply: Boolean(actions),
      cursors: { t: q.t, l: q.l, c: q.c },
    };
    return sendPage(reply, page({ ...f, title }, customerBody(f.t, c, f.lang, view)));
  });

  /**
   * Runs an action on a customer as the session's staff member, then back to the customer's page
   * (post/redirect/get) with what to say there: `done=1` unless the action names its own notice.
   */
  const act = (path: string, run: (customerId: string, body: Record<string, string>, request: FastifyRequest) => Promise<string | void>) =>
    scope.post<{ Params: { id: string; caseId?: string }; Body: Record<string, string> }>(path, async (request, reply) => {
      const customer = await services.customerService.find(request.params.id);
      if (!customer) return reply.code(404).type("text/plain; charset=utf-8").send("no such customer");
      const back = `/dashboard/customers/${customer.id}`;
      let notice: string | void;
      try {
        notice = await run(customer.id, request.body ?? {}, request);
      } catch (error) {
        if (!(error instanceof TendError)) throw error;
        return reply.code(303).header("location", `${back}?error=${encodeURIComponent(error.message)}`).send();
      }
      return reply.code(303).header("location", `${back}?${notice ?? "done=1"}`).send();
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

  // As POST /api/customers/:id/points: booked by the loyalty service through the customer service, audited with the balance before and after.
  act("/customers/:id/points", async (customerId, body, request) => {
    const text = String(body.points ?? "").trim();
    const points = /^[-+]?\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(points) || points === 0 || Math.abs(points) > 1_000_000) throw new TendError("DASHBOARD_INPUT", "points must be a whole number from -1000000 to 1000000, not 0");
    const reason = textField(body, "reason", "a reason", 500);
    const key = String(body.idempotencyKey ?? "").trim();
    const idempotencyKey = UUID.test(key) ? `dashboard:${key}` : undefined;
    await services.customerService.adjustPoints(customerId, sessionOf(request).actor, { points, reason, idempotencyKey });
    return `booked=${points}`;
  });

  // As the Slack console's "send a message": the contact policy's verdict, then the outbox; audited with the verdict.
  act("/customers/:id/message", async (customerId, body, request) => {
    if (!actions) throw new TendError("DASHBOARD_UNAVAILABLE", "sending messages is not available on this server");
    const text = textField(body, "text", "a message", 3000);
    const topic = body.topic === "care" ? "care" : "staff";
    const result = await actions.console.sendMessage(customerId, sessionOf(request).actor, text, topic);
    if (result.status === "not_found") throw new TendError("DASHBOARD_INPUT", "no such customer");
    if (result.status === "refused") return `sent=refused&why=${encodeURIComponent(result.reason)}`;
    const v = result.verdict;
    return v.action === "defer" ? `sent=deferred&why=${encodeURIComponent(v.reason)}&until=${v.until.getTime()}` : "sent=queued";
  });

  // As POST /api/customers/:id/take-over: one conditional update decides between two staff at once.
  act("/customers/:id/take-over", async (customerId, body, request) => {
    const result = await services.customerService.takeOver(customerId, sessionOf(request).actor, { force: body.force === "true" });
    if (result.status === "held_by_other") throw new TendError("DASHBOARD_CONFLICT", `${result.handover.heldBy?.name ?? "someone else"} has this conversation`);
    if (result.status === "not_found") throw new TendError("DASHBOARD_INPUT", "no such customer (or their data was erased)");
    return "done=took";
  });

  // As POST /api/customers/:id/reply: only from the staff member who has the conversation.
  act("/customers/:id/reply", async (customerId, body, request) => {
    if (!actions) throw new TendError("DASHBOARD_UNAVAILABLE", "replies are not available on this server");
    const text = textField(body, "text", "a reply", 4000);
    const key = String(body.idempotencyKey ?? "").trim();
    const result = await actions.takeover.reply(customerId, sessionOf(request).actor, text, UUID.test(key) ? key : undefined, "dashboard");
    if (result.status === "refused") throw new TendError("DASHBOARD_CONFLICT", result.message);
    if (result.status === "not_found") throw new TendError("DASHBOARD_INPUT", "no such customer");
    return "done=replied";
  });

  act("/customers/:id/release", async (customerId, _body, request) => {
    const result = await services.customerService.release(customerId, sessionOf(request).actor);
    if (result.status !== "released") throw new TendError("DASHBOARD_CONFLICT", "nothing to release: this customer is not handed over to staff");
    return "done=released";
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
