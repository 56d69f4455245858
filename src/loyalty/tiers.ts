/** A tier and the points earned, or amount spent, in the window at which it starts. */
export interface Tier {
  name: string;
  threshold: number;
}

export type TierBasis = "points" | "spend";

export const defaultTiers: readonly Tier[] = [
  { name: "Bronze", threshold: 0 },
  { name: "Silver", threshold: 500 },
  { name: "Gold", threshold: 2000 },
  { name: "Platinum", threshold: 5000 },
];

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
