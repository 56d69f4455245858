import {
  type ButtonInteraction,
  ChannelType,
  type ChatInputCommandInteraction,
  type Client,
  Events,
  type Interaction,
  type Message,
  MessageFlags,
} from "discord.js";
import {
  type ChannelAdapter,
  ChannelError,
  type InboundHandler,
  type InboundMessage,
  type OutboundMessage,
  type ReplyOutcome,
  type ReplyReporter,
  type SendReceipt,
} from "../../src/core/channel.ts";
import { describeError } from "../../src/errors.ts";
import type { Logger } from "../../src/observability/logger.ts";
import { type DiscordClientSettings, connect, createClient } from "./client.ts";
import { commandDefinitions } from "./commands.ts";
import { toChannelError, toStartError } from "./errors.ts";
import { channelIdOf, fromInteraction, fromMessage } from "./normalise.ts";
import { RecentIds } from "../shared/recent-ids.ts";
import { type DiscordMessagePart, renderMessage } from "./render.ts";

export interface DiscordSettings extends DiscordClientSettings {
  /** DISCORD_BOT_TOKEN */
  token: string;
  /** How long start() waits for the gateway's READY before giving up. */
  readyTimeoutMs: number;
  /** Register /help, /points, /rewards, /feedback as global commands on start. */
  registerCommands: boolean;
  /** How long stop() lets messages being handled finish. */
  drainTimeoutMs: number;
}

export const defaultDiscordSettings: Omit<DiscordSettings, "token"> = {
  apiUrl: "https://discord.com/api",
  maxRateLimitWaitMs: 1000,
  restRetries: 1,
  restTimeoutMs: 15_000,
  readyTimeoutMs: 30_000,
  registerCommands: true,
  drainTimeoutMs: 5_000,
};

const dmOnly = {
  en: "Please send me a direct message: that is where I can help you.",
  zh: "请直接私信我，我会在私信中为您服务。",
};

/**
 * Customers' direct messages with a Discord bot, over the gateway (discord.js). Slash commands
 * and button presses arrive as interactions, which are acknowledged at once (Discord allows 3 s)
 * and answered with the engine's replies afterwards.
 */
export class DiscordAdapter implements ChannelAdapter {
  readonly platform = "discord" as const;
  private client: Client | undefined;
  private handler: InboundHandler | undefined;
  private report: ReplyReporter | undefined;
  private accepting = false;
  private readonly recent = new RecentIds();
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly settings: DiscordSettings,
    private readonly log: Logger,
  ) {}

  async start(handle: InboundHandler, report?: ReplyReporter): Promise<void> {
    if (this.client) throw new Error("the Discord channel is already started");
    const client = createClient(this.settings);
    client.on(Events.MessageCreate, (message) => this.track(() => this.onMessage(message)));
    client.on(Events.InteractionCreate, (interaction) => this.track(() => this.onInteraction(interaction)));
    client.on(Events.Error, (error) => this.log.warn({ err: describeError(error) }, "discord client error"));
    client.on(Events.ShardError, (error) => this.log.warn({ err: describeError(error) }, "discord gateway error"));
    this.client = client;
    this.handler = handle;
    this.report = report;
    this.accepting = true;
    try {
      await connect(client, this.settings.token, this.settings.readyTimeoutMs);
    } catch (error) {
      this.accepting = false;
      this.client = undefined;
      this.handler = undefined;
      await client.destroy().catch(() => {});
      throw toStartError(error, this.settings.apiUrl);
    }
    if (this.settings.registerCommands && client.isReady()) await this.registerCommands(client);
    this.log.info({ bot: client.user?.id }, "discord connected");
  }

  async stop(): Promise<void> {
    this.accepting = false;
    if (this.inflight.size) {
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.settings.drainTimeoutMs)));
      await Promise.race([Promise.allSettled([...this.inflight]), gaveUp]);
      clearTimeout(timer);
    }
    const client = this.client;
    this.client = undefined;
    this.handler = undefined;
    await client?.destroy();
  }

  async send(address: string, message: OutboundMessage): Promise<SendReceipt> {
    const client = this.client;
    if (!client?.isReady()) throw new ChannelError("discord", "transient", "the Discord channel is not connected");
    const channelId = channelIdOf(address);
    if (!channelId) throw new ChannelError("discord", "rejected", "not a Discord address");
    const parts = this.render([message]);
    if (!parts.length) throw new ChannelError("discord", "rejected", "nothing to send");
    try {
      const channel = await client.channels.fetch(channelId);
      if (!channel?.isSendable()) throw new ChannelError("discord", "unreachable", "the bot cannot post in that channel");
      let last: Message | undefined;
      for (const part of parts) last = await channel.send(part);
      return { platformMessageId: last?.id };
    } catch (error) {
      throw toChannelError(error);
    }
  }

  private async registerCommands(client: Client<true>): Promise<void> {
    try {
      await client.application.commands.set(commandDefinitions());
    } catch (error) {
      // DMs work without them; say why the commands are missing and carry on.
      this.log.warn({ err: toChannelError(error).message }, "discord slash commands were not registered");
    }
  }

  /** Runs one event's work; stop() waits for what is running. */
  private track(work: () => Promise<void>): void {
    if (!this.accepting) return;
    const running: Promise<void> = work()
      .catch((error) => {
        // Delivery failures were logged where they happened.
        if (!(error instanceof ChannelError)) this.log.error({ err: describeError(error) }, "handling a discord event failed");
      })
      .finally(() => this.inflight.delete(running));
    this.inflight.add(running);
  }

  private async onMessage(message: Message): Promise<void> {
    if (message.author.bot || message.system || message.channel.type !== ChannelType.DM) return;
    if (!this.recent.add(message.id)) return this.log.debug("duplicate discord message dropped");
    const inbound = fromMessage(message);
    const replies = await this.handle(inbound);
    const channel = message.channel;
    await this.deliver(inbound, replies, (part) => channel.send(part));
  }

  private async onInteraction(interaction: Interaction): Promise<void> {
    if (!interaction.isChatInputCommand() && !interaction.isButton()) return;
    if (!this.recent.add(interaction.id)) return this.log.debug("duplicate discord interaction dropped");
    if (interaction.inGuild()) {
      const text = interaction.locale.startsWith("zh") ? dmOnly.zh : dmOnly.en;
      await interaction.reply({ content: text, flags: MessageFlags.Ephemeral });
      return;
    }
    // Discord gives 3 s to acknowledge an interaction; the engine may need longer.
    if (interaction.isButton()) await interaction.deferUpdate();
    else await interaction.deferReply();
    await this.answer(interaction);
  }

  private async answer(interaction: ChatInputCommandInteraction | ButtonInteraction): Promise<void> {
    const inbound = fromInteraction(interaction);
    let replies: OutboundMessage[];
    try {
      replies = await this.handle(inbound);
    } catch (error) {
      if (interaction.isChatInputCommand()) await interaction.deleteReply().catch(() => {});
      throw error;
    }
    if (interaction.isButton()) {
      // The press was acknowledged without changing its message: the replies follow it.
      await this.deliver(inbound, replies, (part) => interaction.followUp(part));
      return;
    }
    // Nothing to say (a person has taken over): remove the "thinking…" placeholder.
    if (!replies.length) return void (await interaction.deleteReply());
    // The first part replaces the deferred "thinking…" reply; the rest follow it.
    let deferredReplyUsed = false;
    await this.deliver(inbound, replies, (part) => {
      if (deferredReplyUsed) return interaction.followUp(part);
      deferredReplyUsed = true;
      return interaction.editReply(part);
    });
  }

  private async handle(message: InboundMessage): Promise<OutboundMessage[]> {
    const handler = this.handler;
    if (!handler) return [];
    return handler(message);
  }

  private render(replies: OutboundMessage[]): DiscordMessagePart[] {
    return replies.flatMap((reply) => {
      const { parts, droppedChoices } = renderMessage(reply);
      if (droppedChoices) this.log.warn({ droppedChoices }, "choices Discord cannot show as buttons were left out");
      return parts;
    });
  }

  /**
   * Posts the replies in order and tells the reporter what became of each (the last part's message
   * id, or the error); the first failure stops the rest, which count as failed with it, and is thrown.
   */
  private async deliver(inbound: InboundMessage, replies: OutboundMessage[], post: (part: DiscordMessagePart) => Promise<unknown>): Promise<void> {
    const outcomes: ReplyOutcome[] = [];
    let failure: unknown;
    for (const reply of replies) {
      if (failure !== undefined) {
        outcomes.push({ reply, sent: false, error: describeError(failure) });
        continue;
      }
      try {
        let last: unknown;
        for (const part of this.render([reply])) last = await this.post(() => post(part));
        outcomes.push({ reply, sent: true, platformMessageId: messageIdOf(last) });
      } catch (error) {
        failure = error;
        outcomes.push({ reply, sent: false, error: describeError(error) });
      }
    }
    await this.report?.(inbound, outcomes).catch((error: unknown) => {
      this.log.warn({ err: describeError(error) }, "could not record what became of discord replies");
    });
    if (failure !== undefined) throw failure;
  }

  /** One reply on its way; a failure is logged by kind (never with the text) and stops the rest. */
  private async post<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const failure = toChannelError(error);
      this.log.warn({ kind: failure.kind, err: failure.message, retryAfterMs: failure.retryAfterMs }, "a discord reply was not delivered");
      throw failure;
    }
  }
}

/** A posted message's id (what channel.send, editReply and followUp resolve to). */
function messageIdOf(posted: unknown): string | undefined {
  const id = posted && typeof posted === "object" ? (posted as { id?: unknown }).id : undefined;
  return typeof id === "string" ? id : undefined;
}
