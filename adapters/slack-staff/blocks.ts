/**
 * Block Kit pieces for the staff app. Everything customers or staff typed goes out as plain_text
 * (names like `*_x_*` or `<@U1>` show as written, never as formatting or mentions); only our
 * own labels use mrkdwn.
 */

export type Block = Record<string, unknown>;

/** Slack's limits: a section's text 3000 characters, a header 150, a button label 75, a button value 2000. */
const SECTION_MAX = 3000;
const HEADER_MAX = 150;
const BUTTON_MAX = 75;

export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function plain(text: string): { type: "plain_text"; text: string; emoji: false } {
  return { type: "plain_text", text: text === "" ? " " : text, emoji: false };
}

export function header(text: string): Block {
  return { type: "header", text: plain(cut(text, HEADER_MAX)) };
}

export function section(text: string): Block {
  return { type: "section", text: plain(cut(text, SECTION_MAX)) };
}

/** Our own words with emphasis: never put typed-in text here. */
export function mrkdwnSection(text: string): Block {
  return { type: "section", text: { type: "mrkdwn", text: cut(text, SECTION_MAX) } };
}

export function context(text: string): Block {
  return { type: "context", elements: [plain(cut(text, SECTION_MAX))] };
}

export function divider(): Block {
  return { type: "divider" };
}

export function button(label: string, actionId: string, value: string, style?: "primary" | "danger"): Block {
  return { type: "button", text: plain(cut(label, BUTTON_MAX)), action_id: actionId, value, ...(style ? { style } : {}) };
}

export function actions(blockId: string, elements: Block[]): Block {
  return { type: "actions", block_id: blockId, elements };
}

/** "2026-12-02 04:30 UTC", as `tend customer show` prints times. */
export function stamp(date: Date | string | null | undefined): string {
  if (date === null || date === undefined) return "-";
  const d = typeof date === "string" ? new Date(date) : date;
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function oneLine(text: string | null, max = 100): string {
  if (text === null) return "";
  return cut(text.replace(/\s+/g, " ").trim(), max);
}

/** Escapes what mrkdwn would read as markup (for our own texts that quote a value). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
