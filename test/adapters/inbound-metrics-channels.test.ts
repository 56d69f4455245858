import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningTend, startTend } from "../../src/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { DiscordStandIn } from "../support/discord-standin.ts";
import { appToken, botToken, messageEvent, postToSlackEvents, signingSecret, waitFor } from "../support/slack-helpers.ts";
import { SlackStandin } from "../support/slack-standin.ts";
import { deliver, goodToken } from "../support/telegram-helpers.ts";
import { TelegramStandin } from "../support/telegram-standin.ts";

/**
 * `tend_inbound_message_duration_seconds` on /metrics carries a `platform` label for every channel,
 * whichever way a message arrives: a user watching one channel's latency in production sees
 * exactly that channel's messages. One real message per delivery path, through the installed
 * adapters and the platforms' own libraries against loopback stand-ins (web: test/inbound-metrics.test.ts
 * covers it on both databases; it is checked here too, beside the others).
 */
const platforms = ["web", "telegram", "discord", "slack"] as const;
type Counts = Record<(typeof platforms)[number], number>;

async function inboundCounts(tend: RunningTend): Promise<Counts> {
  const text = await (await fetch(`${tend.url}/metrics`)).text();
  const count = (platform: string) =>
    Number(new RegExp(`^tend_inbound_message_duration_seconds_count\\{platform="${platform}"\\} (\\d+)$`, "m").exec(text)?.[1] ?? "0");
  return Object.fromEntries(platforms.map((p) => [p, count(p)])) as Counts;
}

/** Runs `deliver` and checks that exactly one inbound message was counted, under `platform` only. */
async function expectCountedUnder(tend: RunningTend, platform: keyof Counts, deliverOne: () => Promise<unknown>) {
  const before = await inboundCounts(tend);
  await deliverOne();
  const after = await inboundCounts(tend);
  expect(after).toEqual({ ...before, [platform]: before[platform] + 1 });
  // The histogram's other series carry the same label (what a latency quantile is computed from).
  const text = await (await fetch(`${tend.url}/metrics`)).text();
  expect(text).toMatch(new RegExp(`^tend_inbound_message_duration_seconds_bucket\\{le="\\+Inf",platform="${platform}"\\} \\d+$`, "m"));
  expect(text).toMatch(new RegExp(`^tend_inbound_message_duration_seconds_sum\\{platform="${platform}"\\} [\\d.e-]+$`, "m"));
}

const dataDir = () => fs.mkdtemp(path.join(os.tmpdir(), "tend-inbound-metrics-channels-"));

describe("inbound latency by channel: web chat, Telegram long polling, Discord gateway, Slack over HTTP", () => {
  let tend: RunningTend;
  let telegram: TelegramStandin;
  let discord: DiscordStandIn;
  let slack: SlackStandin;

  beforeAll(async () => {
    [telegram, discord, slack] = await Promise.all([
      TelegramStandin.start([goodToken]),
      new DiscordStandIn().start(),
      SlackStandin.start({ botToken, users: [{ name: "mei", displayName: "Mei" }] }),
    ]);
    tend = await startTend({
      config: loadConfig({
        TEND_DATA_DIR: await dataDir(),
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        TELEGRAM_BOT_TOKEN: goodToken,
        TELEGRAM_API_ROOT: telegram.url,
        DISCORD_BOT_TOKEN: discord.token,
        DISCORD_API_URL: discord.apiUrl,
        SLACK_BOT_TOKEN: botToken,
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_API_URL: slack.url,
      }),
    });
    await telegram.waitFor(() => telegram.callsOf("getUpdates").length > 0, "the first poll");
  }, 120_000);
  afterAll(async () => {
    await tend?.stop();
    await Promise.all([telegram?.close(), discord?.stop(), slack?.close()]);
  });

  it("counts a web chat message under platform=web", async () => {
    await expectCountedUnder(tend, "web", async () => {
      const response = await fetch(`${tend.url}/webchat/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ visitorId: "visitor-metrics-0001", text: "help" }),
      });
      expect(response.status).toBe(200);
    });
  });

  it("counts a Telegram message fetched by long polling under platform=telegram", async () => {
    const ann = telegram.user(7101, { first_name: "Ann", language_code: "en" });
    await expectCountedUnder(tend, "telegram", async () => {
      const sent = await deliver(telegram, telegram.textUpdate(ann, "help"));
      expect(sent).toHaveLength(1);
    });
  });

  it("counts a Discord message from the gateway and a slash command under platform=discord", async () => {
    const bo = discord.addUser("bo", "Bo");
    const dm = discord.dmChannelOf(bo.id);
    await expectCountedUnder(tend, "discord", async () => {
      discord.userWrites(bo.id, "help");
      await discord.nextMessage(dm);
    });
    await expectCountedUnder(tend, "discord", async () => {
      discord.userRunsCommand(bo.id, "points");
      await discord.nextMessage(dm);
    });
  });

  it("counts a Slack message from the Events API under platform=slack", async () => {
    const mei = slack.userId("mei");
    const dm = await slack.dm("mei");
    await expectCountedUnder(tend, "slack", async () => {
      expect((await postToSlackEvents(tend.url, messageEvent(dm, mei, "help"))).status).toBe(200);
      await waitFor(() => slack.postsTo(dm).length === 1, "the reply to help");
    });
  });
});

describe("inbound latency by channel: Telegram by webhook, Slack over Socket Mode", () => {
  const webhookSecret = "metrics-webhook-secret_0123";
  let tend: RunningTend;
  let telegram: TelegramStandin;
  let slack: SlackStandin;

  beforeAll(async () => {
    [telegram, slack] = await Promise.all([
      TelegramStandin.start([goodToken]),
      SlackStandin.start({ botToken, appToken, users: [{ name: "carol", displayName: "Carol" }] }),
    ]);
    tend = await startTend({
      config: loadConfig({
        TEND_DATA_DIR: await dataDir(),
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        TELEGRAM_BOT_TOKEN: goodToken,
        TELEGRAM_API_ROOT: telegram.url,
        TELEGRAM_WEBHOOK_URL: "https://tend.example.test/telegram/webhook",
        TELEGRAM_WEBHOOK_SECRET: webhookSecret,
        SLACK_BOT_TOKEN: botToken,
        SLACK_APP_TOKEN: appToken,
        SLACK_API_URL: slack.url,
      }),
    });
    await slack.socketConnected();
  }, 120_000);
  afterAll(async () => {
    await tend?.stop();
    await Promise.all([telegram?.close(), slack?.close()]);
  });

  it("counts a Telegram update posted to the webhook under platform=telegram", async () => {
    const cy = telegram.user(7102, { first_name: "Cy", language_code: "en" });
    await expectCountedUnder(tend, "telegram", async () => {
      const response = await fetch(`${tend.url}/telegram/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": webhookSecret },
        body: JSON.stringify(telegram.textUpdate(cy, "help")),
      });
      expect(response.status).toBe(200);
      // Handled before the webhook answers.
      expect(telegram.messagesTo(7102)).toHaveLength(1);
    });
  });

  it("counts a Slack message delivered over the socket under platform=slack", async () => {
    const carol = slack.userId("carol");
    const dm = await slack.dm("carol");
    await expectCountedUnder(tend, "slack", async () => {
      await slack.sendEnvelope("events_api", messageEvent(dm, carol, "help"));
      await waitFor(() => slack.postsTo(dm).length === 1, "the reply to help");
    });
  });
});
