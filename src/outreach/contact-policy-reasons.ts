import type { CustomerLanguage } from "../feedback/locale.ts";

/**
 * Why the contact policy held a message back. These strings are stable: they are stored on
 * outbox rows, counted in metrics and status, and matched by scripts; only the texts may change.
 */
export const POLICY_REASONS = [
  "erased",
  "no_consent:care",
  "no_consent:marketing",
  "no_consent:survey",
  "handed_over",
  "open_case",
  "paused_by_staff",
  "poor_rating",
  "weekly_cap",
  "quiet_hours",
] as const;

export type PolicyReason = (typeof POLICY_REASONS)[number];

const texts: Record<PolicyReason, Record<CustomerLanguage, string>> = {
  erased: {
    en: "The customer's data was erased: Tend sends them nothing.",
    "zh-CN": "该客户的数据已删除：不再向其发送任何消息。",
  },
  "no_consent:care": {
    en: "The customer has not agreed to care messages.",
    "zh-CN": "客户未同意接收关怀消息。",
  },
  "no_consent:marketing": {
    en: "The customer has not agreed to marketing messages.",
    "zh-CN": "客户未同意接收营销消息。",
  },
  "no_consent:survey": {
    en: "The customer has not agreed to surveys.",
    "zh-CN": "客户未同意参与问卷调查。",
  },
  handed_over: {
    en: "Staff have taken over the conversation.",
    "zh-CN": "对话已转交人工客服。",
  },
  open_case: {
    en: "The customer has an open feedback case.",
    "zh-CN": "客户有尚未关闭的反馈工单。",
  },
  paused_by_staff: {
    en: "Staff paused outreach to this customer.",
    "zh-CN": "员工已暂停对该客户的主动联系。",
  },
  poor_rating: {
    en: "The customer gave a poor rating recently.",
    "zh-CN": "客户近期给出了低评分。",
  },
  weekly_cap: {
    en: "The customer's limit of messages in 7 days is reached.",
    "zh-CN": "已达到客户 7 天内的消息上限。",
  },
  quiet_hours: {
    en: "Quiet hours in the customer's time zone.",
    "zh-CN": "客户所在时区的免打扰时段。",
  },
};

export function isPolicyReason(reason: string): reason is PolicyReason {
  return (POLICY_REASONS as readonly string[]).includes(reason);
}

/** A reason as staff read it (`tend outreach preview`, the dashboard); an unknown reason is shown as it is. */
export function describePolicyReason(reason: string, language: CustomerLanguage = "en"): string {
  return isPolicyReason(reason) ? texts[reason][language] : reason;
}
