import type { InlineKeyboardButton, InlineKeyboardMarkup } from "telegraf/types";
import type { Choice, OutboundMessage } from "../../src/core/channel.ts";
import type { CallbackKeys } from "./callback-keys.ts";
import { escapeAmpersandAndAngles, splitAtBreaks } from "../shared/text.ts";

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
export const escapeHtml = escapeAmpersandAndAngles;

/** Cuts a text into Telegram messages (Telegram counts UTF-16 units and refuses blank messages). */
export function splitText(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  return splitAtBreaks(text, limit);
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
