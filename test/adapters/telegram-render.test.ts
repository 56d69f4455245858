import { TelegramError } from "telegraf";
import type { Update } from "telegraf/types";
import { describe, expect, it } from "vitest";
import { CallbackKeys } from "../../adapters/telegram/callback-keys.ts";
import { toChannelError } from "../../adapters/telegram/errors.ts";
import { chatIdFromAddress, commandText, normaliseUpdate } from "../../adapters/telegram/normalise.ts";
import { escapeHtml, keyboard, renderMessage, splitText } from "../../adapters/telegram/render.ts";
import { secretMatches } from "../../adapters/telegram/webhook.ts";
import { parseTelegramHtml } from "../support/telegram-standin.ts";

const now = new Date("2026-11-23T10:00:00Z");
const same = (data: string) => data;

describe("Telegram rendering", () => {
  it("escapes what HTML mode would read as markup, so names show literally", () => {
    const name = "*_[x](y)_* <b>bold</b> & &amp; <script>";
    const html = escapeHtml(name);
    expect(html).toBe("*_[x](y)_* &lt;b&gt;bold&lt;/b&gt; &amp; &amp;amp; &lt;script&gt;");
    expect(parseTelegramHtml(html)).toEqual({ text: name });
  });

  it("splits at line breaks, else at spaces, else hard, and never inside a surrogate pair", () => {
    expect(splitText("short")).toEqual(["short"]);
    expect(splitText("aaaa\nbbbb\ncccc", 10)).toEqual(["aaaa\nbbbb", "cccc"]);
    expect(splitText("aaaa bbbb cccc", 10)).toEqual(["aaaa bbbb", "cccc"]);
    expect(splitText("a".repeat(25), 10)).toEqual(["a".repeat(10), "a".repeat(10), "a".repeat(5)]);
    const emoji = `${"a".repeat(9)}😀b`;
    const parts = splitText(emoji, 10);
    expect(parts).toEqual(["a".repeat(9), "😀b"]);
    expect(splitText("", 10)).toEqual([]);
    const words = Array.from({ length: 2000 }, (_, i) => `w${i}`).join(" ");
    const chunks = splitText(words);
    expect(chunks.every((c) => c.length <= 4096)).toBe(true);
    expect(chunks.join(" ")).toBe(words);
  });

  it("puts short buttons side by side and long ones on rows of their own", () => {
    const keys = new CallbackKeys();
    const scores = keyboard([1, 2, 3, 4, 5].map((n) => ({ id: `s:${n}`, label: String(n) })), keys);
    expect(scores.inline_keyboard.map((row) => row.length)).toEqual([5]);
    const long = keyboard(
      [
        { id: "a", label: "Talk to a person please" },
        { id: "b", label: "Show me my rewards now" },
      ],
      keys,
    );
    expect(long.inline_keyboard.map((row) => row.length)).toEqual([1, 1]);
  });

  it("renders buttons on the last part, a document after the text, and a placeholder for buttons without text", () => {
    const keys = new CallbackKeys();
    const rendered = renderMessage(
      { text: "x".repeat(5000), choices: [{ id: "menu:help", label: "Menu" }], attachment: { fileName: "me.json", contentType: "application/json", content: "{}" } },
      keys,
    );
    expect(rendered.parts.map((p) => Boolean(p.replyMarkup))).toEqual([false, true]);
    expect(rendered.document).toEqual({ fileName: "me.json", content: Buffer.from("{}") });
    expect(renderMessage({ text: "", choices: [{ id: "a", label: "A" }] }, keys).parts[0]?.html).toBe("…");
    expect(renderMessage({ text: "   " }, keys).parts).toEqual([]);
  });

  it("maps ids over 64 bytes to short keys and back, and leaves short ids alone", () => {
    const keys = new CallbackKeys(2);
    const survey = "survey:123e4567-e89b-12d3-a456-426614174000:10";
    expect(keys.encode(survey)).toBe(survey);
    const long = `reward:${"é".repeat(40)}`;
    const key = keys.encode(long);
    expect(Buffer.byteLength(key)).toBeLessThanOrEqual(64);
    expect(keys.encode(long)).toBe(key);
    expect(keys.decode(key)).toBe(long);
    expect(keys.decode(survey)).toBe(survey);
    // Bounded: the oldest mapping goes first, and an unknown key comes back as it is.
    keys.encode(`a${"x".repeat(70)}`);
    keys.encode(`b${"x".repeat(70)}`);
    expect(keys.decode(key)).toBe(key);
  });
});

describe("Telegram inbound", () => {
  const from = { id: 42, is_bot: false, first_name: "Mei", last_name: "Lin", language_code: "zh-hans" };
  const message = (text: string, chat = { id: 42, type: "private" }) =>
    ({ update_id: 1, message: { message_id: 9, date: 1_700_000_000, chat, from, text } }) as unknown as Update;

  it("maps commands to the words the engine understands", () => {
    expect(commandText("/start")).toBe("/start");
    expect(commandText("/start link-ABC")).toBe("/start");
    expect(commandText("/points@tend_bot")).toBe("/points");
    expect(commandText("/stop")).toBe("stop");
    expect(commandText("/resume")).toBe("start");
    expect(commandText("/mydata")).toBe("my data");
    expect(commandText("/birthday 1990-05-12")).toBe("birthday 1990-05-12");
    expect(commandText("/ not a command")).toBe("/ not a command");
  });

  it("normalises a private message with identity, language and a per-chat message id", () => {
    const normalised = normaliseUpdate(message("/points"), same, now);
    expect(normalised?.chatId).toBe(42);
    expect(normalised?.inbound).toMatchObject({
      platform: "telegram",
      platformUserId: "42",
      address: "telegram:42",
      platformMessageId: "42:9",
      text: "/points",
      displayName: "Mei Lin",
      locale: "zh-hans",
      receivedAt: new Date(1_700_000_000_000),
    });
    expect(normalised?.inbound?.raw).toEqual(message("/points"));
  });

  it("ignores groups and channels, and answers but ignores inline-mode buttons", () => {
    expect(normaliseUpdate(message("points", { id: -5, type: "group" }), same, now)).toBeNull();
    expect(normaliseUpdate({ update_id: 2, edited_message: {} } as unknown as Update, same, now)).toBeNull();
    const inline = { update_id: 3, callback_query: { id: "q1", from, chat_instance: "c", data: "menu:points", inline_message_id: "i" } } as unknown as Update;
    expect(normaliseUpdate(inline, same, now)).toEqual({ callbackQueryId: "q1" });
  });

  it("turns a button press into an action, decoded through the short keys", () => {
    const press = {
      update_id: 4,
      callback_query: { id: "q2", from, chat_instance: "c", data: "~key", message: { message_id: 3, date: 1, chat: { id: 42, type: "private" } } },
    } as unknown as Update;
    const normalised = normaliseUpdate(press, (data) => (data === "~key" ? "reward:long" : data), now);
    expect(normalised?.callbackQueryId).toBe("q2");
    expect(normalised?.inbound).toMatchObject({ action: "reward:long", platformMessageId: "callback:q2", address: "telegram:42", receivedAt: now });
  });

  it("reads only addresses it made", () => {
    expect(chatIdFromAddress("telegram:42")).toBe(42);
    expect(chatIdFromAddress("telegram:-100123")).toBe(-100123);
    expect(chatIdFromAddress("telegram:abc")).toBeUndefined();
    expect(chatIdFromAddress("web:42")).toBeUndefined();
  });
});

describe("Telegram errors and secrets", () => {
  const telegramError = (error_code: number, description: string, parameters?: { retry_after: number }) =>
    new TelegramError({ ok: false, error_code, description, ...(parameters ? { parameters } : {}) } as never);

  it("maps Bot API failures to channel error kinds", () => {
    const limited = toChannelError(telegramError(429, "Too Many Requests: retry after 3", { retry_after: 3 }));
    expect([limited.kind, limited.retryAfterMs]).toEqual(["rate_limited", 3000]);
    expect(toChannelError(telegramError(403, "Forbidden: bot was blocked by the user")).kind).toBe("unreachable");
    expect(toChannelError(telegramError(403, "Forbidden: user is deactivated")).kind).toBe("unreachable");
    expect(toChannelError(telegramError(400, "Bad Request: chat not found")).kind).toBe("unreachable");
    expect(toChannelError(telegramError(500, "Internal Server Error")).kind).toBe("transient");
    expect(toChannelError(telegramError(400, "Bad Request: can't parse entities")).kind).toBe("rejected");
    expect(toChannelError(Object.assign(new Error("request failed, reason: connect ECONNREFUSED"), { name: "FetchError" })).kind).toBe("transient");
  });

  it("compares the webhook secret exactly", () => {
    expect(secretMatches("s3cret", "s3cret")).toBe(true);
    expect(secretMatches("s3cre", "s3cret")).toBe(false);
    expect(secretMatches("s3cretx", "s3cret")).toBe(false);
    expect(secretMatches(undefined, "s3cret")).toBe(false);
    expect(secretMatches(["s3cret"], "s3cret")).toBe(false);
  });
});
