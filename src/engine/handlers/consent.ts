import type { ConversationContext } from "../context.ts";

/** STOP ends care and marketing messages in one step. Each change is kept with its time. */
export async function stopMessages(ctx: ConversationContext): Promise<void> {
  const source = `chat:${ctx.message.platform}`;
  const at = ctx.now();
  await ctx.services.customers.setConsent(ctx.customer.id, "care", false, source, at);
  ctx.customer = await ctx.services.customers.setConsent(ctx.customer.id, "marketing", false, source, at);
  ctx.reply(ctx.t.stopped, { kind: "system" });
}

/**
 * START resumes care messages and surveys. Marketing comes back only if STOP is what turned it
 * off: START is not a way to opt someone into marketing they never agreed to.
 */
export async function startMessages(ctx: ConversationContext): Promise<void> {
  const source = `chat:${ctx.message.platform}`;
  const at = ctx.now();
  const marketing = (await ctx.services.customers.consentHistory(ctx.customer.id)).filter((c) => c.topic === "marketing");
  const [beforeStop, lastChange] = marketing.slice(-2);
  const stopTookMarketing = lastChange?.granted === false && lastChange.source.startsWith("chat:") && beforeStop?.granted === true;

  await ctx.services.customers.setConsent(ctx.customer.id, "surveys", true, source, at);
  ctx.customer = await ctx.services.customers.setConsent(ctx.customer.id, "care", true, source, at);
  if (stopTookMarketing) ctx.customer = await ctx.services.customers.setConsent(ctx.customer.id, "marketing", true, source, at);
  ctx.reply(ctx.t.started, { kind: "system" });
}
