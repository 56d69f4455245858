import { type Action, type MenuItem, parseAction } from "../core/action-ids.ts";
import { assertNever } from "../core/assert-never.ts";
import type { InboundMessage } from "../core/channel.ts";
import type { ConversationContext } from "./context.ts";
import { completeErase, exportData, startErase } from "./handlers/privacy.ts";
import { findConfirmation } from "./handlers/confirmations.ts";
import { startMessages, stopMessages } from "./handlers/consent.ts";
import { handOver } from "./handlers/handover.ts";
import { issueLinkCode, redeemLinkCode } from "./handlers/linking.ts";
import { completeRedeem, refuseCancelAfterRedeem, showPoints, showRewards, startRedeem } from "./handlers/loyalty.ts";
import { setBirthday, setFrequency, setLanguage, setLunarBirthday, setQuietHours, setTimeZone, showProfile } from "./handlers/profile.ts";
import { answerSurvey, inviteCsat, replyToAnswer } from "./handlers/surveys.ts";
import { type Intent, normalise, recogniseIntent } from "./intents.ts";

export type RouteOutcome = "handled" | "unrecognised" | "silent";

/**
 * Intents whose handlers only read: their message is written with its replies, after handling,
 * in one statement. Every other path calls ctx.claim() before its handler may write.
 */
const readOnlyIntents = new Set<Intent["kind"]>(["help", "points", "rewards", "profile"]);
const typedScore = /^\s*(\d{1,2})\s*[.!。！]?\s*$/;

/**
 * Whether a message is a points or rewards question (typed, or the menu's button): its answer
 * reads the customer's ledger, so the inbound read brings the ledger along (one round trip less).
 * Only a hint: a handler that claims the message reads afresh (ConversationContext.ledger).
 */
export function readsLedger(message: Pick<InboundMessage, "text" | "action">): boolean {
  if (message.action) {
    const pressed = parseAction(message.action);
    return pressed?.kind === "menu" && (pressed.item === "points" || pressed.item === "rewards");
  }
  const text = normalise(message.text ?? "");
  const kind = text ? recogniseIntent(text)?.kind : undefined;
  return kind === "points" || kind === "rewards";
}

/** What a customer can do even while staff have the conversation. */
const alwaysAnswered = new Set<Intent["kind"]>(["stop", "start", "export", "erase"]);

const YES = /^(yes|y|ok|confirm|是|确认|好的?)$/i;
const NO = /^(no|n|cancel|否|不|取消)$/i;

/**
 * Picks what to do with one inbound message, in a fixed priority: an answer to something the
 * customer was asked (a survey, a confirmation) first, then buttons and commands, then intents
 * recognised in the text, then a friendly fallback that offers the menu.
 */
export async function route(ctx: ConversationContext): Promise<RouteOutcome> {
  const { action } = ctx.message;
  const text = normalise(ctx.message.text ?? "");
  const intent = text ? recogniseIntent(text) : null;

  // Staff have the conversation: the bot keeps quiet, except that a customer's rights always
  // work: consent (STOP/START) and their data (export, erase and its confirmation).
  if (ctx.customer.handedOverAt) {
    if (intent && alwaysAnswered.has(intent.kind)) return runIntent(ctx, intent);
    const pressed = action ? parseAction(action) : null;
    if (pressed?.kind === "confirm" || pressed?.kind === "cancel") {
      await ctx.claim();
      const confirmation = await findConfirmation(ctx, pressed.confirmationId);
      if (confirmation?.operation.op === "erase") return settleConfirmation(ctx, confirmation, pressed.kind === "confirm");
    }
    return "silent";
  }

  if (action) {
    const parsed = parseAction(action);
    if (parsed?.kind !== "menu") await ctx.claim();
    return routeAction(ctx, parsed);
  }

  if (!text) {
    ctx.replyWithMenu(`${ctx.t.emptyMessage}`);
    return "handled";
  }
  if (text.length > ctx.services.settings.maxTextLength) {
    ctx.reply(ctx.t.tooLong(ctx.services.settings.maxTextLength));
    return "handled";
  }

  // 1. What the customer was asked: the "why?" after a score, a typed score, a typed yes/no.
  if (!intent) {
    // Asked first without writing: most texts answer no question, and then nothing is claimed.
    // A customer with no pending action at all (the inbound read tells) is not asked for one.
    if (ctx.mayHavePendingActions && (await ctx.services.surveys.pendingReasonFor(ctx.customer.id))) {
      await ctx.claim();
      // The reason is kept as the customer wrote it: the normalised text (NFKC, one space) is for
      // recognising commands, and would turn "，！" into ",!" and fold line breaks.
      const reason = await ctx.services.surveys.takeReason(ctx.customer.id, ctx.message.text ?? "");
      if (reason && reason.status !== "empty" && reason.status !== "not_found") {
        ctx.reply(reason.reply, { kind: "survey" });
        return "handled";
      }
    }
    if (typedScore.test(text.normalize("NFKC"))) {
      await ctx.claim();
      const answered = await ctx.services.surveys.answerFromText(ctx.customer.id, text);
      if (answered) {
        replyToAnswer(ctx, answered);
        return "handled";
      }
    }
    if (YES.test(text) || NO.test(text)) {
      await ctx.claim();
      const confirmation = await findConfirmation(ctx, null);
      if (confirmation) return settleConfirmation(ctx, confirmation, YES.test(text));
    }
  }

  // 2 and 3. Commands and recognised intents.
  if (intent) return runIntent(ctx, intent);

  // 4. Fallback.
  ctx.replyWithMenu(ctx.t.fallback);
  return "unrecognised";
}

const menuIntents: Record<MenuItem, Intent> = {
  points: { kind: "points" },
  rewards: { kind: "rewards" },
  rate: { kind: "rate" },
  agent: { kind: "agent" },
  help: { kind: "help" },
};

/** A pressed button; null when its id is none of Tend's (see src/core/action-ids.ts). */
async function routeAction(ctx: ConversationContext, action: Action | null): Promise<RouteOutcome> {
  if (!action) {
    ctx.replyWithMenu(ctx.t.unknownAction);
    return "unrecognised";
  }
  switch (action.kind) {
    case "survey":
      await answerSurvey(ctx, action.invitationId, action.score);
      return "handled";
    case "menu":
      return runIntent(ctx, menuIntents[action.item]);
    case "reward":
      await startRedeem(ctx, action.code);
      return "handled";
    case "confirm":
    case "cancel": {
      const confirmation = await findConfirmation(ctx, action.confirmationId);
      if (!confirmation) {
        ctx.reply(ctx.t.confirmationExpired);
        return "handled";
      }
      return settleConfirmation(ctx, confirmation, action.kind === "confirm");
    }
    default:
      return assertNever(action);
  }
}

async function settleConfirmation(
  ctx: ConversationContext,
  confirmation: NonNullable<Awaited<ReturnType<typeof findConfirmation>>>,
  confirmed: boolean,
): Promise<RouteOutcome> {
  const { operation } = confirmation;
  if (!confirmed) {
    if (operation.op === "redeem" && operation.done) {
      await refuseCancelAfterRedeem(ctx, operation.reward);
      return "handled";
    }
    await ctx.services.pending.remove(confirmation.id);
    ctx.reply(ctx.t.cancelled);
    return "handled";
  }
  if (operation.op === "redeem") {
    // Kept after use: a second tap on the same button must find the first redemption, not book another.
    const redeemed = await completeRedeem(ctx, confirmation.id, operation.reward);
    if (redeemed && !operation.done) await ctx.services.pending.updatePayload(confirmation.id, { ...operation, done: true });
  } else {
    await ctx.services.pending.remove(confirmation.id);
    await completeErase(ctx, operation.requestId);
  }
  return "handled";
}

async function runIntent(ctx: ConversationContext, intent: Intent): Promise<RouteOutcome> {
  if (!readOnlyIntents.has(intent.kind)) await ctx.claim();
  switch (intent.kind) {
    case "help":
      ctx.replyWithMenu(ctx.t.welcome(ctx.customer.displayName));
      break;
    case "points":
      await showPoints(ctx);
      break;
    case "rewards":
      await showRewards(ctx);
      break;
    case "redeem":
      await startRedeem(ctx, intent.reward);
      break;
    case "rate":
      await inviteCsat(ctx);
      break;
    case "agent":
      await handOver(ctx, "The customer asked to talk to a person.");
      break;
    case "stop":
      await stopMessages(ctx);
      break;
    case "start":
      await startMessages(ctx);
      break;
    case "export":
      await exportData(ctx);
      break;
    case "erase":
      await startErase(ctx);
      break;
    case "profile":
      showProfile(ctx);
      break;
    case "birthday":
      await setBirthday(ctx, intent.value);
      break;
    case "lunarBirthday":
      await setLunarBirthday(ctx, intent.value);
      break;
    case "timezone":
      await setTimeZone(ctx, intent.value);
      break;
    case "quiet":
      await setQuietHours(ctx, intent.value);
      break;
    case "frequency":
      await setFrequency(ctx, intent.value);
      break;
    case "language":
      await setLanguage(ctx, intent.language);
      break;
    case "link":
      if (intent.code) await redeemLinkCode(ctx, intent.code);
      else await issueLinkCode(ctx);
      break;
    default:
      return assertNever(intent);
  }
  return "handled";
}
