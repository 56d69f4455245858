import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { CareForecastRepository } from "../db/repositories/care-forecast-repository.ts";
import { ContactFactsRepository } from "../db/repositories/contact-facts-repository.ts";
import type { OutboxRepository } from "../db/repositories/outbox-repository.ts";
import { OutreachOverviewRepository } from "../db/repositories/outreach-overview-repository.ts";
import type { Tier } from "../loyalty/tiers.ts";
import type { CampaignService } from "../outreach/campaign-service.ts";
import { type CareForecast, careForecast } from "../outreach/care-forecast.ts";
import type { CarePlans } from "../outreach/care-plans-file.ts";
import type { ContactPolicySettings } from "../outreach/contact-policy.ts";
import { type OutreachCalendar, calendarWindow, outreachCalendar } from "../outreach/outreach-calendar.ts";
import type { StaffAlerts } from "../staff/alerts.ts";
import { registerCampaignPages } from "./campaign-routes.ts";
import { sendPage } from "./dashboard-frame.ts";
import { html, page } from "./dashboard-html.ts";
import type { DashboardRouteOptions } from "./dashboard-routes.ts";
import { sessionOf } from "./dashboard-session-hooks.ts";
import { calendarBody } from "./queue-calendar-page.ts";
import { claimCase, resolveCase } from "./queue-cases-actions.ts";
import { CASE_COLUMNS, type CaseColumn, caseColumn, waitingCounts } from "./queue-cases-data.ts";
import { casesBoardBody } from "./queue-cases-page.ts";
import { afterAction, flash } from "./queue-common.ts";
import { deadLetters, retryAllDeadLetters, retryDeadLetter } from "./queue-outreach-data.ts";
import { outreachQueueBody } from "./queue-outreach-page.ts";
import { queueFrame } from "./queue-frame.ts";

/** What the work queues need beyond the dashboard's usual services (src/app.ts builds them once for the API and the dashboard). */
export interface QueueServices {
  /** Claim and resolve of a case with a staff alert, as Slack's buttons do them. */
  alerts: Pick<StaffAlerts, "claim" | "resolve">;
  campaigns: CampaignService;
  outbox: Pick<OutboxRepository, "findById" | "requeue" | "requeueDead" | "queued">;
  /** The contact policy's settings: the calendar judges each queued message as the dispatcher would. */
  policy: ContactPolicySettings;
  /** The loyalty tiers (LOYALTY_TIERS), offered in the campaign builder. */
  tiers: readonly Tier[];
  /** plans.campaigns.enabled: the campaign page says up front when Send will be refused. */
  campaignsEnabled: boolean;
  /** The care plans file: the calendar forecasts the next 14 days from it; without it the page shows the queued rows only. */
  carePlans?: CarePlans | undefined;
}

const BOARD_PAGE = 20;
const DEAD_PAGE = 50;
const CALENDAR_TTL_MS = 60_000;

type Flash = { ok?: string; error?: string; by?: string; n?: string };

/**
 * The work queues (issue 12): the feedback cases board, the outreach queue with its dead letters,
 * the care-plan calendar and the campaign builder. Every page is behind the dashboard's guard (a
 * session; a CSRF token on each POST); every action goes through the owning service as the
 * signed-in staff member and is audited. Without `queues` (a dashboard built without them) the
 * pages say so instead of failing.
 */
export function registerQueueRoutes(scope: FastifyInstance, options: DashboardRouteOptions): void {
  const { prisma, services, clock } = options;
  const queues = options.queues;
  const unavailable = (request: FastifyRequest, reply: FastifyReply) => {
    const f = queueFrame(request, (q) => q.casesTitle, "cases");
    return sendPage(reply, page(f, html`<p class="error" role="alert">${f.q.unavailable}</p>`), 503);
  };

  scope.get<{ Querystring: Partial<Record<CaseColumn, string>> & Flash }>("/cases", async (request, reply) => {
    const f = queueFrame(request, (q) => q.casesTitle, "cases");
    const cursors: Partial<Record<CaseColumn, string>> = {};
    for (const column of CASE_COLUMNS) if (request.query[column]) cursors[column] = String(request.query[column]).slice(0, 100);
    const [open, claimed, resolved, counts] = await Promise.all([
      caseColumn(prisma, "open", cursors.open, BOARD_PAGE),
      caseColumn(prisma, "claimed", cursors.claimed, BOARD_PAGE),
      caseColumn(prisma, "resolved", cursors.resolved, BOARD_PAGE),
      waitingCounts(prisma),
    ]);
    const body = casesBoardBody(f.q, { columns: { open, claimed, resolved }, counts, cursors, now: clock.now(), csrf: f.who.csrf, message: flash(f.q, request.query) });
    return sendPage(reply, page(f, body));
  });

  scope.post<{ Params: { id: string } }>("/cases/:id/claim", async (request, reply) => {
    if (!queues) return unavailable(request, reply);
    const deps = { prisma, feedback: services.feedback, staff: services.staff, alerts: queues.alerts };
    const outcome = await claimCase(deps, request.params.id, sessionOf(request).actor);
    return reply.code(303).header("location", afterAction("/dashboard/cases", outcome)).send();
  });

  scope.post<{ Params: { id: string }; Body: { resolution?: string } }>("/cases/:id/resolve", async (request, reply) => {
    if (!queues) return unavailable(request, reply);
    const deps = { prisma, feedback: services.feedback, staff: services.staff, alerts: queues.alerts };
    const outcome = await resolveCase(deps, request.params.id, sessionOf(request).actor, String(request.body?.resolution ?? ""));
    return reply.code(303).header("location", afterAction("/dashboard/cases", outcome)).send();
  });

  scope.get<{ Querystring: { after?: string } & Flash }>("/outreach", async (request, reply) => {
    const f = queueFrame(request, (q) => q.outreachTitle, "outreach");
    const after = request.query.after?.slice(0, 100);
    const [status, dead] = await Promise.all([new OutreachOverviewRepository(prisma).status(clock.now()), deadLetters(prisma, after, DEAD_PAGE)]);
    return sendPage(reply, page(f, outreachQueueBody(f.q, f.lang, { status, dead, after, csrf: f.who.csrf, message: flash(f.q, request.query) })));
  });

  scope.post<{ Params: { id: string } }>("/outreach/dead/:id/retry", async (request, reply) => {
    if (!queues) return unavailable(request, reply);
    const requeued = await retryDeadLetter({ outbox: queues.outbox, staff: services.staff }, request.params.id, sessionOf(request).actor, clock.now());
    const outcome = requeued ? { ok: true, code: "requeued", n: 1 } : { ok: false, code: "not_dead" };
    return reply.code(303).header("location", afterAction("/dashboard/outreach", outcome)).send();
  });

  scope.post("/outreach/dead/retry-all", async (request, reply) => {
    if (!queues) return unavailable(request, reply);
    const n = await retryAllDeadLetters({ outbox: queues.outbox, staff: services.staff }, sessionOf(request).actor, clock.now());
    return reply.code(303).header("location", afterAction("/dashboard/outreach", { ok: true, code: "requeued", n })).send();
  });

  let calendarCache: { at: number; calendar: Promise<[OutreachCalendar, CareForecast | null]> } | null = null;
  scope.get("/calendar", async (request, reply) => {
    if (!queues) return unavailable(request, reply);
    const f = queueFrame(request, (q) => q.calendarTitle, "calendar");
    const now = clock.now();
    // Counting 100,000 queued greetings takes seconds: staff opening the page together share one count, kept a minute.
    if (!calendarCache || now.getTime() - calendarCache.at >= CALENDAR_TTL_MS || now.getTime() < calendarCache.at) {
      const carePlans = queues.carePlans;
      const counting = Promise.all([
        outreachCalendar({ prisma, facts: new ContactFactsRepository(prisma), settings: queues.policy }, { ...calendarWindow(now, 14), now }),
        carePlans ? careForecast({ repository: new CareForecastRepository(prisma), plans: carePlans }, now, 14) : Promise.resolve(null),
      ]);
      calendarCache = { at: now.getTime(), calendar: counting };
      counting.catch(() => {
        if (calendarCache?.calendar === counting) calendarCache = null;
      });
    }
    const [calendar, forecast] = await calendarCache.calendar;
    return sendPage(reply, page(f, calendarBody(f.q, f.lang, calendar, new Date(calendarCache.at), forecast)));
  });

  registerCampaignPages(scope, options, unavailable);
}
