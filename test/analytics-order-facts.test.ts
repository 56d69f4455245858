import { expect, it } from "vitest";
import { type CustomerOrderFacts, scoringPage, withOrderFacts, withRefreshSql } from "../src/db/repositories/analytics-pages.ts";
import { describeEachDatabase } from "./support/databases.ts";

const NOW = new Date("2026-06-30T12:00:00Z");
const WINDOW_START = new Date("2024-06-30T12:00:00Z");
const ENGAGEMENT = { since: WINDOW_START, until: NOW, careReplyDays: 7, conversationGapHours: 24 };
const day = (iso: string) => Math.floor(Date.parse(iso) / 86_400_000);

describeEachDatabase("analytics refresh: every customer's orders summed up once", (db) => {
  it("sums per customer and purchase day, exactly, even for a first day too large for the packed key", async () => {
    const { prisma, sql } = db();
    const order = (customerId: string, n: number, amount: string, placedAt: string) =>
      prisma.order.create({ data: { customerId, externalId: `facts-${customerId}-${n}`, amount, currency: "CNY", placedAt: new Date(placedAt) } });
    const usual = await prisma.customer.create({ data: { displayName: "usual" } });
    const whale = await prisma.customer.create({ data: { displayName: "whale" } });
    const none = await prisma.customer.create({ data: { displayName: "none" } });
    // Two orders on the first day, a refund (not a purchase), an old order outside the RFM window, one after `now`.
    await order(usual.id, 1, "10.10", "2023-03-01T09:00:00Z");
    await order(usual.id, 2, "0.20", "2023-03-01T23:59:00Z");
    await order(usual.id, 3, "5.00", "2025-01-02T10:00:00Z");
    await order(usual.id, 4, "-5.00", "2025-01-03T10:00:00Z");
    await order(usual.id, 5, "7.77", "2026-07-01T00:00:00Z");
    // The first day's total is above 2^46 cents (703,687,441,776.64): the packed key caps it, the orders give it exactly.
    await order(whale.id, 1, "999999999999.99", "2025-05-05T08:00:00Z");
    await order(whale.id, 2, "0.01", "2025-05-05T09:00:00Z");
    await order(whale.id, 3, "3.00", "2025-06-01T09:00:00Z");

    const facts = await withRefreshSql({ sql, prisma, timeoutMs: 60_000 }, ({ read }) =>
      withOrderFacts(read, { now: NOW, windowStart: WINDOW_START }, ENGAGEMENT, () => scoringPage(read, 0, 10_000)),
    );
    const of = (id: string) => facts.find((f) => f.customerId === id)!;
    expect(of(usual.id)).toMatchObject<Partial<CustomerOrderFacts>>({
      orderCount: 3,
      purchaseDays: 2,
      firstDay: day("2023-03-01"),
      lastDay: day("2025-01-02"),
      historicCents: 1530,
      firstDayCents: 1030,
      windowCount: 1,
      windowCents: 500,
      firstOrderMs: Date.parse("2023-03-01T09:00:00Z"),
      lastOrderMs: Date.parse("2025-01-02T10:00:00Z"),
      lastInWindowMs: Date.parse("2025-01-02T10:00:00Z"),
    });
    expect(of(whale.id)).toMatchObject<Partial<CustomerOrderFacts>>({
      orderCount: 3,
      purchaseDays: 2,
      historicCents: 100000000000300,
      firstDayCents: 100000000000000,
      windowCents: 100000000000300,
    });
    expect(of(none.id)).toMatchObject<Partial<CustomerOrderFacts>>({ orderCount: 0, purchaseDays: 0, firstDay: null, historicCents: 0, firstDayCents: 0 });
    // Nobody here has written, been surveyed or linked a channel: no engagement row.
    expect(facts.map((f) => f.engagement)).toEqual(facts.map(() => null));
    // Numbered 1, 2, ... in customer id order: what the pages are keyed on.
    const sorted = [...facts].sort((a, b) => a.row - b.row);
    expect(sorted.map((f) => f.row)).toEqual(sorted.map((_, i) => i + 1));
    expect(sorted.map((f) => f.customerId)).toEqual(sorted.map((f) => f.customerId).sort());
  });
});
