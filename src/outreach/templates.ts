/**
 * Care message templates: one text per locale with {placeholders}. Rendering substitutes plain
 * text and escapes nothing, because each adapter escapes for its own platform.
 */

export const placeholders = ["name", "tier", "points", "reward", "festival"] as const;
export type Placeholder = (typeof placeholders)[number];
export type TemplateValues = Partial<Record<Placeholder, string | number>>;

/** Texts by locale ("en", "zh-CN"); "en" is required and is what a missing locale falls back to. */
export type LocalizedTemplate = { en: string } & Record<string, string>;

const placeholderPattern = /\{([^{}]*)\}/g;

/** The names a template refers to, in order of first use. */
export function placeholdersIn(template: string): string[] {
  return [...new Set([...template.matchAll(placeholderPattern)].map((match) => match[1]!))];
}

/** The placeholders of `template` that are not in `allowed`: each one is an error in the plans file. */
export function unknownPlaceholders(template: string, allowed: readonly Placeholder[]): string[] {
  return placeholdersIn(template).filter((name) => !(allowed as readonly string[]).includes(name));
}

/** The template text for a customer's locale: exact match, then the same language, then English. */
export function templateFor(template: LocalizedTemplate, locale: string): string {
  if (template[locale] !== undefined) return template[locale];
  const language = locale.split("-")[0]!.toLowerCase();
  const sameLanguage = Object.keys(template).find((key) => key.split("-")[0]!.toLowerCase() === language);
  return sameLanguage ? template[sameLanguage]! : template.en;
}

/** Fills the placeholders; one without a value becomes empty text rather than "{name}" reaching a customer. */
export function renderTemplate(template: LocalizedTemplate, locale: string, values: TemplateValues): string {
  return templateFor(template, locale).replace(placeholderPattern, (_, name: string) => {
    const value = values[name as Placeholder];
    return value === undefined ? "" : String(value);
  });
}
