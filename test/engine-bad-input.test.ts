import { Writable } from "node:stream";
import { beforeEach, expect, it } from "vitest";
import { createLogger } from "../src/observability/logger.ts";
import { describeEachDatabase } from "./support/databases.ts";
import { type EngineHarness, MENU, choice, choiceIds, createEngineHarness, only, uniqueUser } from "./support/engine-harness.ts";

const FALLBACK_EN = "Sorry, I did not understand that. Here is what I can do:";
const FALLBACK_ZH = "抱歉，我没有理解。我可以为您做这些：";
const EXPIRED_EN = "That confirmation has expired or was already used. Nothing was changed.";
const UNKNOWN_ACTION_EN = "That button is no longer available. Here is what I can do:";

/** A logger whose error-level lines land in `lines`. */
function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger("error", stream), lines };
}

describeEachDatabase("engine conversation: bad input", (db) => {
  let h: EngineHarness;
  beforeEach(async () => {
    h = await createEngineHarness(db());
  });

  it("answers empty and white-space-only messages with the menu", async () => {
    const user = uniqueUser("empty");
    for (const said of ["", "   ", "\n\t  \u3000", { action: "", text: "" }]) {
      const reply = only(await h.say(user, said));
      expect(reply.text).toBe("I received an empty message. Here is what I can do:");
      expect(choiceIds(reply)).toEqual(MENU);
    }
    // No text and no button at all (a sticker, say).
    const bare = only(await h.engine.handleInbound({ platform: "telegram", platformUserId: user, address: "a", receivedAt: h.clock.now(), raw: {} }));
    expect(bare.text).toBe("I received an empty message. Here is what I can do:");
    const customer = await h.requireCustomer(user);
    const timeline = await h.timeline(customer.id);
    expect(timeline.filter((i) => i.direction === "in")).toHaveLength(5);
    expect(timeline.filter((i) => i.direction === "out")).toHaveLength(5);
    await h.expectOnTimeline();

    const zh = uniqueUser("empty-zh");
    expect(only(await h.say(zh, "  ", { locale: "zh-CN" })).text).toBe("收到一条空消息。我可以为您做这些：");
  });

  it("refuses texts over 4000 characters politely and keeps them on the timeline", async () => {
    const user = uniqueUser("long");
    const long = `points ${"a".repeat(4000)}`;
    const reply = only(await h.say(user, long));
    expect(reply.text).toBe("That message is too long for me (over 4000 characters). Please send a shorter one.");
    expect((await h.rowsOf()).inbound?.text).toBe(long);
    // 4000 exactly is fine (and not understood).
    expect(only(await h.say(user, "b".repeat(4000))).text).toBe(FALLBACK_EN);

    const zh = uniqueUser("long-zh");
    expect(only(await h.say(zh, "积".repeat(4001))).text).toBe("消息太长了（超过 4000 个字符），请发送短一些的消息。");
    // A long "why?" after a score is refused too, and the reason is still owed.
    const question = only(await h.say(zh, "评价"));
    await h.say(zh, { action: choice(question, "survey:").replace(/:\d+$/, ":1") });
    expect(only(await h.say(zh, "差".repeat(5000))).text).toMatch(/^消息太长了/);
    expect(only(await h.say(zh, "快递太慢了")).text).toBe("感谢您告诉我们。很抱歉给您带来不好的体验，我们的团队会跟进处理。");
    await h.expectOnTimeline();
  });

  it("answers emoji-only, mixed-script and unknown texts with the menu, and flags them for staff", async () => {
    const emoji = uniqueUser("emoji");
    const reply = only(await h.say(emoji, "🙏🙏👍"));
    expect(reply.text).toBe(FALLBACK_EN);
    expect(choiceIds(reply)).toEqual(MENU);
    expect((await h.rowsOf()).inbound?.metadata).toEqual({ unrecognised: true });

    // Chinese in a first message makes a Chinese-speaking customer, even mixed with English and emoji.
    const mixed = uniqueUser("mixed");
    const mixedReply = only(await h.say(mixed, "积分 please 🙏"));
    expect(mixedReply.text).toBe(FALLBACK_ZH);
    expect(mixedReply.choices?.map((c) => c.label)).toEqual(["我的积分", "奖励", "评价我们", "人工客服"]);
    expect((await h.requireCustomer(mixed)).locale).toBe("zh-CN");

    // Full-width letters are the same command.
    const wide = uniqueUser("wide");
    expect(only(await h.say(wide, "Ｐｏｉｎｔｓ")).text).toMatch(/^You have 0 points\. Your tier: Bronze\./);
    expect(only(await h.say(wide, "\u3000ＨＥＬＰ\u3000")).choices?.map((c) => c.id)).toEqual(MENU);
    expect(only(await h.say(wide, "ＳＴＯＰ")).text).toMatch(/^You will get no more messages/);

    // Words that only start like a command are not that command.
    expect(only(await h.say(wide, "linkedin is where I found you")).text).toBe(FALLBACK_EN);
    expect(only(await h.say(wide, "birthdays are fun")).text).toBe(FALLBACK_EN);
    expect(await db().prisma.linkCode.count({ where: { customerId: (await h.requireCustomer(wide)).id } })).toBe(0);
    await h.expectOnTimeline();
  });

  it("survives control characters, lone surrogates and odd display names", async () => {
    const user = uniqueUser("control");
    const nul = only(await h.say(user, "hello\u0000world", { displayName: "Ana\u0000" }));
    expect(nul.text).toBe(FALLBACK_EN);
    expect(only(await h.say(user, "points\u0000")).text).toMatch(/^You have 0 points/);
    expect(only(await h.say(user, "\ud800 broken")).text).toBe(FALLBACK_EN);
    expect(only(await h.say(user, "\u200b")).text).toMatch(/^(I received an empty message|Sorry, I did not understand)/);
    const customer = await h.requireCustomer(user);
    expect(customer.displayName).toBe("Ana");
    const inbound = (await h.timeline(customer.id)).filter((i) => i.direction === "in").map((i) => i.text);
    expect(inbound.slice(0, 3)).toEqual(["helloworld", "points", "\ufffd broken"]);
  });

  it("answers unknown and malformed buttons without failing", async () => {
    const user = uniqueUser("actions");
    await h.say(user, "hi");
    for (const action of ["nonsense:1", "nonsense", "survey:garbage", "survey:1:2:3", "menu:bogus", "menu:", ":"]) {
      const reply = only(await h.say(user, { action }));
      expect(reply.text, action).toBe(UNKNOWN_ACTION_EN);
      expect(choiceIds(reply)).toEqual(MENU);
    }
    for (const action of ["confirm:not-a-uuid", "cancel:not-a-uuid", "confirm:", "confirm:00000000-0000-0000-0000-000000000000", "cancel:'; DROP TABLE x;--"]) {
      expect(only(await h.say(user, { action })).text, action).toBe(EXPIRED_EN);
    }
    // A button press that also carries text is flagged for staff with its action kept.
    expect(only(await h.say(user, { action: "nonsense:2", text: "what is this" })).text).toBe(UNKNOWN_ACTION_EN);
    expect((await h.rowsOf()).inbound?.metadata).toEqual({ action: "nonsense:2", unrecognised: true });
    // A survey button for an invitation that does not exist.
    expect(only(await h.say(user, { action: "survey:00000000-0000-4000-8000-000000000000:3" })).text).toBe("Sorry, this survey is not available.");
    // reward: with an unknown or empty code shows the catalogue.
    expect(only(await h.say(user, { action: "reward:nope" })).text).toMatch(/^I don't know a reward called "nope"/);
    expect(only(await h.say(user, { action: "reward:" })).text).toMatch(/^Rewards you can choose/);
    expect(only(await h.say(user, { action: "reward" })).text).toMatch(/^Rewards you can choose/);
    await h.expectOnTimeline();
  });

  it("does not let one customer press another customer's confirm or survey buttons", async () => {
    const owner = uniqueUser("owner");
    const stranger = uniqueUser("stranger");
    await h.say(owner, "hi");
    await h.say(stranger, "hi", { platform: "discord" });
    await h.givePoints(owner, 100);
    await h.givePoints(stranger, 100, "discord");
    const ask = only(await h.say(owner, "redeem coffee"));
    const question = only(await h.say(owner, "rate us"));

    expect(only(await h.say(stranger, { action: choice(ask, "confirm:") }, { platform: "discord" })).text).toBe(EXPIRED_EN);
    expect(only(await h.say(stranger, { action: choice(ask, "cancel:") }, { platform: "discord" })).text).toBe(EXPIRED_EN);
    expect(only(await h.say(stranger, { action: choiceIds(question)[0]! }, { platform: "discord" })).text).toBe("Sorry, this survey is not available.");
    const ownerCustomer = await h.requireCustomer(owner);
    const strangerCustomer = await h.requireCustomer(stranger, "discord");
    expect(await h.services.loyalty.balance(ownerCustomer.id)).toBe(100);
    expect(await h.services.loyalty.balance(strangerCustomer.id)).toBe(100);
    expect(await db().prisma.surveyResponse.count({ where: { customerId: { in: [ownerCustomer.id, strangerCustomer.id] } } })).toBe(0);

    // The owner's buttons still work.
    expect(only(await h.say(owner, { action: choice(ask, "confirm:") })).text).toMatch(/^Done! You redeemed Free coffee/);
    await h.expectOnTimeline();
  });

  it("answers with the polite failure text when a service throws, logs no message text, and recovers", async () => {
    const { logger, lines } = capturingLogger();
    const broken = await createEngineHarness(db(), { logger });
    const summary = broken.services.loyalty.summary.bind(broken.services.loyalty);
    broken.services.loyalty.summary = async () => {
      throw new Error("database on fire");
    };
    const en = uniqueUser("boom");
    const zh = uniqueUser("boom-zh");
    const failure = only(await broken.say(en, "points"));
    expect(failure).toEqual({ text: "Sorry, something went wrong on our side. Please try again in a moment." });
    expect(only(await broken.say(zh, "积分")).text).toBe("抱歉，我们这边出了点问题，请稍后再试。");
    const rows = await broken.rowsOf();
    expect(rows.replies.map((r) => [r.direction, r.kind])).toEqual([["out", "system"]]);
    expect(lines.join("")).toContain("database on fire");
    expect(lines.join("")).not.toContain("积分");

    // Other requests are unaffected, and the customer can try again once the service is back.
    expect(only(await broken.say(en, "rewards")).text).toMatch(/^Rewards you can choose/);
    broken.services.loyalty.summary = summary;
    expect(only(await broken.say(en, "points")).text).toMatch(/^You have 0 points/);

    // A failure half-way (after something was asked) drops partial replies.
    broken.services.pending.create = async () => {
      throw new Error("pending table gone");
    };
    await broken.givePoints(en, 100);
    expect(only(await broken.say(en, "redeem coffee")).text).toBe("Sorry, something went wrong on our side. Please try again in a moment.");
    await broken.expectOnTimeline();
  });
});
