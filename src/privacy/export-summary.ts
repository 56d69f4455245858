import type { CustomerExport } from "./export-document.ts";

export type SummaryLocale = "en" | "zh-CN";

export interface ExportCounts {
  consentChanges: number;
  channels: number;
  interactions: number;
  orders: number;
  loyaltyEntries: number;
  loyaltyBalance: number;
  surveysSent: number;
  surveysAnswered: number;
  feedbackCases: number;
  pendingMessages: number;
}

export function exportCounts(doc: CustomerExport): ExportCounts {
  return {
    consentChanges: doc.consent.history.length,
    channels: doc.channels.length,
    interactions: doc.interactions.length,
    orders: doc.orders.length,
    loyaltyEntries: doc.loyalty.entries.length,
    loyaltyBalance: doc.loyalty.balance,
    surveysSent: doc.surveys.invitations.length,
    surveysAnswered: doc.surveys.responses.length,
    feedbackCases: doc.feedbackCases.length,
    pendingMessages: doc.pendingMessages.length,
  };
}

export function summaryLocale(locale: string): SummaryLocale {
  return locale.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

/**
 * A few lines the bot sends in chat next to the full file: what the export holds, in counts,
 * never the data itself (a chat preview is no place for it).
 */
export function exportSummaryText(doc: CustomerExport, locale: string): string {
  const c = exportCounts(doc);
  const when = `${doc.exportedAt.slice(0, 16).replace("T", " ")} UTC`;
  if (summaryLocale(locale) === "zh-CN") {
    return [
      `这是截至 ${when} 我们保存的关于您的全部数据：`,
      "• 个人资料与偏好设置",
      `• 同意设置的变更记录：${c.consentChanges} 条`,
      `• 已关联的聊天账号：${c.channels} 个`,
      `• 消息与事件：${c.interactions} 条`,
      `• 订单：${c.orders} 笔`,
      `• 会员积分：余额 ${c.loyaltyBalance} 分，共 ${c.loyaltyEntries} 条记录`,
      `• 问卷：已发送 ${c.surveysSent} 份，已回答 ${c.surveysAnswered} 份`,
      `• 反馈工单：${c.feedbackCases} 个`,
      `• 待发送的消息：${c.pendingMessages} 条`,
      "完整内容请见附带的 JSON 文件。",
    ].join("\n");
  }
  return [
    `Here is everything we hold about you, as of ${when}:`,
    "• Your profile and preferences",
    `• Consent changes: ${c.consentChanges}`,
    `• Linked chat accounts: ${c.channels}`,
    `• Messages and events: ${c.interactions}`,
    `• Orders: ${c.orders}`,
    `• Loyalty: ${c.loyaltyBalance} ${c.loyaltyBalance === 1 ? "point" : "points"} from ${c.loyaltyEntries} ${c.loyaltyEntries === 1 ? "entry" : "entries"}`,
    `• Surveys: ${c.surveysSent} sent, ${c.surveysAnswered} answered`,
    `• Feedback cases: ${c.feedbackCases}`,
    `• Messages waiting to be sent: ${c.pendingMessages}`,
    "The full record is in the attached JSON file.",
  ].join("\n");
}
