import type { CustomerSort } from "./customer-list.ts";
import type { DashboardLang } from "./dashboard-texts.ts";

/** The customers table's own words (orders, columns, the estimate, how a search matched) in English and Chinese. */
const en = {
  searchHelp: "Part of a name, @handle, email, phone, platform user id, customer id, external id or order id",
  sorts: { newest: "Newest first", oldest: "Oldest first", name: "Name", active: "Last active", clv: "Predicted CLV" } satisfies Record<CustomerSort, string>,
  lastActive: "Last active",
  predictedClv: "Predicted CLV",
  approximateTotal: (n: string) => `About ${n} customers (an estimate, not a count)`,
  matchedBy: { customer_id: "customer id", external_id: "external id", email: "email", phone: "phone", order_id: "order id", platform_user: "platform user", name: "name" } as Record<string, string>,
  pages: "Pages",
  firstResults: (n: number) => `${n} matches shown, newest first; there may be more: type more of the name to narrow them.`,
};

const zh: typeof en = {
  searchHelp: "姓名的一部分、@账号、邮箱、电话、平台用户 ID、客户 ID、外部 ID 或订单号",
  sorts: { newest: "最新优先", oldest: "最早优先", name: "姓名", active: "最近活跃", clv: "预测客户终身价值" },
  lastActive: "最近活跃",
  predictedClv: "预测客户终身价值",
  approximateTotal: (n: string) => `约 ${n} 位客户（估计值，非精确计数）`,
  matchedBy: { customer_id: "客户 ID", external_id: "外部 ID", email: "邮箱", phone: "电话", order_id: "订单号", platform_user: "平台用户", name: "姓名" },
  pages: "翻页",
  firstResults: (n: number) => `显示 ${n} 个匹配（最新优先），可能还有更多：输入更多姓名可缩小范围。`,
};

export type CustomerListTexts = typeof en;

export function customerListTexts(lang: DashboardLang): CustomerListTexts {
  return lang === "zh" ? zh : en;
}
