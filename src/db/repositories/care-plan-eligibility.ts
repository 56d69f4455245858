import { Prisma } from "../generated/client.ts";
import type { LifecycleStage } from "../generated/client.ts";

/**
 * Who each care plan is for, as SQL conditions over "Customer" (alias c) and, for win-back,
 * "CustomerScore" (alias s). The care planner's keyset reads and the dashboard's 14-day forecast
 * both use these, so the forecast counts exactly the customers the planner would address.
 */

/** Not erased: an erased customer is never planned (nor counted). */
export const notErased = Prisma.sql`c."erasedAt" IS NULL`;

/** A Gregorian birthday that is the one celebrated (a lunar birthday, when set, replaces it). */
export const solarBirthday = Prisma.sql`c.birthday IS NOT NULL AND c."lunarBirthMonth" IS NULL`;

/** In a festival's audience: any of `locales`, or any of `tags`; both empty means everybody. */
export function inAudience(locales: readonly string[], tags: readonly string[]): Prisma.Sql {
  const everybody = locales.length === 0 && tags.length === 0;
  return Prisma.sql`(${everybody} OR c.locale = ANY(${[...locales]}) OR c.tags && ${[...tags]}::text[])`;
}

export interface LapseCriteria {
  stages: readonly LifecycleStage[];
  segments: readonly string[];
  gapFactor: number;
}

/**
 * Lapsing as of the last analytics refresh: one of `stages` or `segments`, or no order for more than
 * `gapFactor` times the customer's own usual gap between orders.
 */
export function lapsing(criteria: LapseCriteria): Prisma.Sql {
  return Prisma.sql`s."lastOrderAt" IS NOT NULL
         AND (s."lifecycleStage"::text = ANY(${[...criteria.stages]}) OR s."rfmSegment" = ANY(${[...criteria.segments]})
              OR (s."orderCount" > 1 AND s."recencyDays" >
                  ${criteria.gapFactor}::float8 * EXTRACT(EPOCH FROM (s."lastOrderAt" - s."firstOrderAt")) / 86400.0 / (s."orderCount" - 1)))`;
}
