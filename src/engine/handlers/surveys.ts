import type { AnswerResult } from "../../surveys/survey-service.ts";
import type { ConversationContext } from "../context.ts";

export async function inviteCsat(ctx: ConversationContext): Promise<void> {
  const result = await ctx.services.surveys.invite(ctx.customer.id, "csat", ctx.message.platform, "chat");
  if (result.status === "invited") return ctx.reply(result.question, { kind: "survey", choices: result.choices });
  ctx.reply(result.reason === "no_consent" ? ctx.t.surveyNoConsent : ctx.t.surveyRefused, { kind: "survey" });
}

export async function answerSurvey(ctx: ConversationContext, invitationId: string, score: number): Promise<void> {
  replyToAnswer(ctx, await ctx.services.surveys.answer(invitationId, ctx.customer.id, score));
}

export function replyToAnswer(ctx: ConversationContext, result: AnswerResult): void {
  ctx.reply(result.reply, { kind: "survey" });
}
