import { beforeEach, expect, it } from "vitest";
import { describeEachDatabase } from "./support/databases.ts";
import { type EngineHarness, MENU, choice, choiceIds, createEngineHarness, only, uniqueUser } from "./support/engine-harness.ts";

const DAY = 86_400_000;

describeEachDatabase("engine conversation: menu, loyalty, profile, consent", (db) => {
  let h: EngineHarness;
  beforeEach(async () => {
    h = await createEngineHarness(db());
  });

  it("answers /start, help, 帮助 and 菜单 with the four menu buttons, in the customer's language", async () => {
    const en = uniqueUser("en");
    const welcome = only(await h.say(en, "/start", { displayName: "Ana" }));
    expect(welcome.text).toBe("Hi Ana! I can show your points and rewards, take your feedback, or get you a person.");
    expect(choiceIds(welcome)).toEqual(MENU);
    expect(welcome.choices?.map((c) => c.label)).toEqual(["My points", "Rewards", "Rate us", "Talk to a person"]);
    expect(choiceIds(only(await h.say(en, "help")))).toEqual(MENU);
    expect((await h.requireCustomer(en)).locale).toBe("en");

    // A platform that says the person reads Chinese gets Chinese from the first reply.
    const byLocale = uniqueUser("zh-locale");
    const zhWelcome = only(await h.say(byLocale, "/start", { locale: "zh-CN" }));
    expect(zhWelcome.text).toBe("您好！我可以帮您查询积分和奖励、收集您的反馈，或为您转接人工客服。");
    expect(zhWelcome.choices?.map((c) => c.label)).toEqual(["我的积分", "奖励", "评价我们", "人工客服"]);
    expect(choiceIds(zhWelcome)).toEqual(MENU);
    expect((await h.requireCustomer(byLocale)).locale).toBe("zh-CN");

    // So does one whose first message is Chinese, and a "zh-hans" hint.
    const byText = uniqueUser("zh-text");
    const help = only(await h.say(byText, "帮助"));
    expect(help.text).toMatch(/^您好！/);
    expect(choiceIds(help)).toEqual(MENU);
    expect(choiceIds(only(await h.say(byText, "菜单")))).toEqual(MENU);
    expect((await h.requireCustomer(byText)).locale).toBe("zh-CN");
    const hans = uniqueUser("zh-hans");
    expect(only(await h.say(hans, "hi", { locale: "zh-hans", platform: "discord" })).text).toMatch(/^您好/);

    // The menu's buttons do what they say.
    expect(only(await h.say(en, { action: "menu:points" })).text).toMatch(/^You have 0 points\. Your tier: Bronze\./);
    expect(only(await h.say(byText, { action: "menu:rewards" })).text).toMatch(/^可兑换的奖励（您有 0 积分）：/);

    const rows = await h.rowsOf();
    expect(rows.inbound).toMatchObject({ direction: "in", kind: "message", text: null, metadata: { action: "menu:rewards" } });
    expect(rows.replies.map((r) => [r.direction, r.kind])).toEqual([["out", "loyalty"]]);
    await h.expectOnTimeline();
  });

  it("switches language with 中文 and english, and keeps it", async () => {
    const user = uniqueUser("switch");
    expect(only(await h.say(user, "hello")).text).toMatch(/^Hi!/);
    // A Chinese word from an English customer does not switch by itself.
    expect(only(await h.say(user, "积分")).text).toMatch(/^You have 0 points/);
    expect(only(await h.say(user, "中文")).text).toBe("已保存：我将使用中文回复。");
    expect((await h.requireCustomer(user)).locale).toBe("zh-CN");
    expect(only(await h.say(user, "points")).text).toMatch(/^您有 0 积分，当前等级：青铜。/);
    expect(only(await h.say(user, "english")).text).toBe("Saved: I will write in English.");
    expect(only(await h.say(user, "帮助")).text).toMatch(/^Hi!/);
    expect((await h.requireCustomer(user)).locale).toBe("en");
    await h.expectOnTimeline();
  });

  it("shows points, tier, the next tier and points expiring within 30 days, in both languages", async () => {
    const en = uniqueUser("points-en");
    const zh = uniqueUser("points-zh");
    await h.say(en, "hi");
    await h.say(zh, "你好");
    const enCustomer = await h.requireCustomer(en);
    const zhCustomer = await h.requireCustomer(zh);
    // Bonus points count towards the tier and lapse after 12 months; adjustments do neither.
    const bonusAt = h.clock.now();
    for (const customer of [enCustomer, zhCustomer]) {
      await h.services.loyalty.awardBonus({ customerId: customer.id, points: 600, reason: "welcome", idempotencyKey: `welcome:${customer.id}` });
      await h.services.loyalty.adjust({ customerId: customer.id, points: 50, reason: "goodwill" });
    }

    const points = only(await h.say(en, "points"));
    expect(points.text).toBe("You have 650 points. Your tier: Silver.\nYour tier counts the points earned in the last 12 months: 600 so far.\n1400 more points to reach Gold.");
    expect(choiceIds(points)).toEqual(["menu:rewards"]);
    expect(only(await h.say(en, "tier")).text).toBe(points.text);
    expect(only(await h.say(zh, "积分")).text).toBe("您有 650 积分，当前等级：白银。\n等级按最近 12 个月获得的积分计算，目前为 600。\n再获得 1400 积分即可升级为 黄金。");
    expect(only(await h.say(zh, "等级")).text).toMatch(/^您有 650 积分/);

    // Eleven and a half months later the bonus is about to lapse; the adjustment never does.
    h.clock.set(new Date(bonusAt.getTime() + 350 * DAY));
    const expiry = new Date(bonusAt);
    expiry.setUTCFullYear(expiry.getUTCFullYear() + 1);
    const enSoon = only(await h.say(en, "points")).text;
    expect(enSoon).toBe(
      `You have 650 points. Your tier: Silver.\nYour tier counts the points earned in the last 12 months: 600 so far.\n1400 more points to reach Gold.\n600 points expire by ${new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" }).format(expiry)}.`,
    );
    expect(enSoon).toMatch(/600 points expire by Mar 2, 2027\.$/);
    expect(only(await h.say(zh, "积分")).text).toMatch(/\n600 积分将于 2027年3月2日 前过期。$/);

    // After the date the bonus is gone, and with it the tier.
    h.clock.set(new Date(bonusAt.getTime() + 370 * DAY));
    expect(only(await h.say(en, "points")).text).toBe("You have 50 points. Your tier: Bronze.\nYour tier counts the points earned in the last 12 months: 0 so far.\n500 more points to reach Silver.");

    // At the top there is no next tier.
    await h.services.loyalty.awardBonus({ customerId: enCustomer.id, points: 6000, reason: "vip", idempotencyKey: `vip:${enCustomer.id}` });
    expect(only(await h.say(en, "my tier")).text).toBe("You have 6050 points. Your tier: Platinum.\nYour tier counts the points earned in the last 12 months: 6000 so far.\nYou are at our top tier. Thank you!");
    expect((await h.rowsOf()).replies.map((r) => r.kind)).toEqual(["loyalty"]);
    await h.expectOnTimeline();
  });

  it("shows the reward catalogue with a button per reward, in both languages", async () => {
    const en = uniqueUser("cat-en");
    await h.say(en, "hi");
    await h.givePoints(en, 120);
    const rewards = only(await h.say(en, "rewards"));
    expect(rewards.text.split("\n")).toEqual([
      "Rewards you can choose (you have 120 points):",
      "• Free coffee: 100 points",
      "• Tote bag: 300 points",
      "• 10% off voucher: 500 points",
      "• Gift box: 1500 points",
    ]);
    expect(rewards.choices).toEqual([
      { id: "reward:coffee", label: "Free coffee (100)" },
      { id: "reward:tote", label: "Tote bag (300)" },
      { id: "reward:voucher10", label: "10% off voucher (500)" },
      { id: "reward:giftbox", label: "Gift box (1500)" },
    ]);
    const zh = uniqueUser("cat-zh");
    const zhRewards = only(await h.say(zh, "奖励"));
    expect(zhRewards.text.split("\n")[0]).toBe("可兑换的奖励（您有 0 积分）：");
    expect(zhRewards.text).toContain("• 免费咖啡：100 积分");
    expect(zhRewards.choices?.map((c) => c.label)).toEqual(["免费咖啡 (100)", "帆布袋 (300)", "九折优惠券 (500)", "礼盒 (1500)"]);
    await h.expectOnTimeline();
  });

  it("redeems after confirmation, by text or button, and cancels without booking", async () => {
    const user = uniqueUser("redeem");
    await h.say(user, "hi");
    await h.givePoints(user, 350);
    const customer = await h.requireCustomer(user);

    const ask = only(await h.say(user, "redeem coffee"));
    expect(ask.text).toBe("Redeem Free coffee for 100 points? You have 350 points; 250 would remain.");
    expect(ask.choices?.map((c) => c.label)).toEqual(["Yes, confirm", "Cancel"]);
    const cancelled = only(await h.say(user, { action: choice(ask, "cancel:") }));
    expect(cancelled.text).toBe("Cancelled. Nothing was changed.");
    expect(await h.services.loyalty.balance(customer.id)).toBe(350);
    // A cancelled confirmation cannot be confirmed afterwards.
    expect(only(await h.say(user, { action: choice(ask, "confirm:") })).text).toBe(
      "That confirmation has expired or was already used. Nothing was changed.",
    );
    expect(await h.services.loyalty.balance(customer.id)).toBe(350);

    // The catalogue's button starts the same flow.
    const viaButton = only(await h.say(user, { action: "reward:coffee" }));
    expect(viaButton.text).toMatch(/^Redeem Free coffee for 100 points\?/);
    const done = only(await h.say(user, { action: choice(viaButton, "confirm:") }));
    expect(done.text).toBe("Done! You redeemed Free coffee. 250 points left. We will be in touch about it.");
    expect(await h.services.loyalty.balance(customer.id)).toBe(250);
    expect((await h.rowsOf()).replies.map((r) => r.kind)).toEqual(["loyalty"]);

    // Cancel pressed after the redemption went through must not claim nothing happened.
    const late = only(await h.say(user, { action: choice(viaButton, "cancel:") }));
    expect(late.text).toBe('Free coffee is already redeemed, so it cannot be cancelled here. If you need it undone, send "agent" to talk to a person.');
    expect(await h.services.loyalty.balance(customer.id)).toBe(250);

    // A typed yes answers the newest question; a typed no cancels.
    expect(only(await h.say(user, "redeem Free Coffee")).text).toMatch(/^Redeem Free coffee/);
    expect(only(await h.say(user, "yes")).text).toBe("Done! You redeemed Free coffee. 150 points left. We will be in touch about it.");
    expect(only(await h.say(user, "redeem coffee")).text).toMatch(/^Redeem Free coffee/);
    expect(only(await h.say(user, "no")).text).toBe("Cancelled. Nothing was changed.");
    expect(await h.services.loyalty.balance(customer.id)).toBe(150);
    await h.expectOnTimeline();
  });

  it("redeems in Chinese, by code or Chinese name, with 确认 and 取消", async () => {
    const user = uniqueUser("redeem-zh");
    await h.say(user, "你好");
    await h.givePoints(user, 350);
    const customer = await h.requireCustomer(user);
    const ask = only(await h.say(user, "兑换 coffee"));
    expect(ask.text).toBe("确认用 100 积分兑换 免费咖啡 吗？您有 350 积分，兑换后剩余 250 积分。");
    expect(ask.choices?.map((c) => c.label)).toEqual(["确认", "取消"]);
    expect(only(await h.say(user, { action: choice(ask, "confirm:") })).text).toBe("兑换成功！您已兑换 免费咖啡，剩余 250 积分。我们会尽快与您联系。");
    expect(only(await h.say(user, { action: choice(ask, "cancel:") })).text).toBe("免费咖啡 已兑换完成，无法在这里取消。如需撤销，请发送“人工”联系客服。");
    expect(only(await h.say(user, { action: choice(ask, "confirm:") })).text).toBe("该兑换已完成：免费咖啡 只兑换一次，没有重复扣除积分。");
    expect(only(await h.say(user, "兑换 免费咖啡")).text).toMatch(/^确认用 100 积分兑换 免费咖啡 吗？/);
    expect(only(await h.say(user, "取消")).text).toBe("已取消，没有做任何更改。");
    expect(only(await h.say(user, "兑换 免费咖啡")).text).toMatch(/^确认用/);
    expect(only(await h.say(user, "确认")).text).toBe("兑换成功！您已兑换 免费咖啡，剩余 150 积分。我们会尽快与您联系。");
    expect(await h.services.loyalty.balance(customer.id)).toBe(150);
    await h.expectOnTimeline();
  });

  it("explains insufficient points, unknown and unavailable rewards without asking to confirm", async () => {
    const en = uniqueUser("short");
    await h.say(en, "hi");
    await h.givePoints(en, 250);
    const short = only(await h.say(en, "redeem giftbox"));
    expect(short.text).toBe("Gift box needs 1500 points and you have 250: 1250 more to go.");
    expect(short.choices).toBeUndefined();
    expect(only(await h.say(en, { action: "reward:voucher10" })).text).toBe("10% off voucher needs 500 points and you have 250: 250 more to go.");
    const unknown = only(await h.say(en, "redeem unicorn"));
    expect(unknown.text.split("\n")[0]).toBe('I don\'t know a reward called "unicorn". Here are the rewards:');
    expect(choiceIds(unknown)).toContain("reward:coffee");
    // "redeem" alone shows the catalogue.
    expect(only(await h.say(en, "redeem")).text).toMatch(/^Rewards you can choose \(you have 250 points\):/);

    const code = `retired${process.pid}${Date.now() % 1000}`;
    await h.services.loyalty.createReward({ code, name: "Old mug", nameZh: "旧杯子", cost: 10, active: false });
    expect(only(await h.say(en, `redeem ${code}`)).text).toBe("Old mug is not available at the moment.");

    const zh = uniqueUser("short-zh");
    await h.say(zh, "你好");
    await h.givePoints(zh, 250);
    expect(only(await h.say(zh, "兑换 礼盒")).text).toBe("礼盒 需要 1500 积分，您目前有 250 积分，还差 1250 积分。");
    expect(only(await h.say(zh, `兑换 ${code}`)).text).toBe("旧杯子 暂时无法兑换。");
    expect(only(await h.say(zh, "兑换 独角兽")).text.split("\n")[0]).toBe("没有找到名为“独角兽”的奖励。可兑换的奖励如下：");

    const customer = await h.requireCustomer(en);
    expect(await db().prisma.pendingAction.count({ where: { customerId: customer.id } })).toBe(0);
    expect(await h.services.loyalty.balance(customer.id)).toBe(250);
    await h.expectOnTimeline();
  });

  it("redeems once when the same confirm button is tapped twice, even at the same moment", async () => {
    const user = uniqueUser("double");
    await h.say(user, "hi");
    await h.givePoints(user, 350);
    const customer = await h.requireCustomer(user);
    const confirm = choice(only(await h.say(user, "redeem coffee")), "confirm:");
    const taps = await Promise.all([h.say(user, { action: confirm }), h.say(user, { action: confirm })]);
    const again = await h.say(user, { action: confirm });
    const texts = [...taps, again].map((r) => only(r).text);
    expect(texts.filter((t) => t.startsWith("Done! You redeemed Free coffee. 250 points left."))).toHaveLength(1);
    expect(texts.filter((t) => t === "That was already done: Free coffee is redeemed once. Nothing more was taken.")).toHaveLength(2);
    expect(await h.services.loyalty.balance(customer.id)).toBe(250);
    expect(await db().prisma.loyaltyLedgerEntry.count({ where: { customerId: customer.id, kind: "redeem" } })).toBe(1);
    await h.expectOnTimeline();
  });

  it("never overdraws when two different confirmations are confirmed at once", async () => {
    const user = uniqueUser("race");
    await h.say(user, "hi");
    await h.givePoints(user, 150);
    const customer = await h.requireCustomer(user);
    // Both questions are asked while 150 points cover either one.
    const first = choice(only(await h.say(user, "redeem coffee")), "confirm:");
    const second = choice(only(await h.say(user, { action: "reward:coffee" })), "confirm:");
    expect(first).not.toBe(second);
    const results = await Promise.all([h.say(user, { action: first }), h.say(user, { action: second })]);
    const texts = results.map((r) => only(r).text);
    expect(texts.filter((t) => t.startsWith("Done!"))).toHaveLength(1);
    expect(texts.filter((t) => t === "Free coffee needs 100 points and you have 50: 50 more to go.")).toHaveLength(1);
    expect(await h.services.loyalty.balance(customer.id)).toBe(50);

    // Three confirmations at once against 400 points: in any order exactly tote and coffee fit.
    await h.givePoints(user, 350);
    const asks = [];
    for (const code of ["tote", "tote", "coffee"]) asks.push(choice(only(await h.say(user, `redeem ${code}`)), "confirm:"));
    const settled = (await Promise.all(asks.map((id) => h.say(user, { action: id })))).map((r) => only(r).text);
    expect(settled.filter((t) => t.startsWith("Done!"))).toHaveLength(2);
    expect(settled.filter((t) => / needs \d+ points and you have /.test(t))).toHaveLength(1);
    expect(await h.services.loyalty.balance(customer.id)).toBe(0);
    const entries = await db().prisma.loyaltyLedgerEntry.findMany({ where: { customerId: customer.id } });
    expect(entries.reduce((sum, e) => sum + e.points, 0)).toBe(0);
    expect(entries.filter((e) => e.kind === "redeem").map((e) => e.points).sort()).toEqual([-100, -100, -300]);
    await h.expectOnTimeline();
  });

  it("sets birthday, time zone, quiet hours and frequency, and shows them, in English", async () => {
    const user = uniqueUser("profile-en");
    await h.say(user, "hi");
    expect(only(await h.say(user, "birthday 1990-05-12")).text).toBe("Saved: your birthday is 1990-05-12.");
    const hint = "Please give your birthday as YYYY-MM-DD, for example: birthday 1990-05-12";
    for (const bad of ["birthday 1990-02-30", "birthday 2099-01-01", "birthday next tuesday", "birthday"]) {
      expect(only(await h.say(user, bad)).text, bad).toBe(hint);
    }
    expect((await h.requireCustomer(user)).birthday?.toISOString()).toBe("1990-05-12T00:00:00.000Z");

    expect(only(await h.say(user, "timezone asia/shanghai")).text).toBe("Saved: your time zone is Asia/Shanghai.");
    expect(only(await h.say(user, "timezone Mars/Base")).text).toBe("I don't know that time zone. Please use a name like Europe/London or Asia/Shanghai.");
    expect(only(await h.say(user, "timezone UTC+8")).text).toMatch(/^I don't know that time zone/);
    expect((await h.requireCustomer(user)).timeZone).toBe("Asia/Shanghai");

    expect(only(await h.say(user, "quiet 22:00-08:00")).text).toBe("Saved: no care messages between 22:00 and 08:00 your time.");
    expect(only(await h.say(user, "quiet 25:00-08:00")).text).toBe("Please give quiet hours as HH:MM-HH:MM, for example: quiet 22:00-08:00 (or: quiet off)");
    expect(only(await h.say(user, "quiet sometimes")).text).toMatch(/^Please give quiet hours/);
    let customer = await h.requireCustomer(user);
    expect([customer.quietHoursStart, customer.quietHoursEnd]).toEqual([1320, 480]);

    expect(only(await h.say(user, "frequency 2")).text).toBe("Saved: at most 2 care messages a week.");
    expect(only(await h.say(user, "frequency 1")).text).toBe("Saved: at most 1 care message a week.");
    expect(only(await h.say(user, "frequency 0")).text).toBe("Saved: no care messages.");
    for (const bad of ["frequency 15", "frequency lots", "frequency -1"]) {
      expect(only(await h.say(user, bad)).text, bad).toBe("Please give a number from 0 to 14, for example: frequency 2");
    }
    await h.say(user, "frequency 2");

    expect(only(await h.say(user, "profile")).text).toBe(
      [
        "Your settings:",
        "• Birthday: 1990-05-12 (birthday YYYY-MM-DD, or: birthday lunar M-D)",
        "• Time zone: Asia/Shanghai (timezone Area/City)",
        "• Quiet hours: 22:00-08:00 (quiet 22:00-08:00)",
        "• Care messages: at most 2 a week (frequency N)",
      ].join("\n"),
    );
    expect(only(await h.say(user, "quiet off")).text).toBe("Saved: no quiet hours.");
    customer = await h.requireCustomer(user);
    expect([customer.quietHoursStart, customer.quietHoursEnd, customer.maxCareMessagesPerWeek]).toEqual([null, null, 2]);
    expect(only(await h.say(user, "settings")).text).toContain("• Quiet hours: none (quiet 22:00-08:00)");
    await h.expectOnTimeline();
  });

  it("sets the profile in Chinese: 生日, 时区, 免打扰, 频率, 设置", async () => {
    const user = uniqueUser("profile-zh");
    expect(only(await h.say(user, "设置")).text).toBe(
      ["您的设置：", "• 生日：未设置（生日 YYYY-MM-DD，或：农历生日 八月十五）", "• 时区：UTC（时区 Asia/Shanghai）", "• 免打扰：无（免打扰 22:00-08:00）", "• 关怀消息：每周最多 2 条（频率 N）"].join(
        "\n",
      ),
    );
    expect(only(await h.say(user, "生日 1990-05-12")).text).toBe("已保存：您的生日是 1990-05-12。");
    expect(only(await h.say(user, "生日 1990-02-30")).text).toBe("请按 YYYY-MM-DD 格式输入生日，例如：生日 1990-05-12");
    expect(only(await h.say(user, "生日 明天")).text).toMatch(/^请按 YYYY-MM-DD/);
    expect(only(await h.say(user, "生日：１９９１－０６－０１")).text).toBe("已保存：您的生日是 1991-06-01。");
    expect(only(await h.say(user, "时区 asia/shanghai")).text).toBe("已保存：您的时区是 Asia/Shanghai。");
    expect(only(await h.say(user, "时区 北京")).text).toBe("无法识别该时区，请使用如 Asia/Shanghai 的名称。");
    expect(only(await h.say(user, "免打扰 22:00-08:00")).text).toBe("已保存：每天 22:00 至 08:00（您当地时间）不发送关怀消息。");
    expect(only(await h.say(user, "免打扰 晚上")).text).toBe("请按 HH:MM-HH:MM 格式输入免打扰时段，例如：免打扰 22:00-08:00（或：免打扰 关闭）");
    expect(only(await h.say(user, "频率 3")).text).toBe("已保存：每周最多 3 条关怀消息。");
    expect(only(await h.say(user, "频率 二十")).text).toBe("请输入 0 到 14 之间的数字，例如：频率 2");
    expect(only(await h.say(user, "设置")).text).toBe(
      [
        "您的设置：",
        "• 生日：1991-06-01（生日 YYYY-MM-DD，或：农历生日 八月十五）",
        "• 时区：Asia/Shanghai（时区 Asia/Shanghai）",
        "• 免打扰：22:00-08:00（免打扰 22:00-08:00）",
        "• 关怀消息：每周最多 3 条（频率 N）",
      ].join("\n"),
    );
    expect(only(await h.say(user, "免打扰 关闭")).text).toBe("已保存：不设免打扰时段。");
    const customer = await h.requireCustomer(user);
    expect(customer).toMatchObject({ timeZone: "Asia/Shanghai", quietHoursStart: null, quietHoursEnd: null, maxCareMessagesPerWeek: 3 });
    await h.expectOnTimeline();
  });

  it("STOP, 退订 and unsubscribe end care, marketing and surveys with a dated history; START and 订阅 resume", async () => {
    for (const [stop, start, language] of [
      ["STOP", "START", "en"],
      ["unsubscribe", "start", "en"],
      ["退订", "订阅", "zh"],
    ] as const) {
      const user = uniqueUser(`consent-${language}`);
      await h.say(user, language === "zh" ? "你好" : "hi", { platform: "discord" });
      const customer = await h.requireCustomer(user, "discord");
      await h.services.customers.setConsent(customer.id, "marketing", true, "test", h.clock.now());

      const stopped = only(await h.say(user, stop, { platform: "discord" }));
      const stoppedAt = h.clock.now();
      expect(stopped.text).toBe(
        language === "zh"
          ? "您将不再收到任何您未主动请求的消息（关怀、优惠、问卷）。随时发送“订阅”即可恢复。"
          : "You will get no more messages you did not ask for (care, offers, surveys). Send START to resume at any time.",
      );
      expect((await h.rowsOf()).replies.map((r) => r.kind)).toEqual(["system"]);
      let after = await h.requireCustomer(user, "discord");
      expect(after).toMatchObject({ careConsent: false, marketingConsent: false, surveyConsent: false, careConsentAt: stoppedAt, marketingConsentAt: stoppedAt });
      let history = await h.services.customers.consentHistory(customer.id);
      expect(history.filter((c) => c.source === "chat:discord:stop").map((c) => [c.topic, c.granted, c.changedAt.toISOString()])).toEqual(
        expect.arrayContaining([
          ["care", false, stoppedAt.toISOString()],
          ["marketing", false, stoppedAt.toISOString()],
          ["surveys", false, stoppedAt.toISOString()],
        ]),
      );

      const started = only(await h.say(user, start, { platform: "discord" }));
      const startedAt = h.clock.now();
      expect(started.text).toBe(
        language === "zh" ? "欢迎回来：您之前同意接收的消息已恢复。随时发送“退订”即可停止。" : "Welcome back: the messages you had agreed to are on again. Send STOP to stop them at any time.",
      );
      after = await h.requireCustomer(user, "discord");
      expect(after).toMatchObject({ careConsent: true, surveyConsent: true, careConsentAt: startedAt });
      history = await h.services.customers.consentHistory(customer.id);
      expect(history.filter((c) => c.changedAt.getTime() === startedAt.getTime() && c.granted).map((c) => c.topic)).toEqual(
        expect.arrayContaining(["care", "surveys"]),
      );
    }
    await h.expectOnTimeline();
  });
});

describeEachDatabase("START and marketing consent", (db) => {
  it("gives back marketing that STOP took, and never opts a customer into marketing", async () => {
    const h = await createEngineHarness(db());
    await h.say("optin-1", "help");
    const agreed = await h.requireCustomer("optin-1");
    await h.services.customers.setConsent(agreed.id, "marketing", true, "api", h.clock.now());
    await h.say("optin-1", "STOP");
    await h.say("optin-1", "START");
    expect((await h.requireCustomer("optin-1")).marketingConsent).toBe(true);

    await h.say("never-1", "help");
    await h.say("never-1", "STOP");
    await h.say("never-1", "START");
    const never = await h.requireCustomer("never-1");
    expect(never.careConsent).toBe(true);
    expect(never.marketingConsent).toBe(false);
  });
});
