import { beforeEach, expect, it } from "vitest";
import type { InboundMessage, OutboundMessage, Platform } from "../src/core/channel.ts";
import { describeEachDatabase } from "./support/databases.ts";
import { type EngineHarness, createEngineHarness, only, uniqueUser } from "./support/engine-harness.ts";

const MINUTE = 60_000;

/**
 * Copies of one message (a platform's redelivery, a web page retrying a request whose response
 * it lost, another instance's copy) are handled once; a client that retries for the answer gets
 * the original's replies, waiting for them if the original is still being handled.
 */
describeEachDatabase("engine: duplicate and interrupted messages", (db) => {
  let h: EngineHarness;
  beforeEach(async () => {
    h = await createEngineHarness(db());
  });

  function inbound(user: string, text: string, messageId: string, platform: Platform = "web"): InboundMessage {
    return { platform, platformUserId: user, address: `${platform}:${user}`, platformMessageId: messageId, text, receivedAt: h.clock.now(), raw: null };
  }

  /** What the web chat does with a message: the engine's answer, or for a copy, the original's answers. */
  async function webDelivery(message: InboundMessage, engine = h.engine): Promise<OutboundMessage[]> {
    const replies = await engine.handleInbound(message);
    if (replies.length > 0 || !message.platformMessageId) return replies;
    return engine.previousReplies(message.platform, message.platformUserId, message.platformMessageId);
  }

  async function repliesRecorded(platform: Platform, messageId: string) {
    return db().prisma.interaction.findMany({ where: { direction: "out", metadata: { path: ["inReplyTo"], equals: `${platform}:${messageId}` } } });
  }

  async function waitFor(check: () => Promise<boolean>): Promise<void> {
    for (let attempt = 0; attempt < 600; attempt++) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("condition never became true");
  }

  it("handles 200 concurrent copies of one message once and gives every copy the same replies, on two instances", async () => {
    const other = await createEngineHarness(db(), { start: h.clock.now().toISOString() });
    const user = uniqueUser("copies");
    await h.say(user, "hello", { platform: "web" });
    const message = inbound(user, "points", `copies-${user}`);
    // Copies on the second engine cannot wait on the first one's handling in memory: they watch the row.
    const answers = await Promise.all(Array.from({ length: 200 }, (_, index) => webDelivery(message, index % 4 === 3 ? other.engine : h.engine)));
    const first = only(answers[0]!);
    expect(first.text).toMatch(/^You have 0 points/);
    for (const answer of answers) expect(answer).toEqual([first]);
    expect(await repliesRecorded("web", message.platformMessageId!)).toHaveLength(1);
    expect(await db().prisma.interaction.count({ where: { platform: "web", platformMessageId: message.platformMessageId! } })).toBe(1);
  }, 120_000);

  it("answers push copies once: one copy gets the replies, the others nothing", async () => {
    const user = uniqueUser("push-copies");
    const message = inbound(user, "points", `push-${user}`, "telegram");
    const answers = await Promise.all(Array.from({ length: 50 }, () => h.engine.handleInbound(message)));
    expect(answers.filter((a) => a.length > 0)).toHaveLength(1);
    expect(await repliesRecorded("telegram", message.platformMessageId!)).toHaveLength(1);
  }, 60_000);

  it("gives a retry sent while the original is still being handled the original's replies", async () => {
    const user = uniqueUser("retry-behind");
    await h.say(user, "hello", { platform: "web" });
    // The original is held inside its handler until the retry has had every chance to answer.
    const loyalty = h.services.loyalty;
    const summary = loyalty.summary.bind(loyalty);
    let release!: () => void;
    let entered = false;
    const gate = new Promise<void>((resolve) => (release = resolve));
    loyalty.summary = async (customerId, options) => {
      entered = true;
      await gate;
      return summary(customerId, options);
    };
    try {
      const message = inbound(user, "points", `behind-${user}`);
      const original = h.engine.handleInbound(message);
      // Held inside its handler (a handler that only reads has written nothing yet: its message is written with its replies).
      await waitFor(async () => entered);
      const retry = webDelivery(message);
      await Promise.race([retry, new Promise((resolve) => setTimeout(resolve, 500))]);
      release();
      const [first, again] = await Promise.all([original, retry]);
      expect(only(first).text).toMatch(/^You have 0 points/);
      expect(again).toEqual(first);
      expect(await repliesRecorded("web", message.platformMessageId!)).toHaveLength(1);
    } finally {
      release();
      loyalty.summary = summary;
    }
  }, 60_000);

  it("answers a retry of a message whose handling was cut off by a crash, once, even with concurrent retries on two instances", async () => {
    // A second engine on the same database: another instance, with its own in-process state.
    const other = await createEngineHarness(db(), { start: h.clock.now().toISOString() });
    for (const platform of ["web", "telegram"] as const) {
      const user = uniqueUser(`crashed-${platform}`);
      await h.say(user, "hello", { platform });
      const customer = await h.requireCustomer(user, platform);
      const messageId = `crashed-${user}`;
      // What a crash leaves behind: the message stored as received, its handling claimed long ago, no outcome.
      await db().prisma.interaction.create({
        data: {
          customerId: customer.id,
          platform,
          direction: "in",
          kind: "message",
          text: "points",
          platformMessageId: messageId,
          occurredAt: new Date(h.clock.now().getTime() - 10 * MINUTE),
          claimedAt: new Date(h.clock.now().getTime() - 10 * MINUTE),
        },
      });
      const message = inbound(user, "points", messageId, platform);
      const deliver = (engine: EngineHarness["engine"]) =>
        platform === "web"
          ? webDelivery(message, engine)
          : engine.handleInbound(message);
      const answers = await Promise.all(Array.from({ length: 20 }, (_, index) => deliver(index % 2 ? other.engine : h.engine)));
      const answered = answers.filter((a) => a.length > 0);
      if (platform === "web") expect(answered).toHaveLength(20);
      else expect(answered).toHaveLength(1);
      expect(only(answered[0]!).text).toMatch(/^You have 0 points/);
      for (const answer of answered) expect(answer).toEqual(answered[0]);
      expect(await repliesRecorded(platform, messageId)).toHaveLength(1);
      // Handled now: a later retry is a plain duplicate.
      expect(await h.engine.handleInbound(message)).toEqual([]);
      expect(await repliesRecorded(platform, messageId)).toHaveLength(1);
    }
  }, 60_000);

  it("leaves a message another instance is handling right now to that instance", async () => {
    const user = uniqueUser("fresh-claim");
    await h.say(user, "hello", { platform: "telegram" });
    const customer = await h.requireCustomer(user, "telegram");
    const messageId = `fresh-${user}`;
    await db().prisma.interaction.create({
      data: { customerId: customer.id, platform: "telegram", direction: "in", kind: "message", text: "points", platformMessageId: messageId, claimedAt: h.clock.now() },
    });
    expect(await h.engine.handleInbound(inbound(user, "points", messageId, "telegram"))).toEqual([]);
    expect(await repliesRecorded("telegram", messageId)).toHaveLength(0);
  });
});
