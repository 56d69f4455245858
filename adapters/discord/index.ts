export { discordFactory, createDiscordFactory } from "./factory.ts";
export { DiscordAdapter, type DiscordSettings, defaultDiscordSettings } from "./adapter.ts";
