import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/env.ts";
import { addMonths } from "../src/loyalty/dates.ts";
import { lapsedPoints, openLots, pointsExpiringBetween } from "../src/loyalty/ledger-math.ts";
import { loyaltySettingsFromConfig, parseTiers } from "../src/loyalty/settings.ts";
import { tierFor } from "../src/loyalty/tiers.ts";

describe("loyalty settings", () => {
  it("reads the defaults and the LOYALTY_* variables", () => {
    const defaults = loyaltySettingsFromConfig(loadConfig({}));
    expect(defaults).toMatchObject({ pointsPerUnit: 1, expireMonths: 12, tierBasis: "points", tierWindowMonths: 12, rewardsFile: undefined });
    expect(defaults.tiers.map((t) => `${t.name}:${t.threshold}`).join(",")).toBe("Bronze:0,Silver:500,Gold:2000,Platinum:5000");
    const custom = loyaltySettingsFromConfig(
      loadConfig({
        LOYALTY_POINTS_PER_UNIT: "0.5",
        LOYALTY_POINTS_EXPIRE_MONTHS: "0",
        LOYALTY_TIER_BASIS: "spend",
        LOYALTY_TIERS: "Member:0, VIP:999.99",
        LOYALTY_TIER_WINDOW_MONTHS: "24",
        LOYALTY_REWARDS_FILE: "./rewards.json",
      }),
    );
    expect(custom).toMatchObject({
      pointsPerUnit: 0.5,
      expireMonths: 0,
      tierBasis: "spend",
      tiers: [
        { name: "Member", threshold: 0 },
        { name: "VIP", threshold: 999.99 },
      ],
      tierWindowMonths: 24,
      rewardsFile: "./rewards.json",
    });
  });

  it("rejects bad values naming the variable", () => {
    expect(() => loadConfig({ LOYALTY_TIER_BASIS: "visits" })).toThrow(/LOYALTY_TIER_BASIS must be/);
    expect(() => loadConfig({ LOYALTY_TIERS: "Bronze" })).toThrow(/LOYALTY_TIERS must be/);
    expect(() => loadConfig({ LOYALTY_POINTS_EXPIRE_MONTHS: "-1" })).toThrow(/LOYALTY_POINTS_EXPIRE_MONTHS must be/);
    expect(() => parseTiers("Silver:500,Gold:2000")).toThrow(/LOYALTY_TIERS .*first tier must start at 0/);
    expect(() => parseTiers("Bronze:0,Gold:2000,Silver:500")).toThrow(/Silver \(500\) must start above Gold \(2000\)/);
    expect(() => parseTiers("Bronze:0,bronze:10")).toThrow(/appears twice/);
  });

  it("finds the tier a value reaches", () => {
    const tiers = parseTiers("Bronze:0,Silver:500,Gold:2000");
    expect([0, 499, 500, 1999.99, 2000, 10_000].map((v) => tierFor(tiers, v).name)).toEqual(["Bronze", "Bronze", "Silver", "Silver", "Gold", "Gold"]);
  });

  it("adds calendar months, keeping the day within the month", () => {
    expect(addMonths(new Date("2026-03-31T08:00:00Z"), 1).toISOString()).toBe("2026-04-30T08:00:00.000Z");
    expect(addMonths(new Date("2024-02-29T00:00:00Z"), 12).toISOString()).toBe("2025-02-28T00:00:00.000Z");
    expect(addMonths(new Date("2026-01-15T00:00:00Z"), -12).toISOString()).toBe("2025-01-15T00:00:00.000Z");
    expect(addMonths(new Date("2026-11-30T00:00:00Z"), 3).toISOString()).toBe("2027-02-28T00:00:00.000Z");
  });
});

describe("loyalty lots", () => {
  const at = (iso: string) => new Date(iso);
  const entry = (id: string, kind: "earn" | "bonus" | "redeem" | "adjust" | "expire", points: number, createdAt: string, expiresAt: string | null = null) => ({
    id,
    kind,
    points,
    createdAt: at(createdAt),
    expiresAt: expiresAt ? at(expiresAt) : null,
  });

  it("spends the oldest points first and lets an expiry take only lapsed points", () => {
    const entries = [
      entry("a", "earn", 100, "2026-01-01", "2027-01-01"),
      entry("b", "adjust", 30, "2026-02-01"),
      entry("c", "earn", 50, "2026-03-01", "2027-03-01"),
      entry("d", "redeem", -120, "2026-04-01"),
    ];
    // 100 from a, 20 from b: b's 10 never lapse, c's 50 lapse in March.
    const lots = openLots(entries);
    expect(lots.map((l) => [l.entryId, l.remaining])).toEqual([
      ["b", 10],
      ["c", 50],
    ]);
    expect(lapsedPoints(lots, at("2027-02-01"))).toBe(0);
    expect(lapsedPoints(lots, at("2027-03-01"))).toBe(50);
    expect(pointsExpiringBetween(lots, at("2027-02-01"), at("2027-03-03"))).toEqual({ points: 50, earliestAt: at("2027-03-01") });

    const afterExpiry = openLots([...entries, entry("e", "expire", -50, "2027-03-02")]);
    expect(lapsedPoints(afterExpiry, at("2028-01-01"))).toBe(0);
    expect(afterExpiry.map((l) => [l.entryId, l.remaining])).toEqual([["b", 10]]);
  });

  it("books an expiry against lapsed points even when older points never lapse", () => {
    const entries = [
      entry("p", "adjust", 40, "2026-01-01"),
      entry("q", "bonus", 60, "2026-02-01", "2027-02-01"),
      entry("x", "expire", -60, "2027-02-02"),
    ];
    const lots = openLots(entries);
    expect(lots.map((l) => [l.entryId, l.remaining])).toEqual([["p", 40]]);
    expect(lapsedPoints(lots, at("2030-01-01"))).toBe(0);
  });
});
