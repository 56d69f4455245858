import { expect, it } from "vitest";
import { describeEachDatabase } from "./support/databases.ts";
import { choiceIds, createEngineHarness, only, uniqueUser } from "./support/engine-harness.ts";

describeEachDatabase("what the points reply says about tiers, and reasons kept as written", (db) => {
  it("says what counts toward the tier, with that figure, so the numbers add up (en and zh)", async () => {
    const h = await createEngineHarness(db());
    const en = uniqueUser("tier-en");
    await h.say(en, "hi");
    const customer = await h.requireCustomer(en);
    await h.services.loyalty.awardBonus({ customerId: customer.id, points: 40, reason: "survey", idempotencyKey: `tier-text:${customer.id}` });
    // A staff adjustment adds to the balance but is not points earned.
    await h.services.loyalty.adjust({ customerId: customer.id, points: 500, reason: "goodwill" });
    expect(only(await h.say(en, "points")).text).toBe(
      "You have 540 points. Your tier: Bronze.\nYour tier counts the points earned in the last 12 months: 40 so far.\n460 more points to reach Silver.",
    );

    const zh = uniqueUser("tier-zh");
    await h.say(zh, "你好");
    const zhCustomer = await h.requireCustomer(zh);
    await h.services.loyalty.awardBonus({ customerId: zhCustomer.id, points: 600, reason: "survey", idempotencyKey: `tier-text:${zhCustomer.id}` });
    expect(only(await h.say(zh, "积分")).text).toBe("您有 600 积分，当前等级：白银。\n等级按最近 12 个月获得的积分计算，目前为 600。\n再获得 1400 积分即可升级为 黄金。");
  });

  it("names the spend basis, and shows configured Chinese tier names (or the name as configured)", async () => {
    const h = await createEngineHarness(db(), { env: { LOYALTY_TIER_BASIS: "spend", LOYALTY_TIERS: "Member/会员:0,VIP:100", LOYALTY_TIER_WINDOW_MONTHS: "6" } });
    const en = uniqueUser("spend-en");
    await h.say(en, "points");
    expect(only(await h.say(en, "points")).text).toBe(
      "You have 0 points. Your tier: Member.\nYour tier counts the amount spent in the last 6 months: 0 so far.\nSpend 100 more to reach VIP.",
    );
    const zh = uniqueUser("spend-zh");
    expect(only(await h.say(zh, "积分")).text).toBe("您有 0 积分，当前等级：会员。\n等级按最近 6 个月的消费金额计算，目前为 0。\n再消费 100 即可升级为 VIP。");
  });

  it("stores a survey reason with full-width punctuation and line breaks exactly as written", async () => {
    const h = await createEngineHarness(db());
    const user = uniqueUser("reason-zh");
    await h.say(user, "你好");
    const question = only(await h.say(user, "评价"));
    await h.say(user, { action: choiceIds(question)[3]! });
    const reason = "服务很好，但是太慢了！\n下次（希望）快一点：谢谢。";
    await h.say(user, reason);
    const customer = await h.requireCustomer(user);
    const response = await db().prisma.surveyResponse.findFirst({ where: { customerId: customer.id } });
    expect(response?.reason).toBe(reason);
  });
});
