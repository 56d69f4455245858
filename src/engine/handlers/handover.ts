import type { ConversationContext } from "../context.ts";

/**
 * Hands the conversation to staff: the bot goes quiet for this customer until staff release it.
 * The customer service marks it (once, however often asked), opens the handover case and tells
 * staff (`conversation.handed_over`).
 */
export async function handOver(ctx: ConversationContext, why: string): Promise<void> {
  if (ctx.customer.handedOverAt) return ctx.reply(ctx.t.alreadyHandedOver, { kind: "system" });
  const result = await ctx.services.customerService.requestHandover(ctx.customer.id, why);
  ctx.customer = result.customer;
  if (result.status === "already_handed_over") return ctx.reply(ctx.t.alreadyHandedOver, { kind: "system" });
  ctx.reply(ctx.t.handedOver, { kind: "system" });
}
