import { gregorianToLunar, lunarBirthdayIn } from "../calendar/index.ts";
import type { Clock } from "../core/clock.ts";
import type { CustomerRepository } from "../db/repositories/customer-repository.ts";
import type { LoyaltyService } from "./loyalty-service.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * One formatter per zone, kept: each Intl.DateTimeFormat holds about 13 KB of ICU memory outside V8's heap, which
 * V8 does not count, so one per customer (100,000 celebrating on one day in the outreach benchmark) took the
 * process's malloc heap to 1.4 GB within seconds, and 0.3 ms of CPU each.
 */
const dateFormatters = new Map<string, Intl.DateTimeFormat>();

/** "YYYY-MM-DD" of an instant in a time zone. */
function localDate(at: Date, timeZone: string): string {
  try {
    let formatter = dateFormatters.get(timeZone);
    if (!formatter) {
      formatter = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
      dateFormatters.set(timeZone, formatter);
    }
    return formatter.format(at);
  } catch {
    return at.toISOString().slice(0, 10);
  }
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Lunar birthdays ("M-D") that may be celebrated on a Gregorian date: its own lunar day, and the 30th too
 * when the date is the 29th of a 29-day month. A date in a leap month is nobody's birthday: leap-month
 * birthdays are celebrated in the regular month of that number.
 */
function lunarBirthdaysOn(date: string): string[] {
  const lunar = gregorianToLunar(date);
  if (lunar.leap) return [];
  const days = [`${lunar.month}-${lunar.day}`];
  if (lunar.day === 29 && lunar.monthLength === 29) days.push(`${lunar.month}-30`);
  return days;
}

/**
 * Books the birthday bonus for every customer whose birthday it is now in their own time zone;
 * 29 February birthdays are celebrated on the 28th in other years. A lunar birthday is celebrated on its
 * Gregorian date (lunarBirthdayIn: the first one in a year that holds two, none in a year that holds none).
 * The key `birthday:<id>:<Gregorian year of the celebration>` makes the hourly job award each birthday once,
 * however often it runs and on however many instances.
 */
export async function awardBirthdayBonuses(deps: {
  customers: CustomerRepository;
  loyalty: LoyaltyService;
  clock: Clock;
  points: number;
}): Promise<{ awarded: number }> {
  if (deps.points <= 0) return { awarded: 0 };
  const now = deps.clock.now();
  // Somewhere on Earth it is yesterday, today or tomorrow (UTC); each customer's zone decides.
  const aroundDates = [-1, 0, 1].map((days) => new Date(now.getTime() + days * DAY_MS).toISOString().slice(0, 10));
  const around = aroundDates.map((date) => date.slice(5));
  const celebrating: { id: string; year: number }[] = [];

  for (const customer of await deps.customers.withBirthdayOn([...new Set([...around, "02-29"])])) {
    const today = localDate(now, customer.timeZone);
    const year = Number(today.slice(0, 4));
    let birthday = customer.birthday!.toISOString().slice(5, 10);
    if (birthday === "02-29" && !isLeapYear(year)) birthday = "02-28";
    if (birthday === today.slice(5)) celebrating.push({ id: customer.id, year });
  }

  const lunarDays = [...new Set(aroundDates.flatMap(lunarBirthdaysOn))];
  for (const customer of await deps.customers.withLunarBirthdayOn(lunarDays)) {
    const today = localDate(now, customer.timeZone);
    const year = Number(today.slice(0, 4));
    if (lunarBirthdayIn(year, customer.lunarBirthMonth!, customer.lunarBirthDay!) === today) celebrating.push({ id: customer.id, year });
  }

  let awarded = 0;
  for (const { id, year } of celebrating) {
    const result = await deps.loyalty.awardBonus({ customerId: id, points: deps.points, reason: "birthday", idempotencyKey: `birthday:${id}:${year}` });
    if (result.status === "awarded") awarded += 1;
  }
  return { awarded };
}
