import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DiscordAdapter, type DiscordSettings, createDiscordFactory, defaultDiscordSettings } from "../../adapters/discord/index.ts";
import { escapeText, renderMessage, splitText } from "../../adapters/discord/render.ts";
import { webChatFactory } from "../../adapters/web/index.ts";
import { startTend } from "../../src/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { ChannelError, ChannelStartError, type InboundMessage, type OutboundMessage, type ReplyOutcome } from "../../src/core/channel.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { DiscordStandIn } from "../support/discord-standin.ts";

/** What a Discord client shows for a message: markdown escapes removed. */
const shown = (content: string) => content.replace(/\\([\\*_`~|[\]()#>.\-:])/g, "$1");
const silent = createLogger("silent");
const settings = (discord: DiscordStandIn, more: Partial<DiscordSettings> = {}): DiscordSettings => ({
  ...defaultDiscordSettings,
  token: discord.token,
  apiUrl: discord.apiUrl,
  readyTimeoutMs: 10_000,
  ...more,
});
const messagesPath = /^\/channels\/\d+\/messages$/;

describe("Discord rendering", () => {
  it("escapes every markdown construct so customer text shows as typed", () => {
    const samples = [
      "*_[x](y)_*",
      "**bold** __under__ ~~strike~~ ||spoiler|| `code` ```block```",
      "# heading\n## two\n-# subtext\n> quote\n>>> quotes\n- item\n* item\n1. first\n  2. second",
      "back\\slash \\*already\\* escaped",
      "[click](https://evil.example) <@123> @everyone",
      "积分 *星* _下划线_ 📦",
    ];
    for (const sample of samples) {
      const escaped = escapeText(sample);
      expect(shown(escaped)).toBe(sample);
      expect(escaped).not.toMatch(/(^|[^\\])(\*\*|__|~~|\|\||`)/);
      expect(escaped).not.toMatch(/^(#|-#|>|- |\* |\d+\.)/m);
    }
  });

  it("splits long texts at 2000 characters on line, then word boundaries, escaping each part on its own", () => {
    const lines = Array.from({ length: 60 }, (_, i) => `${i + 1}. line ${"word ".repeat(12)}*`);
    const text = lines.join("\n");
    const parts = splitText(text);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(2000);
    expect(parts.map(shown).join("\n")).toBe(text);
    // A part starting mid-line with "1." or "#" must not become a list or a heading.
    const words = `${"a ".repeat(1000)}1. x\n# y`;
    const [first, second] = splitText(words, 2000);
    expect(first!.length).toBeLessThanOrEqual(2000);
    expect(second).toBe("1\\. x\n\\# y");
    // No spaces at all: cut anywhere, but never inside an emoji or between a backslash and its character.
    const dense = "📦*".repeat(1500);
    const denseParts = splitText(dense);
    for (const part of denseParts) {
      expect(part.length).toBeLessThanOrEqual(2000);
      expect(/[\uD800-\uDBFF]$/.test(part)).toBe(false);
      expect(/(^|[^\\])(\\\\)*\\$/.test(part)).toBe(false);
    }
    expect(denseParts.map(shown).join("")).toBe(dense);
  });

  it("keeps every part within the limit and every character, for texts dense with markdown", () => {
    const alphabet = ["a", "bc", " ", " ", "\n", "*", "**", "_", "`", "~~", "||", "[x](y)", "#", "> ", "- ", "-#", "1.", "\\", "📦", "积分"];
    let seed = 42;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    for (let round = 0; round < 30; round++) {
      const text = Array.from({ length: 400 + (next() % 400) }, () => alphabet[next() % alphabet.length]).join("");
      const parts = splitText(text, 120);
      for (const part of parts) expect(part.length).toBeLessThanOrEqual(120);
      // Only the space or line break a cut was made at goes missing.
      expect(parts.map(shown).join("").replace(/[ \n]/g, "")).toBe(text.replace(/[ \n]/g, ""));
    }
  });

  it("puts at most 25 buttons in rows of five on the last part and leaves out ids Discord refuses", () => {
    const choices = Array.from({ length: 27 }, (_, i) => ({ id: `c${i}`, label: `Choice ${i}` }));
    choices.push({ id: "x".repeat(101), label: "too long" }, { id: "c0", label: "again" });
    const { parts, droppedChoices } = renderMessage({ text: "y".repeat(2500), choices });
    expect(parts).toHaveLength(2);
    expect(parts[0]!.components).toHaveLength(0);
    expect(parts[1]!.components.map((row) => row.components.length)).toEqual([5, 5, 5, 5, 5]);
    expect(droppedChoices).toBe(4);
    expect(renderMessage({ text: "" }).parts).toEqual([]);
  });
});

describe("Discord adapter over discord.js", () => {
  let discord: DiscordStandIn;
  let channel: DiscordAdapter;
  const handled: InboundMessage[] = [];
  const answers = new Map<string, OutboundMessage[]>();
  /** What the adapter reported about each message's replies. */
  const reported: { message: InboundMessage; outcomes: ReplyOutcome[] }[] = [];

  beforeAll(async () => {
    discord = await new DiscordStandIn().start();
    channel = new DiscordAdapter(settings(discord), silent);
    await channel.start(async (message) => {
      handled.push(message);
      return answers.get(message.text ?? message.action ?? "") ?? [{ text: `got ${message.text ?? message.action}` }];
    }, async (message, outcomes) => void reported.push({ message, outcomes }));
  });
  afterAll(async () => {
    await channel?.stop();
    await discord?.stop();
  });

  it("normalises a DM, a slash command and a button press", async () => {
    const user = discord.addUser("ana", "Ana");
    const dm = discord.dmChannelOf(user.id);
    answers.set("menu", [{ text: "Pick one", choices: [{ id: "menu:points", label: "My points" }] }]);
    const written = discord.userWrites(user.id, "menu");
    const menu = await discord.nextMessage(dm);
    const command = discord.userRunsCommand(user.id, "feedback", { locale: "zh-CN" });
    await discord.nextMessage(dm);
    const press = discord.userPresses(user.id, menu, "menu:points", { locale: "en-GB" });
    await discord.nextMessage(dm);

    const [message, slash, button] = handled.slice(-3);
    expect(message).toMatchObject({
      platform: "discord",
      platformUserId: user.id,
      address: `discord:${dm}`,
      platformMessageId: written.id,
      text: "menu",
      displayName: "Ana",
    });
    expect(message?.locale).toBeUndefined();
    expect(slash).toMatchObject({ platformMessageId: command.id, text: "rate us", locale: "zh-CN", address: `discord:${dm}` });
    expect(slash?.action).toBeUndefined();
    expect(button).toMatchObject({ platformMessageId: press.id, action: "menu:points", locale: "en-GB", platformUserId: user.id });
    expect(button?.text).toBeUndefined();
    for (const inbound of [message, slash, button]) expect(inbound?.receivedAt).toBeInstanceOf(Date);
  });

  it("drops a redelivered message or interaction before it reaches the engine", async () => {
    const user = discord.addUser("ben");
    const dm = discord.dmChannelOf(user.id);
    const first = discord.userWrites(user.id, "one");
    await discord.nextMessage(dm);
    discord.redeliver("MESSAGE_CREATE", first);
    const command = discord.userRunsCommand(user.id, "points");
    discord.redeliver("INTERACTION_CREATE", command);
    await discord.nextMessage(dm);
    const last = discord.userWrites(user.id, "two");
    expect((await discord.nextMessage(dm)).content).toBe("got two");
    expect(handled.filter((m) => m.platformUserId === user.id).map((m) => m.platformMessageId)).toEqual([first.id, command.id, last.id]);
    // The repeated interaction was not even acknowledged again (Discord would refuse: 40060).
    expect(discord.requests.filter((r) => r.path.startsWith(`/interactions/${command.id as string}/`))).toHaveLength(1);
    expect(discord.unread(dm)).toEqual([]);
  });

  it("answers a command with several replies: the deferred reply first, then follow-ups", async () => {
    const user = discord.addUser("cy");
    const dm = discord.dmChannelOf(user.id);
    const long = Array.from({ length: 1500 }, () => "x").join(" ");
    answers.set("help", [{ text: "first" }, { text: long }]);
    discord.userRunsCommand(user.id, "help");
    const [first, second, third] = await discord.nextMessages(dm, 3);
    expect(first).toMatchObject({ via: "interaction", content: "first" });
    expect([second?.via, third?.via]).toEqual(["followup", "followup"]);
    expect(`${second?.content} ${third?.content}`).toBe(long);
  });

  it("splits a long proactive message at 2000 characters with the buttons on the last part", async () => {
    const user = discord.addUser("dee");
    const dm = discord.dmChannelOf(user.id);
    const text = Array.from({ length: 90 }, (_, i) => `Line ${i}: ${"lorem ipsum ".repeat(4)}`).join("\n");
    const choices = Array.from({ length: 7 }, (_, i) => ({ id: `pick:${i}`, label: `Pick ${i}` }));
    const receipt = await channel.send(`discord:${dm}`, { text, choices });
    const parts = discord.unread(dm);
    expect(text.length).toBeGreaterThan(4000);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) expect(part.content.length).toBeLessThanOrEqual(2000);
    expect(parts.map((p) => shown(p.content)).join("\n")).toBe(text);
    expect(parts.slice(0, -1).every((p) => p.components.length === 0)).toBe(true);
    expect(parts.at(-1)?.components.map((row) => row.components.length)).toEqual([5, 2]);
    expect(receipt.platformMessageId).toBe(parts.at(-1)?.id);
    await discord.nextMessages(dm, parts.length);
  });

  it("sends an attachment as a file", async () => {
    const user = discord.addUser("eli");
    const dm = discord.dmChannelOf(user.id);
    const content = JSON.stringify({ name: "Eli 李", points: 5 });
    await channel.send(`discord:${dm}`, { text: "Your data", attachment: { fileName: "my-data.json", contentType: "application/json", content } });
    const message = await discord.nextMessage(dm);
    expect(message.content).toBe("Your data");
    expect(message.files.map((f) => [f.filename, f.content.toString("utf8")])).toEqual([["my-data.json", content]]);
  });

  it("surfaces a 429 as rate_limited with Discord's retry-after, and waits out a short one itself", async () => {
    const user = discord.addUser("fay");
    const dm = discord.dmChannelOf(user.id);
    discord.failNext("POST", messagesPath, {
      status: 429,
      headers: {
        "retry-after": "3",
        "x-ratelimit-limit": "5",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset-after": "3",
        "x-ratelimit-scope": "user",
      },
      body: { message: "You are being rate limited.", retry_after: 3, global: false },
    });
    const error = await channel.send(`discord:${dm}`, { text: "hello" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelError);
    expect(error).toMatchObject({ kind: "rate_limited", retryAfterMs: 3000, platform: "discord" });

    // Still limited: discord.js refuses before calling Discord, with the time left.
    const posted = discord.requests.filter((r) => messagesPath.test(r.path)).length;
    const again = await channel.send(`discord:${dm}`, { text: "hello" }).catch((e: unknown) => e);
    expect(again).toMatchObject({ kind: "rate_limited" });
    expect((again as ChannelError).retryAfterMs).toBeGreaterThan(0);
    expect((again as ChannelError).retryAfterMs).toBeLessThanOrEqual(3000);
    expect(discord.requests.filter((r) => messagesPath.test(r.path)).length).toBe(posted);

    // A wait shorter than maxRateLimitWaitMs is discord.js's to absorb.
    const other = discord.dmChannelOf(discord.addUser("gus").id);
    discord.failNext("POST", messagesPath, { status: 429, headers: { "retry-after": "0.05" }, body: { message: "slow down", retry_after: 0.05, global: false } });
    await channel.send(`discord:${other}`, { text: "hello" });
    expect((await discord.nextMessage(other)).content).toBe("hello");
  });

  it("reports a user who blocked the bot, and an unknown channel, as unreachable", async () => {
    const user = discord.addUser("hal");
    const dm = discord.dmChannelOf(user.id);
    discord.block(user.id);
    await expect(channel.send(`discord:${dm}`, { text: "hello" })).rejects.toMatchObject({ kind: "unreachable", message: expect.stringMatching(/50007/) });
    await expect(channel.send("discord:123456789012345678", { text: "hello" })).rejects.toMatchObject({ kind: "unreachable" });

    // Their own message is still handled; the undeliverable answer is logged, nothing breaks.
    const before = handled.length;
    discord.userWrites(user.id, "hi");
    const next = discord.addUser("ida");
    discord.userWrites(next.id, "hi");
    const delivered = await discord.nextMessage(discord.dmChannelOf(next.id));
    expect(delivered.content).toBe("got hi");
    expect(handled.slice(before).map((m) => m.platformUserId)).toEqual([user.id, next.id]);

    // The engine is told which reply did not arrive, and why, and the id of the one that did.
    const fate = (userId: string) => reported.find((r) => r.message.platformUserId === userId)?.outcomes;
    await vi.waitFor(() => {
      expect(fate(user.id)).toEqual([{ reply: { text: "got hi" }, sent: false, error: expect.stringMatching(/50007/) }]);
      expect(fate(next.id)).toEqual([{ reply: { text: "got hi" }, sent: true, platformMessageId: delivered.id }]);
    }, { timeout: 10_000, interval: 20 });
  });

  it("reports 5xx as transient and other 4xx as rejected", async () => {
    const dm = discord.dmChannelOf(discord.addUser("jo").id);
    await channel.send(`discord:${dm}`, { text: "warm-up" });
    for (let i = 0; i <= defaultDiscordSettings.restRetries; i++) {
      discord.failNext("POST", messagesPath, { status: 502, body: { message: "Bad Gateway", code: 0 } });
    }
    await expect(channel.send(`discord:${dm}`, { text: "hello" })).rejects.toMatchObject({ kind: "transient" });
    discord.failNext("POST", messagesPath, { status: 400, body: { message: "Invalid Form Body", code: 50035 } });
    await expect(channel.send(`discord:${dm}`, { text: "hello" })).rejects.toMatchObject({ kind: "rejected" });
    await expect(channel.send("web:visitor-1", { text: "hello" })).rejects.toMatchObject({ kind: "rejected" });
  });
});

describe("Discord start and stop", () => {
  let discord: DiscordStandIn;
  beforeAll(async () => {
    discord = await new DiscordStandIn().start();
  });
  afterAll(async () => {
    await discord?.stop();
  });

  it("fails with ChannelStartError naming DISCORD_BOT_TOKEN for a refused token, without retrying", async () => {
    const adapter = new DiscordAdapter(settings(discord, { token: "not-the-right-token-0123456789" }), silent);
    const error = await adapter.start(async () => []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelStartError);
    expect(error).toMatchObject({ platform: "discord", variable: "DISCORD_BOT_TOKEN" });
    expect((error as Error).message).toMatch(/DISCORD_BOT_TOKEN/);
    expect(discord.requests.filter((r) => r.path === "/gateway/bot")).toHaveLength(1);
    expect(discord.openGatewayConnections).toBe(0);
    await expect(adapter.send("discord:1", { text: "x" })).rejects.toMatchObject({ kind: "transient" });
  });

  it("fails the same way when the gateway refuses the token (close 4004), and does not reconnect", async () => {
    const gateway = await new DiscordStandIn({ gatewayRejectsToken: true }).start();
    try {
      const adapter = new DiscordAdapter(settings(gateway), silent);
      await expect(adapter.start(async () => [])).rejects.toMatchObject({ name: "ChannelStartError", variable: "DISCORD_BOT_TOKEN" });
      await gateway.waitFor(() => gateway.openGatewayConnections === 0, 5_000, "the gateway connection to close");
      expect(gateway.gatewayIdentifies).toBe(1);
    } finally {
      await gateway.stop();
    }
  });

  it("names DISCORD_API_URL when Discord cannot be reached", async () => {
    const adapter = new DiscordAdapter(settings(discord, { apiUrl: "http://127.0.0.1:9/api" }), silent);
    await expect(adapter.start(async () => [])).rejects.toMatchObject({ name: "ChannelStartError", variable: "DISCORD_API_URL" });
  });

  it("stop() closes the gateway connection", async () => {
    const adapter = new DiscordAdapter(settings(discord, { registerCommands: false }), silent);
    await adapter.start(async () => []);
    expect(discord.openGatewayConnections).toBe(1);
    await adapter.stop();
    await discord.waitFor(() => discord.openGatewayConnections === 0, 5_000, "the gateway connection to close");
    await expect(adapter.send("discord:1", { text: "x" })).rejects.toMatchObject({ kind: "transient" });
  });

  it("keeps Tend and its web chat running when the Discord token is wrong", async () => {
    const lines: string[] = [];
    const logger = createLogger("error", { write: (line: string) => void lines.push(line) });
    const config = loadConfig({
      TEND_DATA_DIR: await fs.mkdtemp(path.join(os.tmpdir(), "tend-discord-bad-")),
      PORT: "0",
      HOST: "127.0.0.1",
      DISCORD_BOT_TOKEN: "not-the-right-token-0123456789",
      DISCORD_API_URL: discord.apiUrl,
    });
    const tend = await startTend({ config, logger, channelFactories: [webChatFactory, createDiscordFactory({ readyTimeoutMs: 10_000 })] });
    try {
      const response = await fetch(`${tend.url}/webchat/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ visitorId: "visitor-discord-down", text: "help" }),
      });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { replies: { text: string }[] }).replies[0]?.text).toMatch(/^Hi!/);
      const failure = lines.map((line) => JSON.parse(line) as { msg: string; platform?: string; err?: string }).find((l) => l.msg === "channel did not start");
      expect(failure).toMatchObject({ platform: "discord", err: expect.stringMatching(/DISCORD_BOT_TOKEN/) });
      expect(lines.join("\n")).not.toContain("not-the-right-token");
      expect(discord.openGatewayConnections).toBe(0);
    } finally {
      await tend.stop();
    }
  });
});
