import { z } from "zod";

/** A UTF-16 surrogate without its partner: not a Unicode character, so it has no UTF-8 form. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why PostgreSQL (and PGlite) cannot store this text as written, or null when it can: a text
 * column refuses U+0000, and a lone surrogate (valid in a JSON string escape, "\ud800") is not
 * Unicode. Checked at the edge so the caller hears which field is wrong instead of getting a 500.
 */
export function unstorableTextReason(value: string): string | null {
  if (value.includes("\u0000")) return "must not contain a NUL character (\\u0000)";
  if (LONE_SURROGATE.test(value)) return "must not contain a lone UTF-16 surrogate (text that is not valid Unicode)";
  return null;
}

/** Missing → "is required"; any other non-string → `wrongType`. */
function typeError(wrongType: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? "is required" : wrongType);
}

/**
 * A string the database can store. Every text field of every API, import and staff schema starts
 * from this, so no field can reach PostgreSQL with a NUL or a lone surrogate. The check runs
 * first and stops the field's other checks: one clear reason per field.
 */
export function storableText(wrongType = "must be text") {
  return z.string({ error: typeError(wrongType) }).superRefine((value, ctx) => {
    const reason = unstorableTextReason(value);
    if (reason) ctx.addIssue({ code: "custom", message: reason, continue: false });
  });
}
