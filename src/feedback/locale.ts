/** The two languages Tend writes to customers in. */
export type CustomerLanguage = "en" | "zh-CN";

/** Any Chinese locale (zh, zh-CN, zh-Hans-SG, …) gets Simplified Chinese; everything else English. */
export function customerLanguage(locale: string | null | undefined): CustomerLanguage {
  return locale?.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

/**
 * The language Tend writes in for a locale someone typed (API, CSV import): any spelling of
 * Chinese (zh, zh-Hans, zh_CN, zh-cn, …) is "zh-CN" and any English (en, en-US, en_GB) is "en", as
 * `customerLanguage` treats them; other languages, and text that is not a BCP 47 tag, are null.
 */
export function supportedLocale(value: string): CustomerLanguage | null {
  let canonical: string | undefined;
  try {
    [canonical] = Intl.getCanonicalLocales(value.trim().replaceAll("_", "-"));
  } catch {
    return null;
  }
  const language = canonical?.split("-")[0]?.toLowerCase();
  if (language === "zh") return "zh-CN";
  if (language === "en") return "en";
  return null;
}
