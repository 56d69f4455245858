import { TendError } from "../errors.ts";
import { parseEarnFrom } from "./earn-from.ts";
import { type Tier, type TierBasis, defaultTiers } from "./tiers.ts";

export interface LoyaltySettings {
  /** Points per unit of order amount; each order's points are rounded down. */
  pointsPerUnit: number;
  /** Earned points lapse this many months after the order was placed, bonus points after booking; 0 = never. */
  expireMonths: number;
  /** Orders placed before this earn no points (history a business does not want to reward); undefined = all earn. */
  earnFrom: Date | undefined;
  tierBasis: TierBasis;
  /** Rising thresholds, the first at 0. */
  tiers: readonly Tier[];
  tierWindowMonths: number;
  /** How far ahead `summary()` looks for points about to lapse. */
  expiringSoonDays: number;
  /** JSON catalogue upserted at start-up; unset = the built-in starter catalogue. */
  rewardsFile: string | undefined;
}

export const defaultLoyaltySettings: LoyaltySettings = {
  pointsPerUnit: 1,
  expireMonths: 12,
  earnFrom: undefined,
  tierBasis: "points",
  tiers: defaultTiers,
  tierWindowMonths: 12,
  expiringSoonDays: 30,
  rewardsFile: undefined,
};

export interface LoyaltyConfig {
  LOYALTY_POINTS_PER_UNIT: number;
  LOYALTY_POINTS_EXPIRE_MONTHS: number;
  LOYALTY_TIER_BASIS: TierBasis;
  LOYALTY_TIERS: string;
  LOYALTY_TIER_WINDOW_MONTHS: number;
  LOYALTY_REWARDS_FILE?: string | undefined;
  LOYALTY_EARN_FROM?: string | undefined;
}

export function loyaltySettingsFromConfig(config: LoyaltyConfig): LoyaltySettings {
  return {
    ...defaultLoyaltySettings,
    pointsPerUnit: config.LOYALTY_POINTS_PER_UNIT,
    expireMonths: config.LOYALTY_POINTS_EXPIRE_MONTHS,
    earnFrom: config.LOYALTY_EARN_FROM ? (parseEarnFrom(config.LOYALTY_EARN_FROM) ?? undefined) : undefined,
    tierBasis: config.LOYALTY_TIER_BASIS,
    tiers: parseTiers(config.LOYALTY_TIERS),
    tierWindowMonths: config.LOYALTY_TIER_WINDOW_MONTHS,
    rewardsFile: config.LOYALTY_REWARDS_FILE,
  };
}

/**
 * Reads "Bronze:0,Silver:500,Gold:2000"; a name may carry its Chinese name after a slash
 * ("Silver/白银:500"). Names must differ and thresholds rise from 0.
 */
export function parseTiers(text: string): Tier[] {
  const tiers: Tier[] = [];
  for (const part of text.split(",")) {
    const match = /^\s*([^:,/]*?)\s*(?:\/\s*([^:,/]*?)\s*)?:\s*(\d+(?:\.\d{1,2})?)\s*$/.exec(part);
    if (!match?.[1]) throw tierError(text, `"${part.trim()}" is not name:threshold or name/中文名:threshold`);
    tiers.push({ name: match[1], threshold: Number(match[3]), ...(match[2] ? { nameZh: match[2] } : {}) });
  }
  if (tiers[0]?.threshold !== 0) throw tierError(text, "the first tier must start at 0");
  const seen = new Set<string>();
  tiers.forEach((tier, index) => {
    const key = tier.name.toLowerCase();
    if (seen.has(key)) throw tierError(text, `the name ${tier.name} appears twice`);
    seen.add(key);
    const previous = tiers[index - 1];
    if (previous && tier.threshold <= previous.threshold) {
      throw tierError(text, `${tier.name} (${tier.threshold}) must start above ${previous.name} (${previous.threshold})`);
    }
  });
  return tiers;
}

function tierError(text: string, problem: string): TendError {
  return new TendError(
    "CONFIG_INVALID",
    `invalid configuration: LOYALTY_TIERS must be name:threshold pairs in rising order starting at 0, e.g. Bronze:0,Silver:500 (got ${JSON.stringify(text)}: ${problem})`,
  );
}
