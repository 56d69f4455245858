/** The page's own words (Tend's replies come translated from the engine), in the languages Tend speaks. */
export type PageLanguage = "en" | "zh-CN";

export interface PageTexts {
  /** The header and the document title; `name` is WEBCHAT_BUSINESS_NAME when set. */
  title: (name: string | undefined) => string;
  placeholder: string;
  send: string;
  offline: string;
  failed: string;
  /** `{seconds}` is replaced in the page. */
  tooMany: string;
  /** `{error}` is replaced in the page. */
  broken: string;
  noScript: string;
  /** Shown while a person from the business has the conversation; `{name}` is who. */
  withStaff: string;
  withStaffNamed: string;
}

export const pageTexts: Record<PageLanguage, PageTexts> = {
  en: {
    title: (name) => (name ? `Chat with ${name}` : "Chat with us"),
    placeholder: "Type a message… (try: help)",
    send: "Send",
    offline: "Could not reach us. Please check your connection and try again.",
    failed: "Something went wrong. Please try again.",
    tooMany: "Too many messages. Please try again in {seconds} s.",
    broken: "The chat stopped working ({error}). Please reload the page.",
    noScript: "This chat needs JavaScript. Please turn it on and reload the page.",
    withStaff: "A person from our team will answer you here.",
    withStaffNamed: "{name} from our team has this conversation and answers you here.",
  },
  "zh-CN": {
    title: (name) => (name ? `${name} 在线客服` : "在线客服"),
    placeholder: "输入消息…（试试：帮助）",
    send: "发送",
    offline: "无法连接到我们，请检查网络后重试。",
    failed: "出错了，请重试。",
    tooMany: "消息太多，请 {seconds} 秒后再试。",
    broken: "聊天出错了（{error}），请刷新页面。",
    noScript: "此聊天需要 JavaScript，请启用后刷新页面。",
    withStaff: "我们的工作人员会在这里回复您。",
    withStaffNamed: "我们的工作人员 {name} 正在为您服务，会在这里回复您。",
  },
};

/** The language a browser asks for first among the ones the page has (Accept-Language, navigator.language). */
export function pageLanguage(accepted: string | readonly string[] | undefined): PageLanguage {
  const joined = typeof accepted === "string" ? accepted : (accepted ?? []).join(",");
  const first = joined.split(",")[0]?.trim().toLowerCase() ?? "";
  return first.startsWith("zh") ? "zh-CN" : "en";
}
