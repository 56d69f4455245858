import { parseLunarDayZh, parseLunarMonthZh } from "../calendar/lunar-names.ts";

/**
 * Parsing what customers type about themselves. Each returns null when the input is not valid,
 * so the caller can answer with the right hint.
 */

/** YYYY-MM-DD (also with / or .), a real calendar date, not in the future, not before 1900. */
export function parseBirthday(text: string, today: Date): Date | null {
  const match = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(text.trim());
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  if (year < 1900 || date.getTime() > today.getTime()) return null;
  return date;
}

export interface LunarBirthdayInput {
  month: number;
  day: number;
  /** Said to be in a leap month (闰月): stored as the month's number, celebrated in the regular month. */
  leap: boolean;
}

/**
 * A lunar birthday: "8-15", "08/15", "8月15日", "leap 6-10", "八月十五", "正月初一", "腊月三十", "冬月廿三",
 * "闰六月初十"; an optional "lunar"/"农历"/"阴历" in front. Month 1–12, day 1–30.
 */
export function parseLunarBirthday(text: string): LunarBirthdayInput | null {
  let clean = text.trim().replace(/^(?:lunar|农历|阴历|陰曆|農曆)\s*/i, "");
  const leap = /^(?:leap\s*|闰|閏)/i.test(clean);
  clean = clean.replace(/^(?:leap\s*|闰|閏)/i, "").replace(/\s+/g, "");
  let month: number | null = null;
  let day: number | null = null;
  const numeric = /^(\d{1,2})(?:[-/.月])(\d{1,2})[日号]?$/.exec(clean);
  if (numeric) {
    month = Number(numeric[1]);
    day = Number(numeric[2]);
  } else {
    const named = /^(.+?月)(.+)$/.exec(clean);
    if (named) {
      month = parseLunarMonthZh(named[1]!);
      day = parseLunarDayZh(named[2]!);
    }
  }
  if (month === null || day === null || month < 1 || month > 12 || day < 1 || day > 30) return null;
  return { month, day, leap };
}

export function isValidTimeZone(zone: string): boolean {
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(zone) && zone !== "UTC") return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Canonical spelling, e.g. "asia/shanghai" → "Asia/Shanghai". */
export function canonicalTimeZone(zone: string): string {
  return new Intl.DateTimeFormat("en", { timeZone: zone }).resolvedOptions().timeZone;
}

export type QuietHours = { start: number; end: number } | "off";

/** "22:00-08:00", "22-8", "off" / "关闭": minutes after local midnight; may wrap midnight. */
export function parseQuietHours(text: string): QuietHours | null {
  const clean = text.trim().toLowerCase();
  if (["off", "none", "关闭", "无"].includes(clean)) return "off";
  const match = /^(\d{1,2})(?::(\d{2}))?\s*[-–~到至]\s*(\d{1,2})(?::(\d{2}))?$/.exec(clean);
  if (!match) return null;
  const start = toMinutes(match[1], match[2]);
  const end = toMinutes(match[3], match[4]);
  if (start === null || end === null || start === end) return null;
  return { start, end };
}

function toMinutes(hours: string | undefined, minutes: string | undefined): number | null {
  const h = Number(hours);
  const m = minutes === undefined ? 0 : Number(minutes);
  if (!Number.isInteger(h) || !Number.isInteger(m) || h > 23 || m > 59) return null;
  return h * 60 + m;
}

export function formatMinutes(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/** Care messages a week: "2", "2/week", "2 per week", "每周2"; 0 to 14. */
export function parseFrequency(text: string): number | null {
  const match = /^(?:每周\s*)?(\d{1,2})\s*(?:\/\s*week|per week|a week|x|次|条)?(?:\s*\/?\s*周)?$/i.exec(text.trim());
  if (!match) return null;
  const n = Number(match[1]);
  return n >= 0 && n <= 14 ? n : null;
}
