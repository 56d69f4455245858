import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { telegramFactory } from "../../adapters/telegram/index.ts";
import { type RunningTend, startTend } from "../../src/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { tendDatabaseTargets } from "../support/databases.ts";
import { goodToken } from "../support/telegram-helpers.ts";
import { TelegramStandin } from "../support/telegram-standin.ts";

// The webhook answers Telegram once the replies are sent and records their delivery (the
// platform's message id) just after: the record must still be written, also when Tend stops
// right after the answer.
const target = tendDatabaseTargets("telegram-webhook-delivery").find((t) => t.name === "postgres")!;
const secret = "webhook-secret_delivery_0123";

describe.skipIf(target.skip)("Telegram webhook: what became of the replies is recorded after the answer", () => {
  let standin: TelegramStandin;
  let env: Record<string, string>;
  let tend: RunningTend | undefined;

  const start = () =>
    startTend({
      config: loadConfig({
        ...env,
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        TELEGRAM_BOT_TOKEN: goodToken,
        TELEGRAM_API_ROOT: standin.url,
        TELEGRAM_WEBHOOK_URL: "https://tend.example.test/telegram/webhook",
        TELEGRAM_WEBHOOK_SECRET: secret,
      }),
      channelFactories: [telegramFactory],
    });

  const post = (update: unknown) =>
    fetch(`${tend!.url}/telegram/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
      body: JSON.stringify(update),
    });

  async function repliesTo(chat: number) {
    const customer = await tend!.services.customers.findByIdentity("telegram", String(chat));
    return (await tend!.services.interactions.timeline(customer!.id, { limit: 50 })).filter((row) => row.direction === "out");
  }

  beforeAll(async () => {
    standin = await TelegramStandin.start([goodToken]);
    env = await target.env();
    tend = await start();
  });
  afterAll(async () => {
    await tend?.stop();
    await standin?.close();
  });

  it("records the platform's message id of a reply sent from a webhook update", async () => {
    const bo = standin.user(7101, { first_name: "Bo", language_code: "en" });
    expect((await post(standin.textUpdate(bo, "points"))).status).toBe(200);
    const [sent] = standin.messagesTo(7101);
    expect(sent).toBeDefined();
    await vi.waitFor(async () => expect((await repliesTo(7101)).map((row) => row.platformMessageId)).toEqual([`7101:${sent!.messageId}`]));
  });

  it("writes that record before a stop right after the answer closes the database", async () => {
    const al = standin.user(7102, { first_name: "Al", language_code: "en" });
    expect((await post(standin.textUpdate(al, "help"))).status).toBe(200);
    const [sent] = standin.messagesTo(7102);
    await tend!.stop();
    tend = await start();
    expect((await repliesTo(7102)).map((row) => row.platformMessageId)).toEqual([`7102:${sent!.messageId}`]);
  });
});
