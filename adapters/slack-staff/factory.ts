import type { StaffConsoleFactory } from "../../src/core/staff-console.ts";
import { registerStaffEvents } from "./events-route.ts";
import { staffFeatures } from "./features.ts";

/** The staff Slack app, started when its bot token and its signing secret (HTTP) or app-level token (Socket Mode) are set. */
export const staffSlackFactory: StaffConsoleFactory = {
  name: "slack-staff",

  missingSettings(config) {
    const missing: string[] = [];
    if (!config.TEND_STAFF_SLACK_BOT_TOKEN) missing.push("TEND_STAFF_SLACK_BOT_TOKEN");
    if (!config.TEND_STAFF_SLACK_APP_TOKEN && !config.TEND_STAFF_SLACK_SIGNING_SECRET) missing.push("TEND_STAFF_SLACK_SIGNING_SECRET");
    return missing;
  },

  async create({ config, logger, http, clock, services }) {
    if (!config.TEND_STAFF_SLACK_BOT_TOKEN) throw new Error("TEND_STAFF_SLACK_BOT_TOKEN is not set");
    // @slack/bolt is loaded only when the staff app is configured.
    const { createStaffSlackApp } = await import("./app.ts");
    const staffApp = createStaffSlackApp(
      {
        settings: {
          botToken: config.TEND_STAFF_SLACK_BOT_TOKEN,
          appToken: config.TEND_STAFF_SLACK_APP_TOKEN,
          apiUrl: config.TEND_STAFF_SLACK_API_URL,
          alertsChannel: config.TEND_STAFF_SLACK_CHANNEL,
          command: config.TEND_STAFF_SLACK_COMMAND,
        },
        services,
        log: logger,
        clock,
      },
      staffFeatures,
    );
    // The route must exist before Tend listens; it answers 503 until the app has started.
    if (staffApp.receiver) {
      if (!config.TEND_STAFF_SLACK_SIGNING_SECRET) throw new Error("TEND_STAFF_SLACK_SIGNING_SECRET is not set");
      registerStaffEvents(http, { signingSecret: config.TEND_STAFF_SLACK_SIGNING_SECRET, target: staffApp.receiver, log: logger });
    }
    return staffApp;
  },
};
