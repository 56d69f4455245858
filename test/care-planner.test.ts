import { expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import type { Database } from "../src/db/database.ts";
import { CarePlanRepository } from "../src/db/repositories/care-plan-repository.ts";
import { type CarePlans, loadCarePlans } from "../src/outreach/care-plans-file.ts";
import { isControl } from "../src/outreach/planner-control.ts";
import { CARE_PLANNER_LOCK, outboxPlanWriter, runCarePlanner } from "../src/outreach/planner-job.ts";
import { CarePlanner } from "../src/outreach/planner.ts";
import { describeEachDatabase } from "./support/databases.ts";

const basePlans = loadCarePlans(undefined);

/** The default plans with only `only` switched on (others stay quiet so each test sees its own rows). */
function plansWith(only: keyof CarePlans, change: Partial<CarePlans> = {}): CarePlans {
  const off = <T extends { enabled: boolean }>(plan: T): T => ({ ...plan, enabled: false });
  const plans: CarePlans = {
    birthday: off(basePlans.birthday),
    festivals: off(basePlans.festivals),
    checkin: off(basePlans.checkin),
    winback: off(basePlans.winback),
    anniversary: off(basePlans.anniversary),
    tierUpgrade: basePlans.tierUpgrade,
    campaigns: basePlans.campaigns,
  };
  (plans[only] as { enabled: boolean }).enabled = true;
  return { ...plans, ...change };
}

function planner(db: Database, plans: CarePlans, clock: ManualClock, batchSize = 100) {
  const repository = new CarePlanRepository(db.prisma);
  return new CarePlanner({ plans, repository, writer: outboxPlanWriter(repository, db.prisma), clock, birthdayBonusPoints: 100, batchSize });
}

async function rowsOf(db: Database, kind: string, customerIds: string[]) {
  return db.prisma.outboxMessage.findMany({ where: { kind, customerId: { in: customerIds } }, orderBy: { dedupeKey: "asc" } });
}

describeEachDatabase("care planner", (db) => {
  it("plans each birthday once at 10:00 local, in Shanghai and New York on both sides of a DST change", async () => {
    const prisma = db().prisma;
    const make = (name: string, birthday: string, timeZone: string, locale = "en") =>
      prisma.customer.create({ data: { displayName: name, birthday: new Date(`${birthday}T00:00:00Z`), timeZone, locale } });
    // New York moves to daylight time on 14 March 2027 (second Sunday of March).
    const beforeDst = await make("Ann", "1990-03-13", "America/New_York");
    const afterDst = await make("Bob", "1985-03-15", "America/New_York");
    const shanghai = await make("李雷", "1992-03-14", "Asia/Shanghai", "zh-CN");
    const other = await make("Cy", "1992-06-01", "Asia/Shanghai");
    const ids = [beforeDst.id, afterDst.id, shanghai.id, other.id];
    const plans = plansWith("birthday");

    // New York: 12 March 13:00, tomorrow is Ann's birthday; Shanghai: 13 March 02:00, tomorrow is Li Lei's.
    const clock = new ManualClock("2027-03-12T18:00:00Z");
    const first = await planner(db(), plans, clock).run();
    expect(first.birthday).toMatchObject({ due: 2, written: 2 });

    clock.set("2027-03-13T20:00:00Z"); // Shanghai: 14 March 04:00; New York: 13 March 16:00
    await planner(db(), plans, clock).run();
    clock.set("2027-03-14T20:00:00Z"); // New York: 14 March 16:00 EDT, Bob's birthday is tomorrow
    await planner(db(), plans, clock).run();

    const rows = await rowsOf(db(), "birthday", ids);
    const byCustomer = new Map(rows.map((row) => [row.customerId, row]));
    expect(rows).toHaveLength(3);
    // 10:00 EST is 15:00 UTC, 10:00 EDT is 14:00 UTC, 10:00 in Shanghai (UTC+8) is 02:00 UTC.
    expect(byCustomer.get(beforeDst.id)!.notBefore.toISOString()).toBe("2027-03-13T15:00:00.000Z");
    expect(byCustomer.get(afterDst.id)!.notBefore.toISOString()).toBe("2027-03-15T14:00:00.000Z");
    expect(byCustomer.get(shanghai.id)!.notBefore.toISOString()).toBe("2027-03-14T02:00:00.000Z");
    expect(byCustomer.get(beforeDst.id)!.dedupeKey).toBe(`birthday:${beforeDst.id}:2027`);
    expect(byCustomer.get(shanghai.id)!.payload).toEqual({ text: "李雷，生日快乐！我们已为您的账户送上 100 积分，祝您度过美好的一天。" });
    expect(byCustomer.get(beforeDst.id)!.payload).toEqual({ text: "Happy birthday, Ann! We've added 100 bonus points to your account. Have a wonderful day." });
    expect(rows.every((row) => row.status === "pending" && row.topic === "care")).toBe(true);

    // A birthday first seen late in its day (set at 17:00, or Tend was down) is not greeted: it would arrive tomorrow.
    const late = await make("Lee", "1993-03-14", "Europe/London");
    clock.set("2027-03-14T17:00:00Z");
    await planner(db(), plans, clock).run();
    expect(await rowsOf(db(), "birthday", [late.id])).toHaveLength(0);
    clock.set("2027-03-14T20:00:00Z");

    // A re-run, and a second planner (another instance), plan nothing new.
    const again = await planner(db(), plans, clock).run();
    const second = await planner(db(), plans, clock).run();
    expect(again.birthday.written + second.birthday.written).toBe(0);
    expect(await rowsOf(db(), "birthday", ids)).toHaveLength(3);
  });

  it("greets a festival only the configured locales and tags, with the festival's name in the customer's language", async () => {
    const prisma = db().prisma;
    const zh = await prisma.customer.create({ data: { displayName: "王芳", locale: "zh-CN", timeZone: "Asia/Shanghai" } });
    const vip = await prisma.customer.create({ data: { displayName: "Vic", locale: "en", timeZone: "Europe/London", tags: ["vip"] } });
    const en = await prisma.customer.create({ data: { displayName: "Eve", locale: "en", timeZone: "Europe/London" } });
    const erased = await prisma.customer.create({ data: { locale: "zh-CN", timeZone: "Asia/Shanghai", erasedAt: new Date() } });
    const plans = plansWith("festivals");
    plans.festivals = { ...plans.festivals, festivals: { "mid-autumn": { enabled: true, locales: ["zh-CN"], tags: ["vip"] } } };

    // Mid-Autumn 2027 is 15 September (lunar 8-15; Hong Kong Observatory calendar).
    const clock = new ManualClock("2027-09-14T12:00:00Z");
    await planner(db(), plans, clock).run();
    const rows = await rowsOf(db(), "festival", [zh.id, vip.id, en.id, erased.id]);
    expect(rows.map((row) => row.customerId).sort()).toEqual([zh.id, vip.id].sort());
    const zhRow = rows.find((row) => row.customerId === zh.id)!;
    expect(zhRow.dedupeKey).toBe(`festival:mid-autumn:${zh.id}:2027`);
    expect(zhRow.payload).toEqual({ text: "王芳，中秋节快乐！感谢您一直以来的支持。" });
    expect(zhRow.notBefore.toISOString()).toBe("2027-09-15T02:00:00.000Z");
    expect(rows.find((row) => row.customerId === vip.id)!.payload).toEqual({ text: "Happy Mid-Autumn Festival, Vic! Thank you for being with us." });

    // A day with no configured festival plans nothing.
    clock.set("2027-09-20T12:00:00Z");
    expect((await planner(db(), plans, clock).run()).festival.due).toBe(0);
  });

  it("checks in 7 days after an order, and not again within the cooldown", async () => {
    const prisma = db().prisma;
    const customer = await prisma.customer.create({ data: { displayName: "Lin", locale: "en", timeZone: "Asia/Shanghai" } });
    const order = (externalId: string, placedAt: string) =>
      prisma.order.create({ data: { customerId: customer.id, externalId: `${externalId}-${customer.id}`, amount: 10, currency: "CNY", placedAt: new Date(placedAt) } });
    const plans = plansWith("checkin", {});
    plans.checkin = { ...plans.checkin, control: 0 };
    // Placed 1 May 2027 at 17:00 in Shanghai: the check-in is due 8 May at 11:00 Shanghai time.
    const first = await order("o1", "2027-05-01T09:00:00Z");
    const clock = new ManualClock("2027-05-06T12:00:00Z"); // Shanghai 6 May 20:00: not yet
    expect((await planner(db(), plans, clock).run()).checkin.due).toBe(0);
    clock.set("2027-05-07T12:00:00Z"); // Shanghai 7 May 20:00: tomorrow is the day
    expect((await planner(db(), plans, clock).run()).checkin).toMatchObject({ due: 1, written: 1 });
    let rows = await rowsOf(db(), "checkin", [customer.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.dedupeKey).toBe(`checkin:${first.id}`);
    expect(rows[0]!.notBefore.toISOString()).toBe("2027-05-08T03:00:00.000Z");

    // A second order 10 days later falls inside the 30-day cooldown: no second check-in.
    await order("o2", "2027-05-11T09:00:00Z");
    clock.set("2027-05-17T12:00:00Z");
    expect((await planner(db(), plans, clock).run()).checkin.written).toBe(0);
    // An order 40 days after the first gets its check-in.
    const third = await order("o3", "2027-06-10T09:00:00Z");
    clock.set("2027-06-16T12:00:00Z");
    expect((await planner(db(), plans, clock).run()).checkin.written).toBe(1);
    rows = await rowsOf(db(), "checkin", [customer.id]);
    expect(rows.map((row) => row.dedupeKey).sort()).toEqual([`checkin:${first.id}`, `checkin:${third.id}`].sort());
  });

  it("a check-in carries a CSAT invitation's answer buttons, invited once however often the planner runs", async () => {
    const prisma = db().prisma;
    const { SurveyService } = await import("../src/surveys/survey-service.ts");
    const { CustomerRepository } = await import("../src/db/repositories/customer-repository.ts");
    const { checkinSurveys } = await import("../src/outreach/planner-job.ts");
    const { parseSurveyAction } = await import("../src/surveys/actions.ts");
    const make = (name: string, surveyConsent: boolean) =>
      prisma.customer.create({
        data: {
          displayName: name,
          timeZone: "UTC",
          surveyConsent,
          identities: { create: { platform: "telegram", platformUserId: `${name}-${Date.now()}`, address: name } },
        },
      });
    const willing = await make("Sam", true);
    const unwilling = await make("Una", false);
    for (const customer of [willing, unwilling]) {
      await prisma.order.create({ data: { customerId: customer.id, externalId: `csat-${customer.id}`, amount: 10, currency: "CNY", placedAt: new Date("2027-08-01T12:00:00Z") } });
    }
    const clock = new ManualClock("2027-08-07T12:00:00Z");
    const plans = plansWith("checkin");
    plans.checkin = { ...plans.checkin, control: 0 };
    const repository = new CarePlanRepository(prisma);
    const surveys = checkinSurveys(new SurveyService({ prisma, clock }), new CustomerRepository(prisma));
    const run = () =>
      new CarePlanner({ plans, repository, writer: outboxPlanWriter(repository, prisma), clock, birthdayBonusPoints: 100, checkinSurveys: surveys }).run();
    expect((await run()).checkin).toMatchObject({ due: 2, written: 2 });
    expect((await run()).checkin.written).toBe(0);

    const rows = await rowsOf(db(), "checkin", [willing.id, unwilling.id]);
    const sam = rows.find((row) => row.customerId === willing.id)!;
    const choices = (sam.payload as { choices: { id: string }[] }).choices;
    expect(choices).toHaveLength(5);
    const invitations = await prisma.surveyInvitation.findMany({ where: { customerId: { in: [willing.id, unwilling.id] } } });
    expect(invitations).toHaveLength(1);
    expect(invitations[0]).toMatchObject({ kind: "csat", platform: "telegram" });
    expect(invitations[0]!.context).toMatch(/^checkin:/);
    expect(parseSurveyAction(choices[4]!.id)).toEqual({ invitationId: invitations[0]!.id, score: 5 });
    // Surveys turned off: the check-in goes out as text alone.
    expect(rows.find((row) => row.customerId === unwilling.id)!.payload).toEqual({ text: "Hi Una, how is your recent order working out for you? How satisfied are you with us?" });
  });

  it("holds out the control share as control rows, the same customers on every run", async () => {
    const prisma = db().prisma;
    const data = Array.from({ length: 200 }, (_, i) => ({ displayName: `c${i}`, birthday: new Date("1990-08-20T00:00:00Z"), timeZone: "UTC", tags: ["control-test"] }));
    await prisma.customer.createMany({ data });
    const customers = await prisma.customer.findMany({ where: { tags: { has: "control-test" } }, select: { id: true } });
    const ids = customers.map((c) => c.id);
    const plans = plansWith("birthday");
    plans.birthday = { ...plans.birthday, control: 0.3 };
    const clock = new ManualClock("2027-08-20T01:00:00Z");

    const report = await planner(db(), plans, clock, 37).run();
    const rows = await rowsOf(db(), "birthday", ids);
    expect(rows).toHaveLength(200);
    const control = rows.filter((row) => row.status === "control").map((row) => row.customerId).sort();
    expect(report.birthday.control).toBe(control.length);
    // Binomial(200, 0.3): mean 60, standard deviation 6.5.
    expect(control.length).toBeGreaterThan(35);
    expect(control.length).toBeLessThan(85);
    expect(control).toEqual(ids.filter((id) => isControl(id, `birthday:${id}:2027`, 0.3)).sort());
    expect(rows.filter((row) => row.status !== "control").every((row) => row.status === "pending")).toBe(true);

    // Re-run from scratch (the rows gone): the same customers are held out.
    await prisma.outboxMessage.deleteMany({ where: { customerId: { in: ids } } });
    const rerun = await planner(db(), plans, clock, 200).run();
    expect(rerun.birthday.control).toBe(control.length);
    const again = await rowsOf(db(), "birthday", ids);
    expect(again.filter((row) => row.status === "control").map((row) => row.customerId).sort()).toEqual(control);
  });

  it("reads customers a batch at a time (keyset pages of batchSize), never all of them", async () => {
    const prisma = db().prisma;
    await prisma.customer.createMany({
      data: Array.from({ length: 30 }, (_, i) => ({ displayName: `b${i}`, birthday: new Date("1991-11-02T00:00:00Z"), timeZone: "UTC" })),
    });
    const repository = new CarePlanRepository(prisma);
    const calls: { limit: number; returned: number }[] = [];
    const original = repository.birthdaysOn.bind(repository);
    repository.birthdaysOn = async (monthDays, after, limit) => {
      const page = await original(monthDays, after, limit);
      calls.push({ limit, returned: page.length });
      return page;
    };
    const written: number[] = [];
    const writer = outboxPlanWriter(repository, prisma);
    const report = await new CarePlanner({
      plans: plansWith("birthday"),
      repository,
      writer: { write: async (rows) => (written.push(rows.length), writer.write(rows)) },
      clock: new ManualClock("2027-11-02T01:00:00Z"),
      birthdayBonusPoints: 100,
      batchSize: 7,
    }).run();
    expect(report.birthday.written).toBe(30);
    expect(calls.every((call) => call.limit === 7 && call.returned <= 7)).toBe(true);
    expect(calls.map((call) => call.returned)).toEqual([7, 7, 7, 7, 2]);
    expect(Math.max(...written)).toBeLessThanOrEqual(7);

    // A re-run finds every key queued before rendering anything: it counts the occasions, writes none.
    written.length = 0;
    const again = await new CarePlanner({
      plans: plansWith("birthday"),
      repository,
      writer: { write: async (rows) => (written.push(rows.length), writer.write(rows)) },
      clock: new ManualClock("2027-11-02T01:00:00Z"),
      birthdayBonusPoints: 100,
      batchSize: 7,
    }).run();
    expect(again.birthday).toMatchObject({ due: 30, written: 0 });
    expect(written).toEqual([]);
  });

  it("on PostgreSQL, plans on one instance per tick: the advisory lock makes a second one skip", async () => {
    if (db().kind !== "postgres") return;
    const clock = new ManualClock("2027-01-10T00:00:00Z");
    const options = { db: db(), plans: plansWith("birthday"), clock, birthdayBonusPoints: 100 };
    const skipped = await db().sql.withSession(async (session) => {
      await session.query("SELECT pg_advisory_lock(hashtext($1))", [CARE_PLANNER_LOCK]);
      try {
        return await runCarePlanner(options);
      } finally {
        await session.query("SELECT pg_advisory_unlock(hashtext($1))", [CARE_PLANNER_LOCK]);
      }
    });
    expect(skipped).toEqual({ status: "skipped", reason: "another instance is planning" });
    expect(await runCarePlanner(options)).toHaveProperty("birthday");
  });
});

describeEachDatabase("care planner: lunar birthdays, win-back, anniversaries, control rows and the dispatcher", (db) => {
  it("greets a lunar birthday on that lunar day's Gregorian date each year, instead of the Gregorian birthday", async () => {
    const prisma = db().prisma;
    const customer = await prisma.customer.create({
      data: { displayName: "月娥", locale: "zh-CN", timeZone: "Asia/Shanghai", birthday: new Date("1990-09-15T00:00:00Z") },
    });
    await prisma.$executeRaw`UPDATE "Customer" SET "lunarBirthMonth" = 8, "lunarBirthDay" = 15 WHERE id = ${customer.id}::uuid`;
    const plans = plansWith("birthday");
    // Lunar 8-15 (Mid-Autumn): 2027-09-15 and 2028-10-03 (Hong Kong Observatory calendar).
    const clock = new ManualClock("2027-09-14T12:00:00Z");
    await planner(db(), plans, clock).run();
    clock.set("2028-09-14T12:00:00Z"); // her Gregorian birthday is tomorrow: not celebrated
    await planner(db(), plans, clock).run();
    clock.set("2028-10-02T12:00:00Z");
    await planner(db(), plans, clock).run();
    const rows = await rowsOf(db(), "birthday", [customer.id]);
    expect(rows.map((row) => [row.dedupeKey, row.notBefore.toISOString()])).toEqual([
      [`birthday:${customer.id}:2027`, "2027-09-15T02:00:00.000Z"],
      [`birthday:${customer.id}:2028`, "2028-10-03T02:00:00.000Z"],
    ]);
  });

  it("offers a win-back once per lapse to declining customers and those past twice their usual gap, not to one who ordered since", async () => {
    const prisma = db().prisma;
    const now = new Date("2027-04-01T06:00:00Z");
    const score = async (name: string, fields: { lifecycleStage: "declining" | "mature"; rfmSegment?: string; orderCount: number; first: string; last: string }) => {
      const customer = await prisma.customer.create({ data: { displayName: name, locale: "en", timeZone: "Europe/London", tags: ["winback-test"] } });
      const lastOrderAt = new Date(fields.last);
      await prisma.customerScore.create({
        data: {
          customerId: customer.id,
          computedAt: now,
          windowStart: new Date("2025-04-01T00:00:00Z"),
          windowMonths: 24,
          orderCount: fields.orderCount,
          firstOrderAt: new Date(fields.first),
          lastOrderAt,
          recencyDays: Math.floor((now.getTime() - lastOrderAt.getTime()) / 86_400_000),
          frequency: fields.orderCount,
          monetary: 100,
          rfmSegment: fields.rfmSegment ?? null,
          lifecycleStage: fields.lifecycleStage,
          relationshipLevel: "basic",
          historicClv: 100,
          explanation: {},
        },
      });
      return customer;
    };
    const declining = await score("Dee", { lifecycleStage: "declining", orderCount: 3, first: "2026-01-01T00:00:00Z", last: "2026-12-01T00:00:00Z" });
    // Ordered every 10 days, silent for 60: past twice the usual gap.
    const overdue = await score("Gus", { lifecycleStage: "mature", orderCount: 5, first: "2026-12-20T00:00:00Z", last: "2027-01-29T00:00:00Z" });
    const regular = await score("Reg", { lifecycleStage: "mature", orderCount: 5, first: "2026-01-01T00:00:00Z", last: "2027-03-20T00:00:00Z" });
    const returned = await score("Ria", { lifecycleStage: "declining", orderCount: 2, first: "2026-01-01T00:00:00Z", last: "2026-10-01T00:00:00Z" });
    await prisma.order.create({ data: { customerId: returned.id, externalId: `ria-${returned.id}`, amount: 5, currency: "GBP", placedAt: new Date("2027-03-30T00:00:00Z") } });

    const plans = plansWith("winback");
    plans.winback = { ...plans.winback, control: 0 };
    const clock = new ManualClock(now);
    await planner(db(), plans, clock).run();
    clock.advance(3 * 86_400_000);
    await planner(db(), plans, clock).run(); // the same lapse: nothing new
    const rows = await rowsOf(db(), "winback", [declining.id, overdue.id, regular.id, returned.id]);
    expect(rows.map((row) => row.dedupeKey).sort()).toEqual([`winback:${declining.id}:2026-12-01`, `winback:${overdue.id}:2027-01-29`].sort());
    const dee = rows.find((row) => row.customerId === declining.id)!;
    expect(dee.payload).toEqual({ text: "We miss you, Dee! Here is something to welcome you back: 10% off your next order." });
    // 06:00 UTC is 07:00 in London (summer time from 28 March): 10:00 today is still ahead.
    expect(dee.notBefore.toISOString()).toBe("2027-04-01T09:00:00.000Z");

    // Gus orders again before his offer goes out: the next tick cancels it, and plans no new one for the old lapse.
    await prisma.order.create({ data: { customerId: overdue.id, externalId: `gus-${overdue.id}`, amount: 8, currency: "GBP", placedAt: clock.now() } });
    await planner(db(), plans, clock).run();
    const after = await rowsOf(db(), "winback", [declining.id, overdue.id]);
    expect(after.map((row) => [row.customerId, row.status])).toEqual(
      expect.arrayContaining([
        [declining.id, "pending"],
        [overdue.id, "cancelled"],
      ]),
    );
    expect(after).toHaveLength(2);
  });

  it("greets membership anniversaries from the second year on", async () => {
    const prisma = db().prisma;
    const old = await prisma.customer.create({ data: { displayName: "Ola", timeZone: "UTC", createdAt: new Date("2024-06-10T08:00:00Z") } });
    const fresh = await prisma.customer.create({ data: { displayName: "Neu", timeZone: "UTC", createdAt: new Date("2027-06-10T01:00:00Z") } });
    const clock = new ManualClock("2027-06-10T02:00:00Z");
    await planner(db(), plansWith("anniversary"), clock).run();
    const rows = await rowsOf(db(), "anniversary", [old.id, fresh.id]);
    expect(rows.map((row) => [row.dedupeKey, row.notBefore.toISOString()])).toEqual([[`anniversary:${old.id}:2027`, "2027-06-10T10:00:00.000Z"]]);
  });

  it("congratulates a tier upgrade recorded on the timeline once, in the customer's language, and not a downgrade", async () => {
    const prisma = db().prisma;
    const up = await prisma.customer.create({ data: { displayName: "高飞", locale: "zh-CN", timeZone: "Asia/Shanghai" } });
    const down = await prisma.customer.create({ data: { displayName: "Dan", locale: "en", timeZone: "UTC" } });
    const change = (customerId: string, from: string, to: string, at: string) =>
      prisma.interaction.create({
        data: { customerId, platform: "web", direction: "out", kind: "system", metadata: { event: "tier_changed", from, to }, occurredAt: new Date(at) },
      });
    const upgrade = await change(up.id, "Bronze", "Gold", "2027-07-01T08:00:00Z");
    await change(down.id, "Gold", "Silver", "2027-07-01T08:30:00Z");
    const clock = new ManualClock("2027-07-01T09:00:00Z");
    const first = await planner(db(), plansWith("tierUpgrade"), clock).run();
    const second = await planner(db(), plansWith("tierUpgrade"), clock).run();
    expect(second.tier_upgrade.written).toBe(0);
    expect(first.tier_upgrade.written).toBeGreaterThanOrEqual(1);
    const rows = await rowsOf(db(), "tier_upgrade", [up.id, down.id]);
    expect(rows.map((row) => [row.dedupeKey, row.notBefore.toISOString(), row.payload])).toEqual([
      [`tier-upgrade:${up.id}:${upgrade.id}`, "2027-07-01T08:00:00.000Z", { text: "恭喜您，高飞！您已升级为黄金会员。" }],
    ]);
  });

  it("control rows are never claimed by the dispatcher's outbox", async () => {
    const prisma = db().prisma;
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const customer = await prisma.customer.create({
        data: {
          displayName: `d${i}`,
          timeZone: "UTC",
          birthday: new Date("1990-12-01T00:00:00Z"),
          identities: { create: { platform: "telegram", platformUserId: `ctl-${i}-${Date.now()}`, address: `${i}` } },
        },
      });
      ids.push(customer.id);
    }
    const plans = plansWith("birthday");
    plans.birthday = { ...plans.birthday, control: 0.5 };
    await planner(db(), plans, new ManualClock("2027-11-30T12:00:00Z")).run();
    const rows = await rowsOf(db(), "birthday", ids);
    const control = new Set(rows.filter((row) => row.status === "control").map((row) => row.id));
    expect(control.size).toBeGreaterThan(0);
    const { OutboxRepository } = await import("../src/db/repositories/outbox-repository.ts");
    const claimed = await new OutboxRepository(prisma).claim({
      instanceId: "test",
      platforms: ["telegram"],
      now: new Date("2027-12-02T00:00:00Z"),
      leaseUntil: new Date("2027-12-02T00:05:00Z"),
      limit: 1000,
    });
    const mine = claimed.filter((row) => ids.includes(row.customerId));
    expect(mine).toHaveLength(rows.length - control.size);
    expect(mine.some((row) => control.has(row.id))).toBe(false);
  });
});
