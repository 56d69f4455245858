import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import type { PrismaClient } from "../src/db/generated/client.ts";
import { TendError } from "../src/errors.ts";
import { LoyaltyService } from "../src/loyalty/loyalty-service.ts";
import { defaultRewards } from "../src/loyalty/rewards-file.ts";
import { describeEachDatabase } from "./support/databases.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tend-rewards-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeFile(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

function service(prisma: PrismaClient, rewardsFile?: string) {
  return new LoyaltyService({ prisma, clock: new ManualClock("2026-01-01T00:00:00Z"), settings: { rewardsFile } });
}

async function syncError(prisma: PrismaClient, file: string): Promise<TendError> {
  const error = await service(prisma, file)
    .syncRewardCatalogue()
    .then(
      () => null,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(TendError);
  return error as TendError;
}

describeEachDatabase("loyalty rewards catalogue", (db) => {
  it("starts an empty catalogue with the built-in rewards, and leaves staff's catalogue alone after", async () => {
    const prisma = db().prisma;
    expect(await service(prisma).syncRewardCatalogue()).toEqual({ source: "default", written: defaultRewards.length });
    const listed = await service(prisma).listRewards();
    expect(listed.map((r) => [r.code, r.cost])).toEqual([
      ["coffee", 100],
      ["tote", 300],
      ["voucher10", 500],
      ["giftbox", 1500],
    ]);
    await service(prisma).updateReward("tote", { active: false });
    expect(await service(prisma).syncRewardCatalogue()).toEqual({ source: "default", written: 0 });
    expect((await service(prisma).listRewards()).map((r) => r.code)).toEqual(["coffee", "voucher10", "giftbox"]);
    expect((await service(prisma).listAllRewards()).map((r) => r.code)).toContain("tote");
  });

  it("upserts the rewards in LOYALTY_REWARDS_FILE by code", async () => {
    const prisma = db().prisma;
    const file = writeFile(
      "rewards.json",
      JSON.stringify([
        { code: "coffee", name: "Large coffee", nameZh: "大杯咖啡", cost: 120 },
        { code: "tote", name: "Tote bag", cost: 250, active: true },
        { code: "cake", name: "Cake slice", description: "Any cake", cost: 200, active: false },
      ]),
    );
    expect(await service(prisma, file).syncRewardCatalogue()).toEqual({ source: "file", written: 3 });
    expect(await service(prisma, file).syncRewardCatalogue()).toEqual({ source: "file", written: 3 });
    const all = await service(prisma).listAllRewards();
    const byCode = new Map(all.map((r) => [r.code, r]));
    expect(byCode.get("coffee")).toMatchObject({ name: "Large coffee", nameZh: "大杯咖啡", cost: 120, active: true });
    expect(byCode.get("tote")).toMatchObject({ cost: 250, active: true });
    expect(byCode.get("cake")).toMatchObject({ description: "Any cake", active: false });
    expect(all.filter((r) => r.code === "coffee")).toHaveLength(1);
  });

  it("names LOYALTY_REWARDS_FILE and the problem when the file is bad", async () => {
    const prisma = db().prisma;
    const missing = await syncError(prisma, path.join(dir, "nope.json"));
    expect(missing.message).toMatch(/^cannot read LOYALTY_REWARDS_FILE \(.*nope\.json\)/);

    const notJson = await syncError(prisma, writeFile("bad.json", "[{ code: coffee }"));
    expect(notJson.message).toMatch(/LOYALTY_REWARDS_FILE \(.*bad\.json\) is not valid JSON/);

    const notArray = await syncError(prisma, writeFile("object.json", JSON.stringify({ code: "x", name: "X", cost: 1 })));
    expect(notArray.message).toMatch(/LOYALTY_REWARDS_FILE .* must hold a JSON array/);

    const badItems = await syncError(
      prisma,
      writeFile(
        "items.json",
        JSON.stringify([
          { code: "ok", name: "Fine", cost: 10 },
          { code: "tote", name: "Tote", cost: -5 },
          { code: "has space", name: "", cost: 1.5 },
          { name: "No code", cost: 10 },
          { code: "ok", name: "Again", cost: 10, colour: "red" },
        ]),
      ),
    );
    expect(badItems.code).toBe("CONFIG_INVALID");
    expect(badItems.message).toContain("LOYALTY_REWARDS_FILE");
    expect(badItems.message).toContain('item 2 ("tote"): cost must be above 0');
    expect(badItems.message).toContain('item 3 ("has space"): code must be 1 to 32 letters, digits, _ or -');
    expect(badItems.message).toContain("cost must be a whole number");
    expect(badItems.message).toContain("item 4: code is missing");
    expect(badItems.message).toContain('item 5 ("ok"): unknown field colour');

    const duplicate = await syncError(prisma, writeFile("dup.json", JSON.stringify([{ code: "a", name: "A", cost: 1 }, { code: "a", name: "B", cost: 2 }])));
    expect(duplicate.message).toContain('item 2 ("a"): code appears more than once');
    // Nothing from a bad file was written.
    expect(await prisma.reward.findUnique({ where: { code: "ok" } })).toBeNull();
  });

  it("lets staff create and change rewards", async () => {
    const prisma = db().prisma;
    const loyalty = service(prisma);
    const created = await loyalty.createReward({ code: "admin-1", name: "Admin reward", cost: 50 });
    expect(created).toMatchObject({ code: "admin-1", active: true, nameZh: null });
    await expect(loyalty.createReward({ code: "admin-1", name: "Again", cost: 50 })).rejects.toMatchObject({ code: "LOYALTY_REWARD_EXISTS" });
    await expect(loyalty.createReward({ code: "admin-2", name: "Free", cost: 0 })).rejects.toMatchObject({ code: "LOYALTY_REWARD_INVALID" });
    const updated = await loyalty.updateReward("admin-1", { cost: 75, nameZh: "管理奖励" });
    expect(updated).toMatchObject({ cost: 75, nameZh: "管理奖励", name: "Admin reward" });
    expect((await loyalty.updateReward("admin-1", { nameZh: null })).nameZh).toBeNull();
    await expect(loyalty.updateReward("admin-1", { cost: -1 })).rejects.toMatchObject({ code: "LOYALTY_REWARD_INVALID" });
    await expect(loyalty.updateReward("admin-missing", { cost: 5 })).rejects.toMatchObject({ code: "LOYALTY_UNKNOWN_REWARD" });
  });
});
