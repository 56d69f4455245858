import { webApi } from "@slack/bolt";
import { describe, expect, it } from "vitest";
import { toChannelError } from "../../adapters/slack/errors.ts";
import { parseSlackBody } from "../../adapters/slack/events-route.ts";
import { conversationFromAddress, fromSlackText, normaliseButton, normaliseMessage } from "../../adapters/slack/normalise.ts";
import { BUTTON_LABEL_LIMIT, SECTION_TEXT_LIMIT, escapeText, renderMessage, splitText } from "../../adapters/slack/render.ts";
import { checkSlackSignature } from "../../adapters/slack/signature.ts";
import { ChannelError } from "../../src/core/channel.ts";
import { slackSignature } from "../support/slack-helpers.ts";

describe("Slack rendering", () => {
  it("escapes the three control characters of message text and nothing else", () => {
    expect(escapeText("*_[x](y)_* <b>&amp; ~`code`~")).toBe("*_[x](y)_* &lt;b&gt;&amp;amp; ~`code`~");
  });

  it("puts text in plain_text sections and the escaped preview in the fallback", () => {
    const { posts } = renderMessage({ text: "Hi *_[x](y)_* <@U123>!" });
    expect(posts).toEqual([{ text: "Hi *_[x](y)_* &lt;@U123&gt;!", blocks: [{ type: "section", text: { type: "plain_text", text: "Hi *_[x](y)_* <@U123>!" } }] }]);
  });

  it("splits at line breaks, then spaces, then hard, never inside a surrogate pair", () => {
    expect(splitText("aaaaaa\nbbb cccc", 10)).toEqual(["aaaaaa", "bbb cccc"]);
    expect(splitText("aaaaaa bbbbbbbb", 10)).toEqual(["aaaaaa", "bbbbbbbb"]);
    const emoji = `${"x".repeat(9)}😀${"y".repeat(5)}`;
    const parts = splitText(emoji, 10);
    expect(parts).toEqual(["x".repeat(9), `😀${"y".repeat(5)}`]);
    expect(splitText("   \n  ", 10)).toEqual([]);
    const long = "word ".repeat(2000).trim();
    for (const part of splitText(long)) expect(part.length).toBeLessThanOrEqual(SECTION_TEXT_LIMIT);
  });

  it("puts buttons in actions blocks of 25 with unique action_ids, labels cut to 75 characters", () => {
    const choices = Array.from({ length: 30 }, (_, i) => ({ id: `reward:${i}`, label: i === 0 ? "L".repeat(100) : `Reward ${i}` }));
    const { posts } = renderMessage({ text: "Pick one", choices });
    expect(posts).toHaveLength(1);
    const actions = posts[0]!.blocks.filter((b) => b.type === "actions");
    expect(actions.map((a) => a.elements.length)).toEqual([25, 5]);
    const elements = actions.flatMap((a) => a.elements) as { action_id: string; value: string; text: { text: string } }[];
    expect(new Set(elements.map((e) => e.action_id)).size).toBe(30);
    expect(elements.map((e) => e.value)).toEqual(choices.map((c) => c.id));
    expect([...elements[0]!.text.text].length).toBe(BUTTON_LABEL_LIMIT);
  });

  it("refuses a button id longer than Slack carries", () => {
    expect(() => renderMessage({ text: "x", choices: [{ id: "x".repeat(2001), label: "Long" }] })).toThrow(ChannelError);
  });

  it("sends buttons without text, and an attachment as a file", () => {
    const rendered = renderMessage({ text: "", choices: [{ id: "a", label: "Yes" }], attachment: { fileName: "data.json", contentType: "application/json", content: "{}" } });
    expect(rendered.posts).toHaveLength(1);
    expect(rendered.posts[0]!.text).toBe("Yes");
    expect(rendered.file).toEqual({ fileName: "data.json", content: Buffer.from("{}") });
    expect(renderMessage({ text: "" }).posts).toEqual([]);
  });
});

describe("Slack inbound", () => {
  it("turns Slack's message markup back into what was typed", () => {
    expect(fromSlackText("a &lt;3 &amp; b &gt; c")).toBe("a <3 & b > c");
    expect(fromSlackText("see <https://example.com/x?a=1&amp;b=2|the page> or <https://example.com>")).toBe("see the page or https://example.com");
    expect(fromSlackText("hi <@U123> in <#C456|general>, <!here>, <mailto:a@b.c|a@b.c>")).toBe("hi @U123 in general, @here, a@b.c");
  });

  it("takes only people's new direct messages", () => {
    const now = new Date("2026-11-23T10:00:00Z");
    const event = { type: "message", channel: "D01", channel_type: "im", user: "U01", text: "points", ts: "1795000000.000100" };
    const inbound = normaliseMessage({ event_id: "Ev1" }, event, now);
    expect(inbound).toMatchObject({ platform: "slack", platformUserId: "U01", address: "slack:D01", platformMessageId: "D01:1795000000.000100", text: "points" });
    expect(inbound?.receivedAt.getTime()).toBe(1795000000000);
    expect(normaliseMessage({}, { ...event, channel_type: "channel", channel: "C01" }, now)).toBeNull();
    expect(normaliseMessage({}, { ...event, bot_id: "B01" }, now)).toBeNull();
    expect(normaliseMessage({}, { ...event, subtype: "message_deleted" }, now)).toBeNull();
    expect(normaliseMessage({}, { ...event, subtype: "file_share" }, now)).not.toBeNull();
    // A ts in the future (a skewed clock) is not believed.
    expect(normaliseMessage({}, { ...event, ts: "9999999999.000000" }, now)?.receivedAt).toEqual(now);
  });

  it("takes a pressed button's value as the action, only in direct messages", () => {
    const now = new Date();
    const body = { type: "block_actions", user: { id: "U01" }, channel: { id: "D01" }, trigger_id: "123.456.abc" };
    expect(normaliseButton(body, { type: "button", action_id: "tend.choice.0", value: "menu:points" }, now)).toMatchObject({
      action: "menu:points",
      address: "slack:D01",
      platformMessageId: "action:123.456.abc",
    });
    expect(normaliseButton({ ...body, channel: { id: "C01" } }, { type: "button", action_id: "tend.choice.0", value: "x" }, now)).toBeNull();
    expect(normaliseButton(body, { type: "static_select", action_id: "s" }, now)).toBeNull();
  });

  it("reads only addresses it made", () => {
    expect(conversationFromAddress("slack:D0123ABC")).toBe("D0123ABC");
    expect(conversationFromAddress("slack:")).toBeUndefined();
    expect(conversationFromAddress("telegram:5")).toBeUndefined();
    expect(conversationFromAddress("slack:D01/../x")).toBeUndefined();
  });

  it("parses JSON events, form-encoded interactivity payloads and slash commands", () => {
    expect(parseSlackBody(Buffer.from('{"type":"event_callback"}'), "application/json")).toEqual({ kind: "body", body: { type: "event_callback" } });
    const form = new URLSearchParams({ payload: JSON.stringify({ type: "block_actions" }) }).toString();
    expect(parseSlackBody(Buffer.from(form), "application/x-www-form-urlencoded")).toEqual({ kind: "body", body: { type: "block_actions" } });
    expect(parseSlackBody(Buffer.from("command=%2Ftend&text=points"), "application/x-www-form-urlencoded; charset=utf-8")).toEqual({
      kind: "body",
      body: { command: "/tend", text: "points" },
    });
    expect(parseSlackBody(Buffer.from("ssl_check=1&token=x"), "application/x-www-form-urlencoded")).toEqual({ kind: "ssl_check" });
    expect(parseSlackBody(Buffer.from("{nope"), "application/json").kind).toBe("invalid");
    expect(parseSlackBody(Buffer.from("[1]"), "application/json").kind).toBe("invalid");
  });
});

describe("Slack request signatures", () => {
  const secret = "8f742231b10e8888abcd99yyyzzz85a5";
  const body = Buffer.from(
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar" +
      "&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com" +
      "%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
  );
  const now = 1_531_420_618;

  it("accepts Slack's own example and refuses any change, a stale or a future timestamp", () => {
    // From Slack's documentation of request signing.
    const documented = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    expect(checkSlackSignature(secret, { timestamp: String(now), signature: documented }, body, now)).toEqual({ ok: true });
    expect(checkSlackSignature(secret, { timestamp: String(now), signature: slackSignature(secret, now, body.toString()) }, body, now + 299).ok).toBe(true);
    expect(checkSlackSignature(secret, { timestamp: String(now), signature: documented }, Buffer.concat([body, Buffer.from("x")]), now).ok).toBe(false);
    expect(checkSlackSignature("other-secret", { timestamp: String(now), signature: documented }, body, now).ok).toBe(false);
    expect(checkSlackSignature(secret, { timestamp: String(now), signature: documented }, body, now + 301)).toEqual({ ok: false, reason: "stale X-Slack-Request-Timestamp" });
    expect(checkSlackSignature(secret, { timestamp: String(now), signature: documented }, body, now - 301).ok).toBe(false);
    expect(checkSlackSignature(secret, { timestamp: undefined, signature: documented }, body, now).ok).toBe(false);
    expect(checkSlackSignature(secret, { timestamp: String(now), signature: documented.slice(0, 20) }, body, now).ok).toBe(false);
  });
});

describe("Slack errors", () => {
  it("maps Web API failures to ChannelError kinds", () => {
    expect(toChannelError(new webApi.WebAPIRateLimitedError(7))).toMatchObject({ kind: "rate_limited", retryAfterMs: 7000 });
    const platform = (error: string, extra: Record<string, unknown> = {}) => new webApi.WebAPIPlatformError({ ok: false, error, ...extra });
    expect(toChannelError(platform("ratelimited", { response_metadata: { retryAfter: 3 } }))).toMatchObject({ kind: "rate_limited", retryAfterMs: 3000 });
    for (const code of ["channel_not_found", "not_in_channel", "user_not_found", "account_inactive", "is_archived", "cannot_dm_bot"]) {
      expect(toChannelError(platform(code)).kind).toBe("unreachable");
    }
    expect(toChannelError(platform("internal_error")).kind).toBe("transient");
    expect(toChannelError(platform("invalid_blocks")).kind).toBe("rejected");
    expect(toChannelError(platform("msg_too_long")).kind).toBe("rejected");
    expect(toChannelError(new webApi.WebAPIHTTPError(502, "Bad Gateway", {})).kind).toBe("transient");
    expect(toChannelError(new webApi.WebAPIRequestError(new Error("ECONNREFUSED"))).kind).toBe("transient");
  });
});
