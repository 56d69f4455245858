import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { registerApiRoutes } from "../src/http/api-routes.ts";
import { registerCampaignRoutes } from "../src/http/campaign-routes.ts";
import { createHttpServer } from "../src/http/server.ts";
import { defaultLoyaltySettings } from "../src/loyalty/settings.ts";
import { createLogger } from "../src/observability/logger.ts";
import { createMetrics } from "../src/observability/metrics.ts";
import { CampaignService } from "../src/outreach/campaign-service.ts";
import { StaffService } from "../src/staff/staff-service.ts";
import { describeEachDatabase } from "./support/databases.ts";

const KEY = "campaign-api-test-key-0123456789";
/** Requests go with Mei's own named key: she is the actor the campaign and the audit record. */
const auth = { authorization: "" };
const NOW = "2030-05-06T12:00:00.000Z";
let seq = 0;
const unique = (prefix: string) => `${prefix}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

describeEachDatabase("campaign HTTP API", (db) => {
  const clock = new ManualClock(NOW);
  let app: FastifyInstance;
  let enabled = true;
  let mei = "";

  beforeAll(async () => {
    app = createHttpServer({ logger: createLogger("silent"), metrics: createMetrics() });
    const plan = {
      get enabled() {
        return enabled;
      },
      control: 0,
    };
    const staff = new StaffService({ prisma: db().prisma, clock, settings: { legacyApiKey: KEY } });
    mei = unique("mei");
    auth.authorization = `Bearer ${(await staff.createApiKey(mei, "staff")).key}`;
    registerApiRoutes(app, {
      ingest: undefined as never,
      staff,
      moreRoutes: (api) =>
        registerCampaignRoutes(api, {
          campaigns: new CampaignService({ db: db(), clock, tierRules: defaultLoyaltySettings, policy: { defaultQuietHours: null, poorRatingPauseDays: 14 }, plan, staff }),
        }),
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  const post = (url: string, payload?: unknown) => app.inject({ method: "POST", url, headers: auth, ...(payload === undefined ? {} : { payload: payload as object }) });
  const body = (tag: string, extra: Record<string, unknown> = {}) => ({
    name: "Spring sale",
    message: { en: "Hi {name}: {reward}", "zh-CN": "{name}：{reward}" },
    offer: { en: "10% off", "zh-CN": "九折" },
    segment: { tags: { any: [tag] } },
    by: "Mei",
    ...extra,
  });

  async function customer(tag: string, marketingConsent = true) {
    const name = unique("api");
    const created = await db().prisma.customer.create({ data: { displayName: name, tags: [tag], marketingConsent } });
    await db().prisma.channelIdentity.create({ data: { customerId: created.id, platform: "web", platformUserId: name, address: `web:${name}` } });
    return created;
  }

  it("refuses every campaign route without the API key", async () => {
    for (const [method, url] of [
      ["POST", "/api/campaigns"],
      ["GET", "/api/campaigns"],
      ["GET", "/api/campaigns/x"],
      ["POST", "/api/campaigns/x/preview"],
      ["POST", "/api/campaigns/x/send"],
      ["POST", "/api/campaigns/x/cancel"],
    ] as const) {
      const response = await app.inject({ method, url, ...(method === "POST" ? { payload: {} } : {}) });
      expect(response.statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it("answers 422 naming each bad field, and keeps nothing", async () => {
    const before = await db().prisma.campaign.count();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...body("x"), name: undefined }, "name", /is required/],
      [{ ...body("x"), name: " " }, "name", /must not be empty/],
      [{ ...body("x"), message: undefined }, "message", /is required/],
      [{ ...body("x"), message: { "zh-CN": "你好" } }, "message.en", /is required/],
      [{ ...body("x"), message: { en: "Hi {nmae}" } }, "message.en", /unknown placeholder \{nmae\} \(a campaign text may use \{name\}, \{tier\}, \{reward\}\)/],
      [{ ...body("x"), message: { en: "Hi", "zh-CN": "{points}" } }, "message.zh-CN", /unknown placeholder \{points\}/],
      [{ ...body("x"), message: { en: "Hi", fr: "Salut" } }, "message.fr", /not a known field/],
      [{ ...body("x"), offer: null }, "message.en", /uses \{reward\} but the campaign has no offer/],
      [{ ...body("x"), offer: { en: "{name}" } }, "offer.en", /unknown placeholder \{name\}/],
      [{ ...body("x"), segment: { tiers: ["Diamond"] } }, "segment.tiers.0", /is not a loyalty tier \(LOYALTY_TIERS has Bronze, Silver, Gold, Platinum\)/],
      [{ ...body("x"), segment: { lifecycleStages: ["sleepy"] } }, "segment.lifecycleStages.0", /must be one of potential, new/],
      [{ ...body("x"), segment: { rfmSegments: ["cannot_lose"] } }, "segment.rfmSegments.0", /must be one of champions/],
      [{ ...body("x"), segment: { channels: ["whatsapp"] } }, "segment.channels.0", /must be one of telegram, discord, slack, web/],
      [{ ...body("x"), segment: { tags: ["vip"] } }, "segment.tags", /must be \{"any"/],
      [{ ...body("x"), segment: { tier: ["Gold"] } }, "segment.tier", /not a known field/],
      [{ ...body("x"), controlShare: 0.9 }, "controlShare", /from 0 to 0.5/],
      [{ ...body("x"), controlShare: "5%" }, "controlShare", /must be a number/],
      [{ ...body("x"), scheduledAt: "tomorrow" }, "scheduledAt", /ISO time with its zone/],
      [{ ...body("x"), scheduledAt: "2030-05-06T10:00:00Z" }, "scheduledAt", /must not be in the past/],
      [{ ...body("x"), by: "" }, "by", /must not be empty/],
      [{ ...body("x"), name: "a\u0000b" }, "name", /NUL/],
    ];
    for (const [payload, path, message] of cases) {
      const response = await post("/api/campaigns", payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(422);
      const error = response.json().errors.find((e: { path: string }) => e.path === path);
      expect(error?.message, `${JSON.stringify(payload)}: ${response.body}`).toMatch(message);
      expect(response.json().error).toMatch(/^validation failed: /);
    }
    expect((await post("/api/campaigns", [1, 2])).statusCode).toBe(422);
    expect(await db().prisma.campaign.count()).toBe(before);

    const created = (await post("/api/campaigns", body("x"))).json();
    for (const [url, payload, path] of [
      [`/api/campaigns/${created.id}/preview`, { limit: 0 }, "limit"],
      [`/api/campaigns/${created.id}/preview`, { limit: "ten" }, "limit"],
      [`/api/campaigns/${created.id}/send`, { by: "" }, "by"],
      [`/api/campaigns/${created.id}/cancel`, { by: "Mei", reason: "x" }, "reason"],
    ] as const) {
      const response = await post(url, payload);
      expect(response.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(422);
      expect(response.json().errors[0].path).toBe(path);
    }
    expect((await app.inject({ method: "GET", url: "/api/campaigns?limit=0", headers: auth })).statusCode).toBe(422);
  });

  it("creates a draft, lists and shows it, previews it, sends it once, and cancels it; 404 for an unknown campaign, 409 for sending a cancelled one", async () => {
    const tag = unique("flow");
    const yes = await customer(tag);
    await customer(tag, false);

    const created = await post("/api/campaigns", body(tag, { segment: { tags: { any: [tag] }, tiers: ["bronze"] } }));
    expect(created.statusCode).toBe(201);
    const campaign = created.json();
    expect(campaign).toMatchObject({
      name: "Spring sale",
      status: "draft",
      segment: { tags: { any: [tag] }, tiers: ["Bronze"] },
      audience: `tags any of ${tag}; tier Bronze`,
      controlShare: 0,
      scheduledAt: NOW,
      createdBy: mei,
      sentBy: null,
      counts: { queued: 0, control: 0, unreachable: 0, cancelled: 0 },
    });

    const list = await app.inject({ method: "GET", url: "/api/campaigns", headers: auth });
    expect(list.json().campaigns.map((c: { id: string }) => c.id)).toContain(campaign.id);
    const shown = await app.inject({ method: "GET", url: `/api/campaigns/${campaign.id}`, headers: auth });
    expect(shown.json()).toMatchObject({ id: campaign.id, delivery: {} });

    const preview = await post(`/api/campaigns/${campaign.id}/preview`, {});
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toMatchObject({ total: 2, counts: { send: 1, skip: 1 }, byReason: { send: 1, "skip:no_consent:marketing": 1 } });
    expect(preview.json().recipients.find((r: { customerId: string }) => r.customerId === yes.id)).toMatchObject({ channel: "web", text: `Hi ${yes.displayName}: 10% off` });
    expect((await post(`/api/campaigns/${campaign.id}/preview`)).statusCode).toBe(200);

    const sent = await post(`/api/campaigns/${campaign.id}/send`, { by: "Bo" });
    expect(sent.statusCode).toBe(200);
    expect(sent.json()).toMatchObject({ status: "sent", queued: 2, control: 0, unreachable: 0, campaign: { status: "sent", sentBy: mei, sentAt: NOW } });
    const again = await post(`/api/campaigns/${campaign.id}/send`, { by: "Bo" });
    expect(again.json()).toMatchObject({ status: "already_sent", queued: 0 });
    expect(await db().prisma.outboxMessage.count({ where: { dedupeKey: { startsWith: `campaign:${campaign.id}:` } } })).toBe(2);
    expect((await app.inject({ method: "GET", url: `/api/campaigns/${campaign.id}`, headers: auth })).json().delivery).toEqual({ pending: 2 });

    const cancelled = await post(`/api/campaigns/${campaign.id}/cancel`, { by: "Lee" });
    expect(cancelled.json()).toMatchObject({ status: "cancelled", stopped: 2, campaign: { status: "cancelled", cancelledBy: mei, counts: { cancelled: 2 } } });
    // The record names the key's staff member; a different name in `by` is kept in the audit as requestedBy.
    const audit = await db().prisma.staffAuditEntry.findMany({ where: { target: campaign.id }, orderBy: { action: "asc" } });
    expect(audit.map((a) => [a.action, a.actorId, a.via, a.outcome, a.detail])).toEqual([
      ["campaign.cancel", `apikey:${mei}`, "api", "ok", { stopped: 2, requestedBy: "Lee" }],
      ["campaign.create", `apikey:${mei}`, "api", "ok", { requestedBy: "Mei" }],
      ["campaign.send", `apikey:${mei}`, "api", "ok", { queued: 2, control: 0, unreachable: 0, requestedBy: "Bo" }],
    ]);
    const afterCancel = await post(`/api/campaigns/${campaign.id}/send`, { by: "Bo" });
    expect(afterCancel.statusCode).toBe(409);
    expect(afterCancel.json().error).toMatch(/cancelled/);

    for (const id of ["nope", "00000000-0000-4000-8000-000000000000"]) {
      expect((await app.inject({ method: "GET", url: `/api/campaigns/${id}`, headers: auth })).statusCode).toBe(404);
      expect((await post(`/api/campaigns/${id}/preview`, {})).statusCode).toBe(404);
      expect((await post(`/api/campaigns/${id}/send`, { by: "Bo" })).statusCode).toBe(404);
      expect((await post(`/api/campaigns/${id}/cancel`, { by: "Bo" })).statusCode).toBe(404);
    }
  });

  it("answers 409 to a send while the care plans file has campaigns off", async () => {
    const tag = unique("off");
    await customer(tag);
    const campaign = (await post("/api/campaigns", body(tag))).json();
    enabled = false;
    try {
      const refused = await post(`/api/campaigns/${campaign.id}/send`, { by: "Bo" });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error).toMatch(/plans\.campaigns\.enabled/);
    } finally {
      enabled = true;
    }
    expect(await db().prisma.outboxMessage.count({ where: { dedupeKey: { startsWith: `campaign:${campaign.id}:` } } })).toBe(0);
  });
});
