import { lunarDateToGregorian, lunarMonthLength, type IsoDate } from "./lunar-dates.ts";

export interface FestivalName {
  en: string;
  zhCN: string;
}

export interface FestivalDate {
  /** Stable key for plans, templates and dedupe keys, e.g. "mid-autumn". */
  key: string;
  name: FestivalName;
  date: IsoDate;
}

/** A festival on the same Gregorian day every year (the business may add its own). */
export interface FixedFestival {
  key: string;
  name: FestivalName;
  /** "MM-DD". */
  monthDay: string;
}

export const CHINESE_FESTIVALS: readonly { key: string; name: FestivalName; month: number; day: number }[] = [
  { key: "spring-festival", name: { en: "Spring Festival", zhCN: "春节" }, month: 1, day: 1 },
  { key: "lantern", name: { en: "Lantern Festival", zhCN: "元宵节" }, month: 1, day: 15 },
  { key: "dragon-boat", name: { en: "Dragon Boat Festival", zhCN: "端午节" }, month: 5, day: 5 },
  { key: "qixi", name: { en: "Qixi Festival", zhCN: "七夕" }, month: 7, day: 7 },
  { key: "mid-autumn", name: { en: "Mid-Autumn Festival", zhCN: "中秋节" }, month: 8, day: 15 },
  { key: "double-ninth", name: { en: "Double Ninth Festival", zhCN: "重阳节" }, month: 9, day: 9 },
];

export const NEW_YEARS_EVE_KEY = "chinese-new-years-eve";

export const DEFAULT_FIXED_FESTIVALS: readonly FixedFestival[] = [
  { key: "new-year", name: { en: "New Year's Day", zhCN: "元旦" }, monthDay: "01-01" },
  { key: "valentines", name: { en: "Valentine's Day", zhCN: "情人节" }, monthDay: "02-14" },
  { key: "christmas", name: { en: "Christmas", zhCN: "圣诞节" }, monthDay: "12-25" },
];

/**
 * Every festival in Gregorian year `year`, sorted by date: the Chinese festivals from the almanac-checked lunar
 * calendar, Chinese New Year's Eve (the last day of the 12th month, the 29th or 30th), and the fixed-date
 * festivals: the defaults plus `extra` (an extra festival with a default's key replaces it). A fixed
 * 02-29 festival is absent in common years.
 */
export function festivalDates(year: number, extra: readonly FixedFestival[] = []): FestivalDate[] {
  if (!Number.isInteger(year) || year < 1901 || year > 2099) throw new RangeError(`festival year must be 1901-2099, got ${year}`);
  const lunar = CHINESE_FESTIVALS.map(({ key, name, month, day }) => ({ key, name, date: lunarDateToGregorian(year, month, day) }));
  // Spring Festival of lunar year Y always lies in Gregorian Y, so its eve (the last day of lunar Y-1) does too.
  const eve = { key: NEW_YEARS_EVE_KEY, name: { en: "Chinese New Year's Eve", zhCN: "除夕" }, date: lunarDateToGregorian(year - 1, 12, lunarMonthLength(year - 1, 12)) };
  const fixed = new Map<string, FixedFestival>();
  for (const festival of [...DEFAULT_FIXED_FESTIVALS, ...extra]) fixed.set(festival.key, festival);
  const fixedDates = [...fixed.values()].flatMap(({ key, name, monthDay }) => {
    const date = fixedDate(year, monthDay, key);
    return date ? [{ key, name, date }] : [];
  });
  return [...lunar, eve, ...fixedDates].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.key < b.key ? -1 : 1));
}

function fixedDate(year: number, monthDay: string, key: string): IsoDate | null {
  const match = /^(\d{2})-(\d{2})$/.exec(monthDay);
  if (!match) throw new RangeError(`festival ${key}: date must be MM-DD, got "${monthDay}"`);
  const [month, day] = [Number(match[1]), Number(match[2])];
  const date = new Date(Date.UTC(2000, month - 1, day)); // 2000 is a leap year: 02-29 is a real MM-DD
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) throw new RangeError(`festival ${key}: no such day "${monthDay}"`);
  const inYear = new Date(Date.UTC(year, month - 1, day));
  return inYear.getUTCMonth() === month - 1 ? `${year}-${monthDay}` : null;
}
