/**
 * Chinese names of lunar months and days, as calendars print them: 正月…十月, 冬月 (11th), 腊月 (12th);
 * 初一…初十, 十一…十九, 二十, 廿一…廿九, 三十.
 */

const DIGITS = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"] as const;
const MONTH_NAMES = ["正", "二", "三", "四", "五", "六", "七", "八", "九", "十", "冬", "腊"] as const;

export function lunarMonthNameZh(month: number): string {
  return `${MONTH_NAMES[month - 1]}月`;
}

export function lunarDayNameZh(day: number): string {
  if (day <= 10) return `初${DIGITS[day]}`;
  if (day < 20) return `十${DIGITS[day - 10]}`;
  if (day === 20) return "二十";
  if (day < 30) return `廿${DIGITS[day - 20]}`;
  return "三十";
}

/** "八月十五", "腊月三十". */
export function lunarMonthDayZh(month: number, day: number): string {
  return `${lunarMonthNameZh(month)}${lunarDayNameZh(day)}`;
}

const NUMERAL: Record<string, number> = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9, 十: 10 };

/** 1–99 written in Chinese numerals ("十五", "二十三", "三十") or digits; null otherwise. */
function chineseNumber(text: string): number | null {
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const match = /^([一二两三四五六七八九])?(十)?([一二三四五六七八九])?$/.exec(text);
  if (!match || text === "") return null;
  const [, tens, ten, ones] = match;
  if (!ten) return tens && !ones ? NUMERAL[tens]! : null;
  return (tens ? NUMERAL[tens]! : 1) * 10 + (ones ? NUMERAL[ones]! : 0);
}

/** A lunar month name: 正月, 一月…十二月, 冬月, 腊月, 11月; "月" optional before a day. Null if not one. */
export function parseLunarMonthZh(text: string): number | null {
  const name = text.replace(/月$/, "");
  if (name === "正" || name === "元") return 1;
  if (name === "冬") return 11;
  if (name === "腊" || name === "臘") return 12;
  const n = chineseNumber(name);
  return n !== null && n >= 1 && n <= 12 ? n : null;
}

/** A lunar day name: 初一…初十, 十一, 二十, 廿三, 卅, 三十, 15 (with or without 日/号). Null if not one. */
export function parseLunarDayZh(text: string): number | null {
  const name = text.replace(/[日号]$/, "");
  let n: number | null;
  if (name.startsWith("初")) n = chineseNumber(name.slice(1));
  else if (name.startsWith("廿")) n = name.length === 1 ? 20 : 20 + (chineseNumber(name.slice(1)) ?? 99);
  else if (name === "卅") n = 30;
  else n = chineseNumber(name);
  if (name.startsWith("初") && n !== null && n > 10) return null;
  return n !== null && n >= 1 && n <= 30 ? n : null;
}
