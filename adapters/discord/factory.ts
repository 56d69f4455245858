import type { Config } from "../../src/config/env.ts";
import type { ChannelFactory } from "../../src/core/channel-factory.ts";
// Types only: discord.js (about 50 MB once loaded) is imported when the channel is configured, in create().
import type { DiscordSettings } from "./adapter.ts";

/** Starts when DISCORD_BOT_TOKEN is set; `overrides` are for tests (shorter timeouts, say). */
export function createDiscordFactory(overrides: Partial<Omit<DiscordSettings, "token" | "apiUrl">> = {}): ChannelFactory {
  return {
    platform: "discord",
    missingSettings: (config: Config) => (config.DISCORD_BOT_TOKEN ? [] : ["DISCORD_BOT_TOKEN"]),
    create: async ({ config, logger }) => {
      if (!config.DISCORD_BOT_TOKEN) throw new Error("DISCORD_BOT_TOKEN is not set");
      const { DiscordAdapter, defaultDiscordSettings } = await import("./adapter.ts");
      return new DiscordAdapter(
        { ...defaultDiscordSettings, ...overrides, token: config.DISCORD_BOT_TOKEN, apiUrl: config.DISCORD_API_URL },
        logger,
      );
    },
  };
}

export const discordFactory = createDiscordFactory();
