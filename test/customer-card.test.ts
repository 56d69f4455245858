import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { registerAnalyticsCommands } from "../src/cli/analytics-commands.ts";
import type { Config } from "../src/config/env.ts";
import { ManualClock } from "../src/core/clock.ts";
import type { Customer } from "../src/db/generated/client.ts";
import type { BuiltServices } from "../src/engine/build-services.ts";
import type { Actor } from "../src/staff/actor.ts";
import { describeEachDatabase } from "./support/databases.ts";
import { seedCustomer } from "./support/seed-customer.ts";
import { runCommands, staffApiApp } from "./support/staff-api-app.ts";

const KEY = "card-test-key-0123456789";
const auth = { authorization: `Bearer ${KEY}` };
const BASE = new Date("2026-06-01T08:00:00.000Z");
const alice: Actor = { kind: "staff", id: "slack:U0ALICE", name: "Alice", via: "slack" };

describeEachDatabase("customer card", (db) => {
  const clock = new ManualClock("2026-12-02T10:00:00.000Z");
  let app: FastifyInstance;
  let services: BuiltServices;
  let config: Config;
  let seeded: Customer;

  beforeAll(async () => {
    ({ app, services, config } = await staffApiApp(db(), clock, { TEND_API_KEY: KEY }));
    seeded = await seedCustomer(db().prisma, "card", BASE);
    // 300 points earned 13 months ago lapsed a month ago and were never booked as expired (the job has not run):
    // the ledger sums to 307, the balance is 12 (the 5 redeemed came out of that oldest lot, so 295 lapsed).
    await db().prisma.loyaltyLedgerEntry.create({
      data: { customerId: seeded.id, kind: "earn", points: 300, reason: "old order", createdAt: new Date("2025-11-01T00:00:00Z"), expiresAt: new Date("2026-11-01T00:00:00Z") },
    });
    await services.customerService.takeOver(seeded.id, alice);
    clock.advance(1000);
    await services.customerService.pauseOutreach(seeded.id, new Date("2026-12-20T00:00:00Z"), alice);
    clock.advance(1000);
    await services.customerService.addNote(seeded.id, alice, "VIP, handle with care");
    clock.advance(1000);
  });
  afterAll(async () => {
    await app?.close();
  });

  const cli = (args: string[]) =>
    runCommands(db(), (program, openDb, stdout, stderr) => registerAnalyticsCommands(program, openDb, () => config, { clock, stdout, stderr }), args);

  it("says the same in GET /api/customers/:id/card and `tend customer show --json`, with the loyalty service's balance after lapsed points", async () => {
    const response = await app.inject({ method: "GET", url: "/api/customers/crm-card/card?recent=20", headers: auth });
    expect(response.statusCode).toBe(200);
    const api = response.json();
    const shown = await cli(["customer", "show", "crm-card", "--json", "--recent", "20"]);
    expect(shown.error).toBeUndefined();
    expect(JSON.parse(shown.stdout)).toEqual(api);

    const ledgerSum = (await db().prisma.loyaltyLedgerEntry.aggregate({ where: { customerId: seeded.id }, _sum: { points: true } }))._sum.points;
    expect(ledgerSum).toBe(307);
    expect(api.loyalty).toEqual(JSON.parse(JSON.stringify(await services.loyalty.summary(seeded.id))));
    expect(api.loyalty).toMatchObject({ balance: 12, tier: "Bronze" });

    expect(api).toMatchObject({
      customerId: seeded.id,
      externalId: "crm-card",
      profile: { displayName: "Name card", quietHours: { start: "22:00", end: "08:00" }, lunarBirthday: { month: 4, day: 18 }, timeZone: "Asia/Shanghai" },
      channels: [{ platform: "telegram", platformUserId: "tg-card" }],
      consent: { care: { granted: true }, marketing: { granted: false }, recentChanges: [{ topic: "marketing", granted: true, source: "chat:START" }] },
      orders: { count: 1, total: "12.50" },
      surveys: { lastCsat: { score: 2, reason: "slow delivery for card", platform: "telegram" }, lastNps: null },
      openCases: [{ source: "complaint", summary: "card complaint" }],
      outreach: { paused: true, pausedUntil: "2026-12-20T00:00:00.000Z" },
      handover: { active: true, heldBy: { actorId: "slack:U0ALICE", name: "Alice" } },
      scores: { lifecycleStage: "new", relationshipLevel: "basic", historicClv: "12.50", predictedClv: null, rfm: { segment: null } },
    });
    expect(api.interactions.recent[0]).toMatchObject({ kind: "staff_note", text: "VIP, handle with care", staffName: "Alice" });
    expect(api.interactions.total).toBe(api.interactions.byKind.reduce((sum: number, row: { count: number }) => sum + row.count, 0));

    // Viewing through the API is audited; the text output prints the same facts.
    expect((await services.staff.auditLog({ customerId: seeded.id, action: "customer.view_card" }))[0]).toMatchObject({ actorName: "TEND_API_KEY" });
    const text = (await cli(["customer", "show", seeded.id])).stdout;
    expect(text).toContain("Loyalty balance: 12 points");
    expect(text).toMatch(/tier Bronze/);
    expect(text).toContain("  Handover    Alice has the conversation");
    expect(text).toContain("  Outreach    paused until 2026-12-20 00:00 UTC");
    expect(text).toContain("last CSAT 2 on 2026-06-01 08:06 UTC (telegram): slow delivery for card");
    expect(text).toMatch(/staff_note VIP, handle with care \(by Alice\)/);
  });

  it("answers 404 for an unknown customer and 422 for a bad `recent`, on the API and the CLI", async () => {
    expect((await app.inject({ method: "GET", url: "/api/customers/nobody/card", headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ method: "GET", url: "/api/customers/crm-card/card?recent=-1", headers: auth })).statusCode).toBe(422);
    expect((await cli(["customer", "show", "nobody"])).error).toMatchObject({ message: 'no customer with id or external id "nobody"' });
    expect(await services.cards.card("not-a-uuid")).toBeNull();
  });

  it("finds customers by name, platform user id or handle, customer id, external id and order id", async () => {
    const prisma = db().prisma;
    const wang = await prisma.customer.create({ data: { displayName: "Wang Fang", externalId: "crm-wang" } });
    await prisma.channelIdentity.create({ data: { customerId: wang.id, platform: "slack", platformUserId: "U0WANGF", address: "D1", displayName: "fang.w" } });
    const other = await prisma.customer.create({ data: { displayName: "Wanda 100%_real" } });
    await prisma.order.create({ data: { customerId: wang.id, externalId: "SO-7781", amount: "20.00", currency: "CNY", placedAt: BASE } });
    const find = async (q: string) => (await services.cards.findCustomers(q, 10)).map((m) => [m.customerId, m.matchedBy]);

    expect(await find("wang fang")).toEqual([[wang.id, "name"]]);
    expect(await find("FANG.W")).toEqual([[wang.id, "name"]]);
    expect(await find("U0WANGF")).toEqual([[wang.id, "platform_user"]]);
    expect(await find("<@U0WANGF>")).toEqual([[wang.id, "platform_user"]]);
    expect(await find("@tg-card")).toEqual([[seeded.id, "platform_user"]]);
    expect(await find(wang.id.toUpperCase())).toEqual([[wang.id, "customer_id"]]);
    expect(await find("crm-wang")).toEqual([[wang.id, "external_id"]]);
    expect(await find("SO-7781")).toEqual([[wang.id, "order_id"]]);
    // `%` and `_` are letters: "100%_" matches only the name that has them.
    expect(await find("100%_")).toEqual([[other.id, "name"]]);
    expect((await find("wan")).map(([id]) => id).sort()).toEqual([other.id, wang.id].sort());
    expect(await find("nobody like this")).toEqual([]);
    expect(await find("   ")).toEqual([]);

    const [match] = await services.cards.findCustomers("SO-7781", 5);
    expect(match).toMatchObject({ displayName: "Wang Fang", externalId: "crm-wang", erased: false, channels: [{ platform: "slack", platformUserId: "U0WANGF", displayName: "fang.w" }] });

    const api = await app.inject({ method: "GET", url: "/api/customers?q=wang%20fang&limit=5", headers: auth });
    expect(api.statusCode).toBe(200);
    expect(api.json().customers.map((m: { customerId: string }) => m.customerId)).toEqual([wang.id]);
    const bad = await app.inject({ method: "GET", url: "/api/customers?limit=500", headers: auth });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual(["q", "limit"]);
  });
});
