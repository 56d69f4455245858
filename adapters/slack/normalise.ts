import type { InboundMessage } from "../../src/core/channel.ts";

/** The parts of Slack payloads Tend reads; the rest is kept untouched in `raw`. */
export interface MessageEventView {
  type: string;
  subtype?: string;
  channel?: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
}

export interface EventEnvelopeView {
  event_id?: string;
}

export interface BlockActionsView {
  type: string;
  user?: { id?: string; name?: string; username?: string };
  channel?: { id?: string };
  container?: { channel_id?: string };
  trigger_id?: string;
}

export interface ActionView {
  type?: string;
  action_id?: string;
  value?: string;
  action_ts?: string;
}

export interface SlashCommandView {
  command?: string;
  text?: string;
  user_id?: string;
  channel_id?: string;
  trigger_id?: string;
}

export const slackAddress = (conversationId: string) => `slack:${conversationId}`;

/** The conversation (or, for a first message, the user) in an address this adapter made; undefined for anything else. */
export function conversationFromAddress(address: string): string | undefined {
  return /^slack:([A-Z0-9]{2,40})$/.exec(address)?.[1];
}

/** Direct-message conversations ("IM channels") have ids starting with D. */
export function isDirectConversation(id: string | undefined): id is string {
  return typeof id === "string" && /^D[A-Z0-9]+$/.test(id);
}

/** A user id (U… or, on Enterprise Grid, W…) rather than a conversation. */
export function isUserId(id: string): boolean {
  return /^[UW][A-Z0-9]+$/.test(id);
}

/**
 * Slack's message text as the customer typed it: links and mentions (`<https://x|label>`,
 * `<@U123>`) become their label, and the three escaped characters are restored.
 */
export function fromSlackText(text: string): string {
  return text
    .replace(/<([^<>|]*)(?:\|([^<>]*))?>/g, (_all, target: string, label: string | undefined) => {
      if (label) return label;
      if (/^[@#][A-Z0-9]+$/.test(target)) return target;
      if (target.startsWith("!")) return `@${target.slice(1).split("^")[0]}`;
      return target.replace(/^mailto:/, "");
    })
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** A Slack ts ("1700000000.000100") as a time, never in our future. */
export function timeOf(ts: string | undefined, now: Date): Date {
  const ms = ts ? Math.floor(Number.parseFloat(ts) * 1000) : Number.NaN;
  return Number.isFinite(ms) && ms > 0 && ms < now.getTime() ? new Date(ms) : now;
}

/**
 * A `message` event as the engine's InboundMessage, or null when it is not a customer writing to
 * the app: only direct messages (in a channel, points and personal data would be shown to all),
 * only people (not bots, not our own replies), only new messages (edits and deletions are
 * subtypes). `file_share` keeps the words written with a file.
 */
export function normaliseMessage(envelope: EventEnvelopeView, event: MessageEventView, now: Date): InboundMessage | null {
  if (event.type !== "message" || event.channel_type !== "im" || !isDirectConversation(event.channel)) return null;
  if (event.bot_id || !event.user || !event.ts) return null;
  if (event.subtype !== undefined && event.subtype !== "file_share") return null;
  return {
    platform: "slack",
    platformUserId: event.user,
    address: slackAddress(event.channel),
    // channel + ts names the message itself: the same whichever delivery (retry, Socket Mode) carries it.
    platformMessageId: `${event.channel}:${event.ts}`,
    text: fromSlackText(event.text ?? ""),
    receivedAt: timeOf(event.ts, now),
    raw: { ...envelope, event },
  };
}

/** A pressed button in a direct message; the button's value is the Choice id. */
export function normaliseButton(body: BlockActionsView, action: ActionView, now: Date): InboundMessage | null {
  const conversation = body.channel?.id ?? body.container?.channel_id;
  const user = body.user?.id;
  if (body.type !== "block_actions" || action.type !== "button" || !user || !isDirectConversation(conversation)) return null;
  const id = action.value ?? action.action_id;
  if (!id) return null;
  return {
    platform: "slack",
    platformUserId: user,
    address: slackAddress(conversation),
    platformMessageId: body.trigger_id ? `action:${body.trigger_id}` : `action:${conversation}:${action.action_ts ?? ""}`,
    action: id,
    receivedAt: timeOf(action.action_ts, now),
    raw: body,
  };
}

/**
 * A slash command (e.g. `/tend points`) as the text it carries, answered in the app's direct
 * conversation with that person (`conversation`, opened by the caller): the channel the command was
 * typed in may be one the app cannot write to.
 */
export function normaliseCommand(command: SlashCommandView, conversation: string, now: Date): InboundMessage | null {
  if (!command.user_id || !command.trigger_id) return null;
  return {
    platform: "slack",
    platformUserId: command.user_id,
    address: slackAddress(conversation),
    platformMessageId: `command:${command.trigger_id}`,
    text: fromSlackText(command.text ?? "").trim() || "help",
    receivedAt: now,
    raw: command,
  };
}
