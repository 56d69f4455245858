import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { staffSlackFactory } from "../adapters/slack-staff/index.ts";
import { webChatFactory } from "../adapters/web/index.ts";
import { type RunningTend, startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { tendDatabaseTargets } from "./support/databases.ts";
import { botToken } from "./support/slack-helpers.ts";
import { SlackStandin } from "./support/slack-standin.ts";
import { postToStaffEvents, slashCommand, staffBotToken, staffSigningSecret } from "./support/slack-staff-helpers.ts";

// How the staff app starts does not depend on the database: the embedded one is enough.
const pglite = tendDatabaseTargets("slack-staff-start")[0]!;
const staffAppToken = "xapp-1-A0STAFF001-4000-tendteststaffapptoken";

describe("staff Slack app: starting", () => {
  it("stays off without its settings, and says which to set", () => {
    const config = loadConfig({});
    expect(staffSlackFactory.missingSettings(config)).toEqual(["TEND_STAFF_SLACK_BOT_TOKEN", "TEND_STAFF_SLACK_SIGNING_SECRET"]);
    expect(staffSlackFactory.missingSettings(loadConfig({ TEND_STAFF_SLACK_BOT_TOKEN: staffBotToken, TEND_STAFF_SLACK_APP_TOKEN: staffAppToken }))).toEqual([]);
    expect(() => loadConfig({ TEND_STAFF_SLACK_BOT_TOKEN: "xoxp-user-token" })).toThrow(/TEND_STAFF_SLACK_BOT_TOKEN/);
    expect(() => loadConfig({ TEND_STAFF_SLACK_COMMAND: "tend" })).toThrow(/TEND_STAFF_SLACK_COMMAND/);
    expect(() => loadConfig({ TEND_STAFF_SLACK_CHANNEL: "#staff" })).toThrow(/TEND_STAFF_SLACK_CHANNEL/);
  });

  describe("with a token Slack refuses", () => {
    let standin: SlackStandin;
    let tend: RunningTend;
    beforeAll(async () => {
      standin = await SlackStandin.start({ botToken, staffBotToken, users: [{ name: "sam" }] });
      const config = loadConfig({
        ...(await pglite.env()),
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        TEND_STAFF_SLACK_BOT_TOKEN: "xoxb-not-a-token-slack-knows",
        TEND_STAFF_SLACK_SIGNING_SECRET: staffSigningSecret,
        TEND_STAFF_SLACK_API_URL: standin.url,
      });
      tend = await startTend({ config, channelFactories: [webChatFactory] });
    });
    afterAll(async () => {
      await tend?.stop();
      await standin?.close();
    });

    it("keeps Tend and its channels running, and answers the staff route with 503 so that Slack retries", async () => {
      const sam = standin.userId("sam");
      const response = await postToStaffEvents(tend.url, slashCommand({ text: "help", userId: sam, channelId: "D0SAM", responseUrl: standin.responseUrl() }), "command");
      expect(response.status).toBe(503);
      expect((await fetch(`${tend.url}/healthz`)).status).toBe(200);
      const chat = await fetch(`${tend.url}/webchat/api/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ visitorId: "visitor-start-0001", text: "help" }) });
      expect(chat.status).toBe(200);
    });
  });

  describe("over Socket Mode", () => {
    let standin: SlackStandin;
    let tend: RunningTend;
    let sam: string;
    let nina: string;
    beforeAll(async () => {
      standin = await SlackStandin.start({ botToken, staffBotToken, appToken: staffAppToken, users: [{ name: "sam" }, { name: "nina" }] });
      sam = standin.userId("sam");
      nina = standin.userId("nina");
      const config = loadConfig({
        ...(await pglite.env()),
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        TEND_STAFF_SLACK_BOT_TOKEN: staffBotToken,
        TEND_STAFF_SLACK_APP_TOKEN: staffAppToken,
        TEND_STAFF_SLACK_API_URL: standin.url,
        TEND_STAFF_SLACK_USERS: `${sam}:Sam`,
      });
      tend = await startTend({ config, channelFactories: [webChatFactory] });
      await standin.socketConnected();
    });
    afterAll(async () => {
      await tend?.stop();
      await standin?.close();
    });

    it("takes slash commands over the socket, staff only, and serves no HTTP route", async () => {
      const help = (await standin.sendEnvelope("slash_commands", slashCommand({ text: "help", userId: sam, channelId: "D0SAM", responseUrl: standin.responseUrl() }))) as { text?: string };
      expect(help.text).toContain("/tend customer");
      const refused = (await standin.sendEnvelope("slash_commands", slashCommand({ text: "report", userId: nina, channelId: "D0NINA", responseUrl: standin.responseUrl("nina") }))) as {
        text?: string;
      };
      expect(refused.text).toMatch(/only Tend staff/);
      expect(standin.responsesTo("nina")).toEqual([]);
      const audited = await tend.services.staff.auditLog({ action: "staff.authorize" });
      expect(audited.some((a) => a.actorId === `slack:${nina}` && a.outcome === "refused")).toBe(true);
      expect((await postToStaffEvents(tend.url, { type: "url_verification", challenge: "x" }, "event")).status).toBe(404);
    });
  });
});
