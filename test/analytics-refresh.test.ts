import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { Command } from "commander";
import { beforeAll, expect, it } from "vitest";
import { fitBgNbd } from "../src/analytics/clv/bgnbd.ts";
import { fitGammaGamma } from "../src/analytics/clv/gamma-gamma.ts";
import { simulateTransactions } from "../src/analytics/clv/simulate.ts";
import { summarise } from "../src/analytics/clv/summaries.ts";
import { type AnalyticsSettings, refreshAnalytics } from "../src/analytics/refresh.ts";
import { scoreExplanation } from "../src/analytics/score-explanation.ts";
import { registerAnalyticsCommands } from "../src/cli/analytics-commands.ts";
import { ManualClock } from "../src/core/clock.ts";
import type { Database } from "../src/db/database.ts";
import type { Prisma } from "../src/db/generated/client.ts";
import { TendError } from "../src/errors.ts";
import { describeEachDatabase } from "./support/databases.ts";
import { seedCustomer } from "./support/seed-customer.ts";

const NOW = new Date("2026-06-30T12:00:00Z");
const DAY = 86_400_000;
const HOUR = 3_600_000;
const daysAgo = (days: number, plusMs = 0) => new Date(NOW.getTime() - days * DAY + plusMs);
const config = { ANALYTICS_WINDOW_MONTHS: 24, ANALYTICS_CLV_HORIZON_MONTHS: 12, ANALYTICS_MONTHLY_DISCOUNT_RATE: 0.01 };
/** Small batches, so that a few hundred customers take several. */
const settings: Partial<AnalyticsSettings> = { batchSize: 64 };

class Collect extends Writable {
  text = "";
  override _write(chunk: Buffer | string, _encoding: string, callback: () => void) {
    this.text += chunk.toString();
    callback();
  }
}

/** Runs `tend <args>` through commander with only the analytics commands, on the suite's database. */
async function tend(db: () => Database, args: string[], tty = false): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  const stdout = new Collect();
  const stderr = Object.assign(new Collect(), { isTTY: tty });
  const program = new Command("tend").exitOverride().configureOutput({ writeErr: (t) => stderr.write(t), writeOut: (t) => stdout.write(t) });
  // The suite's database stays open for the other tests.
  const openDb = async (): Promise<Database> => ({ ...db(), close: async () => {} });
  registerAnalyticsCommands(program, openDb, () => config, { clock: new ManualClock(NOW), settings, stdout, stderr });
  try {
    await program.parseAsync(args, { from: "user" });
    return { stdout: stdout.text, stderr: stderr.text };
  } catch (error) {
    return { stdout: stdout.text, stderr: stderr.text, error };
  }
}

const refresh = (db: () => Database, over: Partial<AnalyticsSettings> = {}) =>
  refreshAnalytics({ prisma: db().prisma, clock: new ManualClock(NOW), settings: { ...settings, ...over } });

const done = async (db: () => Database, over: Partial<AnalyticsSettings> = {}) => {
  const report = await refresh(db, over);
  if (report.status !== "done") throw new Error(`refresh skipped: ${report.reason}`);
  return report;
};

const scoreOf = async (db: () => Database, customerId: string) => {
  const score = await db().prisma.customerScore.findUniqueOrThrow({ where: { customerId } });
  return { ...score, why: scoreExplanation(score) };
};

describeEachDatabase("analytics refresh: degenerate data", (db) => {
  it("scores nobody when there are no customers, and records the run", async () => {
    const report = await done(db);
    expect(report).toMatchObject({ customers: 0, withOrders: 0, rfmScored: 0, repeatBuyers: 0, models: { bgnbd: null, gammaGamma: null } });
    expect(report.models.reason).toBe("only 0 customers have bought on more than one day; the purchase and spend models need at least 20");
    const runs = await db().prisma.analyticsRun.findMany();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ id: report.runId, activeKey: null, customers: 0, bgnbd: null, error: null, modelNote: report.models.reason });
    expect(runs[0]!.finishedAt).toEqual(NOW);
  });

  it("makes customers without orders potential, unscored by RFM, with no prediction because there are no orders", async () => {
    await db().prisma.customer.createMany({ data: [{ displayName: "a" }, { displayName: "b" }, { displayName: "c" }] });
    const report = await done(db);
    expect(report).toMatchObject({ customers: 3, withOrders: 0, segments: { none: 3 }, stages: { potential: 3 }, levels: { basic: 3 } });
    const scores = await db().prisma.customerScore.findMany();
    expect(scores).toHaveLength(3);
    for (const score of scores) {
      expect(score).toMatchObject({
        runId: report.runId,
        computedAt: NOW,
        windowMonths: 24,
        windowStart: new Date("2024-06-30T12:00:00Z"),
        orderCount: 0,
        recencyDays: null,
        frequency: 0,
        rfmSegment: null,
        rfmRecency: null,
        lifecycleStage: "potential",
        relationshipLevel: "basic",
        probabilityAlive: null,
        predictedPurchases: null,
        predictedClv: null,
      });
      expect(score.historicClv.toFixed(2)).toBe("0.00");
      const why = scoreExplanation(score);
      expect(why.rfm.en).toBe("Not RFM-scored: no orders in the last 24 months.");
      expect(why.lifecycle.en).toBe("Potential: no order yet.");
      expect(why.predictive).toMatchObject({ available: false, reason: "no orders yet" });
    }
  });

  it("scores a lone buyer without predictions, saying there are too few repeat buyers", async () => {
    const buyer = await db().prisma.customer.create({ data: { displayName: "lone" } });
    await db().prisma.order.createMany({
      data: [
        { customerId: buyer.id, externalId: `lone-1`, amount: "40.00", currency: "CNY", placedAt: daysAgo(5) },
        // A refund is not a purchase; a future order is not one yet. (A free order would be one.)
        { customerId: buyer.id, externalId: `lone-refund`, amount: "-40.00", currency: "CNY", placedAt: daysAgo(2) },
        { customerId: buyer.id, externalId: `lone-future`, amount: "10.00", currency: "CNY", placedAt: new Date(NOW.getTime() + DAY) },
      ],
    });
    const report = await done(db);
    expect(report).toMatchObject({ customers: 4, withOrders: 1, rfmScored: 1, repeatBuyers: 0, stages: { potential: 3, new: 1 } });
    const score = await scoreOf(db, buyer.id);
    expect(score).toMatchObject({
      orderCount: 1,
      frequency: 1,
      recencyDays: 5,
      firstOrderAt: daysAgo(5),
      lastOrderAt: daysAgo(5),
      // Alone, the buyer is the middle of every quintile.
      rfmRecency: 3,
      rfmFrequency: 3,
      rfmMonetary: 3,
      rfmSegment: "needs_attention",
      lifecycleStage: "new",
      probabilityAlive: null,
      predictedPurchases: null,
      predictedClv: null,
    });
    expect(score.historicClv.toFixed(2)).toBe("40.00");
    expect(score.monetary.toFixed(2)).toBe("40.00");
    expect(score.why.lifecycle.facts).toMatchObject({ gapSource: "default", daysSinceLastOrder: 5, orderCount: 1 });
    expect(score.why.predictive.reason).toBe("only 0 customers have bought on more than one day; the purchase and spend models need at least 20");
    expect(score.why.predictive.en).toContain("No prediction: only 0 customers");
  });

  it("passes on the model's own refusal when there are no repeat purchases at all", async () => {
    const report = await done(db, { minRepeatBuyers: 0 });
    expect(report.models.bgnbd).toBeNull();
    expect(report.models.reason).toMatch(/^cannot fit the BG\/NBD model: no customer bought on more than one day/);
    const runs = await db().prisma.analyticsRun.findMany({ where: { id: report.runId } });
    expect(runs[0]!.modelNote).toBe(report.models.reason);
  });

  it("runs one refresh at a time, and takes over from one that died", async () => {
    const running = await db().prisma.analyticsRun.create({ data: { activeKey: "refresh", startedAt: new Date(NOW.getTime() - HOUR) } });
    const skipped = await refresh(db);
    expect(skipped).toEqual({ status: "skipped", reason: "another analytics refresh is in progress since 2026-06-30T11:00:00.000Z", activeRunId: running.id });
    const viaCli = await tend(db, ["analytics", "refresh"]);
    expect(viaCli.error).toBeInstanceOf(TendError);
    expect((viaCli.error as TendError).code).toBe("ANALYTICS_BUSY");

    await db().prisma.analyticsRun.update({ where: { id: running.id }, data: { startedAt: new Date(NOW.getTime() - 7 * HOUR) } });
    const report = await done(db);
    expect(report.customers).toBe(4);
    const abandoned = await db().prisma.analyticsRun.findUniqueOrThrow({ where: { id: running.id } });
    expect(abandoned).toMatchObject({ activeKey: null, finishedAt: NOW });
    expect(abandoned.error).toMatch(/^abandoned/);
  });
});

describeEachDatabase("analytics refresh: a simulated shop with conversations", (db) => {
  const ids = new Map<string, string>();
  const engaged: Record<"partner" | "caller" | "silent" | "late", string> = { partner: "", caller: "", silent: "", late: "" };
  let showId = "";

  beforeAll(async () => {
    const prisma = db().prisma;
    const transactions = simulateTransactions({
      customers: 300,
      bgnbd: { r: 0.24, alpha: 4.41, a: 0.79, b: 2.43 },
      gammaGamma: { p: 6.25, q: 3.74, v: 15.44 },
      unit: "week",
      observationEnd: new Date("2026-06-30T00:00:00Z"),
      observationDays: 365,
      acquisitionDays: 180,
      seed: 11,
    });
    for (const t of transactions) if (!ids.has(t.customerId)) ids.set(t.customerId, randomUUID());
    await prisma.customer.createMany({ data: [...ids].map(([sim, id]) => ({ id, externalId: `sim-${sim}`, createdAt: daysAgo(400) })) });
    await prisma.order.createMany({
      data: transactions.map((t, i) => ({ customerId: ids.get(t.customerId)!, externalId: `sim-order-${i}`, amount: t.amount.toFixed(2), currency: "CNY", placedAt: t.date })),
    });

    // Four customers without orders whose conversations set their relationship level.
    for (const name of Object.keys(engaged) as (keyof typeof engaged)[]) {
      engaged[name] = (await prisma.customer.create({ data: { displayName: name } })).id;
    }
    const say = (customerId: string, direction: "in" | "out", kind: Prisma.InteractionCreateManyInput["kind"], occurredAt: Date) =>
      ({ customerId, platform: "telegram", direction, kind, text: `${direction} ${kind}`, occurredAt }) as const;
    const { partner, caller, silent, late } = engaged;
    await prisma.interaction.createMany({
      data: [
        say(partner, "in", "message", daysAgo(10)),
        say(partner, "out", "message", daysAgo(10, 60_000)),
        say(partner, "out", "care", daysAgo(5)),
        say(partner, "in", "message", daysAgo(5, 2 * HOUR)),
        say(partner, "out", "survey", daysAgo(4)),
        say(caller, "in", "message", daysAgo(20)),
        say(caller, "in", "message", daysAgo(20, 5 * 60_000)),
        say(caller, "out", "message", daysAgo(20, 6 * 60_000)),
        say(caller, "in", "message", daysAgo(3)),
        // Neither a system event nor a staff note is conversation.
        say(caller, "out", "system", daysAgo(2)),
        say(caller, "out", "staff_note", daysAgo(1)),
        say(silent, "out", "care", daysAgo(30)),
        say(silent, "out", "care", daysAgo(15)),
        say(silent, "out", "care", daysAgo(2)),
        // Long before the window: not counted.
        say(silent, "in", "message", daysAgo(900)),
        say(late, "out", "care", daysAgo(12)),
        // Six days later is no reply to the care message, but a conversation of their own.
        say(late, "in", "message", daysAgo(6)),
      ],
    });
    await prisma.channelIdentity.createMany({
      data: [
        { customerId: partner, platform: "telegram", platformUserId: "tg-partner", address: "tg:partner" },
        { customerId: partner, platform: "discord", platformUserId: "dc-partner", address: "dc:partner" },
        { customerId: caller, platform: "telegram", platformUserId: "tg-caller", address: "tg:caller" },
      ],
    });
    const invitation = await prisma.surveyInvitation.create({
      data: { customerId: partner, kind: "csat", platform: "telegram", status: "answered", sentAt: daysAgo(4), expiresAt: daysAgo(1) },
    });
    await prisma.surveyResponse.create({
      data: { invitationId: invitation.id, customerId: partner, score: 5, reason: "quick delivery", respondedAt: daysAgo(4, HOUR), reasonAt: daysAgo(4, HOUR) },
    });

    // One customer with a row in every table, for `customer show`; their single order was 29 days ago.
    showId = (await seedCustomer(prisma, "show", daysAgo(29), { displayName: "Show Me", locale: "zh-CN" })).id;
  }, 120_000);

  it("stores one row per customer: segments, stages, levels, predictions and historic value", async () => {
    const progress: string[] = [];
    const report = await refreshAnalytics({
      prisma: db().prisma,
      clock: new ManualClock(NOW),
      settings,
      onProgress: (doneCount, total, phase) => progress.push(`${phase} ${doneCount}/${total}`),
    });
    if (report.status !== "done") throw new Error(report.reason);
    const customers = ids.size + 5;
    expect(report.customers).toBe(customers);
    expect(report.withOrders).toBe(ids.size + 1);
    expect(report.rfmScored).toBe(ids.size + 1);
    expect(report.models.reason).toBeNull();
    expect(report.models.bgnbd).not.toBeNull();
    expect(report.models.gammaGamma).not.toBeNull();
    expect(Object.values(report.segments).reduce((a, b) => a + b, 0)).toBe(customers);
    expect(report.segments.none).toBe(4);
    expect(report.stages.potential).toBe(4);
    // The database sums everybody up in one go (reading reports its start and end); scoring reports
    // after each batch of 64 and ends at the total.
    const batches = Math.ceil(customers / 64);
    expect(progress).toHaveLength(3 + batches);
    expect(progress.slice(0, 3)).toEqual([`reading 0/${customers}`, `reading ${customers}/${customers}`, `scoring 0/${customers}`]);
    expect(progress.at(-1)).toBe(`scoring ${customers}/${customers}`);

    const scores = await db().prisma.customerScore.findMany();
    expect(scores).toHaveLength(customers);
    expect(new Set(scores.map((s) => s.customerId)).size).toBe(customers);

    // Historic value is the exact sum of each customer's orders.
    const sums = await db().prisma.order.groupBy({ by: ["customerId"], where: { amount: { gt: 0 } }, _sum: { amount: true }, _count: { _all: true } });
    const byCustomer = new Map(scores.map((s) => [s.customerId, s]));
    for (const sum of sums) {
      const score = byCustomer.get(sum.customerId)!;
      expect(score.historicClv.toFixed(2)).toBe(sum._sum.amount!.toFixed(2));
      expect(score.orderCount).toBe(sum._count._all);
    }

    // RFM quintiles spread the buyers across all five scores.
    const rfm = scores.filter((s) => s.rfmRecency !== null);
    expect(rfm).toHaveLength(ids.size + 1);
    for (const key of ["rfmRecency", "rfmFrequency", "rfmMonetary"] as const) {
      expect(new Set(rfm.map((s) => s[key])).size).toBeGreaterThanOrEqual(key === "rfmFrequency" ? 3 : 5);
    }
    expect(new Set(rfm.map((s) => s.rfmSegment)).size).toBeGreaterThanOrEqual(6);

    for (const score of rfm) {
      expect(score.probabilityAlive).toBeGreaterThan(0);
      expect(score.probabilityAlive).toBeLessThanOrEqual(1);
      expect(score.predictedPurchases).toBeGreaterThanOrEqual(0);
      expect(Number(score.predictedClv)).toBeGreaterThanOrEqual(0);
      expect(score.lifecycleStage).not.toBe("potential");
      const why = scoreExplanation(score);
      expect(why.predictive).toMatchObject({ available: true, reason: null, horizonMonths: 12, monthlyDiscountRate: 0.01 });
      expect(why.rfm.segment).toBe(score.rfmSegment);
      expect(why.lifecycle.stage).toBe(score.lifecycleStage);
    }
    // A simulated shop a year old has customers at every stage but "potential".
    expect(new Set(rfm.map((s) => s.lifecycleStage))).toEqual(new Set(["new", "growing", "mature", "declining", "churned"]));

    const run = await db().prisma.analyticsRun.findUniqueOrThrow({ where: { id: report.runId } });
    expect(run).toMatchObject({ customers, activeKey: null, error: null, modelNote: null, finishedAt: NOW });
    expect(run.bgnbd).toMatchObject({ unit: "week" });
    // JSONB may drop the last binary digit of a double.
    expect((run.bgnbd as { r: number }).r).toBeCloseTo(report.models.bgnbd!.r, 12);
  });

  it("fits the same models as fitting directly on the stored orders", async () => {
    const report = await done(db);
    const orders = await db().prisma.order.findMany({ where: { amount: { gte: 0 }, placedAt: { lte: NOW } } });
    const summaries = summarise(
      orders.map((o) => ({ customerId: o.customerId, date: o.placedAt, amount: Number(o.amount) })),
      NOW,
      "week",
    );
    const bg = fitBgNbd(summaries);
    const gg = fitGammaGamma(summaries);
    for (const key of ["r", "alpha", "a", "b"] as const) expect(report.models.bgnbd![key]).toBeCloseTo(bg[key], 4);
    for (const key of ["p", "q", "v"] as const) expect(report.models.gammaGamma![key]).toBeCloseTo(gg[key], 4);
    expect(report.repeatBuyers).toBe(summaries.filter((s) => s.frequency > 0).length);
  });

  it("sets relationship levels from who starts conversations and how the customer answers", async () => {
    await done(db);
    const partner = await scoreOf(db, engaged.partner);
    expect(partner.relationshipLevel).toBe("partnership");
    expect(partner.why.relationship.facts).toMatchObject({
      inbound: 2,
      outbound: 3,
      customerInitiated: 1,
      // The survey followed their reply within 24 hours: the same conversation as the care message.
      businessInitiated: 1,
      careSent: 1,
      careReplied: 1,
      surveysInvited: 1,
      surveysAnswered: 1,
      surveyReasons: 1,
      complaints: 0,
      channels: 2,
    });
    const caller = await scoreOf(db, engaged.caller);
    expect(caller.relationshipLevel).toBe("reactive");
    expect(caller.why.relationship.facts).toMatchObject({ inbound: 3, outbound: 1, customerInitiated: 2, businessInitiated: 0, channels: 1 });
    const silent = await scoreOf(db, engaged.silent);
    expect(silent.relationshipLevel).toBe("basic");
    expect(silent.why.relationship.facts).toMatchObject({ inbound: 0, careSent: 3, careReplied: 0, businessInitiated: 3 });
    const late = await scoreOf(db, engaged.late);
    expect(late.relationshipLevel).toBe("reactive");
    expect(late.why.relationship.facts).toMatchObject({ careSent: 1, careReplied: 0, customerInitiated: 1 });
    // The seeded customer answered a survey with a reason and complained, but never replied to care.
    const shown = await scoreOf(db, showId);
    expect(shown.relationshipLevel).toBe("accountable");
    expect(shown.why.relationship.facts).toMatchObject({ customerInitiated: 1, careSent: 1, careReplied: 0, surveysAnswered: 1, surveyReasons: 1, complaints: 1 });
  });

  it("is idempotent: a second refresh rewrites the same rows", async () => {
    const strip = (rows: { id: string; runId: string | null; customerId: string }[]) =>
      rows.map(({ runId: _runId, ...rest }) => rest).sort((a, b) => a.customerId.localeCompare(b.customerId));
    const first = await done(db);
    const before = strip(await db().prisma.customerScore.findMany());
    const second = await done(db);
    const after = await db().prisma.customerScore.findMany();
    expect(after.every((s) => s.runId === second.runId)).toBe(true);
    expect(second.runId).not.toBe(first.runId);
    expect(JSON.parse(JSON.stringify(strip(after)))).toEqual(JSON.parse(JSON.stringify(before)));
    expect(second.segments).toEqual(first.segments);
  });

  it("prints the refresh summary from `tend analytics refresh`", async () => {
    const { stdout, stderr, error } = await tend(db, ["analytics", "refresh"]);
    expect(error).toBeUndefined();
    expect(stderr).toBe("");
    const lines = stdout.split("\n");
    expect(lines[0]).toMatch(new RegExp(`^Analytics refreshed for ${ids.size + 5} customers in \\d+\\.\\d s \\(run [0-9a-f-]{36}\\)$`));
    expect(lines[1]).toBe(`  with orders: ${ids.size + 1}, RFM-scored: ${ids.size + 1}, repeat buyers: ${lines[1]!.split("repeat buyers: ")[1]}`);
    expect(stdout).toMatch(/^ {2}BG\/NBD \(weeks\): r [\d.]+, alpha [\d.]+, a [\d.]+, b [\d.]+$/m);
    expect(stdout).toMatch(/^ {2}lifecycle: potential 4, new \d+/m);
    // On a terminal, a progress bar on stderr; stdout is the same summary, here as JSON.
    const onTty = await tend(db, ["analytics", "refresh", "--json"], true);
    expect(onTty.stderr).toContain(`/${ids.size + 5} customers`);
    expect(onTty.stderr).toContain("scoring [");
    const json = JSON.parse(onTty.stdout);
    expect(json).toMatchObject({ status: "done", customers: ids.size + 5, stages: { potential: 4 } });
  });

  it("shows one customer with `tend customer show`, by id or external id, as text or JSON", async () => {
    await done(db);
    const { stdout, error } = await tend(db, ["customer", "show", showId]);
    expect(error).toBeUndefined();
    const text = stdout;
    expect(text).toContain(`Customer ${showId} (external id crm-show)`);
    expect(text).toContain("  Name        Show Me");
    expect(text).toContain("  Quiet hours 22:00-08:00");
    expect(text).toContain("  Lunar bday  4-18 (农历四月十八)");
    expect(text).toMatch(/^Channels \(1\)\n {2}telegram tg-show "tg show", last seen /m);
    expect(text).toContain("  care yes; marketing no; surveys yes");
    expect(text).toMatch(/marketing granted \(chat:START\)/);
    expect(text).toContain("Loyalty balance: 7 points");
    expect(text).toContain("Orders: 1, total 12.50, last ");
    expect(text).toContain("Interactions (2)");
    expect(text).toMatch(/^ {2}message {4}in {2}1$/m);
    expect(text).toMatch(/^ {2}care {7}out 1$/m);
    expect(text).toContain("hello from show 你好");
    expect(text).toContain("Open feedback cases (1)");
    expect(text).toContain("show complaint");
    expect(text).not.toContain("says delivery was slow");
    expect(text).toContain("Scores (computed 2026-06-30 12:00 UTC; RFM over 24 months)");
    expect(text).toMatch(/^ {2}Lifecycle {5}New$/m);
    expect(text).toMatch(/^ {2}Relationship {2}Accountable$/m);
    expect(text).toContain("Historic CLV  12.50 (1 order to date)");

    const zh = await tend(db, ["customer", "show", "crm-show", "--lang", "zh"]);
    expect(zh.stdout).toContain(`Customer ${showId}`);
    expect(zh.stdout).toMatch(/^ {2}Relationship {2}负责型$/m);

    // --json prints the customer card, as GET /api/customers/:id/card answers (issue 10).
    const json = JSON.parse((await tend(db, ["customer", "show", "crm-show", "--json"])).stdout);
    expect(json).toMatchObject({ customerId: showId, externalId: "crm-show", profile: { locale: "zh-CN" } });
    expect(json.loyalty.balance).toBe(7);
    expect(json.openCases).toHaveLength(1);
    expect(json.interactions.recent).toHaveLength(2);
    expect(json.scores).toMatchObject({ lifecycleStage: "new", relationshipLevel: "accountable", historicClv: "12.50" });
    expect(json.scores.explanation.lifecycle.en).toMatch(/^New: one purchase, 29 days ago/);

    const missing = await tend(db, ["customer", "show", "nobody"]);
    expect(missing.error).toBeInstanceOf(TendError);
    expect((missing.error as TendError).message).toBe('no customer with id or external id "nobody"');
  });
});
