import { setTimeout as sleep } from "node:timers/promises";
import { App, webApi } from "@slack/bolt";
import {
  type ChannelAdapter,
  ChannelError,
  ChannelStartError,
  type InboundHandler,
  type InboundMessage,
  type OutboundMessage,
  type ReplyOutcome,
  type ReplyReporter,
  type SendReceipt,
} from "../../src/core/channel.ts";
import { describeError } from "../../src/errors.ts";
import type { Logger } from "../../src/observability/logger.ts";
import { boltLogger } from "./bolt-logger.ts";
import { platformErrorCode, toChannelError } from "./errors.ts";
import {
  type ActionView,
  type BlockActionsView,
  type EventEnvelopeView,
  type MessageEventView,
  type SlashCommandView,
  conversationFromAddress,
  isDirectConversation,
  isUserId,
  normaliseButton,
  normaliseCommand,
  normaliseMessage,
} from "./normalise.ts";
import { FastifyReceiver } from "./receiver.ts";
import { CHOICE_ACTION_PREFIX, renderMessage } from "./render.ts";
import { RecentIds } from "../shared/recent-ids.ts";
import { SlackUserDirectory } from "./users.ts";
import { WorkQueue } from "./work-queue.ts";

export const DEFAULT_SLACK_API_URL = "https://slack.com/api/";

export interface SlackSettings {
  /** The bot token (xoxb-…): every Web API call Tend makes. */
  botToken: string;
  /** The Web API base URL, ending in /api/. */
  apiUrl?: string | undefined;
  /** With an app-level token (xapp-…) events come over Socket Mode; without, over HTTP to POST /slack/events. */
  appToken?: string | undefined;
}

/** Refusals of a token at start: the named variable needs fixing, retrying will not help. */
const TOKEN_ERRORS = new Set(["invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "not_allowed_token_type"]);

/**
 * Replies wait out a short rate limit once (Slack allows about one message a second per
 * conversation, with short bursts): the customer is waiting for them. Proactive sends do not
 * wait; their caller gets the ChannelError and its retryAfterMs.
 */
const REPLY_RATE_LIMIT_WAIT_MS = 10_000;

const COMMAND_ELSEWHERE = "I have answered in our direct messages. / 已在私信中回复。";

interface BotIdentity {
  userId?: string | undefined;
  botId?: string | undefined;
  teamId?: string | undefined;
}

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Web API client options for every client the adapter makes: the configured base URL, no silent
 * retries (the client's default retries for about 30 minutes, and pauses its whole queue on a 429)
 * and rate limits thrown, so that callers see them as ChannelError rate_limited.
 */
export function webClientOptions(apiUrl: string, log: Logger): webApi.WebClientOptions {
  return { slackApiUrl: withSlash(apiUrl), retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 30_000, logger: boltLogger(log) };
}

/**
 * Slack through Bolt: customers' direct messages to the app, their button presses and slash
 * commands. Events arrive over HTTP (Tend's own server, see events-route.ts, fed to Bolt by
 * FastifyReceiver) or over Socket Mode when an app-level token is set. Requests are acknowledged
 * first and handled after, one at a time per conversation; replies are Web API calls.
 */
export class SlackAdapter implements ChannelAdapter {
  readonly platform = "slack" as const;
  readonly mode: "http" | "socket";
  readonly client: webApi.WebClient;
  /** Set in HTTP mode: the route hands requests to it. */
  readonly receiver: FastifyReceiver | undefined;
  private readonly apiUrl: string;
  private readonly users: SlackUserDirectory;
  /** event_ids and interaction ids already taken: Slack retries an event it thinks was not acknowledged. */
  private readonly seen = new RecentIds<string>(10_000);
  private readonly queue = new WorkQueue();
  private app: App | undefined;
  private handler: InboundHandler | undefined;
  private report: ReplyReporter | undefined;
  private bot: BotIdentity = {};
  private readonly setups: ((app: App) => void)[] = [];

  constructor(
    private readonly settings: SlackSettings,
    private readonly log: Logger,
  ) {
    this.apiUrl = withSlash(settings.apiUrl ?? DEFAULT_SLACK_API_URL);
    this.mode = settings.appToken ? "socket" : "http";
    this.client = new webApi.WebClient(settings.botToken, webClientOptions(this.apiUrl, log));
    this.receiver = settings.appToken ? undefined : new FastifyReceiver(log);
    this.users = new SlackUserDirectory(this.client, log);
  }

  /**
   * Adds listeners to the Bolt app (staff commands, say), applied when the app is built at
   * start(), before any event can arrive. Call before start().
   */
  useBolt(setup: (app: App) => void): void {
    this.setups.push(setup);
  }

  async start(handle: InboundHandler, report?: ReplyReporter): Promise<void> {
    try {
      const auth = await this.client.auth.test();
      this.bot = { userId: auth.user_id, botId: auth.bot_id, teamId: auth.team_id };
    } catch (error) {
      const code = platformErrorCode(error);
      if (code && TOKEN_ERRORS.has(code)) {
        throw new ChannelStartError("slack", "SLACK_BOT_TOKEN", `Slack refused the bot token (${code})`);
      }
      throw new ChannelStartError("slack", "SLACK_API_URL", `could not reach the Slack Web API at ${this.apiUrl}: ${toChannelError(error).message}`);
    }

    const app = this.createApp();
    this.app = app;
    this.handler = handle;
    this.report = report;
    try {
      await app.start();
    } catch (error) {
      this.handler = undefined;
      const code = platformErrorCode(error);
      if (code && TOKEN_ERRORS.has(code)) {
        throw new ChannelStartError("slack", "SLACK_APP_TOKEN", `Slack refused the app-level token (${code})`);
      }
      throw new ChannelStartError("slack", "SLACK_API_URL", `could not open a Socket Mode connection: ${describeError(error)}`);
    }
    this.log.info({ team: this.bot.teamId, botUser: this.bot.userId, mode: this.mode }, "slack app connected");
  }

  /** Stops taking events, lets the conversations in hand finish, then lets go of the engine. */
  async stop(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    if (app) {
      await app.stop().catch((error: unknown) => this.log.warn({ err: describeError(error) }, "the Slack app did not stop cleanly"));
    }
    await this.whenIdle();
    this.handler = undefined;
  }

  /** Resolves when every event taken so far (over HTTP: every request answered so far) has been handled and replied to. */
  async whenIdle(): Promise<void> {
    await this.receiver?.idle();
    await this.queue.idle();
  }

  async send(address: string, message: OutboundMessage): Promise<SendReceipt> {
    const id = conversationFromAddress(address);
    if (!id) throw new ChannelError("slack", "rejected", "not a Slack address");
    const conversation = isUserId(id) ? await this.openConversation(id) : id;
    return this.deliver(conversation, message);
  }

  private createApp(): App {
    const app = new App({
      token: this.settings.botToken,
      botId: this.bot.botId,
      botUserId: this.bot.userId,
      // Checked above with our own auth.test; Bolt's own check would run unawaited in its constructor.
      tokenVerificationEnabled: false,
      ...(this.settings.appToken ? { socketMode: true, appToken: this.settings.appToken } : { receiver: this.receiver }),
      clientOptions: webClientOptions(this.apiUrl, this.log),
      logger: boltLogger(this.log),
      convoStore: false,
    });
    app.error(async (error) => {
      this.log.error({ err: describeError(error) }, "a Slack listener failed");
    });
    app.event("message", async ({ body, event }) => {
      await this.onMessage(body as EventEnvelopeView, event as unknown as MessageEventView);
    });
    app.action({ type: "block_actions", action_id: new RegExp(`^${escapeRegExp(CHOICE_ACTION_PREFIX)}`) }, async ({ ack, body, action }) => {
      await ack();
      await this.onButton(body as unknown as BlockActionsView, action as unknown as ActionView);
    });
    app.command(/.*/, async ({ ack, command }) => {
      await (isDirectConversation(command.channel_id) ? ack() : ack({ response_type: "ephemeral", text: COMMAND_ELSEWHERE }));
      await this.onCommand(command as SlashCommandView);
    });
    for (const setup of this.setups) setup(app);
    return app;
  }

  private async onMessage(envelope: EventEnvelopeView, event: MessageEventView): Promise<void> {
    const inbound = normaliseMessage(envelope, event, new Date());
    if (!inbound) return;
    await this.take(envelope.event_id ?? inbound.platformMessageId!, inbound);
  }

  private async onButton(body: BlockActionsView, action: ActionView): Promise<void> {
    const inbound = normaliseButton(body, action, new Date());
    if (inbound) await this.take(inbound.platformMessageId!, inbound);
  }

  private async onCommand(command: SlashCommandView): Promise<void> {
    if (!command.user_id) return;
    let conversation: string;
    try {
      conversation = await this.openConversation(command.user_id);
    } catch (error) {
      this.log.warn({ err: toChannelError(error).message }, "could not open a direct conversation to answer a Slack command");
      return;
    }
    const inbound = normaliseCommand(command, conversation, new Date());
    if (inbound) await this.take(inbound.platformMessageId!, inbound);
  }

  /** Queues one inbound message behind earlier ones of its conversation, unless it was taken before. */
  private async take(deliveryId: string, inbound: InboundMessage): Promise<void> {
    if (!this.handler) return;
    if (!this.seen.add(deliveryId)) {
      this.log.debug("a Slack event delivered again was dropped");
      return;
    }
    await this.queue.run(inbound.address, () => this.process(inbound));
  }

  /** Hands the message to the engine and delivers its replies. Never throws: the request was acknowledged already. */
  private async process(inbound: InboundMessage): Promise<void> {
    const handle = this.handler;
    const conversation = conversationFromAddress(inbound.address);
    if (!handle || !conversation) return;
    const profile = await this.users.lookup(inbound.platformUserId);
    let replies: OutboundMessage[];
    try {
      replies = await handle({ ...inbound, displayName: inbound.displayName ?? profile.displayName, locale: inbound.locale ?? profile.locale });
    } catch (error) {
      this.log.error({ err: describeError(error) }, "handling a Slack message failed");
      return;
    }
    const outcomes: ReplyOutcome[] = [];
    for (const reply of replies) {
      try {
        const receipt = await this.deliver(conversation, reply, REPLY_RATE_LIMIT_WAIT_MS);
        outcomes.push({ reply, sent: true, platformMessageId: receipt.platformMessageId });
      } catch (error) {
        const failure = toChannelError(error);
        this.log.warn({ kind: failure.kind, err: failure.message }, "a Slack reply could not be delivered");
        outcomes.push({ reply, sent: false, error: failure.message });
        if (failure.kind === "unreachable") {
          // The rest cannot arrive either.
          for (const rest of replies.slice(outcomes.length)) outcomes.push({ reply: rest, sent: false, error: failure.message });
          break;
        }
      }
    }
    await this.report?.(inbound, outcomes).catch((error: unknown) => {
      this.log.warn({ err: describeError(error) }, "could not record what became of Slack replies");
    });
  }

  private async openConversation(userId: string): Promise<string> {
    try {
      const opened = await this.client.conversations.open({ users: userId });
      const id = opened.channel?.id;
      if (!id) throw new ChannelError("slack", "rejected", "conversations.open returned no conversation");
      return id;
    } catch (error) {
      throw toChannelError(error);
    }
  }

  /**
   * Posts the text messages in order, then the attachment as a file (files.uploadV2). A failure
   * part-way throws; the parts already sent stay sent. A rate limit of at most `rateLimitWaitMs`
   * is waited out once, per message, so that nothing is posted twice.
   */
  private async deliver(conversation: string, message: OutboundMessage, rateLimitWaitMs = 0): Promise<SendReceipt> {
    const rendered = renderMessage(message);
    let lastTs: string | undefined;
    try {
      for (const post of rendered.posts) {
        const postIt = () => this.client.chat.postMessage({ channel: conversation, text: post.text, blocks: post.blocks, mrkdwn: false });
        const result = await postIt().catch(async (error: unknown) => {
          const failure = toChannelError(error);
          if (failure.kind !== "rate_limited" || (failure.retryAfterMs ?? Infinity) > rateLimitWaitMs) throw failure;
          await sleep(failure.retryAfterMs);
          return postIt();
        });
        lastTs = result.ts ?? lastTs;
      }
      if (rendered.file) {
        await this.client.filesUploadV2({
          channel_id: conversation,
          file: rendered.file.content,
          filename: rendered.file.fileName,
          title: rendered.file.fileName,
        });
      }
    } catch (error) {
      throw toChannelError(error);
    }
    return { platformMessageId: lastTs ? `${conversation}:${lastTs}` : undefined };
  }
}
