/**
 * The channel port: what the engine needs from a chat platform, and what every adapter under
 * adapters/<platform>/ implements. The engine never sees a platform's own types.
 */
export type Platform = "telegram" | "discord" | "slack" | "web";
export const platforms: readonly Platform[] = ["telegram", "discord", "slack", "web"];

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
  receivedAt: Date;
  /** The platform payload as received; the engine never reads it. */
  raw: unknown;
}

export interface SendReceipt {
  platformMessageId?: string | undefined;
}

export interface ChannelAdapter {
  readonly platform: Platform;
  /** Begins receiving; every inbound message goes to `handle`, whose replies the adapter delivers. */
  start(handle: InboundHandler): Promise<void>;
  stop(): Promise<void>;
  /** Sends a message the customer did not just ask for (a follow-up, a care message). */
  send(address: string, message: OutboundMessage): Promise<SendReceipt>;
}

export type InboundHandler = (message: InboundMessage) => Promise<OutboundMessage[]>;

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
