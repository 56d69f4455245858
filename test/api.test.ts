import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { EventBus } from "../src/core/events.ts";
import { registerApiRoutes } from "../src/http/api-routes.ts";
import { createHttpServer } from "../src/http/server.ts";
import { IngestService } from "../src/ingest/ingest-service.ts";
import { createLogger } from "../src/observability/logger.ts";
import { createMetrics } from "../src/observability/metrics.ts";
import { describeEachDatabase } from "./support/databases.ts";

const KEY = "test-key-0123456789abcdef";
const auth = { authorization: `Bearer ${KEY}` };
const order = { externalId: "api-o-1", customerExternalId: "api-c-1", amount: "88.80", currency: "CNY", placedAt: "2026-11-20T10:00:00+08:00" };

describeEachDatabase("ingest HTTP API", (db) => {
  const clock = new ManualClock("2026-11-23T12:00:00Z");
  const events = new EventBus();
  const recorded: string[] = [];
  events.on("order.recorded", (event) => {
    recorded.push(event.orderId);
  });
  let app: FastifyInstance;
  let disabled: FastifyInstance;

  function build(apiKey: string | undefined): FastifyInstance {
    const server = createHttpServer({ logger: createLogger("silent"), metrics: createMetrics(), bodyLimitBytes: 16 * 1024 });
    registerApiRoutes(server, { ingest: new IngestService(db().prisma, events, clock), apiKey });
    return server;
  }

  beforeAll(async () => {
    app = build(KEY);
    disabled = build(undefined);
    await Promise.all([app.ready(), disabled.ready()]);
  });
  afterAll(async () => {
    await Promise.all([app?.close(), disabled?.close()]);
  });

  it("refuses requests without the right key and never opens without one", async () => {
    const none = await app.inject({ method: "POST", url: "/api/customers", payload: { externalId: "nope" } });
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toMatch(/API key/);
    expect(none.headers["www-authenticate"]).toMatch(/^Bearer/);
    const wrong = await app.inject({ method: "POST", url: "/api/customers", headers: { authorization: `Bearer ${KEY}x` }, payload: { externalId: "nope" } });
    expect(wrong.statusCode).toBe(401);
    // The key is checked before the body is read.
    const unreadBody = await app.inject({ method: "POST", url: "/api/orders", headers: { "content-type": "application/json" }, payload: "{not json" });
    expect(unreadBody.statusCode).toBe(401);
    const basic = await app.inject({ method: "POST", url: "/api/customers", headers: { authorization: `Basic ${KEY}` }, payload: { externalId: "nope" } });
    expect(basic.statusCode).toBe(401);
    const off = await disabled.inject({ method: "POST", url: "/api/orders", headers: auth, payload: order });
    expect(off.statusCode).toBe(503);
    // Named keys (`tend staff add-key`) turn the API on too, and the message says so.
    expect(off.json()).toEqual({ error: "API disabled: set TEND_API_KEY or make a key with `tend staff add-key <name>`" });
    expect(await db().prisma.customer.count({ where: { externalId: "nope" } })).toBe(0);
    const right = await app.inject({ method: "POST", url: "/api/customers", headers: { authorization: `bearer ${KEY}` }, payload: { externalId: "yes" } });
    expect(right.statusCode).toBe(201);
  });

  it("checks the key before routing: an unknown /api path answers 401 without the key and 404 with it", async () => {
    for (const [method, url] of [
      ["GET", "/api/secret-admin"],
      ["POST", "/api/customers/x/nothing-here"],
      ["GET", "/api/customers"],
      ["DELETE", "/api/orders"],
      ["GET", "/api"],
    ] as const) {
      const anonymous = await app.inject({ method, url });
      expect(anonymous.statusCode, `${method} ${url}`).toBe(401);
      expect(anonymous.headers["www-authenticate"]).toMatch(/^Bearer/);
      const known = await app.inject({ method, url, headers: auth });
      expect(known.statusCode, `${method} ${url}`).toBe(404);
      const off = await disabled.inject({ method, url });
      expect(off.statusCode, `${method} ${url}`).toBe(503);
    }
  });

  it("refuses a NUL or a lone surrogate in any text field with 422 naming the field, and keeps the valid batch items around it", async () => {
    for (const [field, value] of [
      ["externalId", "api-nul\u0000"],
      ["displayName", "Li\u0000Na"],
      ["displayName", "Li \ud800"],
      ["tags", ["ok", "v\u0000ip"]],
      ["tags", ["\udfff"]],
      ["email", "a\u0000@example.com"],
      ["timeZone", "Asia/Shanghai\u0000"],
      ["locale", "zh\u0000"],
    ] as const) {
      const payload = { externalId: "api-text-1", [field]: value };
      const response = await app.inject({ method: "POST", url: "/api/customers", headers: auth, payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(422);
      const paths = response.json().errors.map((e: { path: string }) => e.path);
      expect(paths.length).toBe(1);
      expect(paths[0]).toMatch(new RegExp(`^${field}`));
    }
    const orderProbe = await app.inject({
      method: "POST",
      url: "/api/orders",
      headers: auth,
      payload: { ...order, externalId: "api-text-o\u0000", customerExternalId: "\ud83d" },
    });
    expect(orderProbe.statusCode).toBe(422);
    expect(orderProbe.json().errors.map((e: { path: string }) => e.path)).toEqual(["externalId", "customerExternalId"]);
    expect(await db().prisma.customer.count({ where: { externalId: "api-text-1" } })).toBe(0);

    const batch = await app.inject({
      method: "POST",
      url: "/api/customers/batch",
      headers: auth,
      payload: [{ externalId: "api-text-b1" }, { externalId: "api-text-b2", displayName: "bad\u0000" }, { externalId: "api-text-b3", tags: ["\ud800x"] }, { externalId: "api-text-b4" }],
    });
    expect(batch.statusCode).toBe(200);
    expect(batch.json().counts).toEqual({ created: 2, updated: 0, duplicate: 0, rejected: 2 });
    expect(batch.json().results[1]).toEqual({ index: 1, status: "rejected", errors: [{ path: "displayName", message: expect.stringMatching(/NUL/) }] });
    expect(batch.json().results[2]).toEqual({ index: 2, status: "rejected", errors: [{ path: "tags.0", message: expect.stringMatching(/surrogate/) }] });
    expect(await db().prisma.customer.count({ where: { externalId: { in: ["api-text-b1", "api-text-b4"] } } })).toBe(2);

    const orders = await app.inject({
      method: "POST",
      url: "/api/orders/batch",
      headers: auth,
      payload: [
        { ...order, externalId: "api-text-o1", customerExternalId: "api-text-b1" },
        { ...order, externalId: "api-text-o2\u0000" },
        { ...order, externalId: "api-text-o3", customerExternalId: "api-text-b4" },
      ],
    });
    expect(orders.statusCode).toBe(200);
    expect(orders.json().results.map((r: { status: string }) => r.status)).toEqual(["created", "rejected", "created"]);
    expect(orders.json().results[1].errors).toEqual([{ path: "externalId", message: expect.stringMatching(/NUL/) }]);
  });

  it("creates and then updates a customer", async () => {
    const created = await app.inject({ method: "POST", url: "/api/customers", headers: auth, payload: { externalId: "api-c-1", displayName: "李娜", locale: "zh-CN" } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ status: "created", id: expect.any(String) });
    const updated = await app.inject({ method: "POST", url: "/api/customers", headers: auth, payload: { externalId: "api-c-1", email: "li.na@example.com" } });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toEqual({ status: "updated", id: created.json().id });
    const stored = await db().prisma.customer.findUnique({ where: { externalId: "api-c-1" } });
    expect(stored).toMatchObject({ displayName: "李娜", email: "li.na@example.com" });
  });

  it("answers 422 with field paths and reasons", async () => {
    const response = await app.inject({ method: "POST", url: "/api/customers", headers: auth, payload: { externalId: "", email: "x", birthday: "1990-13-01" } });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({
      // One line a person can read, naming every field; the list is for programs.
      error: expect.stringMatching(/^validation failed: externalId is required; email must be a valid email address; birthday /),
      errors: [
        { path: "externalId", message: "is required" },
        { path: "email", message: "must be a valid email address" },
        { path: "birthday", message: expect.stringMatching(/date/) },
      ],
    });
    const list = await app.inject({ method: "POST", url: "/api/orders", headers: auth, payload: [order] });
    expect(list.statusCode).toBe(422);
    expect(list.json().errors[0].message).toMatch(/batch/);
  });

  it("records an order once: 201, then 200 with duplicate, then 409 for different content", async () => {
    const before = recorded.length;
    const first = await app.inject({ method: "POST", url: "/api/orders", headers: auth, payload: order });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ status: "created", duplicate: false, id: expect.any(String) });
    const again = await app.inject({ method: "POST", url: "/api/orders", headers: auth, payload: order });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: "duplicate", duplicate: true, id: first.json().id });
    const conflict = await app.inject({ method: "POST", url: "/api/orders", headers: auth, payload: { ...order, amount: "99.00" } });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ error: "conflict", id: first.json().id, errors: [{ path: "externalId" }] });
    expect(recorded.length - before).toBe(1);
  });

  it("takes batches with mixed items and keeps the valid ones", async () => {
    const customers = await app.inject({
      method: "POST",
      url: "/api/customers/batch",
      headers: auth,
      payload: [{ externalId: "api-b-1" }, { externalId: "api-b-2", timeZone: "Nowhere/Land" }, { externalId: "api-c-1", tags: "a;b" }],
    });
    expect(customers.statusCode).toBe(200);
    expect(customers.json()).toEqual({
      counts: { created: 1, updated: 1, duplicate: 0, rejected: 1 },
      results: [
        { index: 0, status: "created", id: expect.any(String) },
        { index: 1, status: "rejected", errors: [{ path: "timeZone", message: expect.any(String) }] },
        { index: 2, status: "updated", id: expect.any(String) },
      ],
    });

    const before = recorded.length;
    const orders = await app.inject({
      method: "POST",
      url: "/api/orders/batch",
      headers: auth,
      payload: [
        { ...order, externalId: "api-bo-1", customerExternalId: "api-b-1" },
        { ...order, externalId: "api-bo-2", currency: "CN" },
        order,
        { ...order, externalId: "api-bo-3", customerExternalId: "api-b-unknown" },
      ],
    });
    expect(orders.statusCode).toBe(200);
    const body = orders.json();
    expect(body.counts).toEqual({ created: 2, updated: 0, duplicate: 1, rejected: 1 });
    expect(body.results.map((r: { status: string }) => r.status)).toEqual(["created", "rejected", "duplicate", "created"]);
    expect(body.results[1].errors).toEqual([{ path: "currency", message: expect.any(String) }]);
    expect(body.results[3].customerCreated).toBe(true);
    expect(recorded.length - before).toBe(2);
  });

  it("refuses batches that are not arrays or hold more than 1000 items", async () => {
    const object = await app.inject({ method: "POST", url: "/api/orders/batch", headers: auth, payload: order });
    expect(object.statusCode).toBe(422);
    const big = createHttpServer({ logger: createLogger("silent"), metrics: createMetrics(), bodyLimitBytes: 1024 * 1024 });
    registerApiRoutes(big, { ingest: new IngestService(db().prisma, events, clock), apiKey: KEY });
    try {
      const tooMany = await big.inject({
        method: "POST",
        url: "/api/customers/batch",
        headers: auth,
        payload: Array.from({ length: 1001 }, (_, i) => ({ externalId: `many-${i}` })),
      });
      expect(tooMany.statusCode).toBe(422);
      expect(tooMany.json().errors[0].message).toMatch(/at most 1000/);
      expect(await db().prisma.customer.count({ where: { externalId: { startsWith: "many-" } } })).toBe(0);
    } finally {
      await big.close();
    }
  });

  it("answers 400 to malformed JSON, 413 to a body over the limit and 415 to non-JSON", async () => {
    const malformed = await app.inject({
      method: "POST",
      url: "/api/orders",
      headers: { ...auth, "content-type": "application/json" },
      payload: '{"externalId": "x",',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toMatch(/malformed JSON/);

    const huge = await app.inject({
      method: "POST",
      url: "/api/customers/batch",
      headers: { ...auth, "content-type": "application/json" },
      payload: JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ externalId: `huge-${i}`, displayName: "x".repeat(40) }))),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error).toMatch(/too large/);
    expect(await db().prisma.customer.count({ where: { externalId: { startsWith: "huge-" } } })).toBe(0);

    const text = await app.inject({ method: "POST", url: "/api/customers", headers: { ...auth, "content-type": "text/plain" }, payload: "externalId=x" });
    expect(text.statusCode).toBe(415);
  });
});
