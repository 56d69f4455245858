import { expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { type DomainEvents, EventBus } from "../src/core/events.ts";
import { CustomerRepository } from "../src/db/repositories/customer-repository.ts";
import { OrderRepository } from "../src/db/repositories/order-repository.ts";
import { IngestService } from "../src/ingest/ingest-service.ts";
import { describeEachDatabase } from "./support/databases.ts";

describeEachDatabase("ingest service", (db) => {
  const clock = new ManualClock("2026-11-23T12:00:00Z");
  const recorded: DomainEvents["order.recorded"][] = [];
  const events = new EventBus();
  events.on("order.recorded", (event) => {
    recorded.push(event);
  });
  const service = () => new IngestService(db().prisma, events, clock);
  const customers = () => new CustomerRepository(db().prisma);
  const orders = () => new OrderRepository(db().prisma);

  it("creates a customer, then updates it on the same external id", async () => {
    const first = await service().upsertCustomer({ externalId: "cust-1", displayName: "张伟", email: "zhang@example.com", tags: ["vip"] });
    expect(first).toEqual({ status: "created", id: expect.any(String) });
    const again = await service().upsertCustomer({ externalId: "cust-1", displayName: "张伟 (Wei)", locale: "zh-CN", phone: null });
    expect(again).toEqual({ status: "updated", id: first.id });
    const stored = await customers().findByExternalId("cust-1");
    expect(stored).toMatchObject({ id: first.id, displayName: "张伟 (Wei)", email: "zhang@example.com", locale: "zh-CN", tags: ["vip"] });
    expect(await db().prisma.customer.count({ where: { externalId: "cust-1" } })).toBe(1);
  });

  it("keeps marketing consent changes in the consent history with their source", async () => {
    const created = await service().upsertCustomer({ externalId: "cust-consent", marketingConsent: true }, { source: "import:crm.csv" });
    await service().upsertCustomer({ externalId: "cust-consent", marketingConsent: true });
    clock.advance(60_000);
    await service().upsertCustomer({ externalId: "cust-consent", marketingConsent: false });
    const history = await customers().consentHistory(created.id!);
    expect(history.map((h) => [h.topic, h.granted, h.source])).toEqual([
      ["marketing", true, "import:crm.csv"],
      ["marketing", false, "api"],
    ]);
    const stored = await customers().findById(created.id!);
    expect(stored?.marketingConsent).toBe(false);
    expect(stored?.marketingConsentAt?.toISOString()).toBe(clock.now().toISOString());
  });

  it("does not bring back the data of an erased customer", async () => {
    const created = await service().upsertCustomer({ externalId: "cust-erased", displayName: "Gone" });
    await db().prisma.customer.update({ where: { id: created.id! }, data: { displayName: null, erasedAt: clock.now() } });
    const again = await service().upsertCustomer({ externalId: "cust-erased", displayName: "Gone" });
    expect(again.status).toBe("rejected");
    expect((await customers().findById(created.id!))?.displayName).toBeNull();
  });

  it("records an order once, answers a repeat as a duplicate and emits one event", async () => {
    await service().upsertCustomer({ externalId: "cust-o1" });
    const before = recorded.length;
    const order = { externalId: "ord-1", customerExternalId: "cust-o1", amount: "199.00", currency: "cny", placedAt: "2026-11-01T10:00:00+08:00" };
    const first = await service().recordOrder(order);
    expect(first).toEqual({ status: "created", id: expect.any(String), customerId: expect.any(String) });
    // The same order again, written differently: 199 is 199.00, the instant is the same.
    const again = await service().recordOrder({ ...order, amount: 199, currency: "CNY", placedAt: "2026-11-01T02:00:00Z" });
    expect(again).toEqual({ status: "duplicate", id: first.id, customerId: first.customerId });
    expect(recorded.slice(before)).toEqual([
      { orderId: first.id, customerId: first.customerId, amount: "199.00", currency: "CNY", at: new Date("2026-11-01T02:00:00Z") },
    ]);
    const stored = await orders().findById(first.id!);
    expect(stored?.amount.toFixed(2)).toBe("199.00");
  });

  it("reports an order whose id is taken by different content as a conflict and changes nothing", async () => {
    const order = { externalId: "ord-conflict", customerExternalId: "cust-c", amount: "10.00", currency: "USD", placedAt: "2026-11-02" };
    const first = await service().recordOrder(order);
    const before = recorded.length;
    const changed = await service().recordOrder({ ...order, amount: "12.00", customerExternalId: "cust-other" });
    expect(changed.status).toBe("rejected");
    expect(changed.conflict).toBe(true);
    expect(changed.id).toBe(first.id);
    expect(changed.errors?.[0]?.message).toMatch(/different customer, amount/);
    expect((await orders().findById(first.id!))?.amount.toFixed(2)).toBe("10.00");
    expect(recorded.length).toBe(before);
    // A conflicting order does not make its unknown customer either.
    expect(await customers().findByExternalId("cust-other")).toBeNull();
  });

  it("makes a bare customer for an order of an unknown customer", async () => {
    const result = await service().recordOrder({ externalId: "ord-bare", customerExternalId: "cust-new", amount: "5", currency: "EUR", placedAt: "2026-11-03" });
    expect(result).toMatchObject({ status: "created", customerCreated: true });
    const customer = await customers().findByExternalId("cust-new");
    expect(customer?.id).toBe(result.customerId);
    expect(customer?.displayName).toBeNull();
    // Details arriving later fill the same customer.
    expect(await service().upsertCustomer({ externalId: "cust-new", displayName: "Late Details" })).toEqual({ status: "updated", id: customer?.id });
  });

  it("keeps valid batch items when others are rejected, in order, with repeats resolved", async () => {
    const before = recorded.length;
    const base = { customerExternalId: "cust-batch", currency: "CNY", placedAt: "2026-11-04T09:00:00Z" };
    const results = await service().recordOrders([
      { ...base, externalId: "b-1", amount: "10.00" },
      { ...base, externalId: "b-2", amount: "-1" },
      { ...base, externalId: "b-3", amount: "30.00" },
      { ...base, externalId: "b-1", amount: "10" },
      { ...base, externalId: "b-3", amount: "31.00" },
      "not an order",
      { ...base, externalId: "b-4", amount: "1.00", placedAt: "2027-01-01" },
    ]);
    expect(results.map((r) => [r.index, r.status])).toEqual([
      [0, "created"],
      [1, "rejected"],
      [2, "created"],
      [3, "duplicate"],
      [4, "rejected"],
      [5, "rejected"],
      [6, "rejected"],
    ]);
    expect(results[0]?.customerCreated).toBe(true);
    expect(results[2]?.customerCreated).toBeUndefined();
    expect(results[1]?.errors).toEqual([{ path: "amount", message: expect.any(String) }]);
    expect(results[3]?.id).toBe(results[0]?.id);
    expect(results[4]?.conflict).toBe(true);
    expect(results[6]?.errors?.[0]).toEqual({ path: "placedAt", message: "is in the future" });
    expect(recorded.slice(before).map((e) => e.orderId)).toEqual([results[0]?.id, results[2]?.id]);
  });

  it("upserts customer batches item by item", async () => {
    const results = await service().upsertCustomers([
      { externalId: "cb-1", displayName: "One" },
      { externalId: "cb-2", email: "broken" },
      { externalId: "cb-1", displayName: "One, again" },
    ]);
    expect(results.map((r) => r.status)).toEqual(["created", "rejected", "updated"]);
    expect((await customers().findByExternalId("cb-1"))?.displayName).toBe("One, again");
    expect(await customers().findByExternalId("cb-2")).toBeNull();
  });

  it("records an order once when the same order arrives concurrently", async () => {
    const before = recorded.length;
    const order = { externalId: "ord-race", customerExternalId: "cust-race", amount: "9.99", currency: "USD", placedAt: "2026-11-05" };
    const results = await Promise.all(Array.from({ length: 4 }, () => new IngestService(db().prisma, events, clock).recordOrder(order)));
    expect(results.filter((r) => r.status === "created")).toHaveLength(1);
    expect(results.filter((r) => r.status === "duplicate")).toHaveLength(3);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(recorded.length - before).toBe(1);
    expect(await db().prisma.customer.count({ where: { externalId: "cust-race" } })).toBe(1);
  });

  it("refuses batches over the limit and accepts repositories instead of a client", async () => {
    const small = new IngestService({ customers: customers(), orders: orders() }, events, clock, { maxBatchItems: 2 });
    await expect(small.upsertCustomers([{ externalId: "x1" }, { externalId: "x2" }, { externalId: "x3" }])).rejects.toThrow(/at most 2/);
    expect((await small.upsertCustomers([{ externalId: "x1" }])).map((r) => r.status)).toEqual(["created"]);
  });
});
