import type { ChannelFactory } from "../src/core/channel-factory.ts";
import { discordFactory } from "./discord/index.ts";
import { slackFactory } from "./slack/index.ts";
import { telegramFactory } from "./telegram/index.ts";
import { webChatFactory } from "./web/index.ts";

/**
 * The chat platforms Tend can run, each started only when its settings are present (the web chat
 * needs none, so it is always on).
 */
export const channelFactories: ChannelFactory[] = [webChatFactory, telegramFactory, discordFactory, slackFactory];
