import type { ConversationContext } from "../context.ts";

/** Hands the conversation to staff: the bot goes quiet for this customer until staff release it. */
export async function handOver(ctx: ConversationContext, why: string): Promise<void> {
  if (ctx.customer.handedOverAt) return ctx.reply(ctx.t.alreadyHandedOver, { kind: "system" });
  const at = ctx.now();
  ctx.customer = await ctx.services.customers.update(ctx.customer.id, { handedOverAt: at });
  await ctx.services.feedback.open(ctx.customer.id, "handover", why);
  ctx.services.events.emit("conversation.handed_over", { customerId: ctx.customer.id, at });
  ctx.reply(ctx.t.handedOver, { kind: "system" });
}
