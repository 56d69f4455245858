import { type FestivalDate, type FixedFestival, lunarBirthdayIn } from "../calendar/index.ts";
import type { CarePlans } from "./care-plans-file.ts";

/** A festival the plans file turns on, on its date, with who receives it (any of the locales or tags; both empty: everybody). */
export interface PlannedFestival extends FestivalDate {
  audience: { locales: readonly string[]; tags: readonly string[] };
}

/**
 * The festivals of the plans file falling in [first, last] ("YYYY-MM-DD"): the calendar's festivals the
 * file lists as enabled and the business's own enabled days. One rule for the care planner (which
 * plans them a day ahead) and the dashboard's forecast (which counts them 14 days ahead).
 */
export function festivalsBetween(
  plan: CarePlans["festivals"],
  festivalDates: (year: number, extra: readonly FixedFestival[]) => FestivalDate[],
  first: string,
  last: string,
): PlannedFestival[] {
  const custom: FixedFestival[] = plan.custom
    .filter((day) => day.enabled)
    .map((day) => ({ key: day.key, name: { en: day.name.en, zhCN: day.name["zh-CN"] ?? day.name.en }, monthDay: day.date }));
  const audiences = new Map<string, { locales: readonly string[]; tags: readonly string[] }>();
  for (const [key, festival] of Object.entries(plan.festivals)) if (festival.enabled) audiences.set(key, festival);
  for (const day of plan.custom) if (day.enabled) audiences.set(day.key, day);
  const years: number[] = [];
  for (let year = Number(first.slice(0, 4)); year <= Number(last.slice(0, 4)); year++) years.push(year);
  return years
    .flatMap((year) => festivalDates(year, custom))
    .filter((festival) => audiences.has(festival.key) && festival.date >= first && festival.date <= last)
    .map((festival) => ({ ...festival, audience: audiences.get(festival.key)! }));
}

/**
 * Per Gregorian year, the lunar [month, day] birthdays celebrated on each date. Working it out is 360
 * calendar conversions (most of an hourly run's time with few customers), so it is kept for the
 * last few years asked.
 */
const lunarBirthdayYears = new Map<number, Map<string, [number, number][]>>();

export function lunarBirthdaysByDate(year: number): Map<string, [number, number][]> {
  let byDate = lunarBirthdayYears.get(year);
  if (byDate) return byDate;
  byDate = new Map();
  for (let month = 1; month <= 12; month++) {
    for (let day = 1; day <= 30; day++) {
      const date = lunarBirthdayIn(year, month, day);
      if (date) byDate.set(date, [...(byDate.get(date) ?? []), [month, day]]);
    }
  }
  if (lunarBirthdayYears.size >= 4) lunarBirthdayYears.delete(lunarBirthdayYears.keys().next().value!);
  lunarBirthdayYears.set(year, byDate);
  return byDate;
}

/** The lunar [month, day] birthdays celebrated on any of `dates`. */
export function lunarMonthDaysOn(dates: readonly string[]): [number, number][] {
  const found = new Map<number, [number, number]>();
  for (const date of dates) {
    for (const [month, day] of lunarBirthdaysByDate(Number(date.slice(0, 4))).get(date) ?? []) found.set(month * 100 + day, [month, day]);
  }
  return [...found.values()].sort((a, b) => a[0] * 100 + a[1] - (b[0] * 100 + b[1]));
}
