import type { Clock } from "../core/clock.ts";
import type { CustomerRepository } from "../db/repositories/customer-repository.ts";
import type { LoyaltyService } from "./loyalty-service.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** "YYYY-MM-DD" of an instant in a time zone. */
function localDate(at: Date, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
  } catch {
    return at.toISOString().slice(0, 10);
  }
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Books the birthday bonus for every customer whose birthday it is now in their own time zone;
 * 29 February birthdays are celebrated on the 28th in other years. The key `birthday:<id>:<year>`
 * makes the hourly job award each birthday once, however often it runs and on however many instances.
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
  const around = [-1, 0, 1].map((days) => new Date(now.getTime() + days * DAY_MS).toISOString().slice(5, 10));
  const candidates = await deps.customers.withBirthdayOn([...new Set([...around, "02-29"])]);
  let awarded = 0;
  for (const customer of candidates) {
    const today = localDate(now, customer.timeZone);
    const year = Number(today.slice(0, 4));
    let birthday = customer.birthday!.toISOString().slice(5, 10);
    if (birthday === "02-29" && !isLeapYear(year)) birthday = "02-28";
    if (birthday !== today.slice(5)) continue;
    const result = await deps.loyalty.awardBonus({
      customerId: customer.id,
      points: deps.points,
      reason: "birthday",
      idempotencyKey: `birthday:${customer.id}:${year}`,
    });
    if (result.status === "awarded") awarded += 1;
  }
  return { awarded };
}
