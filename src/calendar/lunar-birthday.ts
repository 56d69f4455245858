import { lunarDateToGregorian, type IsoDate } from "./lunar-dates.ts";

/**
 * Gregorian dates in `gregorianYear` on which a lunar birthday (regular month `lunarMonth`, day `lunarDay`)
 * falls: zero, one or two, earliest first. A birthday in a leap month is given here as the month's number and
 * celebrated in the regular month of that number; a 30th falls on the 29th in a month of 29 days.
 *
 * Each lunar year holds the birthday once, but a lunar year straddles two Gregorian years, so a late 11th- or
 * early 12th-month birthday can fall in early January and again in late December of one Gregorian year
 * (lunar 11-30: 2027-01-07 and 2027-12-27), leaving none in the next (2028).
 */
export function lunarBirthdayOccurrencesIn(gregorianYear: number, lunarMonth: number, lunarDay: number): IsoDate[] {
  // Lunar year Y-1 reaches into January/February of Y; lunar year Y ends in January/February of Y+1.
  return [gregorianYear - 1, gregorianYear]
    .map((lunarYear) => lunarDateToGregorian(lunarYear, lunarMonth, lunarDay))
    .filter((date) => date.startsWith(`${gregorianYear}-`));
}

/**
 * The one celebration of a lunar birthday in Gregorian year `gregorianYear`, or null in a year that holds none.
 * Celebrations are counted once per Gregorian year of the celebration, so when the year holds two the first
 * (January) one is the year's celebration and the December one is not celebrated — the same answer the
 * birthday jobs reach by keying their bookings and messages `birthday:<year>`.
 */
export function lunarBirthdayIn(gregorianYear: number, lunarMonth: number, lunarDay: number): IsoDate | null {
  return lunarBirthdayOccurrencesIn(gregorianYear, lunarMonth, lunarDay)[0] ?? null;
}
