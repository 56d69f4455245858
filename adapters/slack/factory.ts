import type { ChannelFactory } from "../../src/core/channel-factory.ts";
import { registerSlackEvents } from "./events-route.ts";

export const slackFactory: ChannelFactory = {
  platform: "slack",

  missingSettings(config) {
    const missing: string[] = [];
    if (!config.SLACK_BOT_TOKEN) missing.push("SLACK_BOT_TOKEN");
    // Socket Mode needs no signing secret: requests come over a connection Slack authenticated.
    if (!config.SLACK_APP_TOKEN && !config.SLACK_SIGNING_SECRET) missing.push("SLACK_SIGNING_SECRET");
    return missing;
  },

  async create({ config, logger, http }) {
    if (!config.SLACK_BOT_TOKEN) throw new Error("SLACK_BOT_TOKEN is not set");
    // @slack/bolt is loaded only when the channel is configured: Tend without Slack does not hold it.
    const { SlackAdapter } = await import("./adapter.ts");
    const adapter = new SlackAdapter({ botToken: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL, appToken: config.SLACK_APP_TOKEN }, logger);
    // Routes must exist before Tend listens; the route refuses events with 503 until start().
    if (adapter.receiver) {
      if (!config.SLACK_SIGNING_SECRET) throw new Error("SLACK_SIGNING_SECRET is not set");
      registerSlackEvents(http, { signingSecret: config.SLACK_SIGNING_SECRET, target: adapter.receiver, log: logger });
    }
    return adapter;
  },
};
