import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelegramAdapter } from "../../adapters/telegram/adapter.ts";
import { telegramFactory } from "../../adapters/telegram/index.ts";
import { type RunningTend, startTend } from "../../src/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { type Captured, buttonIds, capturing, deliver, goodToken } from "../support/telegram-helpers.ts";
import { TelegramStandin } from "../support/telegram-standin.ts";
import { tendDatabaseTargets } from "../support/databases.ts";
import { sendError } from "../support/channel-errors.ts";

const targets = tendDatabaseTargets("telegram");

for (const target of targets) {
  describe.skipIf(Boolean(target.skip))(`Telegram over long polling [${target.name}]${target.skip ? ` (skipped: ${target.skip})` : ""}`, () => {
    let standin: TelegramStandin;
    let tend: RunningTend;
    const captured: Captured = {};
    const adapter = () => captured.adapter!;
    let ann: ReturnType<TelegramStandin["user"]>;

    beforeAll(async () => {
      standin = await TelegramStandin.start([goodToken]);
      // Left over from an earlier run in webhook mode: long polling must remove it first.
      standin.webhook = { url: "https://old.example.test/telegram/webhook" };
      ann = standin.user(5001, { first_name: "*_[x](y)_*", last_name: "<b>&amp;", language_code: "en" });
      const config = loadConfig({
        ...(await target.env()),
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        TELEGRAM_BOT_TOKEN: goodToken,
        TELEGRAM_API_ROOT: standin.url,
      });
      tend = await startTend({ config, channelFactories: [capturing(telegramFactory, captured)] });
      await standin.waitFor(() => standin.callsOf("getUpdates").length > 0, "the first poll");
    });
    afterAll(async () => {
      await tend?.stop();
      await standin?.close();
    });

    it("checks the token, removes a leftover webhook and long-polls", () => {
      expect(captured.startError).toBeUndefined();
      expect(standin.callsOf("getMe")).toHaveLength(1);
      expect(standin.callsOf("deleteWebhook")).toHaveLength(1);
      expect(standin.webhook).toBeNull();
      expect(standin.callsOf("getUpdates")[0]?.payload).toMatchObject({ timeout: 50, allowed_updates: ["message", "callback_query"] });
    });

    it("runs a conversation: /start, a menu button, a survey button, feedback, export and STOP", async () => {
      const [welcome, ...more] = await deliver(standin, standin.textUpdate(ann, "/start"));
      expect(more).toEqual([]);
      // The name is shown literally: escaped for HTML, not taken as markup.
      expect(welcome?.parseMode).toBe("HTML");
      expect(welcome?.visibleText).toMatch(/^Hi \*_\[x\]\(y\)_\* <b>&amp;! I can show your points/);
      expect(welcome?.text).toContain("&lt;b&gt;&amp;amp;");
      expect(buttonIds(welcome)).toEqual(["menu:points", "menu:rewards", "menu:rate", "menu:agent"]);

      const press = standin.callbackUpdate(ann, "menu:points");
      const [points] = await deliver(standin, press);
      expect(points?.visibleText).toMatch(/You have 0 points\. Your tier: Bronze\./);
      expect(standin.answeredCallbacks).toContain((press.callback_query as { id: string }).id);

      // Bot commands work with the bot's name attached, as Telegram sends them in menus.
      const [again] = await deliver(standin, standin.textUpdate(ann, "/points@tend_test_bot"));
      expect(again?.visibleText).toMatch(/You have 0 points/);

      const [question] = await deliver(standin, standin.textUpdate(ann, "rate us"));
      const two = buttonIds(question).find((id) => /^survey:[0-9a-f-]{36}:2$/.test(id));
      expect(two).toBeDefined();
      expect((await deliver(standin, standin.callbackUpdate(ann, two!)))[0]?.visibleText).toMatch(/main reason/);
      expect((await deliver(standin, standin.textUpdate(ann, "The parcel arrived broken <3")))[0]?.visibleText).toMatch(/look into it/);

      const exported = await deliver(standin, standin.textUpdate(ann, "my data"));
      const document = exported.find((m) => m.method === "sendDocument")?.document;
      expect(document?.fileName).toMatch(/\.json$/);
      const data = JSON.parse(document!.content) as { interactions: { text: string | null }[] };
      expect(data.interactions.some((i) => i.text === "The parcel arrived broken <3")).toBe(true);

      expect((await deliver(standin, standin.textUpdate(ann, "STOP")))[0]?.visibleText).toMatch(/no more messages you did not ask for/);

      const customer = await tend.services.customers.findByIdentity("telegram", "5001");
      expect(customer?.displayName).toBe("*_[x](y)_* <b>&amp;");
      expect(customer?.locale).toBe("en");
      expect(customer?.careConsent).toBe(false);
      expect(customer?.marketingConsent).toBe(false);
    });

    it("takes a Chinese-speaking customer's language from language_code", async () => {
      const li = standin.user(5003, { first_name: "李", language_code: "zh-hans" });
      const [reply] = await deliver(standin, standin.textUpdate(li, "/help"));
      expect(reply?.visibleText).toMatch(/^您好，李！/);
    });

    it("handles an update delivered twice once", async () => {
      const update = standin.textUpdate(ann, "rewards");
      const sent = await deliver(standin, update, update);
      expect(sent).toHaveLength(1);
      const customer = await tend.services.customers.findByIdentity("telegram", "5001");
      const timeline = await tend.services.interactions.timeline(customer!.id, { limit: 500 });
      expect(timeline.filter((i) => i.direction === "in" && i.text === "rewards")).toHaveLength(1);
    });

    it("ignores group chats but answers their button presses", async () => {
      const before = standin.sent.length;
      const group = {
        update_id: standin.newUpdateId(),
        message: { message_id: 77, date: 1, chat: { id: -100123, type: "supergroup", title: "Fans" }, from: ann, text: "points" },
      };
      const groupPress = {
        update_id: standin.newUpdateId(),
        callback_query: { id: "cb-group", from: ann, chat_instance: "g", data: "menu:points", message: { message_id: 78, date: 1, chat: { id: -100123, type: "supergroup" } } },
      };
      await deliver(standin, group, groupPress);
      expect(standin.sent.length).toBe(before);
      expect(standin.answeredCallbacks).toContain("cb-group");
    });

    it("maps a button id longer than Telegram's 64 bytes through a short key and back", async () => {
      const longId = `reward:${"x".repeat(80)}`;
      await adapter().send("telegram:5001", { text: "Pick one", choices: [{ id: longId, label: "Long" }] });
      const offered = standin.messagesTo(5001).at(-1);
      const data = buttonIds(offered)[0]!;
      expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
      await deliver(standin, standin.callbackUpdate(ann, data));
      const customer = await tend.services.customers.findByIdentity("telegram", "5001");
      const timeline = await tend.services.interactions.timeline(customer!.id, { limit: 500 });
      expect(timeline.some((i) => (i.metadata as { action?: string } | null)?.action === longId)).toBe(true);
    });

    it("surfaces send failures as ChannelError kinds", async () => {
      standin.failNext("sendMessage", { error_code: 429, description: "Too Many Requests: retry after 7", parameters: { retry_after: 7 } });
      const limited = await sendError(adapter().send("telegram:5001", { text: "hello" }));
      expect(limited.kind).toBe("rate_limited");
      expect(limited.retryAfterMs).toBe(7000);

      standin.block(5002);
      const blocked = await sendError(adapter().send("telegram:5002", { text: "hello" }));
      expect(blocked.kind).toBe("unreachable");
      expect(blocked.message).toMatch(/blocked by the user/);

      standin.failNext("sendMessage", { error_code: 400, description: "Bad Request: chat not found" });
      expect((await sendError(adapter().send("telegram:5009", { text: "hello" }))).kind).toBe("unreachable");
      standin.failNext("sendMessage", { error_code: 502, description: "Bad Gateway" });
      expect((await sendError(adapter().send("telegram:5001", { text: "hello" }))).kind).toBe("transient");
      standin.failNext("sendMessage", { error_code: 400, description: "Bad Request: message is too long" });
      expect((await sendError(adapter().send("telegram:5001", { text: "hello" }))).kind).toBe("rejected");
      expect((await sendError(adapter().send("slack:D123", { text: "hello" }))).kind).toBe("rejected");

      const offline = new TelegramAdapter({ token: goodToken, apiRoot: "http://127.0.0.1:9" }, createLogger("silent"));
      expect((await sendError(offline.send("telegram:5001", { text: "hello" }))).kind).toBe("transient");
    });

    it("records on the timeline what became of a reply: the platform's id when delivered, failed when not", async () => {
      const bo = standin.user(5010, { first_name: "Bo", language_code: "en" });
      const [answer] = await deliver(standin, standin.textUpdate(bo, "points"));
      expect(answer).toBeDefined();
      const customer = await tend.services.customers.findByIdentity("telegram", "5010");
      const replies = async () => (await tend.services.interactions.timeline(customer!.id, { limit: 500 })).filter((i) => i.direction === "out");
      const [delivered, ...none] = await replies();
      expect(none).toEqual([]);
      expect(delivered?.platformMessageId).toBe(`5010:${answer!.messageId}`);

      standin.block(5010);
      await deliver(standin, standin.textUpdate(bo, "rewards"));
      const failed = (await replies()).find((r) => r.id !== delivered!.id);
      expect(failed?.platformMessageId).toBeNull();
      expect(failed?.metadata).toMatchObject({ delivery: "failed", deliveryError: expect.stringMatching(/blocked by the user/) });
    });

    it("splits long texts at line breaks under 4096 visible characters, buttons on the last part", async () => {
      const lines = Array.from({ length: 250 }, (_, i) => `Line ${i}: <tag> & ${"word ".repeat(5).trim()}`);
      const text = lines.join("\n");
      expect(text.length).toBeGreaterThan(2 * 4096);
      const receipt = await adapter().send("telegram:5004", { text, choices: [{ id: "menu:help", label: "Menu" }] });
      const parts = standin.messagesTo(5004);
      expect(parts).toHaveLength(3);
      expect(receipt.platformMessageId).toBe(`5004:${parts[2]!.messageId}`);
      for (const part of parts) expect(part.visibleText!.length).toBeLessThanOrEqual(4096);
      expect(parts.map((p) => p.visibleText).join("\n")).toBe(text);
      expect(parts.map((p) => buttonIds(p))).toEqual([[], [], ["menu:help"]]);
    });

    it("stops cleanly and confirms the updates it handled", async () => {
      await tend.stop();
      const last = standin.callsOf("getUpdates").at(-1)!;
      expect(last.payload).toMatchObject({ limit: 1, timeout: 0 });
      // Nothing handled is left for the next start to see again.
      expect(standin.pending).toBe(0);
      expect(adapter().receiving).toBe(false);
    });
  });
}
