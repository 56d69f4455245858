import fs from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { TendError, describeError } from "../errors.ts";

export interface RewardDefinition {
  code: string;
  name: string;
  nameZh?: string | undefined;
  description?: string | undefined;
  cost: number;
  active?: boolean | undefined;
}

/** A starter catalogue so a fresh install has something to redeem; replaced by LOYALTY_REWARDS_FILE. */
export const defaultRewards: readonly RewardDefinition[] = [
  { code: "coffee", name: "Free coffee", nameZh: "免费咖啡", description: "One regular coffee on us.", cost: 100 },
  { code: "tote", name: "Tote bag", nameZh: "帆布袋", description: "Our canvas tote bag.", cost: 300 },
  { code: "voucher10", name: "10% off voucher", nameZh: "九折优惠券", description: "10% off your next order.", cost: 500 },
  { code: "giftbox", name: "Gift box", nameZh: "礼盒", description: "A seasonal gift box.", cost: 1500 },
];

export const rewardCodePattern = /^[A-Za-z0-9_-]{1,32}$/;

const rewardSchema = z.strictObject({
  code: z.string().regex(rewardCodePattern, "must be 1 to 32 letters, digits, _ or -"),
  name: z.string().trim().min(1, "must not be empty").max(200),
  nameZh: z.string().trim().min(1, "must not be empty").max(200).optional(),
  description: z.string().max(2000).optional(),
  cost: z.number().int("must be a whole number").positive("must be above 0").max(1_000_000_000),
  active: z.boolean().optional(),
});

export function validateRewardDefinition(input: unknown): RewardDefinition {
  const parsed = rewardSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new TendError("LOYALTY_REWARD_INVALID", `invalid reward: ${describeIssues(parsed.error.issues)}`);
}

/**
 * Reads the catalogue file. Anything wrong stops start-up with one line naming the variable,
 * the file and the first problems found, e.g. `item 2 ("tote"): cost must be above 0`.
 */
export async function loadRewardsFile(file: string): Promise<RewardDefinition[]> {
  const where = `LOYALTY_REWARDS_FILE (${path.resolve(file)})`;
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    throw new TendError("CONFIG_INVALID", `cannot read ${where}: ${describeError(error)}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new TendError("CONFIG_INVALID", `${where} is not valid JSON: ${describeError(error)}`, { cause: error });
  }
  if (!Array.isArray(data)) {
    throw new TendError("CONFIG_INVALID", `${where} must hold a JSON array of rewards {code,name,nameZh?,description?,cost,active?}`);
  }
  const problems: string[] = [];
  const rewards: RewardDefinition[] = [];
  const seen = new Set<string>();
  data.forEach((item, index) => {
    const label = `item ${index + 1}${hasCode(item) ? ` (${JSON.stringify(item.code)})` : ""}`;
    const parsed = rewardSchema.safeParse(item);
    if (!parsed.success) {
      problems.push(`${label}: ${describeIssues(parsed.error.issues)}`);
      return;
    }
    if (seen.has(parsed.data.code)) problems.push(`${label}: code appears more than once`);
    seen.add(parsed.data.code);
    rewards.push(parsed.data);
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join("; ") + (problems.length > 5 ? `; and ${problems.length - 5} more` : "");
    throw new TendError("CONFIG_INVALID", `${where} has invalid rewards: ${shown}`);
  }
  return rewards;
}

function hasCode(item: unknown): item is { code: string } {
  return typeof item === "object" && item !== null && typeof (item as { code?: unknown }).code === "string";
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const field = issue.path.map(String).join(".");
      if (issue.code === "unrecognized_keys") return `unknown field ${issue.keys.join(", ")}`;
      if (issue.code === "invalid_type") {
        if (issue.message.endsWith("received undefined")) return `${field} is missing`;
        const expected = { object: "an object", int: "a whole number" }[issue.expected as string] ?? `a ${issue.expected}`;
        return `${field || "reward"} must be ${expected}`;
      }
      return `${field} ${issue.message}`;
    })
    .join(", ");
}
