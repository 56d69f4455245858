import { festivalDates as calendarFestivalDates, type FestivalDate, type FixedFestival } from "../calendar/index.ts";
import type { CareForecastRepository } from "../db/repositories/care-forecast-repository.ts";
import { festivalsBetween, lunarBirthdaysByDate } from "./care-occasions.ts";
import type { CarePlans } from "./care-plans-file.ts";
import { addDays, usableTimeZone, yearlyDate } from "./planner-time.ts";

const DAY_MS = 86_400_000;

/** One plan's occasions on one date: how many customers it is planned or will be planned for. */
export interface ForecastCell {
  /** The occasion's date ("YYYY-MM-DD"), as in the customer's own zone. */
  day: string;
  plan: "birthday" | "festival" | "checkin" | "anniversary";
  customers: number;
  /** For festivals, which one (its calendar key). */
  festival?: { key: string; name: { en: string; zhCN: string } };
}

export interface CareForecast {
  days: string[];
  /** Dates in order, then plans; only those with customers. */
  cells: ForecastCell[];
  /** Customers the win-back plan would address now (a lapse has no date to put it on); null when the plan is off. */
  winbackNow: number | null;
  total: number;
}

export interface CareForecastOptions {
  repository: CareForecastRepository;
  plans: CarePlans;
  /** The festival calendar (src/calendar); replaceable in tests as for the planner. */
  festivalDates?: (year: number, extra: readonly FixedFestival[]) => FestivalDate[];
}

/**
 * What the care plans send over the next `days` dates from `now`'s UTC date, per date and plan,
 * counted with SQL aggregates over the planner's own conditions (care-plan-eligibility.ts,
 * care-occasions.ts): birthdays (Gregorian and lunar), festivals and their audiences, check-ins
 * from orders, membership anniversaries; win-back as one figure. Each occasion is counted once
 * whether or not the planner has written its outbox row yet (the row's dedupe key is the
 * occasion), so queued and not yet queued are never added twice. Erased customers and those
 * without care consent are left out; quiet hours, the weekly cap, pauses and control groups are
 * the contact policy's and the planner's at send time, so fewer may go out.
 */
export async function careForecast(options: CareForecastOptions, now: Date, days = 14): Promise<CareForecast> {
  const { repository, plans } = options;
  const first = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
  const dates = Array.from({ length: days }, (_, i) => addDays(first, i));
  const last = dates[dates.length - 1]!;
  const cells: ForecastCell[] = [];
  const add = (cell: ForecastCell) => {
    if (cell.customers > 0) cells.push(cell);
  };
  // "MM-DD" keys of each date; 29 February's celebrants join 28 February in common years (yearlyDate).
  const monthDaysOf = (date: string) => {
    const keys = [date.slice(5)];
    if (date.endsWith("-02-28") && yearlyDate(Number(date.slice(0, 4)), "02-29") === date) keys.push("02-29");
    return keys;
  };
  const allMonthDays = [...new Set(dates.flatMap(monthDaysOf))];

  if (plans.birthday.enabled) {
    const solar = await repository.solarBirthdays(allMonthDays);
    const lunarOf = (date: string) => lunarBirthdaysByDate(Number(date.slice(0, 4))).get(date) ?? [];
    const lunar = await repository.lunarBirthdays(dates.flatMap(lunarOf));
    for (const date of dates) {
      const customers =
        monthDaysOf(date).reduce((sum, key) => sum + (solar.get(key) ?? 0), 0) + lunarOf(date).reduce((sum, [m, d]) => sum + (lunar.get(m * 100 + d) ?? 0), 0);
      add({ day: date, plan: "birthday", customers });
    }
  }

  if (plans.festivals.enabled) {
    const festivals = festivalsBetween(plans.festivals, options.festivalDates ?? calendarFestivalDates, first, last);
    const sizes = new Map<string, number>();
    for (const festival of festivals) {
      const key = JSON.stringify([festival.audience.locales, festival.audience.tags]);
      if (!sizes.has(key)) sizes.set(key, await repository.audience(festival.audience.locales, festival.audience.tags));
      add({ day: festival.date, plan: "festival", customers: sizes.get(key)!, festival: { key: festival.key, name: festival.name } });
    }
  }

  if (plans.checkin.enabled) {
    const plan = plans.checkin;
    // Orders whose local date plus N days falls in the window (a day either side for the zones), and the cooldown before it.
    const from = new Date(Date.parse(`${first}T00:00:00Z`) - (plan.daysAfterOrder + 1 + plan.cooldownDays) * DAY_MS);
    const to = new Date(Date.parse(`${last}T00:00:00Z`) - (plan.daysAfterOrder - 2) * DAY_MS);
    const zones = new Map((await repository.orderZones(from, to)).map((zone) => [zone, usableTimeZone(zone)]));
    const due = await repository.checkinsDue({ from, to, firstDay: first, lastDay: last, daysAfterOrder: plan.daysAfterOrder, cooldownDays: plan.cooldownDays, zones });
    for (const date of dates) add({ day: date, plan: "checkin", customers: due.get(date) ?? 0 });
  }

  if (plans.anniversary.enabled) {
    const joined = await repository.joined(allMonthDays);
    for (const date of dates) {
      const keys = monthDaysOf(date);
      const year = Number(date.slice(0, 4));
      // As the planner: the first anniversary is a year after joining, never the joining day itself.
      const customers = joined.filter((row) => keys.includes(row.monthDay) && row.year < year).reduce((sum, row) => sum + row.n, 0);
      add({ day: date, plan: "anniversary", customers });
    }
  }

  const winbackNow = plans.winback.enabled ? await repository.winbackEligible(plans.winback) : null;
  const order = ["birthday", "festival", "checkin", "anniversary"];
  cells.sort((a, b) => a.day.localeCompare(b.day) || order.indexOf(a.plan) - order.indexOf(b.plan));
  const total = cells.reduce((sum, cell) => sum + cell.customers, 0) + (winbackNow ?? 0);
  return { days: dates, cells, winbackNow, total };
}
