import type { ChannelFactory } from "../../src/core/channel-factory.ts";
import { TelegramAdapter } from "./adapter.ts";
import { registerTelegramWebhook } from "./webhook.ts";

export const telegramFactory: ChannelFactory = {
  platform: "telegram",

  missingSettings(config) {
    const missing: string[] = [];
    if (!config.TELEGRAM_BOT_TOKEN) missing.push("TELEGRAM_BOT_TOKEN");
    if (config.TELEGRAM_WEBHOOK_URL && !config.TELEGRAM_WEBHOOK_SECRET) missing.push("TELEGRAM_WEBHOOK_SECRET");
    return missing;
  },

  create({ config, logger, http }) {
    if (!config.TELEGRAM_BOT_TOKEN) throw new Error("TELEGRAM_BOT_TOKEN is not set");
    const webhook =
      config.TELEGRAM_WEBHOOK_URL && config.TELEGRAM_WEBHOOK_SECRET
        ? { url: config.TELEGRAM_WEBHOOK_URL, secret: config.TELEGRAM_WEBHOOK_SECRET }
        : undefined;
    const adapter = new TelegramAdapter({ token: config.TELEGRAM_BOT_TOKEN, apiRoot: config.TELEGRAM_API_ROOT, webhook }, logger);
    // Routes must exist before Tend listens; the route refuses updates until start().
    if (webhook) registerTelegramWebhook(http, webhook.secret, adapter, logger);
    return adapter;
  },
};
