export { festivalDates, CHINESE_FESTIVALS, DEFAULT_FIXED_FESTIVALS, NEW_YEARS_EVE_KEY } from "./festivals.ts";
export type { FestivalDate, FestivalName, FixedFestival } from "./festivals.ts";
export { lunarBirthdayIn, lunarBirthdayOccurrencesIn } from "./lunar-birthday.ts";
export { gregorianToLunar, lunarDateToGregorian, lunarMonthLength, type IsoDate } from "./lunar-dates.ts";
export { lunarDayNameZh, lunarMonthDayZh, lunarMonthNameZh, parseLunarDayZh, parseLunarMonthZh } from "./lunar-names.ts";
