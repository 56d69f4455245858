import type { ConversationContext } from "../context.ts";
import {
  canonicalTimeZone,
  formatMinutes,
  isValidTimeZone,
  parseBirthday,
  parseFrequency,
  parseQuietHours,
} from "../profile-input.ts";

export async function setBirthday(ctx: ConversationContext, value: string): Promise<void> {
  const birthday = parseBirthday(value, ctx.now());
  if (!birthday) return ctx.reply(ctx.t.birthdayInvalid);
  ctx.customer = await ctx.services.customers.update(ctx.customer.id, { birthday });
  ctx.reply(ctx.t.birthdaySet(birthday.toISOString().slice(0, 10)));
}

export async function setTimeZone(ctx: ConversationContext, value: string): Promise<void> {
  if (!isValidTimeZone(value)) return ctx.reply(ctx.t.timeZoneInvalid);
  const timeZone = canonicalTimeZone(value);
  ctx.customer = await ctx.services.customers.update(ctx.customer.id, { timeZone });
  ctx.reply(ctx.t.timeZoneSet(timeZone));
}

export async function setQuietHours(ctx: ConversationContext, value: string): Promise<void> {
  const quiet = parseQuietHours(value);
  if (!quiet) return ctx.reply(ctx.t.quietInvalid);
  if (quiet === "off") {
    ctx.customer = await ctx.services.customers.update(ctx.customer.id, { quietHoursStart: null, quietHoursEnd: null });
    return ctx.reply(ctx.t.quietOff);
  }
  ctx.customer = await ctx.services.customers.update(ctx.customer.id, { quietHoursStart: quiet.start, quietHoursEnd: quiet.end });
  ctx.reply(ctx.t.quietSet(formatMinutes(quiet.start), formatMinutes(quiet.end)));
}

export async function setFrequency(ctx: ConversationContext, value: string): Promise<void> {
  const perWeek = parseFrequency(value);
  if (perWeek === null) return ctx.reply(ctx.t.frequencyInvalid);
  ctx.customer = await ctx.services.customers.update(ctx.customer.id, { maxCareMessagesPerWeek: perWeek });
  ctx.reply(ctx.t.frequencySet(perWeek));
}

export async function setLanguage(ctx: ConversationContext, locale: "en" | "zh-CN"): Promise<void> {
  ctx.customer = await ctx.services.customers.update(ctx.customer.id, { locale });
  ctx.reply(ctx.t.languageSet);
}

export function showProfile(ctx: ConversationContext): void {
  const c = ctx.customer;
  ctx.reply(
    ctx.t.profile({
      birthday: c.birthday ? c.birthday.toISOString().slice(0, 10) : null,
      timeZone: c.timeZone,
      quiet: c.quietHoursStart !== null && c.quietHoursEnd !== null ? `${formatMinutes(c.quietHoursStart)}-${formatMinutes(c.quietHoursEnd)}` : null,
      perWeek: c.maxCareMessagesPerWeek,
      care: c.careConsent,
    }),
  );
}
