import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { telegramFactory } from "../../adapters/telegram/index.ts";
import { webChatFactory } from "../../adapters/web/index.ts";
import { type RunningTend, startTend } from "../../src/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { ChannelStartError } from "../../src/core/channel.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { type Captured, buttonIds, capturing, deliver, goodToken } from "../support/telegram-helpers.ts";
import { type StandinUpdate, TelegramStandin } from "../support/telegram-standin.ts";

const webhookUrl = "https://tend.example.test/telegram/webhook";
const secret = "webhook-secret_0123456789";

describe("Telegram by webhook, then back to long polling", () => {
  let standin: TelegramStandin;
  let dataDir: string;
  let tend: RunningTend | undefined;
  const captured: Captured = {};
  let bo: ReturnType<TelegramStandin["user"]>;

  const config = (extra: Record<string, string>) =>
    loadConfig({
      TEND_DATA_DIR: dataDir,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      TELEGRAM_BOT_TOKEN: goodToken,
      TELEGRAM_API_ROOT: standin.url,
      ...extra,
    });

  function post(update: unknown, headers: Record<string, string> = { "x-telegram-bot-api-secret-token": secret }) {
    return fetch(`${tend!.url}/telegram/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(update),
    });
  }

  beforeAll(async () => {
    standin = await TelegramStandin.start([goodToken]);
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tend-telegram-webhook-"));
    bo = standin.user(7001, { first_name: "Bo", language_code: "en" });
    tend = await startTend({
      config: config({ TELEGRAM_WEBHOOK_URL: webhookUrl, TELEGRAM_WEBHOOK_SECRET: secret }),
      channelFactories: [capturing(telegramFactory, captured)],
    });
  });
  afterAll(async () => {
    await tend?.stop();
    await standin?.close();
  });

  it("needs the secret as well as the URL", () => {
    expect(telegramFactory.missingSettings(loadConfig({ TELEGRAM_BOT_TOKEN: goodToken, TELEGRAM_WEBHOOK_URL: webhookUrl }))).toEqual([
      "TELEGRAM_WEBHOOK_SECRET",
    ]);
    expect(telegramFactory.missingSettings(loadConfig({}))).toEqual(["TELEGRAM_BOT_TOKEN"]);
  });

  it("registers the webhook with its secret and does not poll", () => {
    expect(captured.startError).toBeUndefined();
    expect(standin.webhook).toEqual({ url: webhookUrl, secretToken: secret });
    expect(standin.callsOf("setWebhook")[0]?.payload).toMatchObject({ allowed_updates: ["message", "callback_query"] });
    expect(standin.callsOf("getUpdates")).toEqual([]);
  });

  it("refuses a wrong or missing secret with 401 and handles nothing", async () => {
    const update = standin.textUpdate(bo, "/start");
    expect((await post(update, { "x-telegram-bot-api-secret-token": "not-the-secret" })).status).toBe(401);
    expect((await post(update, { "x-telegram-bot-api-secret-token": `${secret}x` })).status).toBe(401);
    expect((await post(update, {})).status).toBe(401);
    expect(standin.sent).toEqual([]);
    expect(await tend!.services.customers.findByIdentity("telegram", "7001")).toBeNull();
  });

  it("refuses a body that is not an update", async () => {
    expect((await post({ hello: "world" })).status).toBe(400);
  });

  it("handles an update before answering, and a redelivered one once", async () => {
    const update = standin.textUpdate(bo, "/start");
    const first = await post(update);
    expect(first.status).toBe(200);
    // Handled before the answer: the reply is already out.
    expect(standin.messagesTo(7001)).toHaveLength(1);
    expect(buttonIds(standin.messagesTo(7001)[0])).toContain("menu:points");

    // Telegram retries when it thinks the first delivery failed.
    expect((await post(update)).status).toBe(200);
    expect(standin.messagesTo(7001)).toHaveLength(1);

    const press: StandinUpdate = standin.callbackUpdate(bo, "menu:points");
    expect((await post(press)).status).toBe(200);
    expect(standin.answeredCallbacks).toContain((press.callback_query as { id: string }).id);
    expect(standin.messagesTo(7001).at(-1)?.visibleText).toMatch(/You have 0 points/);
  });

  it("switches back to long polling when the webhook URL is removed", async () => {
    await tend!.stop();
    // Telegram would hold updates for the webhook meanwhile; getUpdates refuses while it is set.
    expect(standin.webhook).not.toBeNull();
    tend = await startTend({ config: config({}), channelFactories: [capturing(telegramFactory, captured)] });
    expect(captured.startError).toBeUndefined();
    expect(standin.webhook).toBeNull();
    const [reply] = await deliver(standin, standin.textUpdate(bo, "points"));
    expect(reply?.visibleText).toMatch(/You have 0 points/);
  });
});

describe("Telegram with a wrong bot token", () => {
  let standin: TelegramStandin;
  let tend: RunningTend | undefined;
  const captured: Captured = {};
  const logLines: string[] = [];
  const badToken = "999999:wrong-token-abcdefghijklmnopqrstu";

  beforeAll(async () => {
    standin = await TelegramStandin.start([goodToken]);
    const logger = createLogger(
      "info",
      new Writable({
        write(chunk, _encoding, done) {
          logLines.push(String(chunk));
          done();
        },
      }),
    );
    tend = await startTend({
      config: loadConfig({
        TEND_DATA_DIR: await fs.mkdtemp(path.join(os.tmpdir(), "tend-telegram-badtoken-")),
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "info",
        TELEGRAM_BOT_TOKEN: badToken,
        TELEGRAM_API_ROOT: standin.url,
      }),
      logger,
      channelFactories: [webChatFactory, capturing(telegramFactory, captured)],
    });
  });
  afterAll(async () => {
    await tend?.stop();
    await standin?.close();
  });

  it("fails its start with ChannelStartError naming TELEGRAM_BOT_TOKEN, and the web chat keeps running", async () => {
    expect(captured.startError).toBeInstanceOf(ChannelStartError);
    expect((captured.startError as ChannelStartError).variable).toBe("TELEGRAM_BOT_TOKEN");
    expect((captured.startError as ChannelStartError).message).toMatch(/401/);
    expect(standin.callsOf("getUpdates")).toEqual([]);

    const log = logLines.join("");
    expect(log).toMatch(/channel did not start/);
    expect(log).toContain("TELEGRAM_BOT_TOKEN");
    expect(log).not.toContain(badToken.split(":")[1]);

    const response = await fetch(`${tend!.url}/webchat/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ visitorId: "visitor-telegram-0001", text: "help" }),
    });
    expect(response.status).toBe(200);
    const { replies } = (await response.json()) as { replies: { text: string }[] };
    expect(replies[0]?.text).toMatch(/^Hi/);
  });
});
