import type { ChannelFactory } from "../src/core/channel-factory.ts";
// From the factory modules, not the index files: those re-export the adapters, whose libraries
// (discord.js, @slack/bolt) each factory loads only when its platform is configured.
import { discordFactory } from "./discord/factory.ts";
import { slackFactory } from "./slack/factory.ts";
import { telegramFactory } from "./telegram/index.ts";
import { webChatFactory } from "./web/index.ts";

/**
 * The chat platforms Tend can run, each started only when its settings are present (the web chat
 * needs none, so it is always on).
 */
export const channelFactories: ChannelFactory[] = [webChatFactory, telegramFactory, discordFactory, slackFactory];
