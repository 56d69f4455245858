import type { ConversationContext } from "../context.ts";

export async function issueLinkCode(ctx: ConversationContext): Promise<void> {
  const issued = await ctx.services.linking.issueLinkCode(ctx.customer.id);
  const minutes = Math.max(1, Math.round((issued.expiresAt.getTime() - ctx.now().getTime()) / 60_000));
  ctx.reply(ctx.t.linkIssued(issued.code, minutes), { kind: "system" });
}

/** Entering a code joins this chat to the customer who asked for it; from then on that is who we talk to. */
export async function redeemLinkCode(ctx: ConversationContext, code: string): Promise<void> {
  const result = await ctx.services.linking.redeemLinkCode(code, ctx.customer.id, {
    platform: ctx.message.platform,
    origin: ctx.message.origin,
  });
  switch (result.kind) {
    case "linked":
      ctx.customer = result.customer;
      return ctx.reply(ctx.t.linked, { kind: "system" });
    case "expired":
      return ctx.reply(ctx.t.linkExpired, { kind: "system" });
    case "unknown":
      return ctx.reply(ctx.t.linkUnknown, { kind: "system" });
    case "same-customer":
      return ctx.reply(ctx.t.linkSame, { kind: "system" });
    case "rate_limited":
      return ctx.reply(ctx.t.linkRateLimited, { kind: "system" });
  }
}
