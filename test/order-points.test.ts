import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { type DomainEvents, EventBus } from "../src/core/events.ts";
import type { PrismaClient } from "../src/db/generated/client.ts";
import { registerApiRoutes } from "../src/http/api-routes.ts";
import { createHttpServer } from "../src/http/server.ts";
import { importCsv } from "../src/ingest/csv-import.ts";
import { IngestService } from "../src/ingest/ingest-service.ts";
import { createLogger } from "../src/observability/logger.ts";
import { createMetrics } from "../src/observability/metrics.ts";
import { describeEachDatabase } from "./support/databases.ts";

const KEY = "test-key-0123456789abcdef";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tend-order-points-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Orders that have no earn entry although their amount earns points. */
async function ordersWithoutPoints(prisma: PrismaClient, externalIdPrefix: string): Promise<number> {
  const rows = await prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM "Order" o
    WHERE o."externalId" LIKE ${`${externalIdPrefix}%`}::text AND o.amount >= 1
      AND NOT EXISTS (SELECT 1 FROM "LoyaltyLedgerEntry" l WHERE l."orderId" = o.id AND l.kind = 'earn')`;
  return rows[0]!.n;
}

describeEachDatabase("orders and their points", (db) => {
  const clock = new ManualClock("2026-11-23T12:00:00Z");
  const events = new EventBus();
  const ingest = () => new IngestService(db().prisma, events, clock);
  let app: FastifyInstance;

  beforeAll(async () => {
    app = createHttpServer({ logger: createLogger("silent"), metrics: createMetrics(), bodyLimitBytes: 64 * 1024 });
    registerApiRoutes(app, { ingest: ingest(), apiKey: KEY });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  it("books an order's points in the same call that records it, once, for single and batch orders", async () => {
    const single = await ingest().recordOrder({ externalId: "pts-1", customerExternalId: "pts-c1", amount: "120.50", currency: "CNY", placedAt: "2026-11-01" });
    expect(single.status).toBe("created");
    // No listener, no waiting: the entry is there when the call returns.
    expect(await db().prisma.loyaltyLedgerEntry.findMany({ where: { orderId: single.id! }, select: { kind: true, points: true, idempotencyKey: true } })).toEqual([
      { kind: "earn", points: 120, idempotencyKey: `order:${single.id}` },
    ]);

    const batch = await ingest().recordOrders([
      { externalId: "pts-2", customerExternalId: "pts-c1", amount: "10.00", currency: "CNY", placedAt: "2026-11-02" },
      { externalId: "pts-3", customerExternalId: "pts-c2", amount: "0.40", currency: "CNY", placedAt: "2026-11-02" },
      { externalId: "pts-1", customerExternalId: "pts-c1", amount: "120.50", currency: "CNY", placedAt: "2026-11-01" },
    ]);
    expect(batch.map((r) => r.status)).toEqual(["created", "created", "duplicate"]);
    const entries = await db().prisma.loyaltyLedgerEntry.findMany({
      where: { order: { externalId: { startsWith: "pts-" } } },
      orderBy: { createdAt: "asc" },
      select: { points: true, order: { select: { externalId: true } } },
    });
    // pts-3 earns less than a point: nothing to book. The duplicate books nothing again.
    expect(entries.map((e) => [e.order?.externalId, e.points])).toEqual([
      ["pts-1", 120],
      ["pts-2", 10],
    ]);
    expect(await ordersWithoutPoints(db().prisma, "pts-")).toBe(0);
  });

  it("announces a tier reached by a batch of orders once, after the commit, and puts it on the timeline once", async () => {
    const changes: DomainEvents["loyalty.tier_changed"][] = [];
    events.on("loyalty.tier_changed", (event) => {
      changes.push(event);
    });
    const order = (n: number, amount: string) => ({ externalId: `tier-${n}`, customerExternalId: "tier-c", amount, currency: "CNY", placedAt: "2026-11-01" });
    // 300 + 300 crosses Silver (500) inside one batch; 1,500 more reaches Gold in the next.
    await ingest().recordOrders([order(1, "300.00"), order(2, "300.00"), order(3, "10.00")]);
    await ingest().recordOrders([order(4, "1500.00"), order(1, "300.00")]);
    const customer = await db().prisma.customer.findUniqueOrThrow({ where: { externalId: "tier-c" } });
    expect(changes.filter((c) => c.customerId === customer.id).map((c) => [c.from, c.to])).toEqual([
      ["Bronze", "Silver"],
      ["Silver", "Gold"],
    ]);
    const timeline = await db().prisma.interaction.findMany({ where: { customerId: customer.id, kind: "system" }, orderBy: { occurredAt: "asc" } });
    expect(timeline.map((i) => i.metadata)).toEqual([
      { event: "tier_changed", from: "Bronze", to: "Silver" },
      { event: "tier_changed", from: "Silver", to: "Gold" },
    ]);
    // Entries are dated by their orders (issue 13), whichever batch booked them.
    const entries = await db().prisma.loyaltyLedgerEntry.findMany({ where: { customerId: customer.id }, orderBy: { createdAt: "asc" } });
    expect(entries.map((e) => [e.points, e.createdAt.toISOString()])).toEqual(
      expect.arrayContaining([300, 300, 10, 1500].map((points) => [points, "2026-11-01T00:00:00.000Z"])),
    );
    expect(entries).toHaveLength(4);
  });

  it("books, when an order arrives again, the points an older Tend lost for it, once", async () => {
    // As an older Tend left it: the order committed, its booking lost in a crash.
    const customer = await db().prisma.customer.create({ data: { externalId: "lost-c" } });
    const order = await db().prisma.order.create({
      data: { externalId: "lost-1", customerId: customer.id, amount: "42.00", currency: "CNY", placedAt: new Date("2026-11-01T00:00:00Z") },
    });
    expect(await ordersWithoutPoints(db().prisma, "lost-")).toBe(1);
    const again = { externalId: "lost-1", customerExternalId: "lost-c", amount: "42.00", currency: "CNY", placedAt: "2026-11-01" };
    expect((await ingest().recordOrder(again)).status).toBe("duplicate");
    expect((await ingest().recordOrder(again)).status).toBe("duplicate");
    expect(await db().prisma.loyaltyLedgerEntry.findMany({ where: { orderId: order.id }, select: { kind: true, points: true } })).toEqual([{ kind: "earn", points: 42 }]);
  });

  it("refuses over the API an amount whose points would not fit the ledger, with the reason, and stores nothing", async () => {
    const auth = { authorization: `Bearer ${KEY}` };
    const huge = { externalId: "huge-1", customerExternalId: "huge-c", amount: "999999999999.99", currency: "CNY", placedAt: "2026-11-01" };
    const single = await app.inject({ method: "POST", url: "/api/orders", headers: auth, payload: huge });
    expect(single.statusCode).toBe(422);
    expect(single.json().errors).toEqual([{ path: "amount", message: expect.stringMatching(/points/) }]);

    const batch = await app.inject({
      method: "POST",
      url: "/api/orders/batch",
      headers: auth,
      payload: [{ ...huge, externalId: "huge-2", amount: "100.00" }, huge],
    });
    expect(batch.statusCode).toBe(200);
    expect(batch.json().results.map((r: { status: string }) => r.status)).toEqual(["created", "rejected"]);
    expect(batch.json().results[1].errors).toEqual([{ path: "amount", message: expect.stringMatching(/points/) }]);
    expect(await db().prisma.order.count({ where: { externalId: "huge-1" } })).toBe(0);
    expect(await ordersWithoutPoints(db().prisma, "huge-")).toBe(0);
  });

  it("rejects by line an order CSV row over the points limit, with a NUL or with a lone surrogate, and keeps the later rows with their points", async () => {
    const file = path.join(tmp, "bad-values-orders.csv");
    const lonely = Buffer.from([0xed, 0xa0, 0x80]); // U+D800 written as UTF-8 would write it
    fs.writeFileSync(
      file,
      Buffer.concat([
        Buffer.from("external_id,customer_external_id,amount,currency,placed_at\n"),
        Buffer.from("bv-1,bv-c,10.00,CNY,2026-11-01\n"),
        Buffer.from("bv-2,bv-c,999999999999.99,CNY,2026-11-01\n"),
        Buffer.from("bv-3,bv-\u0000c,11.00,CNY,2026-11-01\n"),
        Buffer.concat([Buffer.from("bv-4,bv-c"), lonely, Buffer.from(",12.00,CNY,2026-11-01\n")]),
        Buffer.from("bv-5,bv-c,13.00,CNY,2026-11-01\n"),
      ]),
    );
    const report = await importCsv({ kind: "orders", file, ingest: ingest() });
    expect(report.counts).toEqual({ created: 2, updated: 0, duplicate: 0, rejected: 3 });
    expect(report.rejects).toEqual([
      { line: 3, reason: expect.stringMatching(/^amount: .*points/) },
      { line: 4, reason: expect.stringMatching(/^customer_external_id: .*NUL/) },
      { line: 5, reason: expect.stringMatching(/^customer_external_id: .*surrogate/) },
    ]);
    const stored = await db().prisma.order.findMany({ where: { externalId: { startsWith: "bv-" } }, orderBy: { externalId: "asc" } });
    expect(stored.map((o) => o.externalId)).toEqual(["bv-1", "bv-5"]);
    expect(await ordersWithoutPoints(db().prisma, "bv-")).toBe(0);
  });

  it("rejects by line a customer CSV row with a NUL or a lone surrogate and keeps the later rows", async () => {
    const file = path.join(tmp, "bad-values-customers.csv");
    fs.writeFileSync(
      file,
      Buffer.concat([
        Buffer.from("external_id,display_name,tags\n"),
        Buffer.from("nul-1,One,a\n"),
        Buffer.from("nul-2,Tw\u0000o,b\n"),
        Buffer.concat([Buffer.from("nul-3,Three,"), Buffer.from([0xed, 0xb0, 0x80]), Buffer.from("\n")]),
        Buffer.from("nul-4,Four 四,c\n"),
      ]),
    );
    const report = await importCsv({ kind: "customers", file, ingest: ingest() });
    expect(report.counts).toEqual({ created: 2, updated: 0, duplicate: 0, rejected: 2 });
    expect(report.rejects).toEqual([
      { line: 3, reason: expect.stringMatching(/^display_name: .*NUL/) },
      { line: 4, reason: expect.stringMatching(/^tags: .*surrogate/) },
    ]);
    const stored = await db().prisma.customer.findMany({ where: { externalId: { startsWith: "nul-" } }, orderBy: { externalId: "asc" } });
    expect(stored.map((c) => [c.externalId, c.displayName])).toEqual([
      ["nul-1", "One"],
      ["nul-4", "Four 四"],
    ]);
  });
});
