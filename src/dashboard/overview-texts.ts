import { LIFECYCLE_STAGE_LABELS } from "../analytics/lifecycle.ts";
import { RFM_SEGMENT_LABELS, type RfmSegment } from "../analytics/rfm.ts";
import type { DashboardLang } from "./dashboard-texts.ts";

/** The overview's own words (its charts, the figures added with them), in English and Chinese. */
const en = {
  asTable: "As a table",
  chartNote: "Chart; the same figures are in the table below it.",
  csatChart: "CSAT % by week and channel",
  npsChart: "NPS by week and channel",
  responseTitle: "Survey response rate",
  responseDefinition: (from: string) =>
    `Response rate: of the survey invitations (CSAT and NPS) sent since ${from}, the share the customer answered, per channel. Invitations not answered yet count as unanswered.`,
  invitations: "Invitations",
  answered: "Answered",
  allChannels: "All channels",
  stillOpen: "Still open",
  movesTitle: "Lifecycle moves since the last refresh",
  movesHelp: "Customers whose lifecycle stage the latest analytics refresh changed, from the stage they had before it.",
  from: "From",
  to: "To",
  move: "Move",
  noMoves: "No customer changed stage in the latest refresh.",
  firstScored: "Scored for the first time",
  unchanged: "Kept their stage",
  clvTitle: "Predicted customer lifetime value by RFM segment",
  clvHelp: "Predicted CLV is the discounted revenue the purchase models expect from each customer; customers without a prediction are left out of the sum and mean.",
  clvSum: "Predicted CLV, total",
  clvMean: "Predicted CLV, mean",
  withClv: "With a prediction",
  noSegment: "No orders in the window",
  sent: "Sent",
  failed: "Failed or dead",
  deferredFor: (reason: string) => `Deferred: ${reason}`,
  stage: (key: string) => LIFECYCLE_STAGE_LABELS[key as keyof typeof LIFECYCLE_STAGE_LABELS]?.en ?? key,
  segment: (key: string) => (key === "-" ? "No orders in the window" : (RFM_SEGMENT_LABELS[key as RfmSegment]?.en ?? key)),
  reason: (key: string) => key.replace(/_/g, " "),
};

export type OverviewTexts = typeof en;

const zh: OverviewTexts = {
  asTable: "以表格查看",
  chartNote: "图表；相同数据见下方表格。",
  csatChart: "每周各渠道 CSAT %",
  npsChart: "每周各渠道 NPS",
  responseTitle: "调查回复率",
  responseDefinition: (from: string) => `回复率：自 ${from} 起发出的调查邀请（CSAT 与 NPS）中，客户作答的比例，按渠道统计。尚未作答的邀请计为未回复。`,
  invitations: "邀请数",
  answered: "已作答",
  allChannels: "全部渠道",
  stillOpen: "仍可作答",
  movesTitle: "上次刷新以来的生命周期变化",
  movesHelp: "最近一次分析刷新改变了生命周期阶段的客户，以及他们此前所处的阶段。",
  from: "原阶段",
  to: "新阶段",
  move: "变化",
  noMoves: "最近一次刷新中没有客户改变阶段。",
  firstScored: "首次评分",
  unchanged: "阶段未变",
  clvTitle: "各 RFM 分群的预测客户终身价值",
  clvHelp: "预测 CLV 是购买模型预计每位客户将带来的折现收入；没有预测值的客户不计入总额与平均值。",
  clvSum: "预测 CLV 总额",
  clvMean: "预测 CLV 平均值",
  withClv: "有预测值",
  noSegment: "窗口内无订单",
  sent: "已发送",
  failed: "失败或放弃",
  deferredFor: (reason: string) => `已推迟：${reason}`,
  stage: (key: string) => LIFECYCLE_STAGE_LABELS[key as keyof typeof LIFECYCLE_STAGE_LABELS]?.zh ?? key,
  segment: (key: string) => (key === "-" ? "窗口内无订单" : (RFM_SEGMENT_LABELS[key as RfmSegment]?.zh ?? key)),
  reason: (key: string) => ZH_REASONS[key] ?? key.replace(/_/g, " "),
};

/** Short names of the contact policy's defer reasons (contact-policy-reasons.ts) for chart legends. */
const ZH_REASONS: Record<string, string> = {
  handed_over: "人工接管中",
  open_case: "有未结工单",
  paused_by_staff: "员工已暂停",
  poor_rating: "近期差评",
  weekly_cap: "每周上限",
  quiet_hours: "免打扰时段",
};

export function overviewTextsFor(lang: DashboardLang): OverviewTexts {
  return lang === "zh" ? zh : en;
}
