import { Command } from "commander";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerOutreachCommands } from "../src/cli/outreach-commands.ts";
import { loadConfig } from "../src/config/env.ts";
import { ManualClock } from "../src/core/clock.ts";
import type { Database } from "../src/db/database.ts";
import type { Prisma } from "../src/db/generated/client.ts";
import { CustomerRepository } from "../src/db/repositories/customer-repository.ts";
import { OutboxRepository } from "../src/db/repositories/outbox-repository.ts";
import { OutreachOverviewRepository } from "../src/db/repositories/outreach-overview-repository.ts";
import { registerApiRoutes } from "../src/http/api-routes.ts";
import { registerOutreachRoutes } from "../src/http/outreach-routes.ts";
import { CustomerService } from "../src/customers/customer-service.ts";
import { createHttpServer } from "../src/http/server.ts";
import { createLogger } from "../src/observability/logger.ts";
import { createMetrics } from "../src/observability/metrics.ts";
import { startTend } from "../src/app.ts";
import { describeEachDatabase, tendDatabaseTargets } from "./support/databases.ts";
import { runTend } from "./support/run-tend.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let seq = 0;
const tag = () => `oc-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

/** Runs `tend outreach …` through its command functions on the test's database (which stays open). */
async function tend(db: Database, args: string[], env: Record<string, string> = {}): Promise<string> {
  let out = "";
  const program = new Command("tend").exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerOutreachCommands(program, async () => ({ ...db, close: async () => {} }) as Database, () => loadConfig(env), (text) => void (out += text));
  await program.parseAsync(["node", "tend", ...args]);
  return out;
}

async function customer(db: Database, data: Prisma.CustomerCreateInput = {}) {
  const t = tag();
  const created = await db.prisma.customer.create({ data: { displayName: t, externalId: t, ...data } });
  await db.prisma.channelIdentity.create({ data: { customerId: created.id, platform: "telegram", platformUserId: `tg-${t}`, address: `telegram:${t}`, lastSeenAt: new Date("2026-01-01T00:00:00Z") } });
  await db.prisma.channelIdentity.create({ data: { customerId: created.id, platform: "discord", platformUserId: `dc-${t}`, address: `discord:${t}`, lastSeenAt: new Date("2026-02-01T00:00:00Z") } });
  return created;
}

type Row = Partial<Prisma.OutboxMessageCreateManyInput> & { customerId: string };
async function outbox(db: Database, rows: Row[]) {
  await db.prisma.outboxMessage.createMany({
    data: rows.map((row) => ({ kind: "birthday", topic: "care", payload: { text: "hi" }, dedupeKey: tag(), ...row })),
  });
}

describe("tend outreach on the command line", { timeout: 300_000 }, () => {
  it("lists status, retry and preview beside report, and preview's help says it shows only messages already queued", async () => {
    const outreach = await runTend(["outreach", "--help"]);
    expect(outreach.code).toBe(0);
    for (const command of ["status", "retry", "preview", "report"]) expect(outreach.stdout).toContain(command);
    const preview = await runTend(["outreach", "preview", "--help"]);
    expect(preview.stdout.replace(/\s+/g, " ")).toContain("occurrences the care planner has not written yet are not shown");
  });
});

describeEachDatabase("tend outreach status, retry --dead and preview", (db) => {
  it("status counts every state, deferred and skipped by reason, sent in the last 24 hours; retry --dead requeues the dead letters", async () => {
    const c = await customer(db());
    const now = Date.now();
    const at = (ms: number) => new Date(now + ms);
    await outbox(db(), [
      { customerId: c.id, status: "pending", notBefore: at(-HOUR) },
      { customerId: c.id, status: "pending", notBefore: at(-2 * HOUR), deferReason: "weekly_cap" },
      { customerId: c.id, status: "pending", notBefore: at(5 * DAY), deferReason: "quiet_hours" },
      { customerId: c.id, status: "pending", notBefore: at(6 * DAY), deferReason: "quiet_hours" },
      { customerId: c.id, status: "pending", notBefore: at(7 * DAY) },
      { customerId: c.id, status: "sending", notBefore: at(-HOUR), lockedBy: "x", lockedUntil: at(HOUR) },
      { customerId: c.id, status: "sent", notBefore: at(-2 * HOUR), sentAt: at(-HOUR), sentPlatform: "telegram" },
      { customerId: c.id, status: "sent", notBefore: at(-3 * DAY), sentAt: at(-3 * DAY), sentPlatform: "telegram" },
      { customerId: c.id, status: "failed", lastError: "blocked" },
      { customerId: c.id, status: "dead", lastError: "timeout", attempts: 5 },
      { customerId: c.id, status: "dead", lastError: "timeout", attempts: 5 },
      { customerId: c.id, status: "skipped", lastError: "no_consent:care" },
      { customerId: c.id, status: "skipped", lastError: "no_consent:care" },
      { customerId: c.id, status: "skipped", lastError: "erased" },
      { customerId: c.id, status: "control" },
      { customerId: c.id, status: "cancelled" },
    ]);
    const status = JSON.parse(await tend(db(), ["outreach", "status", "--json"]));
    expect(status).toEqual({
      at: expect.any(String),
      queued: { total: 5, dueNow: 2, later: 3 },
      deferred: { total: 3, byReason: { quiet_hours: 2, weekly_cap: 1 } },
      sending: 1,
      sent: { last24h: 1, total: 2 },
      failed: 1,
      dead: 2,
      skipped: { total: 3, byReason: { erased: 1, "no_consent:care": 2 } },
      control: 1,
      cancelled: 1,
    });
    const text = await tend(db(), ["outreach", "status"]);
    expect(text).toContain("queued: 5 (due now 2, later 3)");
    expect(text).toContain("quiet_hours: 2");
    expect(text).toContain("dead-lettered: 2");
    expect(text).toContain("sent: 2 (last 24 h 1)");

    // The same numbers from the same function the API serves.
    expect({ ...(await new OutreachOverviewRepository(db().prisma).status(new Date())), at: expect.any(String) }).toEqual(status);

    await expect(tend(db(), ["outreach", "retry"])).rejects.toThrow(/--dead/);
    expect(await tend(db(), ["outreach", "retry", "--dead"])).toBe("2 dead-lettered messages requeued, due now\n");
    const requeued = await db().prisma.outboxMessage.findMany({ where: { customerId: c.id, lastError: "timeout" } });
    expect(requeued.map((row) => [row.status, row.attempts])).toEqual([
      ["pending", 0],
      ["pending", 0],
    ]);
    const after = JSON.parse(await tend(db(), ["outreach", "status", "--json"]));
    expect(after.dead).toBe(0);
    expect(after.queued).toEqual({ total: 7, dueNow: 4, later: 3 });
    expect(await tend(db(), ["outreach", "retry", "--dead"])).toBe("0 dead-lettered messages requeued, due now\n");
  });

  it("preview lists the rows due in the window with their channel and the policy's verdict at their due time: send, defer for quiet hours until when, skip without consent", async () => {
    // Quiet 21:00-08:00 in Shanghai (UTC+8, no DST): 23:00 local on 24 Dec is 15:00Z, quiet until 08:00 local = 00:00Z on the 25th.
    const quiet = { timeZone: "Asia/Shanghai", quietHoursStart: 21 * 60, quietHoursEnd: 8 * 60 };
    const awake = await customer(db(), quiet);
    const night = await customer(db(), quiet);
    const noConsent = await customer(db(), { ...quiet, careConsent: false });
    const outside = await customer(db(), quiet);
    await outbox(db(), [
      { customerId: awake.id, notBefore: new Date("2030-12-24T04:00:00Z"), kind: "festival" },
      { customerId: night.id, notBefore: new Date("2030-12-24T15:00:00Z"), platform: "telegram" },
      { customerId: noConsent.id, notBefore: new Date("2030-12-24T05:00:00Z") },
      { customerId: outside.id, notBefore: new Date("2030-12-26T05:00:00Z") },
      { customerId: awake.id, notBefore: new Date("2030-12-24T06:00:00Z"), status: "sent", sentAt: new Date("2030-12-24T06:00:00Z") },
    ]);
    const preview = JSON.parse(await tend(db(), ["outreach", "preview", "--from", "2030-12-24", "--to", "2030-12-25", "--json"]));
    expect(preview.truncated).toBe(false);
    expect(preview.rows.map((row: { customerId: string; channel: string; kind: string; topic: string; dueAt: string; verdict: unknown }) => [row.customerId, row.channel, row.kind, row.topic, row.dueAt, row.verdict])).toEqual([
      // No platform on the row: the customer's most recently active identity (discord, seen last).
      [awake.id, "discord", "festival", "care", "2030-12-24T04:00:00.000Z", { action: "send" }],
      [noConsent.id, "discord", "birthday", "care", "2030-12-24T05:00:00.000Z", { action: "skip", reason: "no_consent:care" }],
      [night.id, "telegram", "birthday", "care", "2030-12-24T15:00:00.000Z", { action: "defer", until: "2030-12-25T00:00:00.000Z", reason: "quiet_hours" }],
    ]);
    expect(preview.summary).toEqual({ "defer:quiet_hours": 1, send: 1, "skip:no_consent:care": 1 });

    const text = await tend(db(), ["outreach", "preview", "--from", "2030-12-24T00:00:00Z", "--to", "2030-12-24T16:00:00+08:00"]);
    expect(text).toContain(`customer ${noConsent.id}  discord  birthday/care  -> skip (no_consent:care)`);
    expect(text).not.toContain(night.id);
    expect(text).toContain("skip:no_consent:care: 1");
    const limited = JSON.parse(await tend(db(), ["outreach", "preview", "--from", "2030-12-24", "--to", "2030-12-26", "--limit", "2", "--json"]));
    expect(limited.rows).toHaveLength(2);
    expect(limited.truncated).toBe(true);

    await expect(tend(db(), ["outreach", "preview", "--from", "24/12/2030", "--to", "2030-12-25"])).rejects.toThrow(/--from must be a day written YYYY-MM-DD/);
    await expect(tend(db(), ["outreach", "preview", "--from", "2030-12-25", "--to", "2030-12-24"])).rejects.toThrow(/--from .* must be before --to/);
  });
});

describeEachDatabase("staff outreach API", (db) => {
  const KEY = "outreach-test-key-0123456789";
  const auth = { authorization: `Bearer ${KEY}` };
  const clock = new ManualClock("2030-03-01T12:00:00Z");
  let app: FastifyInstance;

  beforeAll(async () => {
    app = createHttpServer({ logger: createLogger("silent"), metrics: createMetrics() });
    const prisma = db().prisma;
    registerApiRoutes(app, {
      ingest: undefined as never,
      apiKey: KEY,
      moreRoutes: (api) =>
        registerOutreachRoutes(api, { overview: new OutreachOverviewRepository(prisma), outbox: new OutboxRepository(prisma), customers: new CustomerRepository(prisma), customerService: new CustomerService({ prisma, clock }), clock }),
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  it("refuses every outreach route without the API key", async () => {
    for (const [method, url] of [
      ["GET", "/api/outreach/status"],
      ["POST", "/api/outreach/retry-dead"],
      ["POST", "/api/customers/x/outreach-pause"],
      ["DELETE", "/api/customers/x/outreach-pause"],
    ] as const) {
      const response = await app.inject({ method, url, payload: method === "POST" ? {} : undefined });
      expect(response.statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it("serves the outbox status and requeues dead letters", async () => {
    const c = await customer(db());
    await outbox(db(), [
      { customerId: c.id, status: "dead", lastError: "timeout", attempts: 5 },
      { customerId: c.id, status: "pending", notBefore: new Date("2030-03-01T13:00:00Z"), deferReason: "quiet_hours" },
    ]);
    const status = await app.inject({ method: "GET", url: "/api/outreach/status", headers: auth });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ at: "2030-03-01T12:00:00.000Z", dead: 1, queued: { total: 1, dueNow: 0, later: 1 }, deferred: { total: 1, byReason: { quiet_hours: 1 } } });
    const retry = await app.inject({ method: "POST", url: "/api/outreach/retry-dead", headers: auth });
    expect(retry.json()).toEqual({ requeued: 1 });
    const after = (await app.inject({ method: "GET", url: "/api/outreach/status", headers: auth })).json();
    expect(after).toMatchObject({ dead: 0, queued: { total: 2, dueNow: 1, later: 1 } });
  });

  it("pauses and resumes a customer's outreach by id or external id, 404 for an unknown customer, 422 for a bad or past until", async () => {
    const c = await customer(db());
    const pause = await app.inject({ method: "POST", url: `/api/customers/${c.externalId}/outreach-pause`, headers: auth, payload: { until: "2030-03-08T00:00:00+08:00", by: "Li" } });
    expect(pause.statusCode).toBe(200);
    expect(pause.json()).toEqual({ customerId: c.id, outreachPausedUntil: "2030-03-07T16:00:00.000Z" });
    expect((await db().prisma.customer.findUniqueOrThrow({ where: { id: c.id } })).outreachPausedUntil?.toISOString()).toBe("2030-03-07T16:00:00.000Z");
    const event = await db().prisma.interaction.findFirst({ where: { customerId: c.id, kind: "system" }, orderBy: { occurredAt: "desc" } });
    // The timeline names the caller's API key (its actor), not the `by` the request sent (accepted, ignored).
    expect(event?.metadata).toMatchObject({ event: "outreach_paused", by: "TEND_API_KEY" });

    for (const payload of [{}, { until: "next week" }, { until: "2030-03-08" }, { until: 5 }, { until: "2030-03-01T11:00:00Z" }, { until: "2030-03-02T00:00:00Z", by: " " }]) {
      const bad = await app.inject({ method: "POST", url: `/api/customers/${c.id}/outreach-pause`, headers: auth, payload });
      expect(bad.statusCode, JSON.stringify(payload)).toBe(422);
      expect(bad.json().errors[0].path, JSON.stringify(payload)).toBe("until" in payload && payload.until === "2030-03-02T00:00:00Z" ? "by" : "until");
    }
    // Nothing bad was kept: the pause stands as it was.
    expect((await db().prisma.customer.findUniqueOrThrow({ where: { id: c.id } })).outreachPausedUntil?.toISOString()).toBe("2030-03-07T16:00:00.000Z");

    for (const id of ["no-such-customer", "00000000-0000-4000-8000-000000000000"]) {
      const missing = await app.inject({ method: "POST", url: `/api/customers/${id}/outreach-pause`, headers: auth, payload: { until: "2030-03-08T00:00:00Z" } });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error).toMatch(/no such customer/);
      expect((await app.inject({ method: "DELETE", url: `/api/customers/${id}/outreach-pause`, headers: auth })).statusCode).toBe(404);
    }

    const resume = await app.inject({ method: "DELETE", url: `/api/customers/${c.id}/outreach-pause`, headers: auth });
    expect(resume.statusCode).toBe(200);
    expect(resume.json()).toEqual({ customerId: c.id, outreachPausedUntil: null });
    expect((await db().prisma.customer.findUniqueOrThrow({ where: { id: c.id } })).outreachPausedUntil).toBeNull();
  });
});

// The routes and commands as a running Tend serves them: API key from the config, the CLI through the bin on the same database.
for (const target of tendDatabaseTargets("outreach-commands")) {
  describe.skipIf(Boolean(target.skip))(`outreach on a whole Tend [${target.name}]${target.skip ? ` (skipped: ${target.skip})` : ""}`, { timeout: 300_000 }, () => {
    it("serves GET /api/outreach/status and POST /api/outreach/retry-dead behind the key, and `tend outreach status --json` agrees", async () => {
      const env = { ...(await target.env()), TEND_API_KEY: "whole-tend-outreach-key-0123", PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" };
      const tend = await startTend({ config: loadConfig(env) });
      let body: Record<string, unknown> = {};
      try {
        const headers = { authorization: `Bearer ${env.TEND_API_KEY}` };
        expect((await fetch(`${tend.url}/api/outreach/status`)).status).toBe(401);
        const status = await fetch(`${tend.url}/api/outreach/status`, { headers });
        expect(status.status).toBe(200);
        body = (await status.json()) as Record<string, unknown>;
        expect(body).toMatchObject({ dead: 0, queued: { total: 0 } });
        const retry = await fetch(`${tend.url}/api/outreach/retry-dead`, { method: "POST", headers });
        expect(await retry.json()).toEqual({ requeued: 0 });
      } finally {
        await tend.stop();
      }
      // After it stopped: an in-process Tend does not take PGlite commands over its socket as `tend start` does.
      const cli = await runTend(["outreach", "status", "--json"], env);
      expect(cli.code, cli.stderr).toBe(0);
      expect({ ...JSON.parse(cli.stdout), at: null }).toEqual({ ...body, at: null });
    });
  });
}
