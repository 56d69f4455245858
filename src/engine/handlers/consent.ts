import type { ConversationContext } from "../context.ts";

/** STOP ends care and marketing messages in one step; START brings both back. Each change is kept with its time. */
export async function stopMessages(ctx: ConversationContext): Promise<void> {
  const source = `chat:${ctx.message.platform}`;
  const at = ctx.now();
  await ctx.services.customers.setConsent(ctx.customer.id, "care", false, source, at);
  ctx.customer = await ctx.services.customers.setConsent(ctx.customer.id, "marketing", false, source, at);
  ctx.reply(ctx.t.stopped, { kind: "system" });
}

export async function startMessages(ctx: ConversationContext): Promise<void> {
  const source = `chat:${ctx.message.platform}`;
  const at = ctx.now();
  await ctx.services.customers.setConsent(ctx.customer.id, "care", true, source, at);
  await ctx.services.customers.setConsent(ctx.customer.id, "surveys", true, source, at);
  ctx.customer = await ctx.services.customers.setConsent(ctx.customer.id, "marketing", true, source, at);
  ctx.reply(ctx.t.started, { kind: "system" });
}
