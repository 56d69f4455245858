import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningTend, startTend } from "../../src/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { DiscordStandIn } from "../support/discord-standin.ts";
import { botToken, signingSecret } from "../support/slack-helpers.ts";
import { SlackStandin } from "../support/slack-standin.ts";
import { deliver, goodToken } from "../support/telegram-helpers.ts";
import { TelegramStandin } from "../support/telegram-standin.ts";

/** What a Discord client shows for a message: markdown escapes removed. */
const shown = (content: string) => content.replace(/\\([\\*_`~|[\]()#>.\-:])/g, "$1");

describe("all four channels in one Tend", () => {
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
    const config = loadConfig({
      TEND_DATA_DIR: await fs.mkdtemp(path.join(os.tmpdir(), "tend-all-channels-")),
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
    });
    // The installed adapters, as `npm start` runs them.
    tend = await startTend({ config });
    await telegram.waitFor(() => telegram.callsOf("getUpdates").length > 0, "the first poll");
  });
  afterAll(async () => {
    await tend?.stop();
    await Promise.all([telegram?.close(), discord?.stop(), slack?.close()]);
  });

  it("runs the web chat, Telegram, Discord and Slack at once", async () => {
    expect(telegram.callsOf("getMe")).toHaveLength(1);
    expect(discord.openGatewayConnections).toBe(1);
    expect(slack.callsOf("auth.test")).toHaveLength(1);
    const web = await fetch(`${tend.url}/webchat/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ visitorId: "visitor-all-0001", text: "help" }),
    });
    expect(web.status).toBe(200);
  });

  it("joins a customer's Telegram and Discord into one timeline", async () => {
    const ann = telegram.user(7001, { first_name: "Ann", language_code: "en" });
    await deliver(telegram, telegram.textUpdate(ann, "birthday 1990-05-12"));
    const [issued] = await deliver(telegram, telegram.textUpdate(ann, "link"));
    const code = /link ([A-Z0-9]{6})/.exec(issued?.visibleText ?? "")?.[1];
    expect(code).toBeDefined();

    const annOnDiscord = discord.addUser("ann", "Ann");
    const dm = discord.dmChannelOf(annOnDiscord.id);
    discord.userWrites(annOnDiscord.id, `link ${code}`);
    expect(shown((await discord.nextMessage(dm)).content)).toMatch(/^Linked!/);

    const viaTelegram = await tend.services.customers.findByIdentity("telegram", "7001");
    const viaDiscord = await tend.services.customers.findByIdentity("discord", annOnDiscord.id);
    expect(viaTelegram?.id).toBeDefined();
    expect(viaDiscord?.id).toBe(viaTelegram?.id);
    expect(viaDiscord?.birthday?.toISOString().slice(0, 10)).toBe("1990-05-12");
    const timeline = await tend.services.interactions.timeline(viaTelegram!.id, { limit: 100 });
    expect(new Set(timeline.map((i) => i.platform))).toEqual(new Set(["telegram", "discord"]));
    expect(timeline.some((i) => i.platform === "telegram" && i.text === "birthday 1990-05-12")).toBe(true);
    expect(timeline.some((i) => i.platform === "discord" && i.text === `link ${code}`)).toBe(true);

    // Asked on Discord now, the points come from the one shared profile.
    discord.userWrites(annOnDiscord.id, "points");
    expect(shown((await discord.nextMessage(dm)).content)).toMatch(/You have 0 points/);
  });
});
