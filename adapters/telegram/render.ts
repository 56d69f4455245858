import type { InlineKeyboardButton, InlineKeyboardMarkup } from "telegraf/types";
import type { Choice, OutboundMessage } from "../../src/core/channel.ts";
import type { CallbackKeys } from "./callback-keys.ts";

/** Telegram's limit on a message's text, counted after entity parsing (so before escaping). */
export const TELEGRAM_TEXT_LIMIT = 4096;

export interface TelegramTextPart {
  /** HTML (parse_mode "HTML"), escaped: customer-supplied names show literally. */
  html: string;
  replyMarkup?: InlineKeyboardMarkup;
}

export interface TelegramDocument {
  fileName: string;
  content: Buffer;
}

export interface RenderedMessage {
  parts: TelegramTextPart[];
  document?: TelegramDocument;
}

/** The three characters Telegram's HTML mode requires escaped; everything else is literal. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * Cuts a text into pieces of at most `limit` UTF-16 units (the unit Telegram counts in): at the
 * last line break in the second half of the window, else at the last space there, else hard
 * (never inside a surrogate pair). The break character itself is dropped.
 */
export function splitText(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const floor = Math.floor(limit / 2);
    let cut = rest.lastIndexOf("\n", limit);
    if (cut < floor) {
      cut = -1;
      for (let i = limit; i >= floor; i--) {
        if (/\s/.test(rest[i] ?? "")) {
          cut = i;
          break;
        }
      }
    }
    if (cut >= floor) {
      parts.push(rest.slice(0, cut));
      rest = rest.slice(cut + 1);
    } else {
      const hard = isHighSurrogate(rest.charCodeAt(limit - 1)) ? limit - 1 : limit;
      parts.push(rest.slice(0, hard));
      rest = rest.slice(hard);
    }
  }
  parts.push(rest);
  // Telegram refuses empty and blank messages.
  return parts.filter((part) => part.trim() !== "");
}

/** Buttons in rows that fit a phone: short labels (survey scores) side by side, long ones alone. */
export function keyboard(choices: Choice[], keys: CallbackKeys): InlineKeyboardMarkup {
  const rows: InlineKeyboardButton[][] = [];
  let row: InlineKeyboardButton[] = [];
  let width = 0;
  for (const choice of choices) {
    const length = [...choice.label].length;
    if (row.length && (row.length >= 5 || width + length > 24)) {
      rows.push(row);
      row = [];
      width = 0;
    }
    row.push({ text: choice.label, callback_data: keys.encode(choice.id) });
    width += length;
  }
  if (row.length) rows.push(row);
  return { inline_keyboard: rows };
}

/** An OutboundMessage as Telegram messages: text parts (buttons on the last) and a document. */
export function renderMessage(message: OutboundMessage, keys: CallbackKeys): RenderedMessage {
  const choices = message.choices?.filter((c) => c.id !== "") ?? [];
  const texts = splitText(message.text);
  // Buttons need a message to hang on.
  if (!texts.length && choices.length) texts.push("…");
  const parts: TelegramTextPart[] = texts.map((text) => ({ html: escapeHtml(text) }));
  const last = parts.at(-1);
  if (last && choices.length) last.replyMarkup = keyboard(choices, keys);
  const rendered: RenderedMessage = { parts };
  if (message.attachment) {
    rendered.document = { fileName: message.attachment.fileName, content: Buffer.from(message.attachment.content, "utf8") };
  }
  return rendered;
}
