import { z } from "zod";
import { supportedLocale } from "../feedback/locale.ts";
import { ORDER_AMOUNT_COLUMN, wholeDigits } from "./column-limits.ts";
import { storableText } from "./storable-text.ts";

/**
 * What the API and the CSV import accept for customers and orders. One set of rules for both, so
 * a row the import rejects is also rejected by the API, with the same reason.
 *
 * Optional customer fields: absent leaves the stored value alone; null (or an empty string) clears
 * a field that may be empty (displayName, email, phone, birthday).
 *
 * Every text field starts from `storableText` (no NUL, no lone surrogate) and every number is
 * bounded by its column (column-limits.ts): nothing valid here can fail in the database.
 */

export interface FieldError {
  /** Dotted field path, e.g. "email" or "tags.2"; empty for the item as a whole. */
  path: string;
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export interface CustomerInput {
  externalId: string;
  displayName?: string | null | undefined;
  email?: string | null | undefined;
  phone?: string | null | undefined;
  /** Midnight UTC of the birthday's calendar date. */
  birthday?: Date | null | undefined;
  /**
   * A lunar (农历) birthday, from `birthdayCalendar: "lunar"` with `birthday` as lunar "MM-DD"; null clears it,
   * and so does `birthdayCalendar: "gregorian"` (the Gregorian birthday is then the one celebrated).
   */
  lunarBirthday?: { month: number; day: number } | null | undefined;
  timeZone?: string | undefined;
  locale?: "en" | "zh-CN" | undefined;
  tags?: string[] | undefined;
  marketingConsent?: boolean | undefined;
}

export interface OrderInput {
  externalId: string;
  customerExternalId: string;
  /** Always two decimals, e.g. "12.50". */
  amount: string;
  currency: string;
  placedAt: Date;
}

export const MAX_TAGS = 50;
const MAX_TAG_LENGTH = 50;
/** The calendar date is already "today" somewhere on Earth up to 14 hours ahead of UTC (Kiribati). */
const EARLIEST_ZONE_AHEAD_MS = 14 * 60 * 60 * 1000;

const blankToNull = (value: unknown) => (typeof value === "string" && value.trim() === "" ? null : value);

const externalId = z.preprocess(
  // Shops often number their records; a whole number is taken as its decimal text.
  (value) => (typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value),
  storableText("must be a text of 1 to 200 characters")
    .trim()
    .min(1, { error: "is required" })
    .max(200, { error: "must be at most 200 characters" }),
);

/** A field that may be cleared: "" and null mean "no value", absent means "leave as is". */
function clearable<T extends z.ZodType>(inner: T) {
  return z.preprocess(blankToNull, inner.nullable().optional());
}

const displayName = storableText().trim().max(200, { error: "must be at most 200 characters" });
const email = storableText()
  .trim()
  .max(254, { error: "must be at most 254 characters" })
  .pipe(z.email({ error: "must be a valid email address" }));
const phone = storableText()
  .trim()
  .regex(/^\+?[0-9][0-9 ().-]{2,39}$/, { error: "must be a phone number: digits, optionally a leading +, spaces, ( ) . -" });

function birthday(now: Date) {
  const latest = isoDate(new Date(now.getTime() + EARLIEST_ZONE_AHEAD_MS));
  return storableText("must be a date as YYYY-MM-DD")
    .trim()
    .transform((value, ctx) => {
      const date = parseCalendarDate(value);
      if (!date) {
        ctx.addIssue({ code: "custom", message: "must be a real date as YYYY-MM-DD" });
        return z.NEVER;
      }
      if (date.getUTCFullYear() < 1900 || value > latest) {
        ctx.addIssue({ code: "custom", message: "must be a date in the past (from 1900 on)" });
        return z.NEVER;
      }
      return date;
    });
}

const LUNAR_BIRTHDAY_HINT = "must be a lunar month-day as MM-DD (month 1-12, day 1-30), e.g. 08-15 for the 15th of the 8th month";
type BirthdayValue = Date | { lunar: { month: number; day: number } };

/** A Gregorian YYYY-MM-DD, or a lunar MM-DD (which birthdayCalendar must then say is lunar). */
function gregorianOrLunarBirthday(now: Date) {
  const gregorian = birthday(now);
  return storableText("must be a date as YYYY-MM-DD")
    .trim()
    .transform((value, ctx): BirthdayValue => {
      const lunar = /^(\d{1,2})-(\d{1,2})$/.exec(value);
      if (!lunar) {
        const parsed = gregorian.safeParse(value);
        if (parsed.success) return parsed.data;
        for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", message: issue.message });
        return z.NEVER;
      }
      const [month, day] = [Number(lunar[1]), Number(lunar[2])];
      if (month < 1 || month > 12 || day < 1 || day > 30) {
        ctx.addIssue({ code: "custom", message: LUNAR_BIRTHDAY_HINT });
        return z.NEVER;
      }
      return { lunar: { month, day } };
    });
}

const birthdayCalendar = storableText('must be "gregorian" or "lunar"')
  .trim()
  .toLowerCase()
  .pipe(z.enum(["gregorian", "lunar"], { error: 'must be "gregorian" or "lunar"' }));

/** Pairs `birthday` with `birthdayCalendar`: a lunar MM-DD needs "lunar", a Gregorian date cannot have it. */
function resolveBirthday<T extends { birthday?: BirthdayValue | null | undefined; birthdayCalendar?: "gregorian" | "lunar" | undefined }>(
  input: T,
  ctx: z.RefinementCtx,
): Omit<T, "birthday" | "birthdayCalendar"> & Pick<CustomerInput, "birthday" | "lunarBirthday"> {
  const { birthday: value, birthdayCalendar: calendar, ...rest } = input;
  const isLunar = value !== null && value !== undefined && !(value instanceof Date);
  if (calendar === "lunar") {
    if (value === undefined) ctx.addIssue({ code: "custom", path: ["birthday"], message: `is required with birthdayCalendar "lunar": ${LUNAR_BIRTHDAY_HINT}` });
    else if (value instanceof Date) ctx.addIssue({ code: "custom", path: ["birthday"], message: `${LUNAR_BIRTHDAY_HINT} when birthdayCalendar is "lunar"` });
    else return { ...rest, lunarBirthday: value === null ? null : value.lunar };
    return z.NEVER;
  }
  if (isLunar) {
    ctx.addIssue({ code: "custom", path: ["birthday"], message: 'must be a date as YYYY-MM-DD (or, for a lunar birthday MM-DD, set birthdayCalendar to "lunar")' });
    return z.NEVER;
  }
  return {
    ...rest,
    ...(value !== undefined ? { birthday: value } : {}),
    // Saying "gregorian" makes the Gregorian birthday the one celebrated: a lunar one is cleared.
    ...(calendar === "gregorian" ? { lunarBirthday: null } : {}),
  };
}

const timeZone = storableText("must be an IANA time zone, e.g. Asia/Shanghai")
  .trim()
  .transform((value, ctx) => {
    const canonical = canonicalTimeZone(value);
    if (!canonical) {
      ctx.addIssue({ code: "custom", message: "must be an IANA time zone, e.g. Asia/Shanghai or America/New_York" });
      return z.NEVER;
    }
    return canonical;
  });

const LOCALE_HINT = 'must be "en" or "zh-CN" (the languages Tend writes in; spellings such as zh, zh-Hans, zh_CN, en-US are taken too)';
const locale = storableText(LOCALE_HINT)
  .trim()
  .transform((value, ctx) => {
    const language = supportedLocale(value);
    if (language) return language;
    ctx.addIssue({ code: "custom", message: LOCALE_HINT });
    return z.NEVER;
  });

const tags = z.preprocess(
  // CSV cells carry tags as "vip;早鸟".
  (value) => (typeof value === "string" ? value.split(";") : value),
  z
    .array(storableText().trim().max(MAX_TAG_LENGTH, { error: `must be at most ${MAX_TAG_LENGTH} characters` }), {
      error: 'must be a list of tags (or "a;b" in CSV)',
    })
    .transform((list) => [...new Set(list.filter((tag) => tag !== ""))])
    .refine((list) => list.length <= MAX_TAGS, { error: `must be at most ${MAX_TAGS} tags` }),
);

export function customerSchema(now: Date) {
  return z.strictObject(
    {
      externalId,
      displayName: clearable(displayName),
      email: clearable(email),
      phone: clearable(phone),
      birthday: clearable(gregorianOrLunarBirthday(now)),
      birthdayCalendar: birthdayCalendar.optional(),
      timeZone: timeZone.optional(),
      locale: locale.optional(),
      tags: tags.optional(),
      marketingConsent: z.boolean({ error: "must be true or false" }).optional(),
    },
    { error: (issue) => (issue.code === "unrecognized_keys" ? undefined : "must be an object") },
  ).transform(resolveBirthday);
}

const AMOUNT_WHOLE_DIGITS = wholeDigits(ORDER_AMOUNT_COLUMN);
const AMOUNT_PATTERN = new RegExp(`^(\\d{1,${AMOUNT_WHOLE_DIGITS}})(?:\\.(\\d{1,${ORDER_AMOUNT_COLUMN.scale}}))?$`);
const amount = z.preprocess(
  // Numbers are read through their shortest decimal text, so 0.1 + 0.2 is refused, not rounded.
  (value) => (typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : value),
  storableText('must be a positive amount, e.g. 12.50 or "12.50"').trim().transform(toAmount),
);

function toAmount(text: string, ctx: z.RefinementCtx): string {
  const match = AMOUNT_PATTERN.exec(text);
  if (!match) {
    ctx.addIssue({
      code: "custom",
      message: new RegExp(`^\\d+\\.\\d{${ORDER_AMOUNT_COLUMN.scale + 1},}$`).test(text)
        ? `must have at most ${ORDER_AMOUNT_COLUMN.scale} decimal places`
        : `must be a positive decimal amount with at most ${ORDER_AMOUNT_COLUMN.scale} decimal places and ${AMOUNT_WHOLE_DIGITS} digits before the point, e.g. 12.50`,
    });
    return z.NEVER;
  }
  const whole = match[1]!.replace(/^0+(?=\d)/, "");
  const cents = (match[2] ?? "").padEnd(ORDER_AMOUNT_COLUMN.scale, "0");
  if (/^0+$/.test(whole) && /^0+$/.test(cents)) {
    ctx.addIssue({ code: "custom", message: "must be greater than 0" });
    return z.NEVER;
  }
  return `${whole}.${cents}`;
}

let currencies: Set<string> | undefined;
const currency = storableText("must be a 3-letter ISO 4217 currency code, e.g. CNY")
  .trim()
  .transform((value, ctx) => {
    const code = value.toUpperCase();
    currencies ??= new Set(Intl.supportedValuesOf("currency"));
    if (!/^[A-Z]{3}$/.test(code) || !currencies.has(code)) {
      ctx.addIssue({ code: "custom", message: "must be a 3-letter ISO 4217 currency code, e.g. CNY, USD, EUR" });
      return z.NEVER;
    }
    return code;
  });

function placedAt(now: Date, maxClockSkewMs: number) {
  return storableText("must be an ISO date-time with offset (2026-03-01T14:30:00+08:00) or a date (2026-03-01)")
    .trim()
    .transform((value, ctx) => {
      const date = parseTimestamp(value);
      if (!date) {
        ctx.addIssue({
          code: "custom",
          message: /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)
            ? "needs a time zone: end it with Z or an offset such as +08:00"
            : "must be an ISO date-time with offset (2026-03-01T14:30:00+08:00) or a date (2026-03-01)",
        });
        return z.NEVER;
      }
      if (date.getTime() > now.getTime() + maxClockSkewMs) {
        ctx.addIssue({ code: "custom", message: "is in the future" });
        return z.NEVER;
      }
      if (date.getUTCFullYear() < 1970) {
        ctx.addIssue({ code: "custom", message: "must be from 1970 on" });
        return z.NEVER;
      }
      return date;
    });
}

export function orderSchema(now: Date, maxClockSkewMs: number) {
  return z.strictObject(
    {
      externalId,
      customerExternalId: externalId,
      amount,
      currency,
      placedAt: placedAt(now, maxClockSkewMs),
    },
    { error: (issue) => (issue.code === "unrecognized_keys" ? undefined : "must be an object") },
  );
}

export function parseCustomer(input: unknown, now: Date): Parsed<CustomerInput> {
  return toParsed(customerSchema(now).safeParse(input));
}

export function parseOrder(input: unknown, now: Date, maxClockSkewMs: number): Parsed<OrderInput> {
  return toParsed(orderSchema(now, maxClockSkewMs).safeParse(input));
}

function toParsed<T>(result: z.ZodSafeParseResult<T>): Parsed<T> {
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, errors: fieldErrors(result.error) };
}

export function fieldErrors(error: z.ZodError): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) errors.push({ path: [...issue.path, key].join("."), message: "is not a known field" });
      continue;
    }
    errors.push({ path: issue.path.map(String).join("."), message: issue.message });
  }
  return errors;
}

/** YYYY-MM-DD of a real calendar date, as midnight UTC; null otherwise. */
export function parseCalendarDate(value: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? date : null;
}

/**
 * An ISO 8601 instant: a date (taken as midnight UTC), or a date-time with Z or an offset. A
 * date-time without a zone is refused: guessing one would shift orders by hours without a word.
 */
export function parseTimestamp(value: string): Date | null {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?))?$/.exec(value);
  if (!match) return null;
  const day = parseCalendarDate(match[1]!);
  if (!day) return null;
  if (match[2] === undefined) return day;
  if (match[6] === undefined) return null;
  const [hours, minutes, seconds] = [Number(match[2]), Number(match[3]), Number(match[4] ?? 0)];
  if (hours > 23 || minutes > 59 || seconds > 59) return null;
  const millis = Number((match[5] ?? "0").padEnd(3, "0").slice(0, 3));
  let offsetMinutes = 0;
  const zone = match[6];
  if (zone !== "Z" && zone !== "z") {
    const digits = zone.slice(1).replace(":", "");
    const offHours = Number(digits.slice(0, 2));
    const offMinutes = Number(digits.slice(2) || 0);
    if (offHours > 23 || offMinutes > 59) return null;
    offsetMinutes = (zone.startsWith("-") ? -1 : 1) * (offHours * 60 + offMinutes);
  }
  return new Date(day.getTime() + ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis - offsetMinutes * 60_000);
}

/** The canonical IANA name (US/Pacific becomes America/Los_Angeles), or null if there is none. */
export function canonicalTimeZone(value: string): string | null {
  // Intl also takes offsets such as "+08:00"; they are not zones and have no daylight saving rules.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(value)) return null;
  try {
    return new Intl.DateTimeFormat("en", { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
