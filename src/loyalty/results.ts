import type { LoyaltyLedgerEntry } from "../db/repositories/loyalty-repository.ts";
import type { Reward } from "../db/repositories/reward-repository.ts";
import type { TierBasis } from "./tiers.ts";

export type EarnResult =
  | { status: "earned"; entry: LoyaltyLedgerEntry; balance: number }
  | { status: "already_earned"; entry: LoyaltyLedgerEntry }
  /** The order's amount gives less than one point (or earning is off); nothing was booked. */
  | { status: "no_points" };

export type BonusResult =
  | { status: "awarded"; entry: LoyaltyLedgerEntry; balance: number }
  | { status: "already_awarded"; entry: LoyaltyLedgerEntry };

export type AdjustResult =
  | { status: "adjusted"; entry: LoyaltyLedgerEntry; balance: number }
  | { status: "already_adjusted"; entry: LoyaltyLedgerEntry };

export type RedeemResult =
  | { status: "ok"; entry: LoyaltyLedgerEntry; reward: Reward; balance: number }
  | { status: "insufficient"; reward: Reward; balance: number; cost: number; missing: number }
  | { status: "unknown_reward"; rewardCode: string }
  | { status: "inactive_reward"; reward: Reward }
  /** The idempotency key was used before: the original redemption, and the balance right after it. */
  | { status: "already_done"; entry: LoyaltyLedgerEntry; reward: Reward | null; balance: number };

export interface ExpiryRun {
  /** Customers who had points expire. */
  customers: number;
  points: number;
}

export interface LoyaltySummary {
  customerId: string;
  /** Points the customer can spend now: the ledger's sum, less points lapsed but not yet booked as expired. */
  balance: number;
  tier: string;
  tierBasis: TierBasis;
  /** Points earned, or amount spent, in the tier window: what the tiers' thresholds are compared with. */
  tierProgress: number;
  /** Null at the top tier; `missing` is in points or in amount according to `tierBasis`. */
  nextTier: { name: string; threshold: number; missing: number } | null;
  expiringSoon: { points: number; earliestAt: Date | null; withinDays: number };
}
