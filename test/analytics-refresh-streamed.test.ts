import { randomUUID } from "node:crypto";
import { beforeAll, expect, it } from "vitest";
import { simulateTransactions } from "../src/analytics/clv/simulate.ts";
import { type AnalyticsSettings, refreshAnalytics } from "../src/analytics/refresh.ts";
import { scoreExplanation } from "../src/analytics/score-explanation.ts";
import { ManualClock } from "../src/core/clock.ts";
import type { CustomerScore, Prisma } from "../src/db/generated/client.ts";
import { type ReferenceRow, referenceRefresh } from "./support/analytics-refresh-reference.ts";
import { describeEachDatabase } from "./support/databases.ts";

const NOW = new Date("2026-06-30T12:00:00Z");
const DAY = 86_400_000;
const HOUR = 3_600_000;
const daysAgo = (days: number, plusMs = 0) => new Date(NOW.getTime() - days * DAY + plusMs);
/** Pages of 37 customers: many pages, and the last one short. */
const settings: Partial<AnalyticsSettings> = { batchSize: 37 };

/**
 * The models are fitted on the same numbers in another order (by customer id; the old refresh took
 * each batch's customers in the order of their first purchase, so its fit changed with the batch
 * size too): the optimiser stops at another point within its tolerance, and the parameters and every
 * probability from them differ from about the seventh significant digit. Six are compared.
 */
const SIGNIFICANT = 6;
const rounded = (value: unknown): unknown => {
  if (typeof value === "number") return Number.isInteger(value) ? value : Number(value.toPrecision(SIGNIFICANT));
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === "object" && !(value instanceof Date)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  return value;
};
const close = (actual: number | null, expected: number | null) => {
  expect(actual === null).toBe(expected === null);
  if (actual !== null && expected !== null) expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.abs(expected) * 10 ** -SIGNIFICANT + 1e-12);
};

/** A stored row in the shape the old refresh computed, so that the two can be compared field by field. */
const fromStored = (s: CustomerScore) => ({
  customerId: s.customerId,
  windowStart: s.windowStart,
  windowMonths: s.windowMonths,
  orderCount: s.orderCount,
  firstOrderAt: s.firstOrderAt,
  lastOrderAt: s.lastOrderAt,
  recencyDays: s.recencyDays,
  frequency: s.frequency,
  monetary: s.monetary.toFixed(2),
  rfm: [s.rfmRecency, s.rfmFrequency, s.rfmMonetary, s.rfmSegment],
  lifecycleStage: s.lifecycleStage,
  relationshipLevel: s.relationshipLevel,
  historicClv: s.historicClv.toFixed(2),
  // As every reader gets it: rendered from the stored facts and columns.
  explanation: rounded(scoreExplanation(s)),
});
const fromReference = (r: ReferenceRow) => ({
  customerId: r.customerId,
  windowStart: r.windowStart,
  windowMonths: r.windowMonths,
  orderCount: r.orderCount,
  firstOrderAt: r.firstOrderAt,
  lastOrderAt: r.lastOrderAt,
  recencyDays: r.recencyDays,
  frequency: r.frequency,
  monetary: (r.monetaryCents / 100).toFixed(2),
  rfm: [r.rfmRecency, r.rfmFrequency, r.rfmMonetary, r.rfmSegment],
  lifecycleStage: r.lifecycleStage,
  relationshipLevel: r.relationshipLevel,
  historicClv: (r.historicCents / 100).toFixed(2),
  explanation: rounded(JSON.parse(JSON.stringify(r.explanation))),
});

describeEachDatabase("analytics refresh: pages summed in SQL give the old refresh's results", (db) => {
  beforeAll(async () => {
    const prisma = db().prisma;
    const transactions = simulateTransactions({
      customers: 260,
      bgnbd: { r: 0.24, alpha: 4.41, a: 0.79, b: 2.43 },
      gammaGamma: { p: 6.25, q: 3.74, v: 15.44 },
      unit: "week",
      observationEnd: new Date("2026-06-30T00:00:00Z"),
      // Longer than the 24-month RFM window, so that some customers' orders all fall before it.
      observationDays: 1000,
      acquisitionDays: 600,
      seed: 23,
    });
    const ids = new Map<string, string>();
    for (const t of transactions) if (!ids.has(t.customerId)) ids.set(t.customerId, randomUUID());
    await prisma.customer.createMany({ data: [...ids].map(([sim, id]) => ({ id, externalId: `sim-${sim}` })) });
    const orders: Prisma.OrderCreateManyInput[] = transactions.map((t, i) => ({
      customerId: ids.get(t.customerId)!,
      externalId: `o-${i}`,
      // Every seventh order is free, and orders fall at different times of their day.
      amount: i % 7 === 3 ? "0.00" : t.amount.toFixed(2),
      currency: "CNY",
      placedAt: new Date(t.date.getTime() + ((i * 7919) % 86_000) * 1000),
    }));
    // Several orders on one day, a refund, an order after now and one at the very start of the window.
    const [a, b, c] = [...ids.values()];
    orders.push(
      { customerId: a!, externalId: "same-day-1", amount: "10.10", currency: "CNY", placedAt: daysAgo(3, 1000) },
      { customerId: a!, externalId: "same-day-2", amount: "20.20", currency: "CNY", placedAt: daysAgo(3, 2000) },
      { customerId: a!, externalId: "same-day-3", amount: "0.30", currency: "CNY", placedAt: daysAgo(3, 3000) },
      { customerId: b!, externalId: "refund", amount: "-15.00", currency: "CNY", placedAt: daysAgo(2) },
      { customerId: b!, externalId: "future", amount: "15.00", currency: "CNY", placedAt: new Date(NOW.getTime() + HOUR) },
      { customerId: c!, externalId: "window-start", amount: "7.77", currency: "CNY", placedAt: new Date("2024-06-30T12:00:00Z") },
    );
    await prisma.order.createMany({ data: orders });
    // Customers without orders, some of them talking, with surveys, a complaint and linked channels.
    const quiet = await Promise.all([0, 1, 2, 3].map((n) => prisma.customer.create({ data: { displayName: `quiet ${n}` } })));
    const say = (customerId: string, direction: "in" | "out", kind: Prisma.InteractionCreateManyInput["kind"], occurredAt: Date) =>
      ({ customerId, platform: "telegram", direction, kind, text: `${direction} ${kind}`, occurredAt }) as const;
    await prisma.interaction.createMany({
      data: [
        say(quiet[0]!.id, "in", "message", daysAgo(10)),
        say(quiet[0]!.id, "out", "care", daysAgo(5)),
        say(quiet[0]!.id, "in", "message", daysAgo(5, 2 * HOUR)),
        say(quiet[1]!.id, "out", "care", daysAgo(9)),
        say(quiet[1]!.id, "out", "staff_note", daysAgo(8)),
        say(a!, "in", "message", daysAgo(40)),
        say(a!, "out", "message", daysAgo(40, 60_000)),
        say(a!, "in", "message", daysAgo(1)),
      ],
    });
    await prisma.channelIdentity.createMany({
      data: [
        { customerId: quiet[0]!.id, platform: "telegram", platformUserId: "tg-q0", address: "tg:q0" },
        { customerId: quiet[0]!.id, platform: "discord", platformUserId: "dc-q0", address: "dc:q0" },
        { customerId: a!, platform: "telegram", platformUserId: "tg-a", address: "tg:a" },
      ],
    });
    const invitation = await prisma.surveyInvitation.create({
      data: { customerId: quiet[0]!.id, kind: "csat", platform: "telegram", status: "answered", sentAt: daysAgo(4), expiresAt: daysAgo(1) },
    });
    await prisma.surveyResponse.create({
      data: { invitationId: invitation.id, customerId: quiet[0]!.id, score: 2, reason: "late", respondedAt: daysAgo(4, HOUR), reasonAt: daysAgo(4, HOUR) },
    });
    await prisma.feedbackCase.create({ data: { customerId: quiet[0]!.id, source: "complaint", summary: "late", openedAt: daysAgo(4, HOUR) } });
  }, 120_000);

  // Through the plain SQL connection (what `tend analytics refresh` and the job use) and through Prisma alone.
  for (const lane of ["sql", "prisma"] as const) {
    it(`stores every customer's row as the old refresh computed it (${lane})`, async () => {
      const prisma = db().prisma;
      const reference = await referenceRefresh(prisma, NOW, settings);
      const report = await refreshAnalytics({ prisma, sql: lane === "sql" ? db().sql : undefined, clock: new ManualClock(NOW), settings });
      if (report.status !== "done") throw new Error(report.reason);

      expect(report.models.reason).toBeNull();
      for (const key of ["r", "alpha", "a", "b"] as const) close(report.models.bgnbd![key], reference.models.bgnbd![key]);
      for (const key of ["p", "q", "v"] as const) close(report.models.gammaGamma![key], reference.models.gammaGamma![key]);

      const stored = await prisma.customerScore.findMany({ orderBy: { customerId: "asc" } });
      expect(stored).toHaveLength(reference.rows.length);
      expect(stored.every((s) => s.runId === report.runId && s.computedAt.getTime() === NOW.getTime())).toBe(true);
      const expected = [...reference.rows].sort((x, y) => (x.customerId < y.customerId ? -1 : 1));
      // Everything exactly but the models' figures, which are compared to six significant digits.
      expect(stored.map(fromStored)).toEqual(expected.map(fromReference));
      stored.forEach((s, i) => {
        const r = expected[i]!;
        close(s.probabilityAlive, r.probabilityAlive);
        close(s.predictedPurchases, r.predictedPurchases);
        close(s.predictedClv === null ? null : Number(s.predictedClv), r.predictedClv === null ? null : Number(r.predictedClv.toFixed(2)));
      });
      expect(report.customers).toBe(stored.length);
      expect(report.repeatBuyers).toBe(expected.filter((r) => r.orderCount > 0 && (r.explanation as { lifecycle: { facts: { purchaseDays: number } } }).lifecycle.facts.purchaseDays > 1).length);
    });
  }
});
