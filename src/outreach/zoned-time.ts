/**
 * Wall-clock time in an IANA time zone, from Node's ICU (Intl). Local times are turned into
 * instants by asking the zone for its offset around that date, never by adding hours to "now":
 * adding hours is wrong on the days the clocks change.
 */

export interface LocalDate {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
}

export interface WallClock extends LocalDate {
  hour: number;
  minute: number;
  second: number;
}

const DAY_MS = 86_400_000;

// Making a DateTimeFormat costs far more than using one; a planner asks for thousands of customers.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, found);
  }
  return found;
}

/** What a clock on the wall in `timeZone` shows at `instant`. Throws RangeError for an unknown zone. */
export function wallClockAt(timeZone: string, instant: Date | number): WallClock {
  const parts = formatter(timeZone).formatToParts(instant);
  const value = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((part) => part.type === type)?.value);
  return { year: value("year"), month: value("month"), day: value("day"), hour: value("hour"), minute: value("minute"), second: value("second") };
}

/** The wall clock read as if it were UTC, in ms: the same instant plus the zone's offset. */
function wallAsUtc(clock: WallClock): number {
  return Date.UTC(clock.year, clock.month - 1, clock.day, clock.hour, clock.minute, clock.second);
}

/** The zone's offset from UTC at `instant`, in ms (e.g. -5 h in New York in winter). */
function offsetAt(timeZone: string, instant: number): number {
  const wholeSecond = Math.floor(instant / 1000) * 1000;
  return wallAsUtc(wallClockAt(timeZone, wholeSecond)) - wholeSecond;
}

/** The calendar date after `date`. */
export function nextLocalDate(date: LocalDate): LocalDate {
  const next = new Date(Date.UTC(date.year, date.month - 1, date.day) + DAY_MS);
  return { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
}

/**
 * The instants at which a wall clock in `timeZone` shows `minuteOfDay` (minutes after local
 * midnight) on `date`, earliest first: one on most days, two when the clocks go back through that
 * time, and when the clocks jump over it, the instant of the jump (the first moment the local time
 * is past it).
 */
export function instantsAtLocalTime(timeZone: string, date: LocalDate, minuteOfDay: number): Date[] {
  const wall = Date.UTC(date.year, date.month - 1, date.day, 0, minuteOfDay);
  // A zone changes its offset at most once in two days, so the offsets a day either side are the
  // only two that can apply.
  const before = offsetAt(timeZone, wall - DAY_MS);
  const after = offsetAt(timeZone, wall + DAY_MS);
  const candidates = [...new Set([wall - before, wall - after])].sort((a, b) => a - b);
  const valid = candidates.filter((instant) => instant + offsetAt(timeZone, instant) === wall);
  if (valid.length > 0) return valid.map((instant) => new Date(instant));
  return [new Date(offsetChange(timeZone, candidates[0]!, candidates[candidates.length - 1]!))];
}

/** The first whole second in (lo, hi] with the offset `hi` has, given that `lo` has another. */
function offsetChange(timeZone: string, lo: number, hi: number): number {
  const target = offsetAt(timeZone, hi);
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (offsetAt(timeZone, mid) === target) hi = mid;
    else lo = mid;
  }
  return hi;
}
