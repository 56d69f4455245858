import { Prisma, type PrismaClient } from "../generated/client.ts";
import { type LapseCriteria, inAudience, lapsing, notErased, solarBirthday } from "./care-plan-eligibility.ts";

/** Customers who take care messages: not erased and care consent given (the contact policy's consent rule for topic care). */
const reachableForCare = Prisma.sql`${notErased} AND c."careConsent"`;

/**
 * Aggregate counts for the dashboard's 14-day care forecast: every read is a GROUP BY or count over
 * the care plans' own conditions (care-plan-eligibility.ts), so no customer is held in memory.
 */
export class CareForecastRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Celebrants of a Gregorian birthday, per "MM-DD" of `monthDays`. */
  async solarBirthdays(monthDays: readonly string[]): Promise<Map<string, number>> {
    if (!monthDays.length) return new Map();
    const rows = await this.prisma.$queryRaw<{ key: string; n: number }[]>`
      SELECT to_char(c.birthday, 'MM-DD') AS key, count(*)::int AS n FROM "Customer" c
       WHERE ${solarBirthday} AND ${reachableForCare} AND to_char(c.birthday, 'MM-DD') = ANY(${[...monthDays]})
       GROUP BY 1`;
    return new Map(rows.map((row) => [row.key, row.n]));
  }

  /** Celebrants of a lunar birthday, per month * 100 + day of `monthDays`. */
  async lunarBirthdays(monthDays: readonly (readonly [number, number])[]): Promise<Map<number, number>> {
    if (!monthDays.length) return new Map();
    const rows = await this.prisma.$queryRaw<{ key: number; n: number }[]>`
      SELECT (c."lunarBirthMonth"::int * 100 + c."lunarBirthDay"::int) AS key, count(*)::int AS n FROM "Customer" c
       WHERE c."lunarBirthMonth" IS NOT NULL AND ${reachableForCare}
         AND (c."lunarBirthMonth"::int * 100 + c."lunarBirthDay"::int) = ANY(${monthDays.map(([m, d]) => m * 100 + d)}::int[])
       GROUP BY 1`;
    return new Map(rows.map((row) => [Number(row.key), row.n]));
  }

  /** Members per "MM-DD" of `monthDays` and year they joined (UTC, as the planner's joinedOn). */
  async joined(monthDays: readonly string[]): Promise<{ monthDay: string; year: number; n: number }[]> {
    if (!monthDays.length) return [];
    const rows = await this.prisma.$queryRaw<{ monthDay: string; year: number; n: number }[]>`
      SELECT to_char(c."createdAt", 'MM-DD') AS "monthDay", extract(year FROM c."createdAt")::int AS year, count(*)::int AS n FROM "Customer" c
       WHERE ${reachableForCare} AND to_char(c."createdAt", 'MM-DD') = ANY(${[...monthDays]})
       GROUP BY 1, 2`;
    return rows.map((row) => ({ monthDay: row.monthDay, year: Number(row.year), n: row.n }));
  }

  /** How many customers a festival's audience holds now. */
  async audience(locales: readonly string[], tags: readonly string[]): Promise<number> {
    const [row] = await this.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM "Customer" c WHERE ${reachableForCare} AND ${inAudience(locales, tags)}`;
    return row?.n ?? 0;
  }

  /** The distinct stored time zones of customers with an order placed in [from, to). */
  async orderZones(from: Date, to: Date): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ zone: string }[]>`
      SELECT DISTINCT c."timeZone" AS zone FROM "Order" o JOIN "Customer" c ON c.id = o."customerId"
       WHERE o."placedAt" >= ${from} AND o."placedAt" < ${to}`;
    return rows.map((row) => row.zone);
  }

  /**
   * Check-ins due per date in [firstDay, lastDay]: an order's local date (in the customer's zone;
   * `zones` maps each stored zone to one PostgreSQL knows, else UTC) plus `daysAfterOrder`, at most
   * one per customer per `cooldownDays`: an order due within the cooldown after the customer's
   * previous due order, or near a check-in already in the outbox for another order, is not counted.
   */
  async checkinsDue(plan: {
    from: Date;
    to: Date;
    firstDay: string;
    lastDay: string;
    daysAfterOrder: number;
    cooldownDays: number;
    zones: ReadonlyMap<string, string>;
  }): Promise<Map<string, number>> {
    const stored = [...plan.zones.keys()];
    const usable = stored.map((zone) => plan.zones.get(zone)!);
    const rows = await this.prisma.$queryRaw<{ day: string; n: number }[]>`
      WITH zones AS (SELECT * FROM unnest(${stored}::text[], ${usable}::text[]) AS z(stored, usable)),
      due AS (
        SELECT o.id, o."customerId" AS customer,
               (((o."placedAt" AT TIME ZONE 'UTC') AT TIME ZONE COALESCE(z.usable, 'UTC'))::date + ${plan.daysAfterOrder}::int) AS day
          FROM "Order" o JOIN "Customer" c ON c.id = o."customerId" LEFT JOIN zones z ON z.stored = c."timeZone"
         WHERE o."placedAt" >= ${plan.from} AND o."placedAt" < ${plan.to} AND ${reachableForCare}
      ),
      ordered AS (SELECT id, customer, day, lag(day) OVER (PARTITION BY customer ORDER BY day, id) AS previous FROM due)
      SELECT to_char(day, 'YYYY-MM-DD') AS day, count(*)::int AS n FROM ordered d
       WHERE day >= ${plan.firstDay}::date AND day <= ${plan.lastDay}::date
         AND (previous IS NULL OR day - previous >= ${plan.cooldownDays}::int)
         AND NOT EXISTS (
           SELECT 1 FROM "OutboxMessage" m
            WHERE m.kind = 'checkin' AND m."customerId" = d.customer AND m."dedupeKey" <> 'checkin:' || d.id::text
              AND m."notBefore" > d.day - make_interval(days => ${plan.cooldownDays}::int)
              AND m."notBefore" < d.day + make_interval(days => ${plan.cooldownDays + 1}::int))
       GROUP BY 1`;
    return new Map(rows.map((row) => [row.day, row.n]));
  }

  /**
   * Customers lapsing now (as the planner's win-back reads them) who have not ordered since the
   * analytics refresh and whose offer for this lapse has not gone out yet (one queued still counts).
   */
  async winbackEligible(criteria: LapseCriteria): Promise<number> {
    const [row] = await this.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM "CustomerScore" s JOIN "Customer" c ON c.id = s."customerId"
       WHERE ${reachableForCare} AND ${lapsing(criteria)}
         AND NOT EXISTS (SELECT 1 FROM "Order" x WHERE x."customerId" = c.id AND x."placedAt" > s."lastOrderAt")
         AND NOT EXISTS (SELECT 1 FROM "OutboxMessage" m
                          WHERE m."dedupeKey" = 'winback:' || c.id::text || ':' || to_char(s."lastOrderAt", 'YYYY-MM-DD') AND m.status <> 'pending')`;
    return row?.n ?? 0;
  }
}
