import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, expect, it } from "vitest";
import { registerAnalyticsCommands } from "../src/cli/analytics-commands.ts";
import { runImport } from "../src/cli/import-commands.ts";
import { loadConfig } from "../src/config/env.ts";
import type { DomainEvents } from "../src/core/events.ts";
import type { Database } from "../src/db/database.ts";
import { registerApiRoutes } from "../src/http/api-routes.ts";
import { createHttpServer } from "../src/http/server.ts";
import { registerStaffRoutes, staffRouteDependencies } from "../src/http/staff-routes.ts";
import { loyaltySettingsFromConfig } from "../src/loyalty/settings.ts";
import { createLogger } from "../src/observability/logger.ts";
import { createMetrics } from "../src/observability/metrics.ts";
import { describeEachDatabase } from "./support/databases.ts";
import { type EngineHarness, createEngineHarness, only, uniqueUser } from "./support/engine-harness.ts";

const KEY = "test-key-history-0123456789";
/** The "today". */
const NOW = "2026-12-02T09:00:00.000Z";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tend-loyalty-history-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The example: one order whose points lapsed in June 2025, one recent. */
const EXAMPLE = [
  { ref: "old", amount: "300.00", placedAt: "2024-06-01" },
  { ref: "new", amount: "120.00", placedAt: "2026-11-01" },
];

const sink = () => {
  let text = "";
  return { stream: { write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WritableStream, text: () => text };
};

describeEachDatabase("points dated by the order: history gives true balances and tiers", (db) => {
  const servers: FastifyInstance[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close();
  });
  afterEach(() => {
    process.exitCode = undefined;
  });

  async function harness(env: Record<string, string> = {}): Promise<EngineHarness> {
    return createEngineHarness(db(), { start: NOW, env: { LOYALTY_POINTS_EXPIRE_MONTHS: "12", ...env } });
  }

  /** A chat customer who also carries the shop's external id, so orders and chat meet. */
  async function chatCustomer(h: EngineHarness, prefix: string): Promise<{ user: string; id: string; externalId: string }> {
    const user = uniqueUser(prefix);
    await h.say(user, "hi");
    const customer = await h.requireCustomer(user);
    await db().prisma.customer.update({ where: { id: customer.id }, data: { externalId: `shop-${user}` } });
    return { user, id: customer.id, externalId: `shop-${user}` };
  }

  async function api(h: EngineHarness): Promise<FastifyInstance> {
    const app = createHttpServer({ logger: createLogger("silent"), metrics: createMetrics(), bodyLimitBytes: 64 * 1024 });
    registerApiRoutes(app, {
      ingest: h.services.ingest,
      apiKey: KEY,
      moreRoutes: (routes) =>
        registerStaffRoutes(routes, staffRouteDependencies(h.services, async () => {
          throw new Error("not used here");
        })),
    });
    await app.ready();
    servers.push(app);
    return app;
  }

  /** The balance as each place that reports one tells it. */
  async function balancesEverywhere(h: EngineHarness, app: FastifyInstance, customer: { user: string; id: string }) {
    const summary = await app.inject({ method: "GET", url: `/api/customers/${customer.id}/loyalty`, headers: { authorization: `Bearer ${KEY}` } });
    const chat = only(await h.say(customer.user, "points")).text ?? "";
    const out = sink();
    const program = new Command().exitOverride();
    const openDb = async (): Promise<Database> => ({ ...db(), close: async () => {} });
    registerAnalyticsCommands(program, openDb, () => h.config, { clock: h.clock, stdout: out.stream, stderr: sink().stream as never });
    await program.parseAsync(["customer", "show", customer.id], { from: "user" });
    const exported = await h.services.privacy.exportCustomerData(customer.id);
    return {
      api: (summary.json() as { balance: number }).balance,
      chat: Number(/^You have (\d+) points/.exec(chat)?.[1]),
      show: Number(/Loyalty balance: (-?\d+) points/.exec(out.text())?.[1]),
      export: exported.document.loyalty.balance,
    };
  }

  async function ledger(customerId: string) {
    const entries = await db().prisma.loyaltyLedgerEntry.findMany({ where: { customerId }, orderBy: [{ createdAt: "asc" }, { points: "desc" }] });
    return entries.map((e) => [e.kind, e.points, e.createdAt.toISOString().slice(0, 10), e.expiresAt?.toISOString().slice(0, 10) ?? null]);
  }

  const exampleLedger = [
    ["earn", 300, "2024-06-01", "2025-06-01"],
    ["expire", -300, "2025-06-01", null],
    ["earn", 120, "2026-11-01", "2027-11-01"],
  ];

  it("gives 120 points everywhere for the example sent through POST /api/orders, and the ledger shows the lapse", async () => {
    const h = await harness();
    const app = await api(h);
    const customer = await chatCustomer(h, "hist-api");
    for (const order of EXAMPLE) {
      const response = await app.inject({
        method: "POST",
        url: "/api/orders",
        headers: { authorization: `Bearer ${KEY}` },
        payload: { externalId: `${customer.externalId}-${order.ref}`, customerExternalId: customer.externalId, amount: order.amount, currency: "CNY", placedAt: order.placedAt },
      });
      expect(response.statusCode).toBe(201);
    }
    expect(await balancesEverywhere(h, app, customer)).toEqual({ api: 120, chat: 120, show: 120, export: 120 });
    expect(await ledger(customer.id)).toEqual(exampleLedger);
    // Only the recent order counts toward the tier window.
    expect((await h.services.loyalty.summary(customer.id)).tierProgress).toBe(120);
    // The expiry job finds nothing left to do for history that lapsed when it was booked.
    expect(await h.services.loyalty.expirePoints()).toEqual({ customers: 0, points: 0 });
    expect(await ledger(customer.id)).toEqual(exampleLedger);
  });

  it("gives 120 points everywhere for the example imported with `tend import orders`, and a re-import changes nothing", async () => {
    const h = await harness();
    const app = await api(h);
    const customer = await chatCustomer(h, "hist-csv");
    const file = path.join(tmp, `${customer.user}.csv`);
    fs.writeFileSync(
      file,
      ["external_id,customer_external_id,amount,currency,placed_at", ...EXAMPLE.map((o) => `${customer.externalId}-${o.ref},${customer.externalId},${o.amount},CNY,${o.placedAt}`)].join("\n") + "\n",
    );
    const openDb = async (): Promise<Database> => ({ ...db(), close: async () => {} });
    const options = { clock: h.clock, loyaltySettings: () => loyaltySettingsFromConfig(h.config), stdout: sink().stream, stderr: sink().stream };
    const first = await runImport("orders", file, {}, openDb, options);
    expect(first.counts.created).toBe(2);
    expect(await balancesEverywhere(h, app, customer)).toEqual({ api: 120, chat: 120, show: 120, export: 120 });
    expect(await ledger(customer.id)).toEqual(exampleLedger);

    h.clock.advance(60_000);
    const again = await runImport("orders", file, {}, openDb, options);
    expect(again.counts).toMatchObject({ created: 0, duplicate: 2 });
    expect(await ledger(customer.id)).toEqual(exampleLedger);
    expect(await balancesEverywhere(h, app, customer)).toEqual({ api: 120, chat: 120, show: 120, export: 120 });
    expect(await h.services.loyalty.expirePoints()).toEqual({ customers: 0, points: 0 });
  });

  it("counts only orders placed in the window toward a spend-based tier, and announces nothing for history", async () => {
    const h = await harness({ LOYALTY_TIER_BASIS: "spend" });
    const changes: DomainEvents["loyalty.tier_changed"][] = [];
    h.services.events.on("loyalty.tier_changed", (event) => {
      changes.push(event);
    });
    const customer = await chatCustomer(h, "hist-spend");
    await h.services.ingest.recordOrders([
      { externalId: `${customer.externalId}-1`, customerExternalId: customer.externalId, amount: "3000.00", currency: "CNY", placedAt: "2024-06-01" },
      { externalId: `${customer.externalId}-2`, customerExternalId: customer.externalId, amount: "100.00", currency: "CNY", placedAt: "2026-11-01" },
    ]);
    expect(await h.services.loyalty.summary(customer.id)).toMatchObject({ balance: 100, tier: "Bronze", tierProgress: 100 });
    expect(changes).toEqual([]);
  });

  it("settles older points lapsed but not yet booked when history lapsing later is imported, so the expiry job still has nothing to do", async () => {
    const h = await createEngineHarness(db(), { start: "2025-12-01T09:00:00.000Z", env: { LOYALTY_POINTS_EXPIRE_MONTHS: "12" } });
    const customer = await chatCustomer(h, "hist-settle");
    const order = (ref: string, amount: string, placedAt: string) => ({ externalId: `${customer.externalId}-${ref}`, customerExternalId: customer.externalId, amount, currency: "CNY", placedAt });
    await h.services.ingest.recordOrder(order("a", "100.00", "2025-11-01"));
    // A year on, the 100 points lapsed on 2026-11-01 and no expiry job has run since.
    h.clock.set(new Date(NOW));
    await h.services.ingest.recordOrders([order("b", "50.00", "2025-11-20")]);
    const entries = await db().prisma.loyaltyLedgerEntry.findMany({ where: { customerId: customer.id } });
    expect(await h.services.loyalty.balance(customer.id)).toBe(0);
    // The ledger adds up to the balance on its own: every lapse is booked.
    expect(entries.reduce((sum, e) => sum + e.points, 0)).toBe(0);
    expect(await h.services.loyalty.expirePoints()).toEqual({ customers: 0, points: 0 });
  });

  it("gives, for three years of history imported in shuffled batches, the points of the last twelve months, with every lapse booked", async () => {
    const h = await harness();
    const customers = [await chatCustomer(h, "hist-many-a"), await chatCustomer(h, "hist-many-b"), await chatCustomer(h, "hist-many-c")];
    const now = h.clock.now().getTime();
    const orders = Array.from({ length: 60 }, (_, i) => {
      const customer = customers[i % 3]!;
      // Days ago spread over three years, in no particular order.
      const placed = new Date(now - (1 + ((i * 389) % 1095)) * 86_400_000);
      return { externalId: `${customer.externalId}-${i}`, customerExternalId: customer.externalId, amount: `${10 + ((i * 37) % 90)}.00`, currency: "CNY", placedAt: placed.toISOString() };
    });
    for (let start = 0; start < orders.length; start += 7) await h.services.ingest.recordOrders(orders.slice(start, start + 7));
    // No redemptions: what a customer holds is what their orders of the last twelve months earned.
    // Twelve months before 2026-12-02 are 365 days (no 29 February between); points lapse at that instant.
    const yearAgo = now - 365 * 86_400_000;
    for (const customer of customers) {
      const expected = orders
        .filter((o) => o.customerExternalId === customer.externalId && Date.parse(o.placedAt) > yearAgo)
        .reduce((sum, o) => sum + Number.parseInt(o.amount, 10), 0);
      expect(await h.services.loyalty.balance(customer.id)).toBe(expected);
      const entries = await db().prisma.loyaltyLedgerEntry.findMany({ where: { customerId: customer.id } });
      expect(entries.reduce((sum, e) => sum + e.points, 0)).toBe(expected);
    }
    expect(await h.services.loyalty.expirePoints()).toEqual({ customers: 0, points: 0 });
  });

  it("books an order dated ahead of the clock (within the accepted skew) as earned now, lapsing from now", async () => {
    const h = await harness();
    const customer = await chatCustomer(h, "hist-future");
    const now = h.clock.now();
    const ahead = new Date(now.getTime() + 3 * 60_000).toISOString();
    const result = await h.services.ingest.recordOrder({ externalId: `${customer.externalId}-f`, customerExternalId: customer.externalId, amount: "50.00", currency: "CNY", placedAt: ahead });
    expect(result.status).toBe("created");
    const entries = await db().prisma.loyaltyLedgerEntry.findMany({ where: { customerId: customer.id } });
    expect(entries.map((e) => [e.kind, e.points, e.createdAt.toISOString(), e.expiresAt?.toISOString()])).toEqual([
      ["earn", 50, now.toISOString(), new Date(Date.UTC(2027, 11, 2, 9, 0, now.getUTCSeconds())).toISOString()],
    ]);
    expect(await h.services.loyalty.balance(customer.id)).toBe(50);
  });

  it("earns nothing for orders placed before LOYALTY_EARN_FROM, and refuses a LOYALTY_EARN_FROM that is not a date", async () => {
    const h = await harness({ LOYALTY_EARN_FROM: "2026-01-01" });
    const customer = await chatCustomer(h, "hist-from");
    const results = await h.services.ingest.recordOrders([
      { externalId: `${customer.externalId}-a`, customerExternalId: customer.externalId, amount: "500.00", currency: "CNY", placedAt: "2025-12-31T23:59:59Z" },
      { externalId: `${customer.externalId}-b`, customerExternalId: customer.externalId, amount: "80.00", currency: "CNY", placedAt: "2026-01-01" },
    ]);
    expect(results.map((r) => r.status)).toEqual(["created", "created"]);
    expect(await ledger(customer.id)).toEqual([["earn", 80, "2026-01-01", "2027-01-01"]]);
    expect(await h.services.loyalty.balance(customer.id)).toBe(80);
    expect(() => loadConfig({ LOYALTY_EARN_FROM: "last year" })).toThrow(/LOYALTY_EARN_FROM/);
  });

  it("does not announce tiers reached and lost in the past during a history import, and announces the current one once", async () => {
    const h = await harness();
    const changes: DomainEvents["loyalty.tier_changed"][] = [];
    h.services.events.on("loyalty.tier_changed", (event) => {
      changes.push(event);
    });
    const past = await chatCustomer(h, "hist-tier-past");
    const current = await chatCustomer(h, "hist-tier-now");
    const order = (c: { externalId: string }, n: number, amount: string, placedAt: string) => ({ externalId: `${c.externalId}-${n}`, customerExternalId: c.externalId, amount, currency: "CNY", placedAt });
    // `past` was Gold in 2024 (2,500 points within twelve months) and is Bronze now; `current` reaches Silver this year.
    await h.services.ingest.recordOrders([
      order(past, 1, "1500.00", "2024-02-01"),
      order(past, 2, "1000.00", "2024-05-01"),
      order(past, 3, "40.00", "2026-10-01"),
      order(current, 1, "2000.00", "2023-01-01"),
      order(current, 2, "300.00", "2026-06-01"),
      order(current, 3, "300.00", "2026-10-01"),
    ]);
    expect(changes.map((c) => [c.customerId, c.from, c.to])).toEqual([[current.id, "Bronze", "Silver"]]);
    const timeline = await db().prisma.interaction.findMany({ where: { customerId: { in: [past.id, current.id] }, kind: "system" } });
    expect(timeline.map((i) => [i.customerId, i.metadata])).toEqual([[current.id, { event: "tier_changed", from: "Bronze", to: "Silver" }]]);
    expect(await h.services.loyalty.balance(past.id)).toBe(40);
    expect(await h.services.loyalty.balance(current.id)).toBe(600);
    expect(await h.services.loyalty.currentTier(past.id)).toBe("Bronze");
  });
});
