import { Lunar, LunarMonth, Solar } from "lunar-typescript";

/**
 * Gregorian dates of Chinese-calendar days, from 6tail's lunar tables (lunar-typescript), which follow the
 * official almanac (GB/T 33661-2017; Purple Mountain / Hong Kong Observatory tables). Node's ICU is not used:
 * it computes new moons itself and puts some months a day off where a new moon falls near midnight in Beijing
 * (Spring Festival 2027 and 2030, for example: see test/calendar-festivals.test.ts).
 */

export type IsoDate = string;

/** Days in the regular (not leap) lunar month `month` of lunar year `lunarYear`: 29 or 30. */
export function lunarMonthLength(lunarYear: number, month: number): number {
  return LunarMonth.fromYm(lunarYear, month)!.getDayCount();
}

/**
 * The Gregorian date of day `day` of the regular month `month` of lunar year `lunarYear` (the year that begins
 * at Spring Festival in Gregorian year `lunarYear`). A 30th in a month of 29 days falls on the 29th.
 */
export function lunarDateToGregorian(lunarYear: number, month: number, day: number): IsoDate {
  assertLunarMonthDay(month, day);
  const clamped = Math.min(day, lunarMonthLength(lunarYear, month));
  return Lunar.fromYmd(lunarYear, month, clamped).getSolar().toYmd();
}

/** The Chinese-calendar day of a Gregorian date: `leap` when it lies in a leap month. */
export function gregorianToLunar(date: IsoDate): { lunarYear: number; month: number; day: number; leap: boolean; monthLength: number } {
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  return describe(Solar.fromYmd(year, month, day).getLunar());
}

function describe(lunar: Lunar) {
  const signedMonth = lunar.getMonth();
  const lunarYear = lunar.getYear();
  return {
    lunarYear,
    month: Math.abs(signedMonth),
    day: lunar.getDay(),
    leap: signedMonth < 0,
    monthLength: LunarMonth.fromYm(lunarYear, signedMonth)!.getDayCount(),
  };
}

export function assertLunarMonthDay(month: number, day: number): void {
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new RangeError(`lunar month must be 1-12, got ${month}`);
  if (!Number.isInteger(day) || day < 1 || day > 30) throw new RangeError(`lunar day must be 1-30, got ${day}`);
}
