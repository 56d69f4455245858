import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../src/config/env.ts";
import { ManualClock } from "../src/core/clock.ts";
import { DashboardAuth } from "../src/dashboard/dashboard-auth.ts";
import { registerDashboardRoutes } from "../src/dashboard/dashboard-routes.ts";
import { CareForecastRepository } from "../src/db/repositories/care-forecast-repository.ts";
import { type BuiltServices, buildServices } from "../src/engine/build-services.ts";
import { createHttpServer } from "../src/http/server.ts";
import { loyaltySettingsFromConfig } from "../src/loyalty/settings.ts";
import { createLogger } from "../src/observability/logger.ts";
import { createMetrics } from "../src/observability/metrics.ts";
import { CampaignService } from "../src/outreach/campaign-service.ts";
import { careForecast } from "../src/outreach/care-forecast.ts";
import { type CarePlans, defaultCarePlansFile, loadCarePlans } from "../src/outreach/care-plans-file.ts";
import { contactPolicySettings } from "../src/outreach/contact-policy-settings.ts";
import { runCarePlanner } from "../src/outreach/planner-job.ts";
import { setUpStaffSide, staffAlertSettingsFromConfig } from "../src/staff/takeover-setup.ts";
import { describeEachDatabase } from "./support/databases.ts";

/**
 * The care-plan calendar's 14-day forecast (issue 12): counted with SQL aggregates over the care
 * planner's own rules, it agrees with what the planner then writes day by day (less the customers
 * the contact policy would skip for consent or erasure), and counts an occasion once whether queued or not.
 */
describeEachDatabase("care-plan calendar forecast", (db) => {
  // 2027's Mid-Autumn Festival is 15 September (lunar 8/15).
  const clock = new ManualClock("2027-09-10T06:00:00Z");
  const config = loadConfig({ OUTREACH_DEFAULT_QUIET_HOURS: "off" });
  const plans: CarePlans = loadCarePlans(defaultCarePlansFile);
  const prisma = () => db().prisma;
  let app: FastifyInstance;
  let services: BuiltServices;
  let auth: DashboardAuth;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const c = async (name: string, data: Record<string, unknown> = {}) => {
      ids[name] = (await prisma().customer.create({ data: { displayName: name, timeZone: "UTC", ...data } })).id;
    };
    await c("amy", { locale: "zh-CN", birthday: new Date("1990-09-12T00:00:00Z") });
    await c("ben", { locale: "en", birthday: new Date("1985-09-12T00:00:00Z"), careConsent: false });
    await c("cat", { locale: "zh-CN", birthday: new Date("1988-09-12T00:00:00Z"), erasedAt: new Date("2027-01-01T00:00:00Z") });
    await c("dai", { locale: "zh-CN", timeZone: "Asia/Shanghai", lunarBirthMonth: 8, lunarBirthDay: 15, birthday: new Date("1991-09-23T00:00:00Z") });
    await c("eve", { locale: "en", birthday: new Date("1992-09-13T00:00:00Z"), lunarBirthMonth: 1, lunarBirthDay: 1 });
    await c("fei", { locale: "zh-CN", careConsent: false });
    await c("hal", { locale: "en", createdAt: new Date("2025-09-11T09:00:00Z") });
    await c("ivy", { locale: "en", timeZone: "Asia/Shanghai", createdAt: new Date("2027-09-16T01:00:00Z") });
    const order = (who: string, placedAt: string, n: number) =>
      prisma().order.create({ data: { customerId: ids[who]!, externalId: `fc-${who}-${n}`, amount: 10, currency: "CNY", placedAt: new Date(placedAt) } });
    await order("hal", "2027-09-05T03:00:00Z", 1); // due 09-12
    await order("hal", "2027-09-07T03:00:00Z", 2); // due 09-14: within the 30-day cooldown of the first
    await order("ivy", "2027-09-06T20:00:00Z", 1); // 09-07 in Shanghai: due 09-14
    await order("ben", "2027-09-06T12:00:00Z", 1); // opted out of care: not counted

    services = buildServices(db(), config, clock, createLogger("silent"));
    const policy = contactPolicySettings(config);
    const tierRules = loyaltySettingsFromConfig(config);
    const side = setUpStaffSide({ prisma: prisma(), services, clock, settings: staffAlertSettingsFromConfig(config), alertsOn: true });
    const campaigns = new CampaignService({ db: db(), clock, tierRules, policy, plan: { enabled: false, control: 0 }, onQueued: () => services.outbox.queued(), staff: services.staff });
    const queues = { alerts: side.alerts, campaigns, outbox: services.outbox, policy, tiers: tierRules.tiers, campaignsEnabled: false, carePlans: plans };
    auth = new DashboardAuth({ prisma: prisma(), staff: services.staff, clock });
    app = createHttpServer({ logger: createLogger("silent"), metrics: createMetrics() });
    registerDashboardRoutes(app, { prisma: prisma(), services, auth, clock, queues });
    await app.ready();
    await services.staff.createApiKey("mei", "staff");
  });
  afterAll(async () => {
    await app?.close();
  });

  const forecast = () => careForecast({ repository: new CareForecastRepository(prisma()), plans }, clock.now(), 14);
  const table = (cells: { day: string; plan: string; customers: number }[]) => Object.fromEntries(cells.map((c) => [`${c.day} ${c.plan}`, c.customers]));

  it("counts birthdays (Gregorian and lunar), Mid-Autumn's audience, check-ins and anniversaries per date, without opted-out or erased customers", async () => {
    const result = await forecast();
    expect(result.days[0]).toBe("2027-09-10");
    expect(result.days).toHaveLength(14);
    expect(table(result.cells)).toEqual({
      "2027-09-11 anniversary": 1, // hal joined 2025-09-11
      "2027-09-12 birthday": 1, // amy (ben opted out, cat erased)
      "2027-09-12 checkin": 1, // hal's first order
      "2027-09-14 checkin": 1, // ivy; hal's second is within the cooldown
      "2027-09-15 birthday": 1, // dai's lunar 8/15 (her Gregorian 09-23 is not the one she celebrates)
      "2027-09-15 festival": 2, // zh-CN: amy and dai (fei opted out, cat erased)
    });
    expect(result.cells.find((c) => c.plan === "festival")?.festival?.key).toBe("mid-autumn");
    expect(result.winbackNow).toBe(0);
    expect(result.total).toBe(7);
  });

  it("agrees with what the planner writes day by day, and counts a queued occasion once", async () => {
    const before = await forecast();
    const start = clock.now();
    // The planner plans today and tomorrow: one run at midday UTC each day covers the window.
    for (let day = -1; day < 13; day++) {
      const at = new Date(Date.UTC(2027, 8, 10 + day, 12));
      clock.set(at);
      await runCarePlanner({ db: db(), plans, clock, birthdayBonusPoints: 100 });
    }
    clock.set(start);
    const rows = await prisma().outboxMessage.findMany({
      where: { audience: "customer", notBefore: { gte: new Date("2027-09-10T00:00:00Z"), lt: new Date("2027-09-24T00:00:00Z") } },
      include: { customer: { select: { careConsent: true, erasedAt: true } } },
    });
    expect(rows.length).toBeGreaterThan(0);
    const planned: Record<string, number> = {};
    for (const row of rows) {
      // The contact policy skips these at send time: the forecast leaves them out.
      if (!row.customer.careConsent || row.customer.erasedAt) continue;
      const key = `${row.notBefore.toISOString().slice(0, 10)} ${row.kind}`;
      planned[key] = (planned[key] ?? 0) + 1;
    }
    expect(planned).toEqual(table(before.cells));
    // Planned or to be planned: now that the rows are queued, the forecast is the same.
    expect(table((await forecast()).cells)).toEqual(table(before.cells));
  });

  it("shows the forecast on the calendar page in English and Chinese, with what is applied at send time", async () => {
    const link = await auth.createLoginLink("mei", { kind: "staff", id: "cli:test", name: "test", via: "cli" });
    const signin = await app.inject({ method: "POST", url: "/dashboard/login", payload: `token=${link.token}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    const cookie = String(signin.headers["set-cookie"]).split(";")[0]!;
    const en = await app.inject({ url: "/dashboard/calendar", headers: { accept: "text/html", cookie, "accept-language": "en" } });
    expect(en.statusCode).toBe(200);
    expect(en.body).toContain('id="forecast"');
    expect(en.body).toContain("Festival: Mid-Autumn Festival");
    expect(en.body).toContain("so the number sent may be lower");
    expect(en.body).toContain("Win-back: 0 customers eligible now");
    expect(en.body).toMatch(/first 200 messages of each day and plan/);
    const zh = await app.inject({ url: "/dashboard/calendar", headers: { accept: "text/html", cookie, "accept-language": "zh-CN" } });
    expect(zh.body).toContain("未来 14 天：已计划或将计划");
    expect(zh.body).toContain("节日: 中秋节");
    expect(zh.body).toContain("实际发送的数量可能更少");
  });
});
