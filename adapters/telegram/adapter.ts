import { Input, Telegram, TelegramError } from "telegraf";
import type { Update } from "telegraf/types";
import {
  type ChannelAdapter,
  ChannelError,
  ChannelStartError,
  type InboundHandler,
  type OutboundMessage,
  type ReplyOutcome,
  type ReplyReporter,
  type SendReceipt,
} from "../../src/core/channel.ts";
import type { Logger } from "../../src/observability/logger.ts";
import { CallbackKeys } from "./callback-keys.ts";
import { toChannelError } from "./errors.ts";
import { chatIdFromAddress, normaliseUpdate } from "./normalise.ts";
import { LongPolling } from "./polling.ts";
import { RecentIds } from "../shared/recent-ids.ts";
import { renderMessage } from "./render.ts";

export interface TelegramSettings {
  token: string;
  /** The Bot API base URL; every call goes to `${apiRoot}/bot<token>/<method>`. */
  apiRoot?: string;
  /** Set to receive updates by webhook (served by Tend at POST /telegram/webhook) instead of long polling. */
  webhook?: { url: string; secret: string } | undefined;
  pollTimeoutSeconds?: number;
}

/** Only what Tend answers: anything else (edits, reactions, member changes) is not even fetched. */
export const ALLOWED_UPDATES = ["message", "callback_query"];

/**
 * Telegram through the Bot API, with telegraf's client: long polling by default, a webhook when
 * TELEGRAM_WEBHOOK_URL is set. Updates are handled one at a time per delivery; replies go to
 * the chat the update came from.
 */
export class TelegramAdapter implements ChannelAdapter {
  readonly platform = "telegram" as const;
  readonly telegram: Telegram;
  private readonly apiRoot: string;
  private readonly keys = new CallbackKeys();
  /** update_ids already taken: Telegram redelivers a webhook update that was slow to be answered. */
  private readonly seen = new RecentIds<number>(10_000);
  private handler: InboundHandler | undefined;
  private report: ReplyReporter | undefined;
  private polling: LongPolling | undefined;
  /** Webhook updates' delivery records still being written (the webhook has answered already). */
  private readonly recordings = new Set<Promise<void>>();

  constructor(
    private readonly settings: TelegramSettings,
    private readonly log: Logger,
  ) {
    const root = settings.apiRoot ?? "https://api.telegram.org";
    // telegraf resolves "./bot<token>/…" against the root: without the slash a path prefix would be lost.
    this.apiRoot = root.endsWith("/") ? root : `${root}/`;
    // webhookReply off: replies are real API calls whose failures we see, never hidden in the webhook response.
    this.telegram = new Telegram(settings.token, { apiRoot: this.apiRoot, webhookReply: false });
  }

  /** True between start() and stop(): the webhook route answers 503 otherwise, so Telegram retries later. */
  get receiving(): boolean {
    return this.handler !== undefined;
  }

  async start(handle: InboundHandler, report?: ReplyReporter): Promise<void> {
    let username: string | undefined;
    try {
      username = (await this.telegram.getMe()).username;
    } catch (error) {
      if (error instanceof TelegramError && (error.code === 401 || error.code === 404)) {
        throw new ChannelStartError("telegram", "TELEGRAM_BOT_TOKEN", `the Bot API refused the bot token (${error.code} ${error.description})`);
      }
      throw new ChannelStartError("telegram", "TELEGRAM_API_ROOT", `could not reach the Bot API at ${this.apiRoot}: ${toChannelError(error).message}`);
    }

    this.handler = handle;
    this.report = report;
    const { webhook } = this.settings;
    if (webhook) {
      try {
        await this.telegram.setWebhook(webhook.url, { secret_token: webhook.secret, allowed_updates: ALLOWED_UPDATES as never });
      } catch (error) {
        this.handler = undefined;
        throw new ChannelStartError("telegram", "TELEGRAM_WEBHOOK_URL", `Telegram did not accept the webhook: ${toChannelError(error).message}`);
      }
    } else {
      try {
        // A webhook left from an earlier run would make every getUpdates fail with 409.
        await this.telegram.deleteWebhook();
      } catch (error) {
        this.handler = undefined;
        throw new ChannelStartError("telegram", "TELEGRAM_API_ROOT", `could not switch the bot to long polling: ${toChannelError(error).message}`);
      }
      this.polling = new LongPolling(this.telegram, (update) => this.handleUpdate(update), this.log, {
        timeoutSeconds: this.settings.pollTimeoutSeconds ?? 50,
        allowedUpdates: ALLOWED_UPDATES,
      });
      this.polling.start();
    }
    this.log.info({ bot: username, mode: webhook ? "webhook" : "long polling" }, "telegram bot connected");
  }

  async stop(): Promise<void> {
    const polling = this.polling;
    this.polling = undefined;
    await polling?.stop();
    // Before the database closes: what the answered webhook updates left to record.
    while (this.recordings.size > 0) await Promise.all([...this.recordings]);
    this.handler = undefined;
  }

  /**
   * Handles one update from either delivery path, recording what became of its replies before
   * it resolves. Throws only when the engine failed, so that the update is delivered again;
   * failed replies are logged, since handling it again would not help them.
   */
  async handleUpdate(update: Update): Promise<void> {
    const record = await this.answer(update);
    await record?.();
  }

  /**
   * The webhook's path: resolves once the replies went out (or could not), so Telegram gets its
   * answer without waiting for the commit that records their delivery; that recording runs on
   * and stop() waits for it. A failure to record is only ever logged, in either path.
   */
  async handleWebhookUpdate(update: Update): Promise<void> {
    const record = await this.answer(update);
    if (!record) return;
    const recording = record();
    this.recordings.add(recording);
    void recording.finally(() => this.recordings.delete(recording));
  }

  /** Handles the update and delivers its replies; returns what records their outcome (never rejects), if anything. */
  private async answer(update: Update): Promise<(() => Promise<void>) | undefined> {
    const handle = this.handler;
    if (!handle) throw new Error("the Telegram channel is not running");
    if (!this.seen.add(update.update_id)) {
      this.log.debug({ updateId: update.update_id }, "duplicate Telegram update dropped");
      return undefined;
    }
    try {
      const normalised = normaliseUpdate(update, (data) => this.keys.decode(data), new Date());
      if (normalised?.callbackQueryId) {
        await this.telegram.answerCbQuery(normalised.callbackQueryId).catch((error: unknown) => {
          this.log.debug({ err: toChannelError(error).message }, "could not answer a Telegram button press");
        });
      }
      if (!normalised?.inbound || normalised.chatId === undefined) return undefined;
      const inbound = normalised.inbound;
      const replies = await handle(inbound);
      const outcomes: ReplyOutcome[] = [];
      for (const reply of replies) {
        try {
          const receipt = await this.deliver(normalised.chatId, reply);
          outcomes.push({ reply, sent: true, platformMessageId: receipt.platformMessageId });
        } catch (error) {
          const failure = toChannelError(error);
          this.log.warn({ kind: failure.kind, err: failure.message, updateId: update.update_id }, "a Telegram reply could not be delivered");
          outcomes.push({ reply, sent: false, error: failure.message });
          if (failure.kind === "unreachable") {
            // The rest cannot arrive either.
            for (const rest of replies.slice(outcomes.length)) outcomes.push({ reply: rest, sent: false, error: failure.message });
            break;
          }
        }
      }
      const report = this.report;
      if (!report || !outcomes.length) return undefined;
      return () =>
        report(inbound, outcomes).catch((error: unknown) => {
          this.log.warn({ err: String(error), updateId: update.update_id }, "could not record what became of Telegram replies");
        });
    } catch (error) {
      // Not taken after all: a redelivery must be handled.
      this.seen.delete(update.update_id);
      throw error;
    }
  }

  async send(address: string, message: OutboundMessage): Promise<SendReceipt> {
    const chatId = chatIdFromAddress(address);
    if (chatId === undefined) throw new ChannelError("telegram", "rejected", "not a Telegram address");
    return this.deliver(chatId, message);
  }

  /**
   * Sends the text parts in order, then the attachment as a document. A failure part-way
   * throws; the parts already sent stay sent.
   */
  private async deliver(chatId: number, message: OutboundMessage): Promise<SendReceipt> {
    const rendered = renderMessage(message, this.keys);
    let lastId: number | undefined;
    try {
      for (const part of rendered.parts) {
        const sent = await this.telegram.sendMessage(chatId, part.html, {
          parse_mode: "HTML",
          ...(part.replyMarkup ? { reply_markup: part.replyMarkup } : {}),
        });
        lastId = sent.message_id;
      }
      if (rendered.document) {
        const sent = await this.telegram.sendDocument(chatId, Input.fromBuffer(rendered.document.content, rendered.document.fileName));
        lastId = sent.message_id;
      }
    } catch (error) {
      throw toChannelError(error);
    }
    return { platformMessageId: lastId === undefined ? undefined : `${chatId}:${lastId}` };
  }
}
