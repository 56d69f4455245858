import { expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { CustomerRepository } from "../src/db/repositories/customer-repository.ts";
import { awardBirthdayBonuses } from "../src/loyalty/birthday-bonus.ts";
import { LoyaltyService } from "../src/loyalty/loyalty-service.ts";
import { describeEachDatabase } from "./support/databases.ts";

describeEachDatabase("birthday bonus", (db) => {
  it("awards each customer once on their birthday in their own time zone", async () => {
    const prisma = db().prisma;
    // 2027-02-28 20:00 UTC is already 1 March in Shanghai; 2027 is not a leap year.
    const clock = new ManualClock("2027-02-28T20:00:00Z");
    const customers = new CustomerRepository(prisma);
    const loyalty = new LoyaltyService({ prisma, clock });
    const make = (birthday: string, timeZone: string) =>
      customers.create({ birthday: new Date(`${birthday}T00:00:00Z`), timeZone, displayName: `${birthday} ${timeZone}` });
    const shanghaiMarch1 = await make("1990-03-01", "Asia/Shanghai");
    const londonFeb28 = await make("1985-02-28", "Europe/London");
    const leapling = await make("1992-02-29", "UTC");
    const shanghaiFeb28 = await make("1991-02-28", "Asia/Shanghai");
    const notToday = await make("1990-07-15", "UTC");
    const erased = await make("1990-02-28", "UTC");
    await prisma.customer.update({ where: { id: erased.id }, data: { erasedAt: clock.now() } });

    const deps = { customers, loyalty, clock, points: 100 };
    expect(await awardBirthdayBonuses(deps)).toEqual({ awarded: 3 });
    // The job runs hourly and on several instances: the same birthday is never paid twice.
    clock.advance(60 * 60 * 1000);
    expect(await awardBirthdayBonuses(deps)).toEqual({ awarded: 0 });

    expect(await loyalty.balance(shanghaiMarch1.id)).toBe(100);
    expect(await loyalty.balance(londonFeb28.id)).toBe(100);
    expect(await loyalty.balance(leapling.id)).toBe(100);
    expect(await loyalty.balance(shanghaiFeb28.id)).toBe(0);
    expect(await loyalty.balance(notToday.id)).toBe(0);
    expect(await loyalty.balance(erased.id)).toBe(0);
  });
});
