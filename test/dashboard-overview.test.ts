import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { refreshAnalytics } from "../src/analytics/refresh.ts";
import { loadConfig } from "../src/config/env.ts";
import { ManualClock } from "../src/core/clock.ts";
import { DashboardAuth } from "../src/dashboard/dashboard-auth.ts";
import { registerDashboardRoutes } from "../src/dashboard/dashboard-routes.ts";
import type { ChartSpec } from "../src/dashboard/chart-specs.ts";
import { type Overview, readOverview } from "../src/dashboard/overview-data.ts";
import { type BuiltServices, buildServices } from "../src/engine/build-services.ts";
import { createHttpServer } from "../src/http/server.ts";
import { createLogger } from "../src/observability/logger.ts";
import { createMetrics } from "../src/observability/metrics.ts";
import { cliActor } from "../src/staff/actor.ts";
import { describeEachDatabase } from "./support/databases.ts";

const DAY = 86_400_000;

/**
 * The overview's figures (issue 12) against seeded data on PGlite and PostgreSQL: the response
 * rate per channel, predicted CLV by RFM segment, lifecycle moves after two analytics refreshes,
 * outreach per day by defer reason; and the page through HTTP: tables, the embedded chart data,
 * the chart files served by Tend under the dashboard's CSP, and nothing for anonymous requests.
 */
describeEachDatabase("dashboard overview figures", (db) => {
  const clock = new ManualClock("2026-12-02T08:00:00Z");
  let services: BuiltServices;
  let app: FastifyInstance;
  let auth: DashboardAuth;
  const ids: Record<string, string> = {};
  const read = (): Promise<Overview> => readOverview({ prisma: db().prisma, surveys: services.surveys, loyalty: services.loyalty }, clock.now());
  const refresh = async () => {
    const report = await refreshAnalytics({ prisma: db().prisma, sql: db().sql, clock, settings: { batchSize: 50 } });
    if (report.status !== "done") throw new Error(report.reason);
  };

  beforeAll(async () => {
    const prisma = db().prisma;
    const config = loadConfig({ OUTREACH_DEFAULT_QUIET_HOURS: "off" });
    services = buildServices(db(), config, clock, createLogger("silent"));
    auth = new DashboardAuth({ prisma, staff: services.staff, clock });
    app = createHttpServer({ logger: createLogger("silent"), metrics: createMetrics() });
    registerDashboardRoutes(app, { prisma, services, auth, clock });
    await app.ready();
    await services.staff.createApiKey("mei", "staff");

    for (const name of ["ann", "bo", "cai", "dee", "eve"]) ids[name] = (await prisma.customer.create({ data: { displayName: name } })).id;
    // Surveys: telegram 4 invitations, 3 answered (one still open); web 2, 1 answered (the other expired).
    const now = clock.now().getTime();
    const invite = async (customer: string, platform: "telegram" | "web", kind: "csat" | "nps", daysAgo: number, score: number | null, status: "pending" | "expired" | "answered") => {
      const invitation = await prisma.surveyInvitation.create({
        data: { customerId: ids[customer]!, kind, platform, status: status === "answered" ? "answered" : status, sentAt: new Date(now - daysAgo * DAY), expiresAt: new Date(now - daysAgo * DAY + (status === "pending" ? 30 : 2) * DAY) },
      });
      if (score !== null) await prisma.surveyResponse.create({ data: { invitationId: invitation.id, customerId: ids[customer]!, score, respondedAt: new Date(now - daysAgo * DAY + 3_600_000) } });
    };
    await invite("ann", "telegram", "csat", 3, 5, "answered");
    await invite("bo", "telegram", "csat", 10, 2, "answered");
    await invite("cai", "telegram", "nps", 10, 10, "answered");
    await invite("dee", "telegram", "csat", 1, null, "pending");
    await invite("eve", "web", "nps", 20, 3, "answered");
    await invite("ann", "web", "csat", 20, null, "expired");
    // Long before the 12-week period: not counted.
    await invite("bo", "web", "csat", 100, 5, "answered");

    // Outreach: two sent today, three deferred to later today (two by quiet hours, one by the weekly cap), one dead.
    const today = new Date(now + 2 * 3_600_000);
    const row = (key: string, data: Record<string, unknown>) => ({ customerId: ids.ann!, kind: "care", payload: {}, dedupeKey: `overview-test:${key}`, ...data });
    await prisma.outboxMessage.createMany({
      data: [
        row("s1", { status: "sent", sentAt: new Date(now - 3_600_000), notBefore: new Date(now - 3_600_000) }),
        row("s2", { status: "sent", sentAt: new Date(now - 2 * 3_600_000), notBefore: new Date(now - 2 * 3_600_000) }),
        row("d1", { status: "pending", deferReason: "quiet_hours", notBefore: today }),
        row("d2", { status: "pending", deferReason: "quiet_hours", notBefore: today }),
        row("d3", { status: "pending", deferReason: "weekly_cap", notBefore: today }),
        row("f1", { status: "dead", notBefore: new Date(now - DAY), lastError: "blocked" }),
        row("staff", { status: "sent", sentAt: new Date(now - 3_600_000), audience: "staff" }),
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  it("gives the response rate per channel: answered invitations of those sent in the period", async () => {
    const o = await read();
    const byChannel = Object.fromEntries(o.responseByChannel.map((r) => [r.channel, [r.invitations, r.responses, r.stillOpen, r.responseRate]]));
    expect(byChannel).toEqual({ telegram: [4, 3, 1, 75], web: [2, 1, 0, 50] });
    expect([o.responseTotal.invitations, o.responseTotal.responses, o.responseTotal.responseRate]).toEqual([6, 4, 66.7]);
    expect(o.surveysFrom).toBe("2026-09-09");
  });

  it("counts outreach per day with the deferred split by reason; staff rows are not outreach", async () => {
    const o = await read();
    const today = o.outreachDays.at(-1)!;
    expect(today).toEqual({ day: "2026-12-02", sent: 2, deferred: 3, deferredByReason: { quiet_hours: 2, weekly_cap: 1 }, failed: 0 });
    expect(o.outreachDays.at(-2)).toMatchObject({ day: "2026-12-01", failed: 1 });
    expect(o.outreachDays).toHaveLength(14);
    expect(o.deferredByReason).toEqual([
      { label: "quiet_hours", count: 2 },
      { label: "weekly_cap", count: 1 },
    ]);
  });

  it("shows how customers moved between lifecycle stages since the last refresh (two refreshes)", async () => {
    const prisma = db().prisma;
    expect((await read()).lifecycle).toEqual([]);
    await refresh();
    let o = await read();
    expect(o.lifecycle.map((c) => c.label)).toEqual(["potential", "new", "growing", "mature", "declining", "churned"]);
    expect(o.lifecycle.find((c) => c.label === "potential")!.count).toBe(5);
    expect(o).toMatchObject({ moves: [], firstScored: 5, unchanged: 0 });

    // Ann and Bo buy; Fay arrives: the next day's refresh moves two customers and scores one for the first time.
    clock.advance(DAY);
    for (const [customer, key] of [["ann", "o1"], ["bo", "o2"]] as const) {
      await prisma.order.create({ data: { customerId: ids[customer]!, externalId: `overview-${key}`, amount: "40.00", currency: "CNY", placedAt: new Date(clock.now().getTime() - 3_600_000) } });
    }
    ids.fay = (await prisma.customer.create({ data: { displayName: "fay" } })).id;
    await refresh();
    o = await read();
    expect(o.moves).toEqual([{ from: "potential", to: "new", count: 2 }]);
    expect([o.firstScored, o.unchanged]).toEqual([1, 3]);
    expect(o.lifecycle.filter((c) => c.count)).toEqual([
      { label: "potential", count: 4 },
      { label: "new", count: 2 },
    ]);
    // The same, read straight from the rows.
    const rows = await prisma.customerScore.findMany({ select: { lifecycleStage: true, previousLifecycleStage: true } });
    expect(rows.filter((r) => r.previousLifecycleStage && r.previousLifecycleStage !== r.lifecycleStage)).toHaveLength(2);
  });

  it("gives RFM segment sizes with the predicted CLV sum and mean of each segment, leaving out customers without a prediction", async () => {
    const prisma = db().prisma;
    // Known predictions: ann 120.50 and bo 79.25 (both buyers, one segment), fay none.
    await prisma.customerScore.updateMany({ data: { predictedClv: null } });
    await prisma.customerScore.update({ where: { customerId: ids.ann! }, data: { predictedClv: "120.50" } });
    await prisma.customerScore.update({ where: { customerId: ids.bo! }, data: { predictedClv: "79.25" } });
    await prisma.customerScore.update({ where: { customerId: ids.cai! }, data: { predictedClv: "0.10" } });
    const o = await read();
    const scores = await prisma.customerScore.findMany({ where: { customerId: { in: [ids.ann!, ids.bo!] } } });
    const buyersSegment = scores[0]!.rfmSegment;
    expect(buyersSegment).not.toBeNull();
    expect(scores[1]!.rfmSegment).toBe(buyersSegment);
    const buyers = o.segments.find((s) => s.label === buyersSegment)!;
    expect(buyers).toEqual({ label: buyersSegment, customers: 2, withClv: 2, clvSum: 199.75, clvMean: 99.875 });
    // Customers without orders in the window have no segment: "-", four of them, one with a prediction.
    expect(o.segments.find((s) => s.label === "-")).toEqual({ label: "-", customers: 4, withClv: 1, clvSum: 0.1, clvMean: 0.1 });
    expect(o.segments.reduce((sum, s) => sum + s.customers, 0)).toBe(6);
  });

  it("counts customers per tier as the loyalty service tiers each one, on points and on spend, at the thresholds, without erased customers", async () => {
    const prisma = db().prisma;
    const bonus = async (customerId: string, points: number) => services.loyalty.awardBonus({ customerId, points, reason: "test", idempotencyKey: `overview-tier-${customerId}-${points}` });
    const below = await prisma.customer.create({ data: { displayName: "tier below" } });
    const exactly = await prisma.customer.create({ data: { displayName: "tier exactly" } });
    const erased = await prisma.customer.create({ data: { displayName: "tier erased" } });
    await bonus(below.id, 499);
    await bonus(exactly.id, 500);
    await bonus(erased.id, 5000);
    await prisma.order.create({ data: { customerId: below.id, externalId: "overview-tier-spend", amount: "2500.00", currency: "CNY", placedAt: new Date(clock.now().getTime() - DAY) } });
    await prisma.customer.update({ where: { id: erased.id }, data: { erasedAt: clock.now() } });
    const spend = buildServices(db(), loadConfig({ OUTREACH_DEFAULT_QUIET_HOURS: "off", LOYALTY_TIER_BASIS: "spend" }), clock, createLogger("silent"));
    for (const loyalty of [services.loyalty, spend.loyalty]) {
      const o = await readOverview({ prisma, surveys: services.surveys, loyalty }, clock.now());
      const expected = new Map<string, number>();
      for (const c of await prisma.customer.findMany({ where: { erasedAt: null }, select: { id: true } })) {
        const tier = (await loyalty.summary(c.id)).tier;
        expected.set(tier, (expected.get(tier) ?? 0) + 1);
      }
      expect(Object.fromEntries(o.tiers.filter((t) => t.count > 0).map((t) => [t.label, t.count])), loyalty.settings.tierBasis).toEqual(Object.fromEntries(expected));
      expect(o.tiers.reduce((sum, t) => sum + t.count, 0)).toBe(await prisma.customer.count({ where: { erasedAt: null } }));
    }
    expect((await services.loyalty.summary(exactly.id)).tier).toBe("Silver");
    expect((await spend.loyalty.summary(below.id)).tier).not.toBe("Bronze");
  });

  it("serves the page with its tables, the chart data as JSON and the chart files, all behind the sign-in", async () => {
    for (const url of ["/dashboard/assets/chart.umd.min.js", "/dashboard/assets/chart-client.js", "/dashboard/assets/overview.css"]) {
      expect((await app.inject({ url })).statusCode, url).toBe(401);
    }
    const link = await auth.createLoginLink("mei", cliActor("test"));
    const login = await app.inject({ method: "POST", url: "/dashboard/login", payload: `token=${link.token}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    const cookie = String(login.headers["set-cookie"]).split(";")[0]!;

    const chartJs = await app.inject({ url: "/dashboard/assets/chart.umd.min.js", headers: { cookie } });
    expect(chartJs.statusCode).toBe(200);
    expect(chartJs.headers["content-type"]).toMatch(/^text\/javascript/);
    expect(chartJs.body).toContain("Chart.js v4.6.1");
    expect(chartJs.body).not.toContain("sourceMappingURL");
    expect((await app.inject({ url: "/dashboard/assets/chart-client.js", headers: { cookie } })).body).toContain('getElementById("overview-charts")');

    for (const [lang, words] of [
      ["en", ["Survey response rate", "Lifecycle moves since the last refresh", "Predicted customer lifetime value by RFM segment", "As a table"]],
      ["zh", ["调查回复率", "上次刷新以来的生命周期变化", "各 RFM 分群的预测客户终身价值", "以表格查看"]],
    ] as const) {
      const page = await app.inject({ url: "/dashboard", headers: { accept: "text/html", cookie: `${cookie}; tend_lang=${lang}` } });
      expect(page.statusCode).toBe(200);
      expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
      expect(page.headers["content-security-policy"]).not.toContain("unsafe-inline");
      for (const word of words) expect(page.body).toContain(word);
      // No inline script: only the JSON data block and the two files.
      expect([...page.body.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!.trim())).toEqual([
        'type="application/json" id="overview-charts"',
        'src="/dashboard/assets/chart.umd.min.js" defer',
        'src="/dashboard/assets/chart-client.js" defer',
      ]);
      const json = /<script type="application\/json" id="overview-charts">([^<]*)<\/script>/.exec(page.body)?.[1];
      const charts = JSON.parse(json!) as Record<string, ChartSpec>;
      expect(Object.keys(charts).sort()).toEqual(["cases", "clv", "csat", "lifecycle", "moves", "nps", "outreach", "response", "rfm", "tiers"]);
      expect(charts.response!.series[0]!.values).toEqual([75, 50, 66.7]);
      expect(charts.moves!.series[0]!.values).toEqual([2]);
      // The clock is a day on (the refresh test): the seeded day is the one before the last.
      expect(charts.outreach!.series.map((s) => s.values.at(-2))).toEqual([2, 2, 1, 0]);
      expect(page.body).toMatch(/<table id="moves">[\s\S]*<td>2<\/td>/);
    }
  });

  it("keeps a customer's text out of the script element", async () => {
    // A segment name is ours, but a channel or reason could one day carry text from outside: "<" never closes the JSON.
    await db().prisma.outboxMessage.create({ data: { customerId: ids.ann!, kind: "care", payload: {}, dedupeKey: "overview-test:evil", status: "pending", deferReason: "</script><script>alert(1)</script>", notBefore: new Date(clock.now().getTime() + 60_000) } });
    const link = await auth.createLoginLink("mei", cliActor("test"));
    const login = await app.inject({ method: "POST", url: "/dashboard/login", payload: `token=${link.token}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    const cookie = String(login.headers["set-cookie"]).split(";")[0]!;
    const page = await app.inject({ url: "/dashboard", headers: { accept: "text/html", cookie } });
    expect(page.body).not.toContain("<script>alert(1)");
    expect(page.body.match(/<script/g)).toHaveLength(3);
  });
});
