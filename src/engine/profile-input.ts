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
