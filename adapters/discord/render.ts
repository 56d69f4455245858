import { ActionRowBuilder, AttachmentBuilder, ButtonBuilder, ButtonStyle, escapeMarkdown } from "discord.js";
import type { Choice, OutboundMessage } from "../../src/core/channel.ts";

/** Discord's limits for one message. */
export const DISCORD_TEXT_LIMIT = 2000;
export const BUTTONS_PER_ROW = 5;
export const MAX_ROWS = 5;
export const CUSTOM_ID_LIMIT = 100;
export const BUTTON_LABEL_LIMIT = 80;

/** One Discord message, in the shape channel.send, interaction.editReply and followUp all accept. */
export interface DiscordMessagePart {
  content: string;
  components: ActionRowBuilder<ButtonBuilder>[];
  files: AttachmentBuilder[];
  /** Nothing Tend sends may ping anyone, whatever a customer's name contains. */
  allowedMentions: { parse: [] };
}

export interface RenderedMessage {
  parts: DiscordMessagePart[];
  /** Choices that could not become buttons (id over 100 characters, a repeated id, or more than 25). */
  droppedChoices: number;
}

/**
 * Tend's texts are plain: every character a customer typed (a name like `*_[x](y)_*`) must show
 * as typed, so all Discord markdown is escaped, including what discord.js leaves alone by default
 * (masked links, headings, lists) and block quotes and subtext, which it does not escape at all.
 */
export function escapeText(text: string): string {
  return escapeMarkdown(text, { heading: true, bulletedList: true, numberedList: true, maskedLink: true })
    .replace(/^( *)(>)/gm, "$1\\$2")
    .replace(/^( *)-#/gm, "$1\\-#");
}

/**
 * At most how long `piece` becomes once escaped, wherever it ends up in a part: escapeText adds
 * at most one backslash per character, and only before these (a "." only after a digit, a "-"
 * only at a line's start; at the piece's start both are counted, not knowing what comes before).
 */
function escapedLengthBound(piece: string): number {
  return piece.length + (piece.match(/[\\*_`~|[#>]|\d\.|^\./g)?.length ?? 0) + (/^ *-/.test(piece) ? 1 : 0);
}

/**
 * Splits a plain text into Discord messages of at most `limit` characters once escaped, at line
 * breaks where possible, else at spaces, else anywhere but inside a surrogate pair. Each part is
 * escaped on its own: Discord renders every message separately, so a part that starts mid-line
 * ("1. …", "# …") must have its own line-start markdown escaped.
 */
export function splitText(text: string, limit = DISCORD_TEXT_LIMIT): string[] {
  const parts: string[] = [];
  let current: string | undefined;
  let currentLength = 0;
  const close = () => {
    if (current !== undefined) parts.push(current);
    current = undefined;
    currentLength = 0;
  };
  /** Adds a piece to the current part, or starts the next part with it; false when it fits in none. */
  const add = (piece: string, separator: string): boolean => {
    const length = escapedLengthBound(piece);
    if (current !== undefined && currentLength + separator.length + length <= limit) {
      current += separator + piece;
      currentLength += separator.length + length;
      return true;
    }
    close();
    if (length > limit) return false;
    current = piece;
    currentLength = length;
    return true;
  };
  for (const line of text.split("\n")) {
    if (add(line, "\n")) continue;
    let separator = "\n";
    for (const word of line.split(" ")) {
      if (!add(word, separator)) {
        // A word longer than a message: cut between characters (code points), never inside one.
        for (const char of word) if (!add(char, "")) throw new Error("unreachable: one character always fits");
      }
      separator = " ";
    }
  }
  close();
  if (parts.length === 0) parts.push("");
  return parts.map(escapeText);
}

/** Buttons in rows of five; a choice's id is the button's custom_id and comes back when pressed. */
export function buttonRows(choices: Choice[]): { rows: ActionRowBuilder<ButtonBuilder>[]; dropped: number } {
  const seen = new Set<string>();
  const usable = choices.filter((choice) => {
    if (choice.id.length === 0 || choice.id.length > CUSTOM_ID_LIMIT || seen.has(choice.id)) return false;
    seen.add(choice.id);
    return true;
  });
  const kept = usable.slice(0, BUTTONS_PER_ROW * MAX_ROWS);
  const rows: ActionRowBuilder<ButtonBuilder>[] = [];
  for (let i = 0; i < kept.length; i += BUTTONS_PER_ROW) {
    rows.push(
      new ActionRowBuilder<ButtonBuilder>().addComponents(
        kept.slice(i, i + BUTTONS_PER_ROW).map((choice) =>
          new ButtonBuilder()
            .setCustomId(choice.id)
            // Labels are not markdown, only cut to Discord's limit.
            .setLabel(truncate(choice.label || choice.id, BUTTON_LABEL_LIMIT))
            .setStyle(ButtonStyle.Secondary),
        ),
      ),
    );
  }
  return { rows, dropped: choices.length - kept.length };
}

function truncate(text: string, limit: number): string {
  const chars = Array.from(text);
  return chars.length <= limit ? text : `${chars.slice(0, limit - 1).join("")}…`;
}

/** An OutboundMessage as Discord messages: text split at 2000, buttons and file on the last part. */
export function renderMessage(message: OutboundMessage): RenderedMessage {
  const texts = splitText(message.text);
  const { rows, dropped } = buttonRows(message.choices ?? []);
  const files = message.attachment
    ? [new AttachmentBuilder(Buffer.from(message.attachment.content, "utf8"), { name: message.attachment.fileName })]
    : [];
  const parts = texts.map(
    (content, index): DiscordMessagePart => ({
      content,
      components: index === texts.length - 1 ? rows : [],
      files: index === texts.length - 1 ? files : [],
      allowedMentions: { parse: [] },
    }),
  );
  const last = parts.at(-1);
  // An empty text alone is not a message Discord accepts.
  if (last && !last.content && !last.components.length && !last.files.length) parts.pop();
  return { parts, droppedChoices: dropped };
}
