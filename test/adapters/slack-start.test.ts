import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlackAdapter } from "../../adapters/slack/adapter.ts";
import { slackFactory } from "../../adapters/slack/index.ts";
import { webChatFactory } from "../../adapters/web/index.ts";
import { type RunningTend, startTend } from "../../src/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { ChannelStartError } from "../../src/core/channel.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { type Captured, appToken, botToken, buttonPress, capturing, messageEvent, postToSlackEvents, signingSecret, waitFor } from "../support/slack-helpers.ts";
import { SlackStandin } from "../support/slack-standin.ts";

const base = async () => ({
  TEND_DATA_DIR: await fs.mkdtemp(path.join(os.tmpdir(), "tend-slack-start-")),
  PORT: "0",
  HOST: "127.0.0.1",
  LOG_LEVEL: "silent",
});

describe("Slack settings", () => {
  it("needs the bot token, and the signing secret unless Socket Mode is on", () => {
    expect(slackFactory.missingSettings(loadConfig({}))).toEqual(["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]);
    expect(slackFactory.missingSettings(loadConfig({ SLACK_BOT_TOKEN: botToken }))).toEqual(["SLACK_SIGNING_SECRET"]);
    expect(slackFactory.missingSettings(loadConfig({ SLACK_BOT_TOKEN: botToken, SLACK_SIGNING_SECRET: signingSecret }))).toEqual([]);
    expect(slackFactory.missingSettings(loadConfig({ SLACK_BOT_TOKEN: botToken, SLACK_APP_TOKEN: appToken }))).toEqual([]);
    expect(slackFactory.missingSettings(loadConfig({ SLACK_APP_TOKEN: appToken }))).toEqual(["SLACK_BOT_TOKEN"]);
  });
});

describe("Slack with a wrong bot token", () => {
  let standin: SlackStandin;
  let tend: RunningTend;
  const captured: Captured = {};

  beforeAll(async () => {
    standin = await SlackStandin.start({ botToken, users: [] });
    const config = loadConfig({
      ...(await base()),
      SLACK_BOT_TOKEN: "xoxb-1000-2000-revokedtoken",
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: standin.url,
    });
    tend = await startTend({ config, channelFactories: [webChatFactory, capturing(slackFactory, captured)] });
  });
  afterAll(async () => {
    await tend?.stop();
    await standin?.close();
  });

  it("fails to start with ChannelStartError naming SLACK_BOT_TOKEN while the web chat keeps running", async () => {
    expect(captured.startError).toBeInstanceOf(ChannelStartError);
    const error = captured.startError as ChannelStartError;
    expect(error.variable).toBe("SLACK_BOT_TOKEN");
    expect(error.message).toMatch(/invalid_auth/);
    expect(error.message).not.toContain("revokedtoken");

    const response = await fetch(`${tend.url}/webchat/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ visitorId: "visitor-slack-down-1", text: "help" }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { replies: unknown[] }).replies).toHaveLength(1);

    // Slack's deliveries meanwhile are refused as "try again later", not lost as handled.
    const event = await postToSlackEvents(tend.url, messageEvent("D0ALICE01", "U0ALICE01", "help"));
    expect(event.status).toBe(503);
  });
});

describe("Slack over Socket Mode", () => {
  let standin: SlackStandin;
  let tend: RunningTend;
  const captured: Captured = {};
  const adapter = () => captured.adapter!;

  beforeAll(async () => {
    standin = await SlackStandin.start({ botToken, appToken, users: [{ name: "carol", displayName: "Carol", locale: "en-GB" }] });
    // No signing secret: Socket Mode does not need one.
    const config = loadConfig({ ...(await base()), SLACK_BOT_TOKEN: botToken, SLACK_APP_TOKEN: appToken, SLACK_API_URL: standin.url });
    tend = await startTend({ config, channelFactories: [capturing(slackFactory, captured)] });
    await standin.socketConnected();
  });
  afterAll(async () => {
    await tend?.stop();
    await standin?.close();
  });

  it("connects with the app-level token instead of taking HTTP requests", async () => {
    expect(captured.startError).toBeUndefined();
    expect(adapter().mode).toBe("socket");
    expect(adapter().receiver).toBeUndefined();
    expect(standin.callsOf("apps.connections.open").map((c) => c.token)).toEqual([appToken]);
    const response = await postToSlackEvents(tend.url, messageEvent("D0ALICE01", "U0ALICE01", "help"));
    expect(response.status).toBe(404);
  });

  it("answers a direct message and a button press delivered over the socket", async () => {
    const carol = standin.userId("carol");
    const dm = await standin.dm("carol");
    await standin.sendEnvelope("events_api", messageEvent(dm, carol, "help"));
    await waitFor(() => standin.postsTo(dm).length === 1, "the reply to help");
    const menu = standin.postsTo(dm)[0]!;
    const points = menu.blocks.flatMap((b) => b.elements ?? []).find((e) => e.value === "menu:points");
    expect(points).toBeDefined();

    await standin.sendEnvelope("interactive", buttonPress(dm, carol, { action_id: points!.action_id, value: "menu:points" }));
    await waitFor(() => standin.postsTo(dm).length === 2, "the reply to the button");
    expect(standin.postsTo(dm)[1]!.blocks[0]?.text?.text).toMatch(/You have 0 points/);
  });

  it("refuses a wrong app-level token with ChannelStartError naming SLACK_APP_TOKEN", async () => {
    const wrong = new SlackAdapter({ botToken, apiUrl: standin.url, appToken: "xapp-1-A0TEND0001-3000-wrong" }, createLogger("silent"));
    const error = await wrong.start(async () => []).then(
      () => undefined,
      (e: unknown) => e,
    );
    await wrong.stop();
    expect(error).toBeInstanceOf(ChannelStartError);
    expect((error as ChannelStartError).variable).toBe("SLACK_APP_TOKEN");
  });
});
