/** The two languages Tend writes to customers in. */
export type CustomerLanguage = "en" | "zh-CN";

/** Any Chinese locale (zh, zh-CN, zh-Hans-SG, …) gets Simplified Chinese; everything else English. */
export function customerLanguage(locale: string | null | undefined): CustomerLanguage {
  return locale?.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}
