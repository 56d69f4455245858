import { expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { CustomerRepository } from "../src/db/repositories/customer-repository.ts";
import { awardBirthdayBonuses } from "../src/loyalty/birthday-bonus.ts";
import { LoyaltyService } from "../src/loyalty/loyalty-service.ts";
import { describeEachDatabase } from "./support/databases.ts";

/*
 * Gregorian dates of lunar days from the Hong Kong Observatory's table (the transcription and its source are
 * in test/calendar-festivals.test.ts): Mid-Autumn 2027 is 2027-09-15; lunar 2025's 12th month has 29 days and
 * ends 2026-02-16; the regular 6th month of 2025 began 2025-06-25 (6-10 = 2025-07-04) and the leap 6th month
 * 2025-07-25 (leap 6-10 = 2025-08-03); lunar 11-30 falls on 2027-01-07 and again on 2027-12-27, and not in 2028.
 */
describeEachDatabase("lunar birthday bonus", (db) => {
  const setup = (at: string) => {
    const prisma = db().prisma;
    const clock = new ManualClock(at);
    const customers = new CustomerRepository(prisma);
    const loyalty = new LoyaltyService({ prisma, clock });
    const make = (lunarBirthMonth: number, lunarBirthDay: number, timeZone: string, birthday?: string) =>
      customers.create({ lunarBirthMonth, lunarBirthDay, timeZone, displayName: `lunar ${lunarBirthMonth}-${lunarBirthDay} ${timeZone}`, birthday: birthday ? new Date(`${birthday}T00:00:00Z`) : null });
    const run = () => awardBirthdayBonuses({ customers, loyalty, clock, points: 100 });
    return { prisma, clock, loyalty, make, run };
  };

  it("books the bonus on the Gregorian date of the lunar birthday in the customer's own time zone, once", async () => {
    // 2027-09-14 17:00 UTC is already 15 September (Mid-Autumn, 8-15) in Shanghai, still the 14th in London.
    const { clock, loyalty, make, run, prisma } = setup("2027-09-14T17:00:00Z");
    const shanghai = await make(8, 15, "Asia/Shanghai");
    const london = await make(8, 15, "Europe/London");
    // A Gregorian 09-15 birthday does not count for someone who celebrates the lunar one.
    const lunarNotGregorian = await make(3, 3, "Asia/Shanghai", "1990-09-15");
    const erased = await make(8, 15, "Asia/Shanghai");
    await prisma.customer.update({ where: { id: erased.id }, data: { erasedAt: clock.now() } });

    expect(await run()).toEqual({ awarded: 1 });
    expect(await loyalty.balance(shanghai.id)).toBe(100);
    expect(await loyalty.balance(london.id)).toBe(0);

    clock.advance(12 * 60 * 60 * 1000); // 05:00 UTC on the 15th: London's turn
    expect(await run()).toEqual({ awarded: 1 });
    clock.advance(60 * 60 * 1000);
    expect(await run()).toEqual({ awarded: 0 });
    expect(await loyalty.balance(london.id)).toBe(100);
    expect(await loyalty.balance(shanghai.id)).toBe(100);
    expect(await loyalty.balance(lunarNotGregorian.id)).toBe(0);
    expect(await loyalty.balance(erased.id)).toBe(0);
  });

  it("a 12-30 birthday is celebrated on the 29th when the 12th month is short; a leap-month birthday in the regular month", async () => {
    const { clock, loyalty, make, run } = setup("2026-02-15T12:00:00Z");
    const newYearsEve = await make(12, 30, "UTC");
    expect(await run()).toEqual({ awarded: 0 });
    clock.set(new Date("2026-02-16T12:00:00Z"));
    expect(await run()).toEqual({ awarded: 1 });
    expect(await loyalty.balance(newYearsEve.id)).toBe(100);

    // Born on leap 6-10 (2025-08-03): the birthday is the regular 6-10, 2025-07-04, not the leap one.
    const { clock: clock2, loyalty: loyalty2, make: make2, run: run2 } = setup("2025-08-03T12:00:00Z");
    const leapBorn = await make2(6, 10, "UTC");
    expect(await run2()).toEqual({ awarded: 0 });
    clock2.set(new Date("2025-07-04T12:00:00Z"));
    expect(await run2()).toEqual({ awarded: 1 });
    expect(await loyalty2.balance(leapBorn.id)).toBe(100);
  });

  it("keyed by the Gregorian year of the celebration: a year with two occurrences pays the January one only", async () => {
    const { clock, loyalty, make, run, prisma } = setup("2027-01-07T12:00:00Z");
    const customer = await make(11, 30, "UTC");
    expect(await run()).toEqual({ awarded: 1 });
    clock.set(new Date("2027-12-27T12:00:00Z"));
    expect(await run()).toEqual({ awarded: 0 });
    expect(await loyalty.balance(customer.id)).toBe(100);
    const keys = await prisma.loyaltyLedgerEntry.findMany({ where: { customerId: customer.id }, select: { idempotencyKey: true } });
    expect(keys.map((k) => k.idempotencyKey)).toEqual([`birthday:${customer.id}:2027`]);
  });
});
