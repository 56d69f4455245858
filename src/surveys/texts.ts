import type { CustomerLanguage } from "../feedback/locale.ts";
import type { SurveyKind } from "./scales.ts";

type Texts = Record<CustomerLanguage, string>;

const questions: Record<SurveyKind, Texts> = {
  csat: {
    en: "How satisfied are you with your recent experience with us? (1 = very dissatisfied, 5 = very satisfied)",
    "zh-CN": "您对最近一次与我们的体验满意吗？（1 = 非常不满意，5 = 非常满意）",
  },
  nps: {
    en: "How likely are you to recommend us to a friend or colleague? (0 = not at all likely, 10 = extremely likely)",
    "zh-CN": "您有多大可能向朋友或同事推荐我们？（0 = 完全不可能，10 = 非常可能）",
  },
};

// Faces help on a small screen; the number stays first so it reads the same in any language.
const csatFaces = ["😞", "🙁", "😐", "🙂", "😄"];

export function surveyQuestion(kind: SurveyKind, language: CustomerLanguage): string {
  return questions[kind][language];
}

export function choiceLabel(kind: SurveyKind, score: number): string {
  return kind === "csat" ? `${score} ${csatFaces[score - 1] ?? ""}`.trim() : String(score);
}

export const surveyReplies = {
  askReason: {
    en: "Thank you! What is the main reason for your score? Just reply with a message.",
    "zh-CN": "谢谢！您给出这个评分的主要原因是什么？直接回复一条消息即可。",
  },
  alreadyAnswered: {
    en: "You have already answered this survey. Thank you!",
    "zh-CN": "您已经回答过这份问卷了，谢谢！",
  },
  expired: {
    en: "Sorry, this survey has closed.",
    "zh-CN": "抱歉，这份问卷已经结束。",
  },
  notFound: {
    en: "Sorry, this survey is not available.",
    "zh-CN": "抱歉，这份问卷无法使用。",
  },
  reasonThanks: {
    en: "Thank you for telling us.",
    "zh-CN": "感谢您告诉我们。",
  },
  reasonFollowedUp: {
    en: "Thank you for telling us. We are sorry about this; someone from our team will look into it.",
    "zh-CN": "感谢您告诉我们。很抱歉给您带来不好的体验，我们的团队会跟进处理。",
  },
} satisfies Record<string, Texts>;

export function outOfRangeReply(min: number, max: number, language: CustomerLanguage): string {
  return language === "zh-CN" ? `请选择 ${min} 到 ${max} 之间的分数。` : `Please choose a score from ${min} to ${max}.`;
}
