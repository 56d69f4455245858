import { actionId } from "../../core/action-ids.ts";
import type { Reward } from "../../db/repositories/reward-repository.ts";
import { tierNameIn } from "../../loyalty/tiers.ts";
import type { ConversationContext } from "../context.ts";
import { askConfirmation } from "./confirmations.ts";

function rewardName(ctx: ConversationContext, reward: Reward): string {
  return ctx.language === "zh-CN" && reward.nameZh ? reward.nameZh : reward.name;
}

function formatDate(ctx: ConversationContext, date: Date): string {
  return new Intl.DateTimeFormat(ctx.language, { dateStyle: "medium", timeZone: ctx.customer.timeZone }).format(date);
}

export async function showPoints(ctx: ConversationContext): Promise<void> {
  const summary = await ctx.services.loyalty.summary(ctx.customer.id, { known: true, entries: ctx.ledger });
  const { tiers, tierWindowMonths } = ctx.services.loyalty.settings;
  const tierName = (name: string) => tierNameIn(tiers, name, ctx.language);
  const lines = [ctx.t.points(summary.balance, tierName(summary.tier))];
  lines.push(
    summary.tierBasis === "spend"
      ? ctx.t.tierCountsSpend(tierWindowMonths, summary.tierProgress)
      : ctx.t.tierCountsPoints(tierWindowMonths, summary.tierProgress),
  );
  if (!summary.nextTier) lines.push(ctx.t.topTier);
  else if (summary.tierBasis === "spend") lines.push(ctx.t.nextTierSpend(summary.nextTier.missing, tierName(summary.nextTier.name)));
  else lines.push(ctx.t.nextTierPoints(summary.nextTier.missing, tierName(summary.nextTier.name)));
  if (summary.expiringSoon.points > 0 && summary.expiringSoon.earliestAt) {
    lines.push(ctx.t.expiring(summary.expiringSoon.points, formatDate(ctx, summary.expiringSoon.earliestAt)));
  }
  ctx.reply(lines.join("\n"), { kind: "loyalty", choices: [{ id: actionId({ kind: "menu", item: "rewards" }), label: ctx.t.buttonRewards }] });
}

export async function showRewards(ctx: ConversationContext, intro?: string): Promise<void> {
  const [rewards, balance] = await Promise.all([ctx.services.loyalty.listRewards(), ctx.services.loyalty.balance(ctx.customer.id, ctx.ledger)]);
  if (rewards.length === 0) {
    ctx.reply(ctx.t.noRewards, { kind: "loyalty" });
    return;
  }
  const lines = [intro ?? ctx.t.rewardsHeader(balance), ...rewards.map((r) => ctx.t.rewardLine(rewardName(ctx, r), r.cost))];
  ctx.reply(lines.join("\n"), {
    kind: "loyalty",
    choices: rewards.slice(0, 10).map((r) => ({ id: actionId({ kind: "reward", code: r.code }), label: `${rewardName(ctx, r)} (${r.cost})` })),
  });
}

async function findReward(ctx: ConversationContext, wanted: string): Promise<Reward | null> {
  const needle = wanted.trim().toLowerCase();
  const rewards = await ctx.services.loyalty.listAllRewards();
  return (
    rewards.find((r) => r.code.toLowerCase() === needle) ??
    rewards.find((r) => r.name.toLowerCase() === needle || r.nameZh === wanted.trim()) ??
    null
  );
}

/** First step of a redemption: explain, or ask to confirm. Nothing is booked until confirmed. */
export async function startRedeem(ctx: ConversationContext, wanted: string | null): Promise<void> {
  if (!wanted) return showRewards(ctx);
  const reward = await findReward(ctx, wanted);
  if (!reward) return showRewards(ctx, ctx.t.rewardUnknown(wanted));
  if (!reward.active) {
    ctx.reply(ctx.t.rewardInactive(rewardName(ctx, reward)), { kind: "loyalty" });
    return;
  }
  const balance = await ctx.services.loyalty.balance(ctx.customer.id);
  if (balance < reward.cost) {
    ctx.reply(ctx.t.insufficient(rewardName(ctx, reward), reward.cost, balance), { kind: "loyalty" });
    return;
  }
  await askConfirmation(ctx, { op: "redeem", reward: reward.code }, ctx.t.confirmRedeem(rewardName(ctx, reward), reward.cost, balance), "loyalty");
}

/**
 * The confirmed redemption. The idempotency key is the confirmation's id, so a double tap or a
 * retried request finds the first redemption instead of booking a second. True when the reward
 * is redeemed (now or before).
 */
export async function completeRedeem(ctx: ConversationContext, confirmationId: string, rewardCode: string): Promise<boolean> {
  const result = await ctx.services.loyalty.redeem(ctx.customer.id, rewardCode, `redeem:${confirmationId}`);
  switch (result.status) {
    case "ok":
      ctx.reply(ctx.t.redeemed(rewardName(ctx, result.reward), result.balance), { kind: "loyalty" });
      return true;
    case "already_done":
      ctx.reply(ctx.t.alreadyRedeemed(result.reward ? rewardName(ctx, result.reward) : rewardCode), { kind: "loyalty" });
      return true;
    case "insufficient":
      ctx.reply(ctx.t.insufficient(rewardName(ctx, result.reward), result.cost, result.balance), { kind: "loyalty" });
      return false;
    case "inactive_reward":
      ctx.reply(ctx.t.rewardInactive(rewardName(ctx, result.reward)), { kind: "loyalty" });
      return false;
    case "unknown_reward":
      await showRewards(ctx, ctx.t.rewardUnknown(rewardCode));
      return false;
  }
}

/** "Cancel" on a redemption that already went through: say so instead of "nothing was changed". */
export async function refuseCancelAfterRedeem(ctx: ConversationContext, rewardCode: string): Promise<void> {
  const reward = (await ctx.services.loyalty.listAllRewards()).find((r) => r.code === rewardCode);
  ctx.reply(ctx.t.redeemNotCancellable(reward ? rewardName(ctx, reward) : rewardCode), { kind: "loyalty" });
}
