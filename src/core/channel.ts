/**
 * The channel port: what the engine needs from a chat platform, and what every adapter under
 * adapters/<platform>/ implements. The engine never sees a platform's own types.
 */
/** The one list of platforms; prisma/schema.prisma's enum Platform must match it (test/channel-architecture.test.ts). */
export const platforms = ["telegram", "discord", "slack", "web"] as const;
export type Platform = (typeof platforms)[number];

/** A button. `id` comes back as InboundMessage.action when pressed. */
export interface Choice {
  id: string;
  label: string;
}

export interface Attachment {
  fileName: string;
  contentType: string;
  content: string;
}

export interface OutboundMessage {
  text: string;
  choices?: Choice[] | undefined;
  attachment?: Attachment | undefined;
}

export interface InboundMessage {
  platform: Platform;
  /** The platform's id of the person writing. */
  platformUserId: string;
  /** Where replies go; opaque to the engine, only the adapter takes it apart. */
  address: string;
  /** The platform's message (or button press) id: the same id twice is one message. */
  platformMessageId?: string | undefined;
  text?: string | undefined;
  /** The id of a pressed button (a Choice id). */
  action?: string | undefined;
  displayName?: string | undefined;
  /** The platform's language hint for this person, e.g. "zh-hans" or "en-US". */
  locale?: string | undefined;
  /**
   * The network address the message came from, where the channel sees one (the web chat's client
   * IP). Anyone can make new web identities, so limits that must hold across identities (wrong link
   * codes) count per origin too.
   */
  origin?: string | undefined;
  receivedAt: Date;
  /** The platform payload as received; the engine never reads it. */
  raw: unknown;
}

export interface SendReceipt {
  platformMessageId?: string | undefined;
}

export interface ChannelAdapter {
  readonly platform: Platform;
  /**
   * Begins receiving; every inbound message goes to `handle`, whose replies the adapter delivers.
   * A push platform's adapter tells `report` what became of those replies, so the timeline shows a
   * reply that did not arrive as failed, and one that did with its platform message id.
   */
  start(handle: InboundHandler, report?: ReplyReporter): Promise<void>;
  stop(): Promise<void>;
  /** Sends a message the customer did not just ask for (a follow-up, a care message). */
  send(address: string, message: OutboundMessage): Promise<SendReceipt>;
}

export type InboundHandler = (message: InboundMessage) => Promise<OutboundMessage[]>;

/** What became of one reply: sent (with the platform's id when it gives one) or not, and why. */
export type ReplyOutcome = { reply: OutboundMessage; sent: true; platformMessageId?: string | undefined } | { reply: OutboundMessage; sent: false; error: string };

/** The fate of the replies `handle` gave for `message`, in the order they were given. */
export type ReplyReporter = (message: InboundMessage, outcomes: ReplyOutcome[]) => Promise<void>;

/** One message of a person's conversation on one channel, as a client that keeps no history of its own shows it. */
export interface ConversationEntry {
  /** The same message fetched twice has the same id. */
  id: string;
  /** "in": the person wrote it (for a button press, `text` is the button's label); "out": Tend did. */
  direction: "in" | "out";
  text: string;
  choices?: Choice[] | undefined;
  /** Outbound with buttons: one of them was pressed later, so they are spent. */
  answered: boolean;
  /** Outbound: Tend sent it on its own (a follow-up, a survey), not as a reply. */
  proactive: boolean;
  at: Date;
}

export interface Conversation {
  /** The language Tend speaks to this person, or undefined when Tend does not know them yet. */
  language: "en" | "zh-CN" | undefined;
  /** Oldest first. */
  entries: ConversationEntry[];
  /** Set while staff have the conversation (the bot is quiet): `to` names who, null while nobody took it yet. */
  handedOver?: { to: string | null } | undefined;
}

/**
 * What a channel may ask the engine besides handing it messages, for clients that keep nothing
 * themselves (the web chat's page). The composition root provides it in the factory context.
 */
export interface ConversationAccess {
  /** Whether this identity already belongs to a customer (the first message of a new one creates it). */
  knows(platform: Platform, platformUserId: string): Promise<boolean>;
  /** The latest `limit` messages of this identity on its platform. */
  recent(platform: Platform, platformUserId: string, limit: number): Promise<Conversation>;
  /** Messages Tend sent on its own at or after `since` (a client drops the ones it already shows by id). */
  proactiveSince(platform: Platform, platformUserId: string, since: Date): Promise<Conversation>;
  /** The answers already given to a message, for a client that retries a request it lost the response to. */
  previousReplies(platform: Platform, platformUserId: string, platformMessageId: string): Promise<OutboundMessage[]>;
}

export type ChannelErrorKind =
  /** Too many messages: try again after `retryAfterMs`. */
  | "rate_limited"
  /** The person cannot be reached here: blocked the bot, closed DMs, left. Retrying will not help. */
  | "unreachable"
  /** The platform or the network failed; a later retry may work. */
  | "transient"
  /** The platform refused the message itself (too long, malformed); retrying the same will fail. */
  | "rejected";

export class ChannelError extends Error {
  readonly kind: ChannelErrorKind;
  readonly platform: Platform;
  readonly retryAfterMs: number | undefined;

  constructor(platform: Platform, kind: ChannelErrorKind, message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(`${platform}: ${message}`, { cause: options.cause });
    this.name = "ChannelError";
    this.platform = platform;
    this.kind = kind;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * Thrown by an adapter's start() when it cannot run with its settings (a wrong token, say);
 * `variable` names the setting to fix. Tend logs it and keeps the other channels running.
 */
export class ChannelStartError extends Error {
  constructor(
    readonly platform: Platform,
    readonly variable: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${platform}: ${message} (check ${variable})`, options);
    this.name = "ChannelStartError";
  }
}
