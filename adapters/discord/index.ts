export { discordChannelFactory, createDiscordChannelFactory } from "./factory.ts";
export { DiscordChannel, type DiscordSettings, defaultDiscordSettings } from "./adapter.ts";
