import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../src/config/env.ts";
import { ManualClock } from "../src/core/clock.ts";
import { type BuiltServices, buildServices } from "../src/engine/build-services.ts";
import { registerApiRoutes } from "../src/http/api-routes.ts";
import { INT_COLUMN, ORDER_AMOUNT_COLUMN } from "../src/ingest/column-limits.ts";
import { registerStaffRoutes, staffRouteDependencies } from "../src/http/staff-routes.ts";
import { createHttpServer } from "../src/http/server.ts";
import { createLogger } from "../src/observability/logger.ts";
import { createMetrics } from "../src/observability/metrics.ts";
import { describeEachDatabase } from "./support/databases.ts";

const KEY = "staff-test-key-0123456789";
const auth = { authorization: `Bearer ${KEY}` };

describeEachDatabase("staff HTTP API", (db) => {
  const clock = new ManualClock("2026-11-23T12:00:00Z");
  let services: BuiltServices;
  let app: FastifyInstance;
  let customerId: string;

  beforeAll(async () => {
    services = buildServices(db(), loadConfig({}), clock, createLogger("silent"));
    app = createHttpServer({ logger: createLogger("silent"), metrics: createMetrics() });
    registerApiRoutes(app, {
      ingest: services.ingest,
      apiKey: KEY,
      moreRoutes: (api) =>
        registerStaffRoutes(api, staffRouteDependencies(services, async () => {
            throw new Error("not used here");
          })),
    });
    await app.ready();
    const created = await app.inject({ method: "POST", url: "/api/customers", headers: auth, payload: { externalId: "staff-c-1", displayName: "Wang" } });
    expect(created.statusCode).toBe(201);
    customerId = created.json().id;
  });
  afterAll(async () => {
    await app?.close();
  });

  const post = (url: string, payload: unknown) => app.inject({ method: "POST", url: `/api${url}`, headers: auth, payload: payload as object });

  it("refuses an adjustment outside the points column's range with the allowed range, and books nothing", async () => {
    for (const points of [2147483648, -2147483649, 1e20]) {
      const response = await post(`/customers/${customerId}/points`, { points, reason: "overflow probe" });
      expect(response.statusCode).toBe(422);
      expect(response.json().errors).toEqual([{ path: "points", message: expect.stringContaining("-2147483648 to 2147483647") }]);
    }
    const fits = await post(`/customers/${customerId}/points`, { points: 2147483647, reason: "largest that fits" });
    expect(fits.statusCode).toBe(201);
    const back = await post(`/customers/${customerId}/points`, { points: -2147483647, reason: "and back" });
    expect(back.statusCode).toBe(201);
    expect(back.json().balance).toBe(0);
  });

  it("bounds numbers by the columns they are stored in, as the migrated database declares them", async () => {
    const columns = await db().prisma.$queryRaw<{ table_name: string; column_name: string; data_type: string; numeric_precision: number; numeric_scale: number }[]>`
      SELECT table_name::text, column_name::text, data_type::text, numeric_precision::int, numeric_scale::int FROM information_schema.columns
      WHERE table_schema = current_schema() AND ((table_name = 'LoyaltyLedgerEntry' AND column_name = 'points') OR (table_name = 'Order' AND column_name = 'amount'))
      ORDER BY table_name`;
    expect(columns).toEqual([
      { table_name: "LoyaltyLedgerEntry", column_name: "points", data_type: "integer", numeric_precision: 32, numeric_scale: 0 },
      { table_name: "Order", column_name: "amount", data_type: "numeric", numeric_precision: ORDER_AMOUNT_COLUMN.precision, numeric_scale: ORDER_AMOUNT_COLUMN.scale },
    ]);
    expect(INT_COLUMN).toEqual({ min: -(2 ** 31), max: 2 ** 31 - 1 });
  });

  it("names the field of a missing or bad value", async () => {
    const noReason = await post(`/customers/${customerId}/points`, { points: 5 });
    expect(noReason.statusCode).toBe(422);
    expect(noReason.json().errors).toEqual([{ path: "reason", message: expect.stringMatching(/^is required/) }]);
    expect(noReason.json().error).toMatch(/reason/);
    expect(noReason.json().error).not.toMatch(/expected string/);

    const opened = await services.feedback.open(customerId, "staff", "parcel broken");
    const noResolution = await post(`/cases/${opened.id}/close`, {});
    expect(noResolution.statusCode).toBe(422);
    expect(noResolution.json().errors).toEqual([{ path: "resolution", message: expect.stringMatching(/^is required/) }]);
    expect(noResolution.json().error).toMatch(/resolution/);

    const badKind = await post(`/customers/${customerId}/surveys`, { kind: "ces" });
    expect(badKind.statusCode).toBe(422);
    expect(badKind.json().errors).toEqual([{ path: "kind", message: expect.stringContaining('"csat" or "nps"') }]);
  });

  it("refuses a NUL or a lone surrogate in every text field, naming the field, and stores nothing", async () => {
    const nul = "goodwill\u0000";
    const lone = "goodwill \ud83d";
    const cases: [string, Record<string, unknown>, string][] = [
      [`/customers/${customerId}/points`, { points: 5, reason: nul }, "reason"],
      [`/customers/${customerId}/points`, { points: 5, reason: lone }, "reason"],
      [`/customers/${customerId}/points`, { points: 5, reason: "ok", idempotencyKey: nul }, "idempotencyKey"],
      [`/customers/${customerId}/points`, { points: 5, reason: "ok", idempotencyKey: "\udc00key" }, "idempotencyKey"],
    ];
    const opened = await services.feedback.open(customerId, "staff", "late delivery");
    cases.push([`/cases/${opened.id}/close`, { resolution: nul }, "resolution"]);
    cases.push([`/cases/${opened.id}/close`, { resolution: lone }, "resolution"]);
    cases.push([`/cases/${opened.id}/close`, { resolution: "refunded", closedBy: "ana\u0000" }, "closedBy"]);
    const before = await services.loyalty.balance(customerId);
    for (const [url, payload, field] of cases) {
      const response = await post(url, payload);
      expect(response.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(422);
      expect(response.json().errors).toEqual([{ path: field, message: expect.stringMatching(/NUL|surrogate/) }]);
    }
    expect(await services.loyalty.balance(customerId)).toBe(before);
    expect((await services.feedback.get(opened.id))?.status).toBe("open");
    // A pair is fine: 😀 is a surrogate pair in UTF-16.
    const emoji = await post(`/customers/${customerId}/points`, { points: 1, reason: "thanks 😀" });
    expect(emoji.statusCode).toBe(201);
  });

  it("finds customers by Tend id or external id on every route", async () => {
    const byExternal = await app.inject({ method: "GET", url: "/api/customers/staff-c-1/loyalty", headers: auth });
    expect(byExternal.statusCode).toBe(200);
    const byId = await app.inject({ method: "GET", url: `/api/customers/${customerId}/loyalty`, headers: auth });
    expect(byExternal.json()).toEqual(byId.json());

    const adjusted = await post("/customers/staff-c-1/points", { points: 7, reason: "by external id" });
    expect(adjusted.statusCode).toBe(201);
    expect(adjusted.json().balance).toBe(byId.json().balance + 7);

    // An external id with characters a URL must escape.
    const odd = await post("/customers", { externalId: "shop/42 #1" });
    expect(odd.statusCode).toBe(201);
    const oddLoyalty = await app.inject({ method: "GET", url: `/api/customers/${encodeURIComponent("shop/42 #1")}/loyalty`, headers: auth });
    expect(oddLoyalty.statusCode).toBe(200);

    const missing = await app.inject({ method: "GET", url: "/api/customers/no-such-customer/loyalty", headers: auth });
    expect(missing.statusCode).toBe(404);
    const nul = await app.inject({ method: "GET", url: "/api/customers/a%00b/loyalty", headers: auth });
    expect(nul.statusCode).toBe(404);
  });

  it("releases a handed-over customer once, and answers 409 when there is nothing to release", async () => {
    await services.customers.update(customerId, { handedOverAt: clock.now() });
    const released = await post("/customers/staff-c-1/release", {});
    expect(released.statusCode).toBe(200);
    expect(released.json()).toEqual({ released: true, customerNotified: true });
    expect((await services.customers.findById(customerId))?.handedOverAt).toBeNull();

    const again = await post(`/customers/${customerId}/release`, {});
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatch(/not handed over/);
  });

  it("accepts common locale aliases", async () => {
    for (const [given, stored] of [
      ["zh", "zh-CN"],
      ["zh-Hans", "zh-CN"],
      ["zh_CN", "zh-CN"],
      ["zh-cn", "zh-CN"],
      ["en-US", "en"],
      ["en", "en"],
    ] as const) {
      const response = await post("/customers", { externalId: "staff-locale", locale: given });
      expect(response.statusCode, given).toBeLessThan(300);
      expect((await services.customers.findByExternalId("staff-locale"))?.locale, given).toBe(stored);
    }
    const french = await post("/customers", { externalId: "staff-locale", locale: "fr" });
    expect(french.statusCode).toBe(422);
    expect(french.json().errors).toEqual([{ path: "locale", message: expect.stringContaining("zh-CN") }]);
  });
});
