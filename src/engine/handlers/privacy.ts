import type { ConversationContext } from "../context.ts";
import { askConfirmation } from "./confirmations.ts";

export async function exportData(ctx: ConversationContext): Promise<void> {
  const result = await ctx.services.privacy.exportCustomerData(ctx.customer.id);
  ctx.reply(result.summary, {
    kind: "system",
    attachment: { fileName: result.fileName, contentType: "application/json", content: JSON.stringify(result.document, null, 2) },
  });
}

export async function startErase(ctx: ConversationContext): Promise<void> {
  const request = await ctx.services.privacy.requestErasure(ctx.customer.id);
  // The confirmation keeps the request's id, not its token: only the token's hash is ever stored.
  await askConfirmation(ctx, { op: "erase", requestId: request.requestId }, ctx.t.confirmErase, "system");
}

export async function completeErase(ctx: ConversationContext, requestId: string): Promise<boolean> {
  const result = await ctx.services.privacy.confirmErasureRequest(ctx.customer.id, requestId, {
    requestedVia: "chat",
    platform: ctx.message.platform,
  });
  if (result.kind !== "erased") {
    ctx.reply(ctx.t.confirmationExpired, { kind: "system" });
    return false;
  }
  ctx.customer = (await ctx.services.customers.findById(ctx.customer.id)) ?? ctx.customer;
  ctx.reply(ctx.t.erased, { kind: "system" });
  return true;
}
