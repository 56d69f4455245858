import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlackAdapter } from "../../adapters/slack/adapter.ts";
import { slackFactory } from "../../adapters/slack/index.ts";
import { type RunningTend, startTend } from "../../src/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { type Captured, botToken, buttonPress, capturing, messageEvent, postToSlackEvents, signingSecret } from "../support/slack-helpers.ts";
import { BOT_USER_ID, type Post, SlackStandin } from "../support/slack-standin.ts";
import { tendDatabaseTargets } from "../support/databases.ts";
import { sendError } from "../support/channel-errors.ts";

const targets = tendDatabaseTargets("slack");

const trickyName = "*_[x](y)_* <b>&amp;";

/** The plain_text sections of a post, i.e. what the customer sees. */
function visible(post: Post | undefined): string {
  return (post?.blocks ?? []).flatMap((b) => (b.type === "section" && b.text ? [b.text.text] : [])).join("\n");
}

function buttons(post: Post | undefined) {
  return (post?.blocks ?? []).flatMap((b) => (b.type === "actions" ? (b.elements ?? []) : []));
}

for (const target of targets) {
  describe.skipIf(Boolean(target.skip))(`Slack over the Events API [${target.name}]${target.skip ? ` (skipped: ${target.skip})` : ""}`, () => {
    let standin: SlackStandin;
    let tend: RunningTend;
    const captured: Captured = {};
    const adapter = () => captured.adapter!;
    let alice: string;
    let aliceDm: string;

    /** Delivers one request and waits until the adapter has handled it and sent its replies. */
    async function deliver(body: unknown, options: Parameters<typeof postToSlackEvents>[2] = {}) {
      const before = standin.posts.length;
      const response = await postToSlackEvents(tend.url, body, options);
      expect(response.status).toBe(200);
      await adapter().whenIdle();
      return { response, posts: standin.posts.slice(before) };
    }
    const say = async (text: string, channel = aliceDm, user = alice) => (await deliver(messageEvent(channel, user, text))).posts;
    const press = async (value: string, channel = aliceDm, user = alice) => {
      const offered = standin.postsTo(channel).flatMap((p) => buttons(p)).findLast((b) => b.value === value);
      expect(offered).toBeDefined();
      return (await deliver(buttonPress(channel, user, { action_id: offered!.action_id, value }), { form: "payload" })).posts;
    };

    beforeAll(async () => {
      standin = await SlackStandin.start({
        botToken,
        users: [
          { name: "alice", displayName: trickyName, locale: "en-US" },
          { name: "li", displayName: "李", locale: "zh-CN" },
          { name: "bob", displayName: "Bob" },
        ],
      });
      alice = standin.userId("alice");
      aliceDm = await standin.dm("alice");
      const config = loadConfig({
        ...(await target.env()),
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        SLACK_BOT_TOKEN: botToken,
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_API_URL: standin.url,
      });
      tend = await startTend({ config, channelFactories: [capturing(slackFactory, captured)] });
    });
    afterAll(async () => {
      await tend?.stop();
      await standin?.close();
    });

    it("checks the bot token with auth.test and answers url_verification", async () => {
      expect(captured.startError).toBeUndefined();
      expect(adapter().mode).toBe("http");
      expect(standin.callsOf("auth.test")).toHaveLength(1);
      const response = await postToSlackEvents(tend.url, { token: "x", challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", type: "url_verification" });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
    });

    it("refuses a wrong signature, a stale or future timestamp and a missing signature with 401", async () => {
      const event = messageEvent(aliceDm, alice, "points");
      const before = standin.posts.length;
      const wrong = await postToSlackEvents(tend.url, event, { secret: "not-the-signing-secret" });
      expect(wrong.status).toBe(401);
      const stale = await postToSlackEvents(tend.url, event, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
      expect(stale.status).toBe(401);
      expect(((await stale.json()) as { error: string }).error).toMatch(/stale/);
      const future = await postToSlackEvents(tend.url, event, { timestamp: Math.floor(Date.now() / 1000) + 6 * 60 });
      expect(future.status).toBe(401);
      const unsigned = await postToSlackEvents(tend.url, event, { signature: "" });
      expect(unsigned.status).toBe(401);
      await adapter().whenIdle();
      expect(standin.posts.length).toBe(before);
    });

    it("runs a conversation: help, a menu button, a survey button, feedback, export and STOP", async () => {
      const [welcome, ...more] = await say("help");
      expect(more).toEqual([]);
      expect(welcome?.channel).toBe(aliceDm);
      // The name is shown literally: plain_text in the blocks, escaped text with mrkdwn off as the fallback.
      expect(visible(welcome)).toMatch(/^Hi \*_\[x\]\(y\)_\* <b>&amp;! I can show your points/);
      expect(welcome?.blocks[0]?.text?.type).toBe("plain_text");
      expect(String(welcome?.mrkdwn)).toBe("false");
      expect(welcome?.text).toContain("Hi *_[x](y)_* &lt;b&gt;&amp;amp;!");
      expect(buttons(welcome).map((b) => b.value)).toEqual(["menu:points", "menu:rewards", "menu:rate", "menu:agent"]);
      expect(new Set(buttons(welcome).map((b) => b.action_id)).size).toBe(4);

      const [points] = await press("menu:points");
      expect(visible(points)).toMatch(/You have 0 points\. Your tier: Bronze\./);

      const [question] = await say("rate us");
      const two = buttons(question).find((b) => /^survey:[0-9a-f-]{36}:2$/.test(b.value));
      expect(two).toBeDefined();
      expect(visible((await press(two!.value))[0])).toMatch(/main reason/);
      // Slack escapes what people type; the engine gets the text as typed.
      expect(visible((await say("The parcel arrived broken &lt;3 &amp; late"))[0])).toMatch(/look into it/);

      const exported = await say("my data");
      expect(exported.length).toBeGreaterThan(0);
      const file = standin.files.at(-1);
      expect(file?.channel).toBe(aliceDm);
      expect(file?.name).toMatch(/\.json$/);
      const data = JSON.parse(await standin.download(file!)) as { interactions: { text: string | null }[] };
      expect(data.interactions.some((i) => i.text === "The parcel arrived broken <3 & late")).toBe(true);

      expect(visible((await say("STOP"))[0])).toMatch(/no more messages you did not ask for/);

      const customer = await tend.services.customers.findByIdentity("slack", alice);
      expect(customer?.displayName).toBe(trickyName);
      expect(customer?.locale).toBe("en");
      expect(customer?.careConsent).toBe(false);
      expect(customer?.marketingConsent).toBe(false);
    });

    it("takes a customer's language from users.info", async () => {
      const li = standin.userId("li");
      const [reply] = await say("help", await standin.dm("li"), li);
      expect(visible(reply)).toMatch(/^您好，李！/);
    });

    it("handles an event Slack retries (X-Slack-Retry-Num, same event_id) once", async () => {
      const event = messageEvent(aliceDm, alice, "rewards");
      const first = await deliver(event);
      expect(first.posts).toHaveLength(1);
      const retried = await deliver(event, { retryNum: 1 });
      expect(retried.posts).toEqual([]);
      const customer = await tend.services.customers.findByIdentity("slack", alice);
      const timeline = await tend.services.interactions.timeline(customer!.id, { limit: 500 });
      expect(timeline.filter((i) => i.direction === "in" && i.text === "rewards")).toHaveLength(1);
    });

    it("waits out a short rate limit once for a reply the customer is waiting for", async () => {
      standin.failNext("chat.postMessage", { status: 429, retryAfter: 1 });
      const calls = standin.callsOf("chat.postMessage").length;
      const [reply] = await say("points");
      expect(visible(reply)).toMatch(/You have \d+ points/);
      expect(standin.callsOf("chat.postMessage").length - calls).toBe(2);
    });

    it("records on the timeline what became of a reply: the platform's id when delivered, failed when not", async () => {
      const li = standin.userId("li");
      const liDm = await standin.dm("li");
      await say("help", liDm, li);
      const customer = await tend.services.customers.findByIdentity("slack", li);
      const replies = async () => (await tend.services.interactions.timeline(customer!.id, { limit: 500 })).filter((i) => i.direction === "out");
      const earlier = new Set((await replies()).map((r) => r.id));
      const [answer] = await say("points", liDm, li);
      expect(answer).toBeDefined();
      const [delivered, ...none] = (await replies()).filter((r) => !earlier.has(r.id));
      expect(none).toEqual([]);
      expect(delivered?.platformMessageId).toBe(`${liDm}:${answer!.ts}`);

      standin.failNext("chat.postMessage", { error: "cannot_dm_bot" });
      await say("rewards", liDm, li);
      const failed = (await replies()).find((r) => !earlier.has(r.id) && r.id !== delivered!.id);
      expect(failed?.platformMessageId).toBeNull();
      expect(failed?.metadata).toMatchObject({ delivery: "failed", deliveryError: expect.stringMatching(/cannot_dm_bot/) });
    });

    it("answers a slash command in the direct conversation", async () => {
      const { response, posts } = await deliver(
        { command: "/tend", text: "points", user_id: alice, channel_id: aliceDm, trigger_id: "13345224609.738474920.8088930838d88f008e0", team_id: "T000000001", response_url: "http://127.0.0.1:9/unused" },
        { form: true },
      );
      expect(await response.text()).toBe("");
      expect(posts.map((p) => p.channel)).toEqual([aliceDm]);
      expect(visible(posts[0])).toMatch(/You have \d+ points/);
    });

    it("ignores channel messages, other bots, its own replies and edits", async () => {
      const { posts } = await deliver(messageEvent("C000000001", alice, "points", { channel_type: "channel" }));
      expect(posts).toEqual([]);
      expect((await deliver(messageEvent(aliceDm, "U0OTHERBOT", "points", { bot_id: "B0OTHER" }))).posts).toEqual([]);
      expect((await deliver(messageEvent(aliceDm, BOT_USER_ID, "points"))).posts).toEqual([]);
      expect((await deliver(messageEvent(aliceDm, alice, "points", { subtype: "message_changed" }))).posts).toEqual([]);
    });

    it("surfaces send failures as ChannelError kinds", async () => {
      standin.failNext("chat.postMessage", { status: 429, retryAfter: 7 });
      const limited = await sendError(adapter().send(`slack:${aliceDm}`, { text: "hello" }));
      expect(limited.kind).toBe("rate_limited");
      expect(limited.retryAfterMs).toBe(7000);

      standin.failNext("chat.postMessage", { error: "ratelimited" });
      expect((await sendError(adapter().send(`slack:${aliceDm}`, { text: "hello" }))).kind).toBe("rate_limited");

      // A conversation that does not exist (or was closed to the app) cannot be reached.
      const missing = await sendError(adapter().send("slack:D0NOSUCHDM", { text: "hello" }));
      expect(missing.kind).toBe("unreachable");
      expect(missing.message).toMatch(/channel_not_found/);
      standin.failNext("chat.postMessage", { error: "cannot_dm_bot" });
      expect((await sendError(adapter().send(`slack:${aliceDm}`, { text: "hello" }))).kind).toBe("unreachable");

      standin.failNext("chat.postMessage", { status: 503 });
      expect((await sendError(adapter().send(`slack:${aliceDm}`, { text: "hello" }))).kind).toBe("transient");
      standin.failNext("chat.postMessage", { error: "invalid_blocks" });
      expect((await sendError(adapter().send(`slack:${aliceDm}`, { text: "hello" }))).kind).toBe("rejected");
      expect((await sendError(adapter().send("telegram:5001", { text: "hello" }))).kind).toBe("rejected");

      const offline = new SlackAdapter({ botToken, apiUrl: "http://127.0.0.1:9/api/" }, createLogger("silent"));
      expect((await sendError(offline.send(`slack:${aliceDm}`, { text: "hello" }))).kind).toBe("transient");
    });

    it("opens the direct conversation when sending to a user id", async () => {
      const bob = standin.userId("bob");
      const receipt = await adapter().send(`slack:${bob}`, { text: "Your parcel is on its way." });
      const bobDm = await standin.dm("bob");
      expect(standin.postsTo(bobDm).map(visible)).toEqual(["Your parcel is on its way."]);
      expect(receipt.platformMessageId).toBe(`${bobDm}:${standin.postsTo(bobDm)[0]!.ts}`);
    });

    it("splits long texts into sections of at most 3000 characters, buttons on the last message", async () => {
      const lines = Array.from({ length: 400 }, (_, i) => `Line ${i}: <tag> & *${"word ".repeat(5).trim()}*`);
      const text = lines.join("\n");
      expect(text.length).toBeGreaterThan(4 * 3000);
      const before = standin.postsTo(aliceDm).length;
      const receipt = await adapter().send(`slack:${aliceDm}`, { text, choices: [{ id: "menu:help", label: "Menu" }] });
      const posts = standin.postsTo(aliceDm).slice(before);
      expect(posts).toHaveLength(2);
      const sections = posts.flatMap((p) => p.blocks.filter((b) => b.type === "section"));
      expect(sections.length).toBeGreaterThan(4);
      for (const section of sections) expect(section.text!.text.length).toBeLessThanOrEqual(3000);
      expect(sections.map((s) => s.text!.text).join("\n")).toBe(text);
      expect(posts.map((p) => buttons(p).map((b) => b.value))).toEqual([[], ["menu:help"]]);
      expect(receipt.platformMessageId).toBe(`${aliceDm}:${posts[1]!.ts}`);
    });

    it("answers 503 once stopped, so that Slack retries later", async () => {
      await tend.stop();
      expect(adapter().receiver?.running).toBe(false);
    });
  });
}
