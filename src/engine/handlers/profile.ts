import { lunarBirthdayIn } from "../../calendar/index.ts";
import type { ConversationContext } from "../context.ts";
import type { LunarBirthdayShown } from "../texts.ts";
import {
  canonicalTimeZone,
  formatMinutes,
  isValidTimeZone,
  parseBirthday,
  parseFrequency,
  parseLunarBirthday,
  parseQuietHours,
} from "../profile-input.ts";

export async function setBirthday(ctx: ConversationContext, value: string): Promise<void> {
  const birthday = parseBirthday(value, ctx.now());
  if (!birthday) return ctx.reply(ctx.t.birthdayInvalid);
  // The birthday said last is the one celebrated: a Gregorian one replaces a lunar one.
  ctx.customer = await ctx.services.customerService.updateOwnProfile(ctx.customer.id, { birthday, lunarBirthMonth: null, lunarBirthDay: null });
  ctx.reply(ctx.t.birthdaySet(birthday.toISOString().slice(0, 10)));
}

export async function setLunarBirthday(ctx: ConversationContext, value: string): Promise<void> {
  const lunar = parseLunarBirthday(value);
  if (!lunar) return ctx.reply(ctx.t.lunarBirthdayInvalid);
  ctx.customer = await ctx.services.customerService.updateOwnProfile(ctx.customer.id, { lunarBirthMonth: lunar.month, lunarBirthDay: lunar.day });
  ctx.reply(ctx.t.lunarBirthdaySet(lunarBirthdayShown(ctx, lunar.month, lunar.day), lunar.leap));
}

/** The lunar birthday and its Gregorian date this year in the customer's zone (or the next one, in a year without). */
function lunarBirthdayShown(ctx: ConversationContext, month: number, day: number): LunarBirthdayShown {
  const year = Number(localYear(ctx.now(), ctx.customer.timeZone));
  const thisYear = lunarBirthdayIn(year, month, day);
  let next: string | null = null;
  for (let ahead = 1; thisYear === null && next === null && ahead <= 2; ahead++) next = lunarBirthdayIn(year + ahead, month, day);
  return { month, day, thisYear, next };
}

function localYear(at: Date, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric" }).format(at);
  } catch {
    return String(at.getUTCFullYear());
  }
}

export async function setTimeZone(ctx: ConversationContext, value: string): Promise<void> {
  if (!isValidTimeZone(value)) return ctx.reply(ctx.t.timeZoneInvalid);
  const timeZone = canonicalTimeZone(value);
  ctx.customer = await ctx.services.customerService.updateOwnProfile(ctx.customer.id, { timeZone });
  ctx.reply(ctx.t.timeZoneSet(timeZone));
}

export async function setQuietHours(ctx: ConversationContext, value: string): Promise<void> {
  const quiet = parseQuietHours(value);
  if (!quiet) return ctx.reply(ctx.t.quietInvalid);
  if (quiet === "off") {
    ctx.customer = await ctx.services.customerService.updateOwnProfile(ctx.customer.id, { quietHoursStart: null, quietHoursEnd: null });
    return ctx.reply(ctx.t.quietOff);
  }
  ctx.customer = await ctx.services.customerService.updateOwnProfile(ctx.customer.id, { quietHoursStart: quiet.start, quietHoursEnd: quiet.end });
  ctx.reply(ctx.t.quietSet(formatMinutes(quiet.start), formatMinutes(quiet.end)));
}

export async function setFrequency(ctx: ConversationContext, value: string): Promise<void> {
  const perWeek = parseFrequency(value);
  if (perWeek === null) return ctx.reply(ctx.t.frequencyInvalid);
  ctx.customer = await ctx.services.customerService.updateOwnProfile(ctx.customer.id, { maxCareMessagesPerWeek: perWeek });
  ctx.reply(ctx.t.frequencySet(perWeek));
}

export async function setLanguage(ctx: ConversationContext, locale: "en" | "zh-CN"): Promise<void> {
  ctx.customer = await ctx.services.customerService.updateOwnProfile(ctx.customer.id, { locale });
  ctx.reply(ctx.t.languageSet);
}

export function showProfile(ctx: ConversationContext): void {
  const c = ctx.customer;
  ctx.reply(
    ctx.t.profile({
      birthday: c.birthday ? c.birthday.toISOString().slice(0, 10) : null,
      lunarBirthday: c.lunarBirthMonth !== null && c.lunarBirthDay !== null ? lunarBirthdayShown(ctx, c.lunarBirthMonth, c.lunarBirthDay) : null,
      timeZone: c.timeZone,
      quiet: c.quietHoursStart !== null && c.quietHoursEnd !== null ? `${formatMinutes(c.quietHoursStart)}-${formatMinutes(c.quietHoursEnd)}` : null,
      perWeek: c.maxCareMessagesPerWeek,
      care: c.careConsent,
    }),
  );
}
