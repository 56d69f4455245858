import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Clock } from "../core/clock.ts";
import type { PrismaClient } from "../db/generated/client.ts";
import type { BuiltServices } from "../engine/build-services.ts";
import { TendError } from "../errors.ts";
import { type CustomerSort, CUSTOMER_SORTS, customerPage } from "./customer-list.ts";
import { customerBody } from "./customer-page.ts";
import { customersBody } from "./customer-pages.ts";
import type { DashboardAuth } from "./dashboard-auth.ts";
import { DASHBOARD_CSS, DASHBOARD_ICON, type Html, html, page } from "./dashboard-html.ts";
import { SESSION_COOKIE, installDashboardGuard, sessionCookie, sessionOf } from "./dashboard-session-hooks.ts";
import { LANG_COOKIE, textsFor } from "./dashboard-texts.ts";
import { langOf, sendPage, signedInFrame } from "./dashboard-frame.ts";
import { readOverview } from "./overview-data.ts";
import { overviewBody } from "./overview-page.ts";

export interface DashboardRouteOptions {
  prisma: PrismaClient;
  services: Pick<BuiltServices, "cards" | "customerService" | "feedback" | "staff" | "surveys" | "loyalty">;
  auth: DashboardAuth;
  clock: Clock;
}

const PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The staff dashboard under /dashboard (issue 12): sign-in by one-time link, the overview, the
 * customers table and the customer page with its actions. Server-rendered HTML, no script; every
 * action goes through the same services (and audit) as the API and Slack, as the signed-in person.
 */
export function registerDashboardRoutes(app: FastifyInstance, options: DashboardRouteOptions): void {
  void app.register(
    async (scope) => {
      installDashboardGuard(scope, options.auth);
      registerSignIn(scope, options);
      registerPages(scope, options);
    },
    { prefix: "/dashboard" },
  );
}

function registerSignIn(scope: FastifyInstance, { auth }: DashboardRouteOptions): void {
  scope.get("/assets/dashboard.css", async (_request, reply) => reply.type("text/css; charset=utf-8").send(DASHBOARD_CSS));
  scope.get("/assets/icon.svg", async (_request, reply) => reply.type("image/svg+xml").send(DASHBOARD_ICON));

  scope.get<{ Querystring: { set?: string; back?: string } }>("/lang", async (request, reply) => {
    const lang = request.query.set === "zh" ? "zh" : "en";
    const back = request.query.back ?? "";
    // Only back into the dashboard: never an open redirect.
    const target = back.startsWith("/dashboard") && !back.startsWith("//") ? back : "/dashboard";
    return reply.code(303).header("set-cookie", `${LANG_COOKIE}=${lang}; Path=/dashboard; SameSite=Lax; Max-Age=31536000`).header("location", target).send();
  });

  scope.get<{ Querystring: { out?: string } }>("/signin", async (request, reply) => {
    const lang = langOf(request);
    const t = textsFor(lang);
    const body = html`${request.query.out ? html`<p class="notice" role="status">${t.signedOut}</p>` : ""}<p>${t.signInHelp}</p>`;
    return sendPage(reply, page({ lang, t, title: t.signInTitle, here: "/dashboard/signin" }, body));
  });

  // Opening the link shows a button rather than signing in at once: link previews (Slack unfurls,
  // mail scanners) fetch links, and must not use up the one sign-in.
  scope.get<{ Querystring: { token?: string } }>("/login", async (request, reply) => {
    const lang = langOf(request);
    const t = textsFor(lang);
    const body = html`<form method="post" action="/dashboard/login"><p>${t.signInConfirm}</p>
      <input type="hidden" name="token" value="${request.query.token ?? ""}"><button type="submit" id="sign-in">${t.signInButton}</button></form>`;
    return sendPage(reply, page({ lang, t, title: t.signInTitle, here: "/dashboard/signin" }, body));
  });

  scope.post<{ Body: { token?: string } }>("/login", async (request, reply) => {
    const signedIn = await auth.signIn(String(request.body?.token ?? ""));
    if (!signedIn) {
      const lang = langOf(request);
      const t = textsFor(lang);
      return sendPage(reply, page({ lang, t, title: t.signInTitle, here: "/dashboard/signin" }, html`<p class="error" role="alert">${t.signInRefused}</p><p>${t.signInHelp}</p>`), 401);
    }
    return reply.code(303).header("set-cookie", sessionCookie(request, signedIn.sessionToken)).header("location", "/dashboard").send();
  });

  scope.post("/logout", async (request, reply) => {
    await auth.signOut(sessionOf(request));
    return reply.code(303).header("set-cookie", sessionCookie(request, null)).header("location", "/dashboard/signin?out=1").send();
  });
}

function registerPages(scope: FastifyInstance, { prisma, services, clock }: DashboardRouteOptions): void {
  const frame = signedInFrame;

  scope.get("/api/overview", async () => readOverview({ prisma, surveys: services.surveys, loyalty: services.loyalty }, clock.now()));

  scope.get("/", async (request, reply) => {
    const f = frame(request, (t) => t.overview, "overview");
    const overview = await readOverview({ prisma, surveys: services.surveys, loyalty: services.loyalty }, clock.now());
    return sendPage(reply, page(f, overviewBody(f.t, overview)));
  });

  scope.get<{ Querystring: { q?: string; sort?: string; after?: string } }>("/customers", async (request, reply) => {
    const f = frame(request, (t) => t.customers, "customers");
    const q = (request.query.q ?? "").trim().slice(0, 200);
    const sort: CustomerSort = CUSTOMER_SORTS.includes(request.query.sort as CustomerSort) ? (request.query.sort as CustomerSort) : "newest";
    if (q) {
      const matches = await services.cards.findCustomers(q, PAGE_SIZE);
      await services.staff.audit(sessionOf(request).actor, "customer.search", {
        customerId: matches.length === 1 ? matches[0]!.customerId : null,
        detail: { matches: matches.length },
      });
      return sendPage(reply, page(f, customersBody(f.t, { q, sort, matches, page: null, after: undefined })));
    }
    const list = await customerPage(prisma, sort, request.query.after, PAGE_SIZE);
    return sendPage(reply, page(f, customersBody(f.t, { q, sort, matches: null, page: list, after: request.query.after })));
  });

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

export { SESSION_COOKIE };
