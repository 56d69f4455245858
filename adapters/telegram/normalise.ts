import type { Update } from "telegraf/types";
import type { InboundMessage } from "../../src/core/channel.ts";

/** The parts of an update Tend reads; the Bot API sends more, kept untouched in `raw`. */
interface UserView {
  id: number;
  is_bot?: boolean;
  first_name?: string;
  last_name?: string;
  language_code?: string;
}
interface MessageView {
  message_id: number;
  date?: number;
  chat: { id: number; type: string };
  from?: UserView;
  text?: string;
  caption?: string;
}
interface CallbackQueryView {
  id: string;
  from: UserView;
  message?: { chat?: { id: number; type: string } };
  data?: string;
}

export interface NormalisedUpdate {
  /** Where replies go; set whenever `inbound` is. */
  chatId?: number;
  /** Set for button presses: the query must be answered, or the button keeps spinning. */
  callbackQueryId?: string;
  /** What the engine gets; absent when the update is acknowledged but not for the engine. */
  inbound?: InboundMessage;
}

/** Bot commands as the text the engine understands; other commands lose their slash (/birthday 1990-05-12). */
const commands: Record<string, string> = {
  start: "/start",
  help: "/help",
  menu: "/menu",
  points: "/points",
  rewards: "/rewards",
  feedback: "/feedback",
  rate: "rate us",
  stop: "stop",
  resume: "start",
  mydata: "my data",
  agent: "agent",
};

export function commandText(text: string): string {
  const match = /^\/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]+)?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!match?.[1]) return text;
  const name = match[1].toLowerCase();
  // A /start deep-link payload or words after /points carry nothing the engine uses.
  return commands[name] ?? `${name} ${match[2]?.trim() ?? ""}`.trim();
}

export const telegramAddress = (chatId: number | string) => `telegram:${chatId}`;

/** The chat id in an address this adapter made; undefined for anything else. */
export function chatIdFromAddress(address: string): number | undefined {
  const match = /^telegram:(-?\d{1,20})$/.exec(address);
  return match?.[1] ? Number(match[1]) : undefined;
}

function displayName(user: UserView): string | undefined {
  const name = [user.first_name, user.last_name].filter(Boolean).join(" ").trim();
  return name || undefined;
}

/**
 * An update as the engine's InboundMessage, or null when it is not for Tend. Only private chats
 * are answered: in a group, points and personal data would be shown to everyone.
 */
export function normaliseUpdate(update: Update, decodeAction: (data: string) => string, now: Date): NormalisedUpdate | null {
  if ("message" in update) {
    const message = update.message as unknown as MessageView;
    const from = message.from;
    if (message.chat.type !== "private" || !from || from.is_bot) return null;
    const written = message.text ?? message.caption;
    const sent = typeof message.date === "number" ? new Date(message.date * 1000) : now;
    return {
      chatId: message.chat.id,
      inbound: {
        platform: "telegram",
        platformUserId: String(from.id),
        address: telegramAddress(message.chat.id),
        // Unique per chat, and the same when Telegram delivers the update again.
        platformMessageId: `${message.chat.id}:${message.message_id}`,
        text: written !== undefined && written.startsWith("/") ? commandText(written) : written,
        displayName: displayName(from),
        locale: from.language_code,
        // When the customer wrote it (a backlog after downtime keeps its times), never in our future.
        receivedAt: sent < now ? sent : now,
        raw: update,
      },
    };
  }
  if ("callback_query" in update) {
    const query = update.callback_query as unknown as CallbackQueryView;
    const chat = query.message?.chat;
    // Inline-mode and group buttons are answered (so they stop spinning) but not handled.
    if (!chat || chat.type !== "private" || query.from.is_bot || query.data === undefined) return { callbackQueryId: query.id };
    const normalised: NormalisedUpdate = { chatId: chat.id, callbackQueryId: query.id };
    normalised.inbound = {
      platform: "telegram",
      platformUserId: String(query.from.id),
      address: telegramAddress(chat.id),
      platformMessageId: `callback:${query.id}`,
      action: decodeAction(query.data),
      displayName: displayName(query.from),
      locale: query.from.language_code,
      receivedAt: now,
      raw: update,
    };
    return normalised;
  }
  return null;
}
