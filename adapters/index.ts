import type { ChannelFactory } from "../src/core/channel-factory.ts";
import { telegramFactory } from "./telegram/index.ts";
import { discordChannelFactory } from "./discord/index.ts";
import { slackFactory } from "./slack/index.ts";

/**
 * The chat platforms Tend can run, each started only when its settings are present. The web
 * chat is built in and always on (src/app.ts).
 */
export const channelFactories: ChannelFactory[] = [telegramFactory, discordChannelFactory, slackFactory];
