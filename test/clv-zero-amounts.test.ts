import fs from "node:fs/promises";
import { randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Transaction } from "../src/analytics/clv/model.ts";
import { simulateTransactions } from "../src/analytics/clv/simulate.ts";
import { refreshAnalytics } from "../src/analytics/refresh.ts";
import { runClvFit } from "../src/cli/clv-commands.ts";
import { ManualClock } from "../src/core/clock.ts";
import { describeEachDatabase } from "./support/databases.ts";

const NOW = new Date("2026-06-30T12:00:00Z");
const END = "2026-06-30";
const iso = (date: Date) => date.toISOString().slice(0, 10);

class Collect extends Writable {
  text = "";
  override _write(chunk: Buffer | string, _encoding: string, callback: () => void) {
    this.text += chunk.toString();
    callback();
  }
}

/**
 * A simulated shop where every fifth order was free, 30 customers only ever had free orders, and
 * one customer has nothing but a refund. Free orders are purchases; the refund is no purchase.
 */
function shop(): { purchases: Transaction[]; refund: Transaction } {
  const simulated = simulateTransactions({
    customers: 400,
    bgnbd: { r: 0.24, alpha: 4.41, a: 0.79, b: 2.43 },
    gammaGamma: { p: 6.25, q: 3.74, v: 15.44 },
    unit: "week",
    observationEnd: new Date(`${END}T00:00:00Z`),
    observationDays: 365,
    acquisitionDays: 180,
    seed: 17,
  });
  const purchases = simulated.map((t, i) => ({ ...t, amount: i % 5 === 0 ? 0 : Math.round(t.amount * 100) / 100 }));
  for (let c = 0; c < 30; c++) {
    for (const days of [200 - c, 120 - c, 40 - c].slice(0, 1 + (c % 3))) {
      purchases.push({ customerId: `free-${c}`, date: new Date(NOW.getTime() - days * 86_400_000 - 12 * 3_600_000), amount: 0 });
    }
  }
  return { purchases, refund: { customerId: "refund-only", date: new Date("2026-05-01T00:00:00Z"), amount: -25 } };
}

describeEachDatabase("CLV with free orders: tend clv fit and the nightly refresh agree", (db) => {
  let tmp: string;
  const { purchases, refund } = shop();
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tend-clv-zero-"));
    const ids = new Map<string, string>();
    for (const t of [...purchases, refund]) if (!ids.has(t.customerId)) ids.set(t.customerId, randomUUID());
    await db().prisma.customer.createMany({ data: [...ids].map(([sim, id]) => ({ id, externalId: `zero-${sim}` })) });
    await db().prisma.order.createMany({
      data: [...purchases, refund].map((t, i) => ({ customerId: ids.get(t.customerId)!, externalId: `zero-order-${i}`, amount: t.amount.toFixed(2), currency: "CNY", placedAt: t.date })),
    });
  }, 120_000);
  afterAll(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it("fits the same BG/NBD and Gamma-Gamma models, counting free orders and leaving the refund out", async () => {
    const rows = [...purchases, refund].map((t) => `${t.customerId},${iso(t.date)},${t.amount.toFixed(2)}`);
    const file = path.join(tmp, "transactions.csv");
    await fs.writeFile(file, `customer_id,date,amount\n${rows.join("\n")}\n`);
    const stderr = new Collect();
    const cli = await runClvFit({ transactions: file, observationEnd: END, unit: "week" }, { stderr });
    // Everyone with a purchase, free or paid; not the customer who only had a refund.
    const buyers = new Set(purchases.filter((t) => t.date.getTime() <= NOW.getTime()).map((t) => t.customerId));
    expect(buyers.size).toBeGreaterThan(420);
    expect(cli.customers).toBe(buyers.size);
    expect(stderr.text).toContain(`${file} line ${rows.length + 1}: amount -25.00 is negative (a refund): not a purchase; row skipped`);
    expect(stderr.text).toContain(`1 of ${rows.length} rows skipped`);

    const report = await refreshAnalytics({ prisma: db().prisma, clock: new ManualClock(NOW), settings: { batchSize: 64 } });
    if (report.status !== "done") throw new Error(`refresh skipped: ${report.reason}`);
    expect(report.withOrders).toBe(buyers.size);
    // Same data, summed in another order (rows of one day come back in id order): the optimiser
    // may stop a hair apart, so the parameters agree to a relative 1e-5, not to the last digit.
    const near = (value: number, expected: number) => expect(Math.abs(value - expected) / Math.abs(expected)).toBeLessThan(1e-5);
    for (const key of ["r", "alpha", "a", "b"] as const) near(report.models.bgnbd![key], cli.bgnbd[key]);
    for (const key of ["p", "q", "v"] as const) near(report.models.gammaGamma![key], cli.gammaGamma[key]);
  }, 120_000);
});
