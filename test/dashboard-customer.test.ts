import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { refreshAnalytics } from "../src/analytics/refresh.ts";
import { loadConfig } from "../src/config/env.ts";
import { ManualClock } from "../src/core/clock.ts";
import { DashboardAuth } from "../src/dashboard/dashboard-auth.ts";
import { registerDashboardRoutes } from "../src/dashboard/dashboard-routes.ts";
import { type BuiltServices, buildServices } from "../src/engine/build-services.ts";
import { createHttpServer } from "../src/http/server.ts";
import { createLogger } from "../src/observability/logger.ts";
import { createMetrics } from "../src/observability/metrics.ts";
import { buildStaffConsoleServices } from "../src/staff-console/build.ts";
import { setUpStaffSide, staffAlertSettingsFromConfig } from "../src/staff/takeover-setup.ts";
import { describeEachDatabase } from "./support/databases.ts";

/**
 * The dashboard's customer page (issue 12) through fastify's inject: every section, paging, and
 * each action refused without a session or the session's CSRF token, done and audited as the
 * signed-in staff member (via web) through the owning service otherwise.
 */
describeEachDatabase("dashboard customer page", (db) => {
  // 08:00 UTC: inside the customer's own quiet hours (22:00-09:00 UTC).
  const clock = new ManualClock("2026-12-02T08:00:00Z");
  let app: FastifyInstance;
  let services: BuiltServices;
  let auth: DashboardAuth;
  let customerId: string;
  const html = { accept: "text/html" };

  beforeAll(async () => {
    const config = loadConfig({ OUTREACH_DEFAULT_QUIET_HOURS: "off", TEND_STAFF_SLACK_USERS: "U012AB3CD:Alice Chen" });
    services = buildServices(db(), config, clock, createLogger("silent"));
    const staffSide = setUpStaffSide({ prisma: db().prisma, services, clock, settings: staffAlertSettingsFromConfig(config), alertsOn: false });
    auth = new DashboardAuth({ prisma: db().prisma, staff: services.staff, clock });
    app = createHttpServer({ logger: createLogger("silent"), metrics: createMetrics() });
    registerDashboardRoutes(app, {
      prisma: db().prisma,
      services,
      auth,
      clock,
      customerActions: { console: buildStaffConsoleServices({ db: db(), config, services, clock }), takeover: staffSide.takeover },
    });
    await app.ready();
    await services.staff.createApiKey("mei", "staff");
    const customer = await db().prisma.customer.create({
      data: { displayName: "Zhou Min", externalId: "cust-page-1", timeZone: "UTC", quietHoursStart: 22 * 60, quietHoursEnd: 9 * 60, careConsent: true, careConsentAt: new Date("2026-11-01T00:00:00Z") },
    });
    customerId = customer.id;
    await db().prisma.channelIdentity.create({ data: { customerId, platform: "web", platformUserId: "visitor-page-1", address: "visitor-page-1", lastSeenAt: new Date("2026-12-01T10:00:00Z") } });
    await db().prisma.consentChange.create({ data: { customerId, topic: "marketing", granted: false, source: "chat", changedAt: new Date("2026-11-20T10:00:00Z") } });
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(() => clock.advance(1000));

  async function signIn(name = "mei"): Promise<{ cookie: string; csrf: string }> {
    const link = await auth.createLoginLink(name, { kind: "staff", id: "cli:test", name: "test", via: "cli" });
    const response = await app.inject({ method: "POST", url: "/dashboard/login", payload: `token=${link.token}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    const cookie = String(response.headers["set-cookie"]).split(";")[0]!;
    const page = await app.inject({ url: `/dashboard/customers/${customerId}`, headers: { ...html, cookie } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    expect(csrf).toBeTruthy();
    return { cookie, csrf: csrf! };
  }
  const post = (path: string, cookie: string | undefined, fields: Record<string, string>) =>
    app.inject({
      method: "POST",
      url: `/dashboard/customers/${customerId}${path}`,
      payload: new URLSearchParams(fields).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}) },
    });
  const open = async (cookie: string, query = "", lang?: string) =>
    (await app.inject({ url: `/dashboard/customers/${customerId}${query}`, headers: { ...html, cookie, ...(lang ? { "accept-language": lang } : {}) } })).body;
  const audit = async (action: string) => (await services.staff.auditLog({ customerId, action, limit: 1 }))[0];

  const actions: [string, Record<string, string>][] = [
    ["/notes", { text: "a note" }],
    ["/points", { points: "10", reason: "sorry" }],
    ["/message", { text: "hello", topic: "staff" }],
    ["/take-over", {}],
    ["/reply", { text: "hi" }],
    ["/release", {}],
    ["/pause", { days: "3" }],
    ["/resume", {}],
  ];
  const nothingChanged = async () => {
    expect(await db().prisma.loyaltyLedgerEntry.count({ where: { customerId } })).toBe(0);
    expect(await db().prisma.outboxMessage.count({ where: { customerId } })).toBe(0);
    expect(await db().prisma.interaction.count({ where: { customerId } })).toBe(0);
    expect((await db().prisma.customer.findUniqueOrThrow({ where: { id: customerId } })).handedOverAt).toBeNull();
  };

  it("refuses anonymous requests and forms without the session's CSRF token; nothing changes", async () => {
    const page = await app.inject({ url: `/dashboard/customers/${customerId}`, headers: html });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe("/dashboard/signin");
    for (const [path, fields] of actions) expect((await post(path, undefined, { ...fields, _csrf: "x" })).statusCode, path).toBe(401);
    const { cookie, csrf } = await signIn();
    for (const [path, fields] of actions) {
      expect((await post(path, cookie, fields)).statusCode, path).toBe(403);
      expect((await post(path, cookie, { ...fields, _csrf: `${csrf.slice(0, -1)}${csrf.endsWith("x") ? "y" : "x"}` })).statusCode, path).toBe(403);
    }
    await nothingChanged();
  });

  it("shows the card, consent history and empty sections in English and Chinese", async () => {
    const { cookie } = await signIn();
    const en = await open(cookie, "", "en");
    for (const text of ["Customer card", "cust-page-1", "visitor-page-1", "Care messages", "Consent history", "withdrawn", "Loyalty ledger", "No points booked yet.", "Not scored yet", "Timeline"]) {
      expect(en, text).toContain(text);
    }
    const zh = await open(cookie, "", "zh-CN,zh;q=0.9");
    for (const text of ["客户卡片", "关怀消息", "授权变更记录", "撤回", "积分明细", "暂无积分记录。", "尚未评分", "时间线", "免打扰时段"]) expect(zh, text).toContain(text);
    expect(zh).not.toContain("Customer card");
    expect((await audit("customer.view_card"))?.via).toBe("web");
  });

  it("adjusts points with a reason through the customer service, audited; the ledger shows it; a bad amount or a deduction below zero is refused", async () => {
    const { cookie, csrf } = await signIn();
    const key = "0b0c2f6e-6f4c-4c8e-9f55-3f1d2b7a9c01";
    const booked = await post("/points", cookie, { points: "50", reason: "goodwill for the late parcel", idempotencyKey: key, _csrf: csrf });
    expect(booked.headers.location).toBe(`/dashboard/customers/${customerId}?booked=50`);
    // The same form sent twice books once.
    await post("/points", cookie, { points: "50", reason: "goodwill for the late parcel", idempotencyKey: key, _csrf: csrf });
    expect(await services.loyalty.balance(customerId)).toBe(50);
    expect(await audit("loyalty.adjust")).toMatchObject({ actorName: "mei", via: "web", outcome: "ok" });
    const page = await open(cookie, "?booked=50");
    expect(page).toContain("+50 points booked; balance 50.");
    expect(page).toMatch(/id="ledger"[\s\S]*goodwill for the late parcel/);

    for (const points of ["0", "1.5", "abc", "99999999"]) {
      expect((await post("/points", cookie, { points, reason: "x", _csrf: csrf })).headers.location, points).toMatch(/\?error=points/);
    }
    expect((await post("/points", cookie, { points: "5", reason: "  ", _csrf: csrf })).headers.location).toMatch(/\?error=a%20reason/);
    const below = await post("/points", cookie, { points: "-500", reason: "too much", _csrf: csrf });
    expect(below.headers.location).toMatch(/\?error=/);
    expect(await services.loyalty.balance(customerId)).toBe(50);
  });

  it("sends a one-off care message the contact policy defers for quiet hours, and a personal message that goes now; both through the outbox, audited with the verdict", async () => {
    const { cookie, csrf } = await signIn();
    const before = await open(cookie);
    expect(before).toContain("If sent now: goes out now on web");
    expect(before).toContain("If sent now: deferred until 2026-12-02 09:00 UTC: Quiet hours in the customer&#39;s time zone.");

    const care = await post("/message", cookie, { text: "How are you finding the new kettle?", topic: "care", _csrf: csrf });
    const until = new Date("2026-12-02T09:00:00Z").getTime();
    expect(care.headers.location).toBe(`/dashboard/customers/${customerId}?sent=deferred&why=quiet_hours&until=${until}`);
    const row = await db().prisma.outboxMessage.findFirstOrThrow({ where: { customerId, topic: "care" } });
    expect(row).toMatchObject({ kind: "staff_message", status: "pending" });
    expect(await audit("message.send")).toMatchObject({ actorName: "mei", via: "web", outcome: "ok", detail: { verdict: { action: "defer", reason: "quiet_hours" }, topic: "care" } });
    const page = await open(cookie, `?sent=deferred&why=quiet_hours&until=${until}`);
    expect(page).toContain("Message queued, deferred until 2026-12-02 09:00 UTC: Quiet hours in the customer&#39;s time zone.");
    expect(page).toMatch(/id="waiting"[\s\S]*How are you finding the new kettle\?/);
    const zh = await open(cookie, `?sent=deferred&why=quiet_hours&until=${until}`, "zh-CN");
    expect(zh).toContain("消息已排队，推迟到 2026-12-02 09:00 UTC：客户所在时区的免打扰时段。");

    const personal = await post("/message", cookie, { text: "Your order shipped today.", topic: "staff", _csrf: csrf });
    expect(personal.headers.location).toBe(`/dashboard/customers/${customerId}?sent=queued`);
    expect(await db().prisma.outboxMessage.count({ where: { customerId, topic: "staff" } })).toBe(1);
    expect((await post("/message", cookie, { text: "   ", _csrf: csrf })).headers.location).toMatch(/\?error=a%20message/);
  });

  it("takes over, replies as the holder, refuses a colleague's reply, and releases; each audited via web", async () => {
    const { cookie, csrf } = await signIn();
    expect((await post("/take-over", cookie, { _csrf: csrf })).headers.location).toBe(`/dashboard/customers/${customerId}?done=took`);
    expect((await db().prisma.customer.findUniqueOrThrow({ where: { id: customerId } })).handedOverTo).toBe("apikey:mei");
    expect(await audit("customer.take_over")).toMatchObject({ actorName: "mei", via: "web", outcome: "ok" });
    const taken = await open(cookie, "?done=took");
    expect(taken).toContain('id="reply"');
    expect(taken).toContain("[staff took the conversation over]");
    expect(await open(cookie, "", "zh-CN")).toContain("[员工接手对话]");

    const replied = await post("/reply", cookie, { text: "Hi, this is Mei. Let me check that for you.", _csrf: csrf });
    expect(replied.headers.location).toBe(`/dashboard/customers/${customerId}?done=replied`);
    expect(await db().prisma.outboxMessage.count({ where: { customerId, kind: "staff_reply", dedupeKey: { startsWith: "staff_reply:dashboard:apikey:mei:" } } })).toBe(1);
    expect(await audit("message.send")).toMatchObject({ actorName: "mei", via: "web", outcome: "ok" });

    // A colleague may not write to the customer while Mei has them; they may take it over (force) instead.
    await services.staff.createApiKey("jun", "staff");
    const jun = await signIn("jun");
    expect((await post("/reply", jun.cookie, { text: "me too", _csrf: jun.csrf })).headers.location).toMatch(/\?error=mei%20has%20this%20conversation/);
    expect(await open(jun.cookie)).toContain("Take it from mei");

    expect((await post("/release", cookie, { _csrf: csrf })).headers.location).toBe(`/dashboard/customers/${customerId}?done=released`);
    expect(await audit("customer.release")).toMatchObject({ actorName: "mei", via: "web", outcome: "ok" });
    expect((await post("/release", cookie, { _csrf: csrf })).headers.location).toMatch(/\?error=nothing%20to%20release/);
    expect((await post("/reply", cookie, { text: "after release", _csrf: csrf })).headers.location).toMatch(/\?error=/);
  });

  it("shows the scores with the card's explanation of each, in English and Chinese", async () => {
    const { cookie } = await signIn();
    const buyer = await db().prisma.customer.create({ data: { displayName: "Scored Buyer" } });
    await db().prisma.order.createMany({
      data: [40, 25, 10].map((daysAgo, i) => ({ customerId: buyer.id, externalId: `score-order-${i}`, amount: "120.00", currency: "CNY", placedAt: new Date(clock.now().getTime() - daysAgo * 86_400_000) })),
    });
    await refreshAnalytics({ prisma: db().prisma, clock });
    const card = (await services.cards.card(buyer.id))!;
    const why = card.scores!.explanation;
    const read = async (lang: string) => (await app.inject({ url: `/dashboard/customers/${buyer.id}`, headers: { ...html, cookie, "accept-language": lang } })).body;
    const escaped = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
    const en = (await read("en")).split('id="scores"')[1]!;
    for (const part of [why.rfm, why.lifecycle, why.relationship, why.predictive]) expect(en).toContain(escaped(part.en));
    const zh = (await read("zh-CN")).split('id="scores"')[1]!;
    for (const part of [why.rfm, why.lifecycle, why.relationship, why.predictive]) expect(zh).toContain(escaped(part.zh));
    expect(zh).toContain("生命周期阶段");
  });

  it("pages the timeline and the ledger newest first by keyset, every row once, channel and delivery shown", async () => {
    const { cookie } = await signIn();
    const other = await db().prisma.customer.create({ data: { displayName: "Paging Only" } });
    const base = Date.parse("2026-10-01T00:00:00Z");
    await db().prisma.interaction.createMany({
      data: Array.from({ length: 61 }, (_, i) => ({
        customerId: other.id,
        platform: i % 2 ? ("telegram" as const) : ("web" as const),
        direction: i % 3 ? ("in" as const) : ("out" as const),
        kind: "message" as const,
        text: `line ${i}`,
        // Pairs share a time: the id breaks the tie.
        occurredAt: new Date(base + Math.floor(i / 2) * 60_000),
        metadata: i === 0 ? { delivery: "failed", deliveryError: "blocked by the user" } : undefined,
      })),
    });
    await db().prisma.loyaltyLedgerEntry.createMany({
      data: Array.from({ length: 30 }, (_, i) => ({ customerId: other.id, kind: "bonus" as const, points: i + 1, reason: `bonus ${i}`, createdAt: new Date(base + Math.floor(i / 3) * 60_000) })),
    });
    const read = async (query: string) => (await app.inject({ url: `/dashboard/customers/${other.id}${query}`, headers: { ...html, cookie } })).body;
    const texts = (body: string, pattern: RegExp) => [...body.matchAll(pattern)].map((m) => m[1]!);
    // The "Older" link of one section (each section pages on its own and keeps the others' cursors).
    const nextOf = (body: string, key: string) => {
      const section = body.split(`id="h-${key === "t" ? "timeline" : "ledger"}"`)[1]!.split("</section>")[0]!;
      return new RegExp(`[?&;]${key}=([0-9]+_[0-9a-f-]{36})[^"]*" rel="next"`).exec(section)?.[1];
    };

    const seen: string[] = [];
    let query = "";
    for (let pages = 0; pages < 5; pages++) {
      const body = await read(query);
      seen.push(...texts(body.split('id="timeline"')[1]!.split("</table>")[0]!, /<td[^>]*>(line \d+)<\/td>/g));
      const next = nextOf(body, "t");
      if (!next) break;
      query = `?t=${next}`;
    }
    expect(seen).toHaveLength(61);
    expect(new Set(seen).size).toBe(61);
    expect(seen[0]).toBe("line 60");
    const last = await read(query);
    expect(last).toContain("telegram");
    expect(last).toContain("failed: blocked by the user");

    const ledger: string[] = [];
    query = "";
    for (let pages = 0; pages < 5; pages++) {
      const body = await read(query);
      ledger.push(...texts(body, /<td[^>]*>(bonus \d+)<\/td>/g));
      const next = nextOf(body, "l");
      if (!next) break;
      query = `?l=${next}`;
    }
    expect(ledger).toHaveLength(30);
    expect(new Set(ledger).size).toBe(30);
    // A made-up cursor is the first page, not an error.
    expect((await app.inject({ url: `/dashboard/customers/${other.id}?t=garbage&l=1_x`, headers: { ...html, cookie } })).statusCode).toBe(200);
  });
});
