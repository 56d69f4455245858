import { beforeEach, expect, it } from "vitest";
import { describeEachDatabase } from "./support/databases.ts";
import { type EngineHarness, choice, choiceIds, createEngineHarness, only, uniqueUser } from "./support/engine-harness.ts";

const HOUR = 3_600_000;

describeEachDatabase("engine conversation: privacy, linking, handover, surveys, dedupe", (db) => {
  let h: EngineHarness;
  beforeEach(async () => {
    h = await createEngineHarness(db());
  });

  it("sends the customer's data as a JSON file on my data / 我的数据", async () => {
    const en = uniqueUser("export-en");
    await h.say(en, "hello, this is Ana", { displayName: "Ana" });
    const reply = only(await h.say(en, "my data"));
    expect(reply.text).toMatch(/^Here is everything we hold about you, as of 2026-03-02 09:00 UTC:/);
    expect(reply.attachment).toMatchObject({ fileName: "tend-data-2026-03-02.json", contentType: "application/json" });
    const document = JSON.parse(reply.attachment!.content) as {
      customer: { displayName: string };
      interactions: { direction: string; kind: string; text: string | null }[];
      channels: { platform: string; platformUserId: string }[];
    };
    expect(document.customer.displayName).toBe("Ana");
    expect(document.channels).toEqual([expect.objectContaining({ platform: "telegram", platformUserId: en })]);
    expect(document.interactions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ direction: "in", kind: "message", text: "hello, this is Ana" }),
        expect.objectContaining({ direction: "out", kind: "message", text: expect.stringMatching(/^Sorry, I did not understand that\./) }),
        expect.objectContaining({ direction: "in", text: "my data" }),
      ]),
    );
    const rows = await h.rowsOf();
    expect(rows.replies.map((r) => [r.kind, r.metadata])).toEqual([
      ["system", expect.objectContaining({ attachment: { fileName: "tend-data-2026-03-02.json", contentType: "application/json" } })],
    ]);

    const zh = uniqueUser("export-zh");
    await h.say(zh, "你好");
    const zhReply = only(await h.say(zh, "我的数据"));
    expect(zhReply.text).toMatch(/^这是截至 2026-03-02 09:00 UTC 我们保存的关于您的全部数据：/);
    const zhDocument = JSON.parse(zhReply.attachment!.content) as { interactions: { text: string | null }[] };
    expect(zhDocument.interactions.map((i) => i.text)).toContain("你好");
    await h.expectOnTimeline();
  });

  it("erases on delete my data only after confirmation; cancel keeps everything; the next message is a new customer", async () => {
    const user = uniqueUser("erase");
    await h.say(user, "hello, my name is Ana", { displayName: "Ana" });
    await h.say(user, "birthday 1990-05-12");
    const before = await h.requireCustomer(user);

    const ask = only(await h.say(user, "delete my data"));
    expect(ask.text).toBe("This erases your personal data and message texts for good; your points and history cannot be restored. Are you sure?");
    expect(ask.choices?.map((c) => c.label)).toEqual(["Yes, confirm", "Cancel"]);
    expect(only(await h.say(user, { action: choice(ask, "cancel:") })).text).toBe("Cancelled. Nothing was changed.");
    let kept = await h.requireCustomer(user);
    expect(kept).toMatchObject({ id: before.id, displayName: "Ana", erasedAt: null });
    expect((await h.timeline(before.id)).filter((i) => i.text === "hello, my name is Ana")).toHaveLength(1);
    // The cancelled question's confirm button no longer erases.
    expect(only(await h.say(user, { action: choice(ask, "confirm:") })).text).toMatch(/^That confirmation has expired/);
    kept = await h.requireCustomer(user);
    expect(kept.erasedAt).toBeNull();
    await h.expectOnTimeline();

    const again = only(await h.say(user, "delete my data"));
    const erased = only(await h.say(user, { action: choice(again, "confirm:") }));
    const erasedAt = h.clock.now();
    expect(erased.text).toBe("Your personal data has been erased. If you write again, we will treat you as a new customer.");
    const gone = await h.services.customers.findById(before.id);
    expect(gone).toMatchObject({ displayName: null, birthday: null, erasedAt });
    const timeline = await h.timeline(before.id);
    expect(timeline.length).toBeGreaterThan(8);
    expect(timeline.filter((i) => i.text !== null)).toEqual([]);
    expect(timeline.filter((i) => i.platformMessageId !== null)).toEqual([]);
    expect(timeline.filter((i) => i.metadata !== null).map((i) => i.metadata)).toEqual([{ event: "erased", requestedVia: "chat" }]);
    // Even the goodbye is on the timeline, without its words.
    expect(timeline.filter((i) => i.direction === "out" && i.occurredAt.getTime() === erasedAt.getTime())).toHaveLength(1);
    expect(await h.services.customers.identities(before.id)).toEqual([]);
    expect(await h.customerOf(user)).toBeNull();

    const fresh = only(await h.say(user, "hi"));
    expect(fresh.text).toBe("Hi! I can show your points and rewards, take your feedback, or get you a person.");
    const newcomer = await h.requireCustomer(user);
    expect(newcomer.id).not.toBe(before.id);
    expect(newcomer.erasedAt).toBeNull();
    expect((await h.timeline(newcomer.id)).map((i) => [i.direction, i.text])).toEqual([
      ["in", "hi"],
      ["out", fresh.text],
    ]);
  });

  it("erases in Chinese with 删除我的数据 and a typed 确认", async () => {
    const user = uniqueUser("erase-zh");
    await h.say(user, "你好，我是小明", { displayName: "小明" });
    const before = await h.requireCustomer(user);
    const ask = only(await h.say(user, "删除我的数据"));
    expect(ask.text).toBe("此操作将永久删除您的个人数据和消息内容，积分和记录无法恢复。确定要删除吗？");
    expect(ask.choices?.map((c) => c.label)).toEqual(["确认", "取消"]);
    expect(only(await h.say(user, "确认")).text).toBe("您的个人数据已删除。如果您再次发消息，我们会将您视为新客户。");
    const gone = await h.services.customers.findById(before.id);
    expect(gone?.displayName).toBeNull();
    expect(gone?.erasedAt).not.toBeNull();
    expect((await h.timeline(before.id)).every((i) => i.text === null)).toBe(true);
    expect((await h.requireCustomer(user, "telegram").catch(() => null))?.id).toBeUndefined();
  });

  it("erases once when the confirm button is tapped twice at once, and stores neither answer's text", async () => {
    const user = uniqueUser("erase-race");
    await h.say(user, "I am Bo", { displayName: "Bo" });
    const before = await h.requireCustomer(user);
    const confirm = choice(only(await h.say(user, "delete my data")), "confirm:");
    const taps = await Promise.all([h.say(user, { action: confirm }), h.say(user, { action: confirm })]);
    const texts = taps.map((r) => only(r).text).sort();
    expect(texts).toContain("Your personal data has been erased. If you write again, we will treat you as a new customer.");
    // The other tap either lost the race inside the erasure or arrived as a new customer.
    expect(texts.filter((t) => t.startsWith("That confirmation has expired"))).toHaveLength(1);
    const timeline = await h.timeline(before.id);
    expect(timeline.filter((i) => i.text !== null)).toEqual([]);
    expect(await db().prisma.interaction.count({ where: { customerId: before.id, kind: "system", direction: "in" } })).toBe(1);

    // A message racing the erasure leaves no text behind on the erased customer either.
    const racer = uniqueUser("erase-racer");
    await h.say(racer, "hello");
    const racerBefore = await h.requireCustomer(racer);
    const racerConfirm = choice(only(await h.say(racer, "delete my data")), "confirm:");
    await Promise.all([h.say(racer, { action: racerConfirm }), h.say(racer, "my secret is 42"), h.say(racer, "points")]);
    expect((await h.timeline(racerBefore.id)).filter((i) => i.text !== null)).toEqual([]);
  });

  it("links a Discord chat to a Telegram customer with a code and merges their timelines", async () => {
    const tg = uniqueUser("link-tg");
    const dc = uniqueUser("link-dc");
    await h.say(tg, "hi from telegram");
    await h.givePoints(tg, 40);
    await h.say(dc, "hi from discord", { platform: "discord" });
    await h.givePoints(dc, 2, "discord");
    const discordCustomer = await h.requireCustomer(dc, "discord");

    const issued = only(await h.say(tg, "link"));
    const code = /Your link code is ([A-Z0-9]{6})\./.exec(issued.text)?.[1];
    expect(code, issued.text).toBeDefined();
    expect(issued.text).toBe(`Your link code is ${code}. On your other chat app, send: link ${code} (valid for 10 minutes).`);

    expect(only(await h.say(dc, "link ZZZZZZ", { platform: "discord" })).text).toBe("I don't know that link code. Please check it and try again.");
    expect(only(await h.say(tg, `link ${code}`)).text).toBe("That code belongs to this chat already: send it on your other chat app.");
    expect(only(await h.say(dc, `link ${code!.toLowerCase()}`, { platform: "discord" })).text).toBe("Linked! Both chats now share one profile, points and history.");

    const merged = await h.requireCustomer(tg);
    expect((await h.requireCustomer(dc, "discord")).id).toBe(merged.id);
    expect(await h.services.customers.findById(discordCustomer.id)).toBeNull();
    expect((await h.services.customers.identities(merged.id)).map((i) => i.platform).sort()).toEqual(["discord", "telegram"]);
    const timeline = await h.timeline(merged.id);
    expect(timeline.map((i) => i.text)).toEqual(expect.arrayContaining(["hi from telegram", "hi from discord", `link ${code!.toLowerCase()}`]));
    expect(new Set(timeline.map((i) => i.platform))).toEqual(new Set(["telegram", "discord"]));
    expect(only(await h.say(dc, "points", { platform: "discord" })).text).toMatch(/^You have 42 points\./);
    // A used code links once.
    const other = uniqueUser("link-late");
    expect(only(await h.say(other, `link ${code}`, { platform: "slack" })).text).toBe("I don't know that link code. Please check it and try again.");
    await h.expectOnTimeline();
  });

  it("links in Chinese with 绑定 and explains a wrong or expired code", async () => {
    const tg = uniqueUser("bind-tg");
    const dc = uniqueUser("bind-dc");
    await h.say(tg, "你好");
    const issued = only(await h.say(tg, "绑定"));
    const code = /您的绑定码是 ([A-Z0-9]{6})。/.exec(issued.text)?.[1];
    expect(issued.text).toBe(`您的绑定码是 ${code}。请在另一个聊天应用中发送：绑定 ${code}（10 分钟内有效）。`);
    expect(only(await h.say(dc, "绑定 ABCDEF", { platform: "discord", locale: "zh-CN" })).text).toBe("无法识别该绑定码，请检查后重试。");
    expect(only(await h.say(dc, `绑定 ${code}`, { platform: "discord" })).text).toBe("绑定成功！两个聊天现在共用一个账户、积分和记录。");
    expect((await h.requireCustomer(dc, "discord")).id).toBe((await h.requireCustomer(tg)).id);

    // A code typed after its ten minutes is expired.
    const late = uniqueUser("bind-late");
    await h.say(late, "hi", { platform: "slack" });
    const lateCode = /link code is ([A-Z0-9]{6})/.exec(only(await h.say(late, "link", { platform: "slack" })).text)?.[1];
    h.clock.advance(11 * 60_000);
    expect(only(await h.say(uniqueUser("bind-other"), `link ${lateCode}`, { platform: "web" })).text).toBe(
      "That link code has expired. Ask for a new one with: link",
    );
    await h.expectOnTimeline();
  });

  it("hands over to a person on 人工 / agent / human and stays silent until staff release the customer", async () => {
    for (const [ask, language] of [
      ["人工", "zh"],
      ["agent", "en"],
      ["human", "en"],
      [{ action: "menu:agent" }, "en"],
    ] as const) {
      const user = uniqueUser("handover");
      await h.say(user, language === "zh" ? "你好" : "hi");
      const handedOver = only(await h.say(user, ask));
      const at = h.clock.now();
      expect(handedOver.text).toBe(
        language === "zh" ? "已为您转接人工客服，工作人员会尽快在这里回复您。" : "I've asked a member of our team to take over. They will reply here soon.",
      );
      const customer = await h.requireCustomer(user);
      expect(customer.handedOverAt).toEqual(at);
      const cases = await h.services.feedback.listByCustomer(customer.id);
      expect(cases.map((c) => [c.source, c.status])).toEqual([["handover", "open"]]);

      // Normal messages and buttons get no reply but are on the timeline for staff.
      const countBefore = await h.services.interactions.count(customer.id);
      expect(await h.say(user, "points")).toEqual([]);
      expect(await h.say(user, { action: "menu:rewards" })).toEqual([]);
      expect(await h.say(user, "help")).toEqual([]);
      expect(await h.say(user, "人工")).toEqual([]);
      expect(await h.services.interactions.count(customer.id)).toBe(countBefore + 4);
      expect((await h.timeline(customer.id)).filter((i) => i.text === "points" && i.direction === "in")).toHaveLength(1);
      expect(await h.services.feedback.listByCustomer(customer.id)).toHaveLength(1);

      await h.services.customers.update(customer.id, { handedOverAt: null });
      expect(only(await h.say(user, "points")).text).toMatch(language === "zh" ? /^您有 0 积分/ : /^You have 0 points/);
    }
    await h.expectOnTimeline();
  });

  it("lets STOP through while a person has the conversation", async () => {
    const user = uniqueUser("handover-stop");
    await h.say(user, "hi");
    await h.say(user, "agent");
    expect(only(await h.say(user, "STOP")).text).toMatch(/^You will get no more messages you did not ask for/);
    const customer = await h.requireCustomer(user);
    expect(customer).toMatchObject({ careConsent: false, marketingConsent: false });
    expect(customer.handedOverAt).not.toBeNull();
    expect(only(await h.say(user, "退订")).text).toMatch(/^You will get no more/);
    expect(only(await h.say(user, "START")).text).toMatch(/^Welcome back/);
    expect(await h.say(user, "rewards")).toEqual([]);
    await h.expectOnTimeline();
  });

  it("lets a customer export and erase their data while a person has the conversation", async () => {
    const user = uniqueUser("handover-rights");
    await h.say(user, "hi");
    await h.say(user, "agent");
    const exported = only(await h.say(user, "my data"));
    expect(exported.attachment?.contentType).toBe("application/json");
    const ask = only(await h.say(user, "delete my data"));
    const confirm = choiceIds(ask).find((id) => id.startsWith("confirm:"));
    expect(confirm).toBeDefined();
    expect(only(await h.say(user, { action: confirm! })).text).toMatch(/erased/);
    expect(await h.say(user, "rewards")).not.toEqual([]);
  });

  it("runs a CSAT: a 2 with a reason opens a case, the bonus is booked once, a second answer is refused", async () => {
    const user = uniqueUser("csat-low");
    await h.say(user, "hi");
    const customer = await h.requireCustomer(user);
    const question = only(await h.say(user, "rate us"));
    expect(question.text).toBe("How satisfied are you with your recent experience with us? (1 = very dissatisfied, 5 = very satisfied)");
    const ids = choiceIds(question);
    expect(ids).toHaveLength(5);
    for (const [index, id] of ids.entries()) expect(id).toMatch(new RegExp(`^survey:[0-9a-f-]{36}:${index + 1}$`));
    expect((await h.rowsOf()).replies.map((r) => r.kind)).toEqual(["survey"]);

    const two = ids[1]!;
    expect(only(await h.say(user, { action: two })).text).toBe("Thank you! What is the main reason for your score? Just reply with a message.");
    expect((await h.rowsOf()).inbound).toMatchObject({ kind: "survey", direction: "in", metadata: { action: two } });
    expect(only(await h.say(user, "The delivery was two days late")).text).toBe(
      "Thank you for telling us. We are sorry about this; someone from our team will look into it.",
    );
    const cases = await h.services.feedback.listByCustomer(customer.id);
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ source: "survey", status: "open" });
    expect(cases[0]!.summary).toContain("The delivery was two days late");

    // The bonus for answering, once.
    const bonus = await db().prisma.loyaltyLedgerEntry.findMany({ where: { customerId: customer.id, kind: "bonus" } });
    expect(bonus.map((e) => [e.points, e.reason])).toEqual([[20, "survey_completed"]]);
    expect(only(await h.say(user, { action: ids[3]! })).text).toBe("You have already answered this survey. Thank you!");
    expect(only(await h.say(user, { action: two })).text).toBe("You have already answered this survey. Thank you!");
    expect(await h.services.loyalty.balance(customer.id)).toBe(20);
    expect(await db().prisma.surveyResponse.count({ where: { customerId: customer.id } })).toBe(1);
    // The reason was taken; the next message is an ordinary one again.
    expect(only(await h.say(user, "points")).text).toMatch(/^You have 20 points/);
    await h.expectOnTimeline();
  });

  it("runs a CSAT in Chinese: 评价, a 5 opens no case, a typed score works", async () => {
    const user = uniqueUser("csat-zh");
    await h.say(user, "你好");
    const customer = await h.requireCustomer(user);
    const question = only(await h.say(user, "评价"));
    expect(question.text).toBe("您对最近一次与我们的体验满意吗？（1 = 非常不满意，5 = 非常满意）");
    expect(only(await h.say(user, { action: choice(question, "survey:") .replace(/:\d+$/, ":5") })).text).toBe(
      "谢谢！您给出这个评分的主要原因是什么？直接回复一条消息即可。",
    );
    expect(only(await h.say(user, "服务很好，谢谢")).text).toBe("感谢您告诉我们。");
    expect(await h.services.feedback.listByCustomer(customer.id)).toEqual([]);
    expect(await h.services.loyalty.balance(customer.id)).toBe(20);

    // Without buttons, a typed number answers the open invitation.
    await h.say(user, "评价");
    expect(only(await h.say(user, "４")).text).toBe("谢谢！您给出这个评分的主要原因是什么？直接回复一条消息即可。");
    const responses = await db().prisma.surveyResponse.findMany({ where: { customerId: customer.id }, orderBy: { respondedAt: "asc" } });
    expect(responses.map((r) => r.score)).toEqual([5, 4]);
    expect(await h.services.loyalty.balance(customer.id)).toBe(40);
    await h.expectOnTimeline();
  });

  it("answers an expired invitation with the expired reply, in both languages", async () => {
    for (const [greeting, closed] of [
      ["hi", "Sorry, this survey has closed."],
      ["你好", "抱歉，这份问卷已经结束。"],
    ] as const) {
      const user = uniqueUser("csat-expired");
      await h.say(user, greeting);
      const question = only(await h.say(user, "rate us"));
      h.clock.advance(73 * HOUR);
      expect(only(await h.say(user, { action: choiceIds(question)[0]! })).text).toBe(closed);
      const customer = await h.requireCustomer(user);
      expect(await db().prisma.surveyResponse.count({ where: { customerId: customer.id } })).toBe(0);
      expect(await h.services.feedback.listByCustomer(customer.id)).toEqual([]);
      expect(await h.services.loyalty.balance(customer.id)).toBe(0);
    }
    await h.expectOnTimeline();
  });

  it("handles a redelivered message once, answers it once, and can give the first answers again", async () => {
    const user = uniqueUser("dedupe");
    const messageId = `dup-${user}`;
    const first = await h.say(user, "points", { messageId });
    expect(first[0]?.choices).toEqual([{ id: "menu:rewards", label: "Rewards" }]);
    // A platform's redelivery must not make the customer read the answer twice.
    expect(await h.say(user, "points", { messageId })).toEqual([]);
    // A client that lost the response asks for the answers already given.
    expect(await h.engine.previousReplies("telegram", user, messageId)).toEqual(first.map(({ text, choices }) => ({ text, ...(choices ? { choices } : {}) })));
    const customer = await h.requireCustomer(user);
    const timeline = await h.timeline(customer.id);
    expect(timeline.filter((i) => i.direction === "in")).toHaveLength(1);
    expect(timeline.filter((i) => i.direction === "out")).toHaveLength(1);

    // A redelivered confirmation redeems once.
    await h.givePoints(user, 100);
    const confirm = choice(only(await h.say(user, "redeem coffee")), "confirm:");
    const done = await h.say(user, { action: confirm }, { messageId: `${messageId}-confirm` });
    expect(only(done).text).toMatch(/^Done! You redeemed Free coffee\. 0 points left\./);
    expect(await h.say(user, { action: confirm }, { messageId: `${messageId}-confirm` })).toEqual([]);
    expect((await h.engine.previousReplies("telegram", user, `${messageId}-confirm`)).map((r) => r.text)).toEqual([only(done).text]);
    expect(await h.services.loyalty.balance(customer.id)).toBe(0);
    expect(await db().prisma.loyaltyLedgerEntry.count({ where: { customerId: customer.id, kind: "redeem" } })).toBe(1);
    // The same id on another platform is another message.
    expect(only(await h.say(user, "points", { messageId, platform: "discord" })).text).toMatch(/^You have 0 points/);
    expect(await h.engine.previousReplies("slack", user, messageId)).toEqual([]);
    await h.expectOnTimeline();
  });
});
