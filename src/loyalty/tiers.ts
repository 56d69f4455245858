/** A tier and the points earned, or amount spent, in the window at which it starts. */
export interface Tier {
  name: string;
  threshold: number;
  /** The name in Chinese replies, from `LOYALTY_TIERS` ("Silver/白银:500"); see tierNameIn. */
  nameZh?: string | undefined;
}

export type TierBasis = "points" | "spend";

export const defaultTiers: readonly Tier[] = [
  { name: "Bronze", threshold: 0 },
  { name: "Silver", threshold: 500 },
  { name: "Gold", threshold: 2000 },
  { name: "Platinum", threshold: 5000 },
];

/** Chinese names for the default tiers, so a zh reply never mixes in an English tier name by default. */
const builtInZh: Readonly<Record<string, string>> = { bronze: "青铜", silver: "白银", gold: "黄金", platinum: "铂金" };

/**
 * A tier's name in the customer's language: its configured Chinese name, else the built-in one for
 * Bronze/Silver/Gold/Platinum, else the name as configured (a brand name is shown as it is).
 */
export function tierNameIn(tiers: readonly Tier[], name: string, language: "en" | "zh-CN"): string {
  if (language !== "zh-CN") return name;
  const tier = tiers.find((t) => t.name === name);
  return tier?.nameZh ?? builtInZh[name.toLowerCase()] ?? name;
}

/** The highest tier `value` reaches. Tiers are sorted and start at 0 (checked in settings). */
export function tierFor(tiers: readonly Tier[], value: number): Tier {
  let reached = tiers[0];
  if (!reached) throw new Error("no loyalty tiers configured");
  for (const tier of tiers) if (value >= tier.threshold) reached = tier;
  return reached;
}

export function nextTierAfter(tiers: readonly Tier[], current: Tier): Tier | null {
  const index = tiers.findIndex((tier) => tier.name === current.name);
  return tiers[index + 1] ?? null;
}

/** Everyone starts in the lowest tier, so reaching it is not a change worth announcing. */
export function startingTier(tiers: readonly Tier[]): Tier {
  return tierFor(tiers, 0);
}
