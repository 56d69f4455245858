import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { registerStaffCommands } from "../src/cli/staff-commands.ts";
import { loadConfig } from "../src/config/env.ts";
import { ManualClock } from "../src/core/clock.ts";
import { customerPage } from "../src/dashboard/customer-list.ts";
import { DashboardAuth, LOGIN_LINK_MINUTES, SESSION_HOURS } from "../src/dashboard/dashboard-auth.ts";
import { registerDashboardRoutes } from "../src/dashboard/dashboard-routes.ts";
import { type BuiltServices, buildServices } from "../src/engine/build-services.ts";
import { createHttpServer } from "../src/http/server.ts";
import { createLogger } from "../src/observability/logger.ts";
import { createMetrics } from "../src/observability/metrics.ts";
import { describeEachDatabase } from "./support/databases.ts";
import { runCommands } from "./support/staff-api-app.ts";

/** Sign-in, sessions and CSRF of the staff dashboard (issue 12), through fastify's inject. */
describeEachDatabase("staff dashboard sessions", (db) => {
  const clock = new ManualClock("2026-12-02T08:00:00Z");
  let app: FastifyInstance;
  let services: BuiltServices;
  let auth: DashboardAuth;
  let customerId: string;
  const html = { accept: "text/html" };

  beforeAll(async () => {
    const config = loadConfig({ OUTREACH_DEFAULT_QUIET_HOURS: "off", TEND_STAFF_SLACK_USERS: "U012AB3CD:Alice Chen" });
    services = buildServices(db(), config, clock, createLogger("silent"));
    auth = new DashboardAuth({ prisma: db().prisma, staff: services.staff, clock });
    app = createHttpServer({ logger: createLogger("silent"), metrics: createMetrics() });
    registerDashboardRoutes(app, { prisma: db().prisma, services, auth, clock });
    await app.ready();
    await services.staff.createApiKey("mei", "staff");
    await services.staff.createApiKey("shop-sync", "integration");
    customerId = (await db().prisma.customer.create({ data: { displayName: "Lin Dashboard", externalId: "dash-1" } })).id;
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(() => clock.advance(60_000));

  /** Signs in with a fresh link; the session cookie and the page's CSRF token. */
  async function signIn(name = "mei"): Promise<{ cookie: string; csrf: string }> {
    const link = await auth.createLoginLink(name, { kind: "staff", id: "cli:test", name: "test", via: "cli" });
    const response = await app.inject({ method: "POST", url: "/dashboard/login", payload: `token=${link.token}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(response.statusCode).toBe(303);
    const cookie = String(response.headers["set-cookie"]).split(";")[0]!;
    const overview = await app.inject({ url: "/dashboard", headers: { ...html, cookie } });
    expect(overview.statusCode).toBe(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(overview.body)?.[1];
    expect(csrf).toBeTruthy();
    return { cookie, csrf: csrf! };
  }
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const post = (url: string, cookie: string | undefined, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    app.inject({ method: "POST", url, payload: form(fields), headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}), ...headers } });

  it("refuses anonymous requests: pages redirect to the sign-in page, JSON gets 401, forms are refused", async () => {
    for (const url of ["/dashboard", "/dashboard/customers", `/dashboard/customers/${customerId}`]) {
      const page = await app.inject({ url, headers: html });
      expect(page.statusCode, url).toBe(303);
      expect(page.headers.location).toBe("/dashboard/signin");
    }
    expect((await app.inject({ url: "/dashboard/api/overview" })).statusCode).toBe(401);
    expect((await app.inject({ url: "/dashboard/customers", headers: { cookie: "tend_session=made-up" } })).statusCode).toBe(401);
    const note = await post(`/dashboard/customers/${customerId}/notes`, undefined, { text: "anonymous", _csrf: "x" });
    expect(note.statusCode).toBe(401);
    expect(await db().prisma.interaction.count({ where: { customerId } })).toBe(0);
    // The sign-in page and the style sheet are open.
    expect((await app.inject({ url: "/dashboard/signin", headers: html })).statusCode).toBe(200);
    expect((await app.inject({ url: "/dashboard/assets/dashboard.css" })).statusCode).toBe(200);
  });

  it("a sign-in link is stored hashed, works once, and a session cookie is HttpOnly, SameSite=Strict, Secure over HTTPS", async () => {
    const link = await auth.createLoginLink("mei", { kind: "staff", id: "cli:test", name: "test", via: "cli" });
    const row = await db().prisma.dashboardLoginLink.findFirstOrThrow({ where: { tokenHash: createHash("sha256").update(link.token).digest("hex") } });
    expect(JSON.stringify(row)).not.toContain(link.token);
    expect(row.expiresAt.getTime() - clock.now().getTime()).toBe(LOGIN_LINK_MINUTES * 60_000);

    // Opening the link only shows a button (link previews must not use it up).
    const opened = await app.inject({ url: `/dashboard/login?token=${link.token}`, headers: html });
    expect(opened.statusCode).toBe(200);
    expect(await db().prisma.dashboardLoginLink.count({ where: { id: row.id, usedAt: null } })).toBe(1);

    const first = await post("/dashboard/login", undefined, { token: link.token }, { "x-forwarded-proto": "https" });
    expect(first.statusCode).toBe(303);
    const cookie = String(first.headers["set-cookie"]);
    expect(cookie).toMatch(/^tend_session=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Secure");
    clock.advance(1000);
    const second = await post("/dashboard/login", undefined, { token: link.token });
    expect(second.statusCode).toBe(401);
    expect(second.headers["set-cookie"]).toBeUndefined();

    // Over plain HTTP the cookie is not Secure (a LAN install without TLS still works).
    clock.advance(1000);
    const plain = await signIn();
    expect(plain.cookie).toMatch(/^tend_session=/);
    expect(String((await post("/dashboard/login", undefined, { token: (await auth.createLoginLink("mei", { kind: "staff", id: "cli:test", name: "test", via: "cli" })).token })).headers["set-cookie"])).not.toContain("Secure");
    const audit = await services.staff.auditLog({ actorId: "apikey:mei" });
    expect(audit.filter((e) => e.action === "dashboard.sign_in").map((e) => [e.outcome, e.via])).toEqual([
      ["ok", "web"],
      ["ok", "web"],
      ["refused", "web"],
      ["ok", "web"],
    ]);
  });

  it("refuses an expired link and an expired session", async () => {
    const link = await auth.createLoginLink("mei", { kind: "staff", id: "cli:test", name: "test", via: "cli" });
    clock.advance(LOGIN_LINK_MINUTES * 60_000 + 1);
    expect((await post("/dashboard/login", undefined, { token: link.token })).statusCode).toBe(401);

    const { cookie } = await signIn();
    expect((await app.inject({ url: "/dashboard/api/overview", headers: { cookie } })).statusCode).toBe(200);
    clock.advance(SESSION_HOURS * 3_600_000);
    expect((await app.inject({ url: "/dashboard/api/overview", headers: { cookie } })).statusCode).toBe(401);
    const page = await app.inject({ url: "/dashboard", headers: { ...html, cookie } });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe("/dashboard/signin");
  });

  it("refuses a form without the session's CSRF token; with it, the note is saved as the staff member via web", async () => {
    const { cookie, csrf } = await signIn();
    const url = `/dashboard/customers/${customerId}/notes`;
    expect((await post(url, cookie, { text: "no token" })).statusCode).toBe(403);
    expect((await post(url, cookie, { text: "wrong token", _csrf: `${csrf.slice(0, -1)}x` })).statusCode).toBe(403);
    // Another session's token is no good either.
    const other = await signIn("Alice Chen");
    expect((await post(url, cookie, { text: "other token", _csrf: other.csrf })).statusCode).toBe(403);
    expect(await db().prisma.interaction.count({ where: { customerId } })).toBe(0);

    const saved = await post(url, cookie, { text: "asked about the blue teapot", _csrf: csrf });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`/dashboard/customers/${customerId}?done=1`);
    const [entry] = await services.staff.auditLog({ customerId, limit: 1 });
    expect(entry).toMatchObject({ action: "customer.note", actorId: "apikey:mei", actorName: "mei", via: "web", outcome: "ok" });
    const page = await app.inject({ url: `/dashboard/customers/${customerId}`, headers: { ...html, cookie } });
    expect(page.body).toContain("asked about the blue teapot");
  });

  it("pauses outreach and resolves a case through the customer page's forms, as the staff member via web; another customer's case is refused", async () => {
    const { cookie, csrf } = await signIn();
    const other = await db().prisma.customer.create({ data: { displayName: "Other Case" } });
    const foreign = await db().prisma.feedbackCase.create({ data: { customerId: other.id, source: "complaint", summary: "not this one" } });
    const own = await db().prisma.feedbackCase.create({ data: { customerId, source: "complaint", summary: "late parcel" } });

    const paused = await post(`/dashboard/customers/${customerId}/pause`, cookie, { days: "7", _csrf: csrf });
    expect(paused.headers.location).toBe(`/dashboard/customers/${customerId}?done=1`);
    const customer = await db().prisma.customer.findUniqueOrThrow({ where: { id: customerId } });
    expect(customer.outreachPausedUntil?.getTime()).toBe(clock.now().getTime() + 7 * 86_400_000);
    const badDays = await post(`/dashboard/customers/${customerId}/pause`, cookie, { days: "0", _csrf: csrf });
    expect(badDays.headers.location).toMatch(/\?error=days/);

    const refused = await post(`/dashboard/customers/${customerId}/cases/${foreign.id}/resolve`, cookie, { resolution: "wrong customer", _csrf: csrf });
    expect(refused.headers.location).toMatch(/\?error=/);
    expect((await db().prisma.feedbackCase.findUniqueOrThrow({ where: { id: foreign.id } })).status).toBe("open");
    const empty = await post(`/dashboard/customers/${customerId}/cases/${own.id}/resolve`, cookie, { resolution: "  ", _csrf: csrf });
    expect(empty.headers.location).toMatch(/\?error=/);

    const resolved = await post(`/dashboard/customers/${customerId}/cases/${own.id}/resolve`, cookie, { resolution: "sent a new parcel", _csrf: csrf });
    expect(resolved.headers.location).toBe(`/dashboard/customers/${customerId}?done=1`);
    const closed = await db().prisma.feedbackCase.findUniqueOrThrow({ where: { id: own.id } });
    expect(closed).toMatchObject({ status: "closed", closedBy: "mei" });
    const actions = (await services.staff.auditLog({ customerId, actorId: "apikey:mei" })).map((e) => `${e.action}:${e.outcome}:${e.via}`);
    expect(actions).toContain("customer.pause_outreach:ok:web");
    expect(actions).toContain("case.close:ok:web");
  });

  it("the overview's tier counts agree with the loyalty service's tier of each customer", async () => {
    const { cookie } = await signIn();
    const silver = await db().prisma.customer.create({ data: { displayName: "Silver Test" } });
    await services.loyalty.awardBonus({ customerId: silver.id, points: 600, reason: "test", idempotencyKey: `dash-tier-${silver.id}` });
    const overview = (await app.inject({ url: "/dashboard/api/overview", headers: { cookie } })).json() as { tiers: { label: string; count: number }[] };
    const expected = new Map<string, number>();
    for (const c of await db().prisma.customer.findMany({ where: { erasedAt: null }, select: { id: true } })) {
      const tier = (await services.loyalty.summary(c.id)).tier;
      expected.set(tier, (expected.get(tier) ?? 0) + 1);
    }
    expect(expected.get("Silver")).toBeGreaterThanOrEqual(1);
    expect(Object.fromEntries(overview.tiers.filter((t) => t.count > 0).map((t) => [t.label, t.count]))).toEqual(Object.fromEntries(expected));
  });

  it("signs out: the session is refused afterwards", async () => {
    const { cookie, csrf } = await signIn("U012AB3CD");
    clock.advance(1000);
    const out = await post("/dashboard/logout", cookie, { _csrf: csrf });
    expect(out.statusCode).toBe(303);
    expect(String(out.headers["set-cookie"])).toContain("Max-Age=0");
    expect((await app.inject({ url: "/dashboard/api/overview", headers: { cookie } })).statusCode).toBe(401);
    const entries = await services.staff.auditLog({ actorId: "slack:U012AB3CD" });
    expect(entries[0]).toMatchObject({ action: "dashboard.sign_out", actorName: "Alice Chen", via: "web" });
  });

  it("revoking a staff member's key ends their sessions at once", async () => {
    await services.staff.createApiKey("leaver", "staff");
    const { cookie } = await signIn("leaver");
    expect((await app.inject({ url: "/dashboard/api/overview", headers: { cookie } })).statusCode).toBe(200);
    await services.staff.revokeApiKey("leaver");
    expect((await app.inject({ url: "/dashboard/api/overview", headers: { cookie } })).statusCode).toBe(401);
  });

  it("pages customers by keyset in each order, every customer once, the nameless last by name", async () => {
    const base = Date.parse("2026-01-01T00:00:00Z");
    // Two customers share a creation instant and two a name: the id breaks the ties.
    const names = ["Bo", null, "Ann", "Bo", null, "Cy", "ann"];
    await db().prisma.customer.createMany({ data: names.map((displayName, i) => ({ displayName, externalId: `page-${i}`, createdAt: new Date(base + Math.min(i, 5) * 1000) })) });
    const all = await db().prisma.customer.findMany({ select: { id: true, displayName: true, createdAt: true } });
    const walk = async (sort: "newest" | "oldest" | "name") => {
      const ids: string[] = [];
      for (let after: string | undefined, pages = 0; pages < 50; pages++) {
        const page = await customerPage(db().prisma, sort, after, 2);
        ids.push(...page.rows.map((r) => r.id));
        if (!page.next) break;
        after = page.next;
      }
      return ids;
    };
    const byTimeThenId = [...all].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1)).map((c) => c.id);
    expect(await walk("oldest")).toEqual(byTimeThenId);
    expect(await walk("newest")).toEqual([...byTimeThenId].reverse());
    const byName = await walk("name");
    expect(new Set(byName).size).toBe(all.length);
    expect(byName.length).toBe(all.length);
    const named = byName.map((id) => all.find((c) => c.id === id)!.displayName);
    const firstNull = named.indexOf(null);
    expect(named.slice(firstNull).every((n) => n === null)).toBe(true);
    // A cursor that is not one of Tend's is the first page, not an error.
    expect((await customerPage(db().prisma, "name", "not-a-cursor", 2)).rows).toHaveLength(2);
  });

  it("tend staff login-link prints a link for staff and refuses integrations and strangers", async () => {
    const register = (program: Parameters<typeof registerStaffCommands>[0], openDb: Parameters<typeof registerStaffCommands>[1], stdout: NodeJS.WritableStream) =>
      registerStaffCommands(program, openDb, (text) => void stdout.write(text), { clock, userName: "ops", slackStaffUsers: "U012AB3CD:Alice Chen" });
    const printed = await runCommands(db(), register, ["staff", "login-link", "Alice Chen", "--base-url", "https://tend.example.com/"]);
    expect(printed.error).toBeUndefined();
    const token = /https:\/\/tend\.example\.com\/dashboard\/login\?token=([A-Za-z0-9_-]{43})/.exec(printed.stdout)?.[1];
    expect(token).toBeTruthy();
    expect((await post("/dashboard/login", undefined, { token: token! })).statusCode).toBe(303);
    const [made] = await services.staff.auditLog({ actorId: "cli:ops", limit: 1 });
    expect(made).toMatchObject({ action: "dashboard.login_link", target: "slack:U012AB3CD", via: "cli" });

    for (const name of ["shop-sync", "nobody"]) {
      const refused = await runCommands(db(), register, ["staff", "login-link", name]);
      expect(String(refused.error), name).toMatch(/integration's key|no staff member named/);
    }
  });

  it("pages in both languages: Accept-Language, then the language link's cookie", async () => {
    const { cookie } = await signIn();
    const zh = await app.inject({ url: "/dashboard/customers", headers: { ...html, cookie, "accept-language": "zh-CN,zh;q=0.9,en;q=0.5" } });
    expect(zh.body).toContain('<html lang="zh-CN">');
    expect(zh.body).toContain("搜索客户");
    const switched = await app.inject({ url: "/dashboard/lang?set=en&back=%2Fdashboard%2Fcustomers", headers: { ...html, cookie } });
    expect(switched.statusCode).toBe(303);
    expect(switched.headers.location).toBe("/dashboard/customers");
    const langCookie = String(switched.headers["set-cookie"]).split(";")[0]!;
    const en = await app.inject({ url: "/dashboard/customers", headers: { ...html, cookie: `${cookie}; ${langCookie}`, "accept-language": "zh-CN" } });
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain("Lin Dashboard");
    // Never an open redirect.
    const away = await app.inject({ url: "/dashboard/lang?set=zh&back=https%3A%2F%2Fevil.example", headers: html });
    expect(away.headers.location).toBe("/dashboard");
  });
});
