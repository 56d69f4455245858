import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { loadConfig } from "../src/config/env.ts";
import { ManualClock } from "../src/core/clock.ts";
import { DashboardAuth } from "../src/dashboard/dashboard-auth.ts";
import { registerDashboardRoutes } from "../src/dashboard/dashboard-routes.ts";
import { caseColumn } from "../src/dashboard/queue-cases-data.ts";
import type { QueueServices } from "../src/dashboard/queue-routes.ts";
import { ContactFactsRepository } from "../src/db/repositories/contact-facts-repository.ts";
import { OutreachOverviewRepository } from "../src/db/repositories/outreach-overview-repository.ts";
import { type BuiltServices, buildServices } from "../src/engine/build-services.ts";
import { createHttpServer } from "../src/http/server.ts";
import { loyaltySettingsFromConfig } from "../src/loyalty/settings.ts";
import { createLogger } from "../src/observability/logger.ts";
import { createMetrics } from "../src/observability/metrics.ts";
import { CampaignService } from "../src/outreach/campaign-service.ts";
import { contactPolicySettings } from "../src/outreach/contact-policy-settings.ts";
import { outreachCalendar } from "../src/outreach/outreach-calendar.ts";
import { previewOutreach } from "../src/outreach/outreach-preview.ts";
import { setUpStaffSide, staffAlertSettingsFromConfig } from "../src/staff/takeover-setup.ts";
import { describeEachDatabase } from "./support/databases.ts";

/** The dashboard's work queues (issue 12): cases board, outreach queue, care-plan calendar, campaigns; through fastify's inject. */
describeEachDatabase("dashboard work queues", (db) => {
  const clock = new ManualClock("2026-12-02T08:00:00Z");
  const config = loadConfig({ OUTREACH_DEFAULT_QUIET_HOURS: "off" });
  const policy = contactPolicySettings(config);
  const tierRules = loyaltySettingsFromConfig(config);
  let app: FastifyInstance;
  let services: BuiltServices;
  let auth: DashboardAuth;
  let queues: QueueServices;
  let campaignsOn: CampaignService;
  const accept = { accept: "text/html" };
  const prisma = () => db().prisma;

  beforeAll(async () => {
    services = buildServices(db(), config, clock, createLogger("silent"));
    const side = setUpStaffSide({ prisma: prisma(), services, clock, settings: staffAlertSettingsFromConfig(config), alertsOn: true });
    const campaigns = (enabled: boolean) =>
      new CampaignService({ db: db(), clock, tierRules, policy, plan: { enabled, control: 0 }, onQueued: () => services.outbox.queued(), staff: services.staff });
    campaignsOn = campaigns(true);
    queues = { alerts: side.alerts, campaigns: campaigns(false), outbox: services.outbox, policy, tiers: tierRules.tiers, campaignsEnabled: false };
    auth = new DashboardAuth({ prisma: prisma(), staff: services.staff, clock });
    app = createHttpServer({ logger: createLogger("silent"), metrics: createMetrics() });
    registerDashboardRoutes(app, { prisma: prisma(), services, auth, clock, queues });
    await app.ready();
    await services.staff.createApiKey("mei", "staff");
    await services.staff.createApiKey("jun", "staff");
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(() => clock.advance(60_000));

  async function signIn(name = "mei"): Promise<{ cookie: string; csrf: string }> {
    const link = await auth.createLoginLink(name, { kind: "staff", id: "cli:test", name: "test", via: "cli" });
    const response = await app.inject({ method: "POST", url: "/dashboard/login", payload: `token=${link.token}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    const cookie = String(response.headers["set-cookie"]).split(";")[0]!;
    const board = await app.inject({ url: "/dashboard/cases", headers: { ...accept, cookie } });
    expect(board.statusCode).toBe(200);
    return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(board.body)![1]! };
  }
  const post = (url: string, cookie: string | undefined, fields: Record<string, string>) =>
    app.inject({ method: "POST", url, payload: new URLSearchParams(fields).toString(), headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}) } });
  const get = (url: string, cookie: string, lang = "en") => app.inject({ url, headers: { ...accept, cookie, "accept-language": lang } });

  async function customer(name: string, data: Record<string, unknown> = {}) {
    const created = await prisma().customer.create({ data: { displayName: name, ...data } });
    await prisma().channelIdentity.create({ data: { customerId: created.id, platform: "web", platformUserId: `web-${created.id}`, address: `web:${created.id}` } });
    return created;
  }
  async function deadLetter(customerId: string, key: string) {
    return prisma().outboxMessage.create({
      data: { customerId, kind: "birthday", topic: "care", payload: { text: "Happy birthday" }, dedupeKey: key, status: "dead", attempts: 6, lastError: "telegram: 502 Bad Gateway", notBefore: new Date(clock.now().getTime() - 3_600_000) },
    });
  }

  it("refuses anonymous requests and forms without the session's CSRF token, changing nothing", async () => {
    const someone = await customer("Anon Target");
    const theCase = await services.feedback.open(someone.id, "staff", "anonymous should not touch this");
    const dead = await deadLetter(someone.id, `test-dead-anon-${someone.id}`);
    for (const url of ["/dashboard/cases", "/dashboard/outreach", "/dashboard/calendar", "/dashboard/campaigns", "/dashboard/campaigns/new"]) {
      const page = await app.inject({ url, headers: accept });
      expect(page.statusCode, url).toBe(303);
      expect(page.headers.location).toBe("/dashboard/signin");
    }
    const posts: [string, Record<string, string>][] = [
      [`/dashboard/cases/${theCase.id}/claim`, {}],
      [`/dashboard/cases/${theCase.id}/resolve`, { resolution: "done" }],
      [`/dashboard/outreach/dead/${dead.id}/retry`, {}],
      ["/dashboard/outreach/dead/retry-all", {}],
      ["/dashboard/campaigns", { name: "anon", messageEn: "hello" }],
    ];
    for (const [url, fields] of posts) expect((await post(url, undefined, { ...fields, _csrf: "x" })).statusCode, url).toBe(401);
    const { cookie, csrf } = await signIn();
    const other = await signIn("jun");
    for (const [url, fields] of posts) {
      expect((await post(url, cookie, fields)).statusCode, url).toBe(403);
      expect((await post(url, cookie, { ...fields, _csrf: other.csrf })).statusCode, url).toBe(403);
      expect((await post(url, cookie, { ...fields, _csrf: `${csrf.slice(0, -1)}x` })).statusCode, url).toBe(403);
    }
    expect(await prisma().feedbackCase.findUniqueOrThrow({ where: { id: theCase.id } })).toMatchObject({ status: "open", assignee: null });
    expect((await prisma().outboxMessage.findUniqueOrThrow({ where: { id: dead.id } })).status).toBe("dead");
    expect(await prisma().campaign.count({ where: { name: "anon" } })).toBe(0);
    await prisma().outboxMessage.delete({ where: { id: dead.id } });
    await services.feedback.close(theCase.id, "cleanup", "test");
  });

  it("the cases board: oldest first with age and customer link; claim and resolve through the alert or the feedback service, audited via web", async () => {
    const { cookie, csrf } = await signIn();
    const jun = await signIn("jun");
    const lin = await customer("Lin Board");
    // A complaint gets a staff alert (claimed and resolved through it, as Slack does); a staff-opened case has none.
    const complaint = await services.feedback.open(lin.id, "complaint", "parcel arrived broken");
    clock.advance(2 * 3_600_000);
    const own = await services.feedback.open(lin.id, "staff", "call back about the refund");
    expect(await prisma().staffAlert.count({ where: { caseId: complaint.id } })).toBe(1);
    expect(await prisma().staffAlert.count({ where: { caseId: own.id } })).toBe(0);

    const board = await get("/dashboard/cases", cookie);
    const open = board.body.slice(board.body.indexOf('id="board-open"'), board.body.indexOf('id="board-claimed"'));
    expect(open.indexOf("parcel arrived broken")).toBeLessThan(open.indexOf("call back about the refund"));
    expect(open).toContain(`href="/dashboard/customers/${lin.id}"`);
    expect(open).toContain("2 h 0 min");

    for (const c of [complaint, own]) expect((await post(`/dashboard/cases/${c.id}/claim`, cookie, { _csrf: csrf })).headers.location).toBe("/dashboard/cases?ok=claimed");
    // Second comer is told who has it, and the refusal is audited.
    const late = await post(`/dashboard/cases/${own.id}/claim`, jun.cookie, { _csrf: jun.csrf });
    expect(late.headers.location).toBe("/dashboard/cases?error=already_claimed&by=mei");
    expect((await get(late.headers.location!, jun.cookie)).body).toContain("Someone else claimed it first: mei");
    const lateAlert = await post(`/dashboard/cases/${complaint.id}/claim`, jun.cookie, { _csrf: jun.csrf });
    expect(lateAlert.headers.location).toBe("/dashboard/cases?error=already_claimed&by=mei");
    expect((await prisma().staffAlert.findUniqueOrThrow({ where: { caseId: complaint.id } })).claimedByName).toBe("mei");
    expect(await prisma().feedbackCase.findMany({ where: { id: { in: [complaint.id, own.id] } }, select: { assignee: true } })).toEqual([{ assignee: "mei" }, { assignee: "mei" }]);
    const claimed = await get("/dashboard/cases", cookie);
    expect(claimed.body.slice(claimed.body.indexOf('id="board-claimed"'))).toContain("call back about the refund");

    expect((await post(`/dashboard/cases/${own.id}/resolve`, cookie, { resolution: "  ", _csrf: csrf })).headers.location).toBe("/dashboard/cases?error=resolution_required");
    for (const c of [complaint, own]) {
      const resolved = await post(`/dashboard/cases/${c.id}/resolve`, cookie, { resolution: "refunded in full", _csrf: csrf });
      expect(resolved.headers.location).toBe("/dashboard/cases?ok=resolved");
      expect(await prisma().feedbackCase.findUniqueOrThrow({ where: { id: c.id } })).toMatchObject({ status: "closed", closedBy: "mei", resolution: "refunded in full" });
      // The customer's follow-up is in the outbox.
      expect(await prisma().outboxMessage.count({ where: { dedupeKey: `case_followup:${c.id}` } })).toBe(1);
    }
    expect((await prisma().staffAlert.findUniqueOrThrow({ where: { caseId: complaint.id } })).resolvedByName).toBe("mei");
    const again = await post(`/dashboard/cases/${own.id}/resolve`, jun.cookie, { resolution: "twice", _csrf: jun.csrf });
    expect(again.headers.location).toBe("/dashboard/cases?error=already_resolved&by=mei");

    const audit = (await services.staff.auditLog({ customerId: lin.id })).map((e) => `${e.action}:${e.outcome}:${e.actorName}:${e.via}:${e.target}`);
    for (const c of [complaint, own]) {
      expect(audit).toContain(`case.claim:ok:mei:web:${c.id}`);
      expect(audit).toContain(`case.claim:refused:jun:web:${c.id}`);
      expect(audit).toContain(`case.close:ok:mei:web:${c.id}`);
    }
    expect(audit).toContain(`case.close:refused:jun:web:${own.id}`);
    const done = await get("/dashboard/cases", cookie, "zh-CN");
    expect(done.body).toContain('<html lang="zh-CN">');
    expect(done.body).toContain("<h1>反馈工单</h1>");
    expect(done.body.slice(done.body.indexOf('id="board-resolved"'))).toContain("refunded in full");
  });

  it("pages each column by keyset: every case once, open oldest first, resolved newest first", async () => {
    const someone = await customer("Many Cases");
    const base = clock.now().getTime();
    // Two share an opening instant: the id breaks the tie.
    await prisma().feedbackCase.createMany({
      data: Array.from({ length: 7 }, (_, i) => ({ customerId: someone.id, source: "staff" as const, summary: `paged ${i}`, openedAt: new Date(base - 86_400_000 * 30 + Math.min(i, 5) * 1000), status: i % 2 ? ("closed" as const) : ("open" as const) })),
    });
    const walk = async (column: "open" | "resolved") => {
      const out: { id: string; openedAt: Date }[] = [];
      for (let after: string | undefined, n = 0; n < 20; n++) {
        const page = await caseColumn(prisma(), column, after, 2);
        out.push(...page.rows);
        if (!page.next) break;
        after = page.next;
      }
      return out;
    };
    const mine = (rows: { id: string }[], ids: Set<string>) => rows.filter((r) => ids.has(r.id));
    const all = await prisma().feedbackCase.findMany({ where: { customerId: someone.id }, orderBy: [{ openedAt: "asc" }, { id: "asc" }] });
    const openIds = all.filter((c) => c.status === "open" && !c.assignee).map((c) => c.id);
    const closedIds = all.filter((c) => c.status === "closed").map((c) => c.id);
    expect(mine(await walk("open"), new Set(openIds)).map((r) => r.id)).toEqual(openIds);
    expect(mine(await walk("resolved"), new Set(closedIds)).map((r) => r.id)).toEqual([...closedIds].reverse());
    expect((await caseColumn(prisma(), "open", "not-a-cursor", 2)).rows).toHaveLength(2);
  });

  it("the outreach queue: status counts, dead letters with reason and channel; retry one and retry all requeue them, audited", async () => {
    const { cookie, csrf } = await signIn();
    const zhou = await customer("Zhou Dead");
    const [first, second, third] = [await deadLetter(zhou.id, "test-dead-1"), await deadLetter(zhou.id, "test-dead-2"), await deadLetter(zhou.id, "test-dead-3")];
    const sent = await prisma().outboxMessage.create({ data: { customerId: zhou.id, kind: "checkin", topic: "care", payload: {}, dedupeKey: "test-sent-1", status: "sent", sentAt: clock.now() } });
    const page = await get("/dashboard/outreach", cookie);
    expect(page.statusCode).toBe(200);
    const status = await new OutreachOverviewRepository(prisma()).status(clock.now());
    expect(page.body).toContain(`<td id="dead-count">${status.dead}</td>`);
    expect(status.dead).toBeGreaterThanOrEqual(3);
    expect(page.body).toContain("telegram: 502 Bad Gateway");
    expect(page.body).toContain(`action="/dashboard/outreach/dead/${first.id}/retry"`);

    const one = await post(`/dashboard/outreach/dead/${first.id}/retry`, cookie, { _csrf: csrf });
    expect(one.headers.location).toBe("/dashboard/outreach?ok=requeued&n=1");
    expect(await prisma().outboxMessage.findUniqueOrThrow({ where: { id: first.id } })).toMatchObject({ status: "pending", attempts: 0, notBefore: clock.now() });
    expect((await prisma().outboxMessage.findUniqueOrThrow({ where: { id: second.id } })).status).toBe("dead");
    // Not a dead letter: refused, unchanged.
    expect((await post(`/dashboard/outreach/dead/${sent.id}/retry`, cookie, { _csrf: csrf })).headers.location).toBe("/dashboard/outreach?error=not_dead");
    expect((await prisma().outboxMessage.findUniqueOrThrow({ where: { id: sent.id } })).status).toBe("sent");
    expect((await post("/dashboard/outreach/dead/not-an-id/retry", cookie, { _csrf: csrf })).headers.location).toBe("/dashboard/outreach?error=not_dead");

    const all = await post("/dashboard/outreach/dead/retry-all", cookie, { _csrf: csrf });
    expect(all.headers.location).toBe(`/dashboard/outreach?ok=requeued&n=${status.dead - 1}`);
    for (const row of [second, third]) expect((await prisma().outboxMessage.findUniqueOrThrow({ where: { id: row.id } })).status).toBe("pending");
    expect(await prisma().outboxMessage.count({ where: { status: "dead" } })).toBe(0);
    const entries = (await services.staff.auditLog({ actorId: "apikey:mei", action: "outreach.retry_dead" })).map((e) => [e.outcome, e.via, e.target]);
    expect(entries).toContainEqual(["ok", "web", first.id]);
    expect(entries).toContainEqual(["refused", "web", sent.id]);
    expect(entries).toContainEqual(["ok", "web", "all"]);
    expect((await get("/dashboard/outreach?ok=requeued&n=2", cookie, "zh")).body).toContain("死信已重新排队，立即到期： 2");
    await prisma().outboxMessage.deleteMany({ where: { customerId: zhou.id } });
  });

  it("the care-plan calendar counts per day and plan with the policy's skips, the same verdicts as tend outreach preview, judged on a bounded sample per day and plan", async () => {
    const { cookie } = await signIn();
    const now = clock.now();
    const day = (n: number, hour = 10) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + n, hour));
    const willing = await Promise.all([1, 2, 3].map((i) => customer(`Cal ${i}`)));
    const refuser = await customer("Cal No", { careConsent: false });
    const rows = [
      ...willing.map((c, i) => ({ customerId: c.id, kind: "festival", topic: "care", dedupeKey: `cal-fest-${i}`, notBefore: day(3) })),
      { customerId: refuser.id, kind: "festival", topic: "care", dedupeKey: "cal-fest-no", notBefore: day(3) },
      { customerId: willing[0]!.id, kind: "birthday", topic: "care", dedupeKey: "cal-bday", notBefore: day(5, 2) },
      // Outside the 14 days: not counted.
      { customerId: willing[1]!.id, kind: "winback", topic: "care", dedupeKey: "cal-late", notBefore: day(20) },
    ];
    await prisma().outboxMessage.createMany({ data: rows.map((r) => ({ ...r, payload: { text: "hi" } })) });
    const page = await get("/dashboard/calendar", cookie);
    expect(page.statusCode).toBe(200);
    const fest = day(3).toISOString().slice(0, 10);
    expect(page.body).toContain(fest);
    expect(page.body).toMatch(/Festival<\/td>\s*<td data-label="Customers"><meter[^>]*><\/meter> <span>4<\/span>/);
    expect(page.body).toContain("no_consent:care");
    expect(page.body).not.toContain("Win-back");

    // The aggregate agrees with the preview's verdicts row by row while every row is within the judged sample.
    const facts = new ContactFactsRepository(prisma());
    const from = day(0, 0);
    const to = day(14, 0);
    const calendar = await outreachCalendar({ prisma: prisma(), facts, settings: policy }, { from, to, now, judgeLimit: 10 });
    const preview = await previewOutreach({ overview: new OutreachOverviewRepository(prisma()), facts, settings: policy }, { from, to, limit: 10_000 });
    // Staff alerts are outbox rows too, but not the customers' calendar.
    const customerRows = new Set(
      (await prisma().outboxMessage.findMany({ where: { status: "pending", audience: "customer", notBefore: { gte: from, lt: to } }, select: { id: true } })).map((r) => r.id),
    );
    const expected: Record<string, number> = {};
    for (const row of preview.rows.filter((r) => customerRows.has(r.id))) {
      const key = row.verdict.action === "send" ? "send" : `${row.verdict.action}:${row.verdict.reason}`;
      expected[key] = (expected[key] ?? 0) + 1;
    }
    const fromCalendar: Record<string, number> = {};
    for (const cell of calendar.cells) {
      if (cell.send) fromCalendar.send = (fromCalendar.send ?? 0) + cell.send;
      for (const [reason, n] of Object.entries(cell.defer)) fromCalendar[`defer:${reason}`] = (fromCalendar[`defer:${reason}`] ?? 0) + n;
      for (const [reason, n] of Object.entries(cell.skip)) fromCalendar[`skip:${reason}`] = (fromCalendar[`skip:${reason}`] ?? 0) + n;
    }
    expect(calendar.total).toBe(customerRows.size);
    expect(fromCalendar).toEqual(expected);
    expect(calendar.cells.find((c) => c.day === fest && c.plan === "festival")).toMatchObject({ messages: 4, judged: 4, send: 3, skip: { "no_consent:care": 1 } });
    // Past the sample, rows are counted but not judged: the first two by due time (then id) are.
    const sampled = await outreachCalendar({ prisma: prisma(), facts, settings: policy }, { from, to, now, judgeLimit: 2 });
    const festCell = sampled.cells.find((c) => c.day === fest && c.plan === "festival")!;
    expect(festCell).toMatchObject({ messages: 4, judged: 2 });
    expect(festCell.send + Object.values(festCell.skip).reduce((a, b) => a + b, 0)).toBe(2);
    expect(sampled.total).toBe(calendar.total);
    const zh = await get("/dashboard/calendar", cookie, "zh-CN");
    expect(zh.body).toContain("<h1>关怀计划日历</h1>");
    expect(zh.body).toContain("客户未同意接收关怀消息。");
    await prisma().outboxMessage.deleteMany({ where: { dedupeKey: { startsWith: "cal-" } } });
  });

  it("builds a campaign from the form, previews it (names, counts, skips and why), refuses to send while campaigns are off, sends once on", async () => {
    const { cookie, csrf } = await signIn();
    const tag = `dash-${Date.now()}`;
    const yes = await Promise.all(["Amy Campaign", "Bo Campaign"].map((name) => customer(name, { marketingConsent: true, tags: [tag] })));
    const no = await customer("Cy NoConsent", { tags: [tag] });

    // Bad input comes back with the errors and what was typed.
    const bad = await post("/dashboard/campaigns", cookie, { _csrf: csrf, name: "Winter tea", tagsAny: tag, messageEn: "Hi {nmae}", "stage.new": "on" });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain("unknown placeholder {nmae}");
    expect(bad.body).toContain(`value="${tag}"`);
    expect(bad.body).toMatch(/id="stage-new" name="stage.new" checked/);

    const created = await post("/dashboard/campaigns", cookie, { _csrf: csrf, name: "Winter tea", tagsAny: tag, messageEn: "Hi {name}, winter tea is in.", messageZh: "{name}，冬茶到了。" });
    expect(created.statusCode).toBe(303);
    const url = created.headers.location!;
    const id = /^\/dashboard\/campaigns\/([0-9a-f-]{36})$/.exec(url)![1]!;
    const campaign = await prisma().campaign.findUniqueOrThrow({ where: { id } });
    expect(campaign).toMatchObject({ status: "draft", createdBy: "mei", segment: { tags: { any: [tag] } }, message: { en: "Hi {name}, winter tea is in.", "zh-CN": "{name}，冬茶到了。" } });

    const preview = await get(url, cookie);
    expect(preview.body).toContain("3 customers in the segment");
    for (const c of [...yes, no]) expect(preview.body).toContain(c.displayName!);
    expect(preview.body).toContain("The customer has not agreed to marketing messages.");
    expect(preview.body).toContain('id="campaigns-off"');

    const refused = await post(`${url}/send`, cookie, { _csrf: csrf });
    expect(refused.headers.location).toBe(`${url}?error=disabled`);
    expect((await get(refused.headers.location!, cookie)).body).toContain("Campaigns are off: set plans.campaigns.enabled to true");
    expect((await prisma().campaign.findUniqueOrThrow({ where: { id } })).status).toBe("draft");
    expect(await prisma().outboxMessage.count({ where: { dedupeKey: { startsWith: `campaign:${id}:` } } })).toBe(0);

    const off = queues.campaigns;
    queues.campaigns = campaignsOn;
    try {
      const sent = await post(`${url}/send`, cookie, { _csrf: csrf });
      expect(sent.headers.location).toBe(`${url}?ok=sent&n=3`);
    } finally {
      queues.campaigns = off;
    }
    expect((await prisma().campaign.findUniqueOrThrow({ where: { id } })).status).toBe("sent");
    expect(await prisma().outboxMessage.count({ where: { dedupeKey: { startsWith: `campaign:${id}:` }, kind: "campaign", topic: "marketing" } })).toBe(3);
    const audit = (await services.staff.auditLog({ actorId: "apikey:mei" })).filter((e) => e.target === id).map((e) => `${e.action}:${e.outcome}:${e.via}`);
    expect(audit).toEqual(expect.arrayContaining(["campaign.create:ok:web", "campaign.preview:ok:web", "campaign.send:refused:web", "campaign.send:ok:web"]));

    const list = await get("/dashboard/campaigns", cookie, "zh-CN");
    expect(list.body).toContain("Winter tea");
    expect(list.body).toContain("已发送");
    expect(list.body).toContain(`含任一标签 ${tag}`);
    const form = await get("/dashboard/campaigns/new", cookie, "zh-CN");
    expect(form.body).toContain('<label for="messageZh">中文消息');
    expect(form.body).toContain("潜在客户");
  });

  it("cancels a draft from its page (never sent after), audited; an unknown campaign is a 404 page", async () => {
    const { cookie, csrf } = await signIn();
    const created = await post("/dashboard/campaigns", cookie, { _csrf: csrf, name: "Cancelled tea", tagsAny: "nobody-has-this-tag", messageEn: "Hi {name}" });
    const url = created.headers.location!;
    const id = url.split("/").at(-1)!;
    const cancelled = await post(`${url}/cancel`, cookie, { _csrf: csrf });
    expect(cancelled.headers.location).toBe(`${url}?ok=campaign_cancelled`);
    expect((await prisma().campaign.findUniqueOrThrow({ where: { id } })).status).toBe("cancelled");
    const off = queues.campaigns;
    queues.campaigns = campaignsOn;
    try {
      expect((await post(`${url}/send`, cookie, { _csrf: csrf })).headers.location).toBe(`${url}?error=cancelled`);
    } finally {
      queues.campaigns = off;
    }
    const [entry] = await services.staff.auditLog({ action: "campaign.cancel", limit: 1 });
    expect(entry).toMatchObject({ target: id, actorName: "mei", via: "web", outcome: "ok" });
    expect((await get("/dashboard/campaigns/00000000-0000-4000-8000-000000000000", cookie)).statusCode).toBe(404);
    expect((await get("/dashboard/campaigns/not-an-id", cookie)).statusCode).toBe(404);
  });
});
