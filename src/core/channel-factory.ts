import type { FastifyInstance } from "fastify";
import type { Config } from "../config/env.ts";
import type { Logger } from "../observability/logger.ts";
import type { ChannelAdapter, ConversationAccess, Platform } from "./channel.ts";
import type { Clock } from "./clock.ts";

export interface ChannelFactoryContext {
  config: Config;
  logger: Logger;
  /** Tend's HTTP server, not yet listening: adapters that take webhooks add their routes here. */
  http: FastifyInstance;
  /** The engine's answers about conversations, beyond handling messages (history, retries). */
  conversations: ConversationAccess;
  clock: Clock;
}

/**
 * How Tend finds out whether a channel is configured and builds its adapter. The composition root
 * (src/app.ts) gets the list from adapters/index.ts; the core never imports a platform's SDK.
 */
export interface ChannelFactory {
  readonly platform: Platform;
  /** The variables still to set before this channel can start; empty when it is configured. */
  missingSettings(config: Config): string[];
  /** May load the platform's library first (import()), so a platform that is not configured costs no memory. */
  create(context: ChannelFactoryContext): ChannelAdapter | Promise<ChannelAdapter>;
}
