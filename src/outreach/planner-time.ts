/** Local calendar dates and wall-clock times in a customer's time zone, DST-correct, for the care planner. */

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** A customer's zone, or UTC when the stored one is not a zone this Node knows (never fails a whole batch). */
export function usableTimeZone(timeZone: string): string {
  try {
    formatter(timeZone);
    return timeZone;
  } catch {
    return "UTC";
  }
}

function wallClock(at: Date, timeZone: string): { date: string; ms: number } {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(at).map((p) => [p.type, p.value]));
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  const ms = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return { date, ms };
}

/** "YYYY-MM-DD" of an instant in a time zone. */
export function localDate(at: Date, timeZone: string): string {
  return wallClock(at, timeZone).date;
}

/** `date` moved by whole days. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The instant at which it is `time` ("HH:MM") on `date` in `timeZone`. A wall-clock time that a
 * spring-forward skips is taken at the same distance after the gap, as clocks show it.
 */
export function localTimeToInstant(date: string, time: string, timeZone: string): Date {
  const wanted = Date.parse(`${date}T${time}:00Z`);
  // The zone's offset is found at a first guess and refined once: enough across any single DST change.
  let guess = wanted;
  for (let i = 0; i < 3; i++) {
    const offset = wallClock(new Date(guess), timeZone).ms - guess;
    const next = wanted - offset;
    if (next === guess) break;
    guess = next;
  }
  return new Date(guess);
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** The date in `year` of a yearly "MM-DD" occasion; 29 February falls on the 28th in common years. */
export function yearlyDate(year: number, monthDay: string): string {
  return monthDay === "02-29" && !isLeapYear(year) ? `${year}-02-28` : `${year}-${monthDay}`;
}

/**
 * Local dates and send instants for one planner run, remembered per zone: every customer of a zone
 * has the same today and the same 10:00, and asking Intl for them once per customer was most of the
 * planner's time. One per run (its `now` is fixed); it holds a few entries per zone in use.
 */
export class ZoneDays {
  private readonly todays = new Map<string, string>();
  private readonly instants = new Map<string, Date>();
  private readonly zones = new Map<string, string>();

  constructor(readonly now: Date) {}

  /** The stored zone if Node knows it, else UTC (as usableTimeZone). */
  zone(timeZone: string): string {
    let zone = this.zones.get(timeZone);
    if (zone === undefined) {
      zone = usableTimeZone(timeZone);
      this.zones.set(timeZone, zone);
    }
    return zone;
  }

  /** "YYYY-MM-DD" of `now` in a usable zone. */
  today(zone: string): string {
    let today = this.todays.get(zone);
    if (today === undefined) {
      today = localDate(this.now, zone);
      this.todays.set(zone, today);
    }
    return today;
  }

  /** "YYYY-MM-DD" of the day after `now` in a usable zone. */
  tomorrow(zone: string): string {
    const key = `+1 ${zone}`;
    let tomorrow = this.todays.get(key);
    if (tomorrow === undefined) {
      tomorrow = addDays(this.today(zone), 1);
      this.todays.set(key, tomorrow);
    }
    return tomorrow;
  }

  /** localTimeToInstant, remembered; callers must not change the Date. */
  instant(date: string, time: string, zone: string): Date {
    const key = `${date} ${time} ${zone}`;
    let at = this.instants.get(key);
    if (at === undefined) {
      at = localTimeToInstant(date, time, zone);
      this.instants.set(key, at);
    }
    return at;
  }
}
