import type { FastifyInstance } from "fastify";
import type { Clock } from "../core/clock.ts";
import type { PrismaClient } from "../db/generated/client.ts";
import type { BuiltServices } from "../engine/build-services.ts";
import { type CustomerSort, CUSTOMER_SORTS, customerPage } from "./customer-list.ts";
import { type CustomerActionServices, registerCustomerRoutes } from "./customer-routes.ts";
import { customersBody } from "./customer-pages.ts";
import type { DashboardAuth } from "./dashboard-auth.ts";
import { DASHBOARD_CSS, DASHBOARD_ICON, html, page } from "./dashboard-html.ts";
import { SESSION_COOKIE, installDashboardGuard, sessionCookie, sessionOf } from "./dashboard-session-hooks.ts";
import { LANG_COOKIE, textsFor } from "./dashboard-texts.ts";
import { type QueueServices, registerQueueRoutes } from "./queue-routes.ts";
import { langOf, sendPage, signedInFrame } from "./dashboard-frame.ts";
import { registerOverviewRoutes } from "./overview-routes.ts";

export interface DashboardRouteOptions {
  prisma: PrismaClient;
  services: Pick<BuiltServices, "cards" | "customerService" | "feedback" | "staff" | "surveys" | "loyalty">;
  auth: DashboardAuth;
  clock: Clock;
  /** The customer page's message and takeover actions (the staff consoles' port and the takeover relay). */
  customerActions?: CustomerActionServices | undefined;
  /** The work queues' services (cases board, outreach queue, calendar, campaigns); without them those pages say they are not available. */
  queues?: QueueServices | undefined;
}

const PAGE_SIZE = 50;

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
      registerQueueRoutes(scope, options);
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

function registerPages(scope: FastifyInstance, { prisma, services, clock, customerActions }: DashboardRouteOptions): void {
  const frame = signedInFrame;

  registerOverviewRoutes(scope, { prisma, services, clock });

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
      return sendPage(reply, page(f, customersBody(f.t, { lang: f.lang, q, sort, matches, searchLimit: PAGE_SIZE, page: null, after: undefined })));
    }
    const list = await customerPage(prisma, sort, request.query.after, PAGE_SIZE);
    return sendPage(reply, page(f, customersBody(f.t, { lang: f.lang, q, sort, matches: null, page: list, after: request.query.after })));
  });
  registerCustomerRoutes(scope, { prisma, services, clock, actions: customerActions });
}

export { SESSION_COOKIE };
