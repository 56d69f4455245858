import type { LifecycleStage, PrismaClient } from "../generated/client.ts";
import { type LapseCriteria, inAudience, lapsing, notErased, solarBirthday } from "./care-plan-eligibility.ts";

/** What the care planner needs to address and greet one customer. */
export interface PlanCustomer {
  id: string;
  displayName: string | null;
  locale: string;
  timeZone: string;
}

export interface BirthdayCustomer extends PlanCustomer {
  /** "MM-DD" of the Gregorian birthday. */
  birthday: string;
}

export interface LunarBirthdayCustomer extends PlanCustomer {
  /** The lunar (农历) birthday: regular month 1-12 and day 1-30. */
  lunarMonth: number;
  lunarDay: number;
}

/** A tier change as the loyalty service records it on the timeline, in the transaction of its cause. */
export interface TierChange {
  interactionId: string;
  from: string | null;
  to: string;
  occurredAt: Date;
  customer: PlanCustomer;
}

export interface JoinedCustomer extends PlanCustomer {
  /** "YYYY-MM-DD" (UTC) the customer record was created: the membership's start. */
  joinedOn: string;
}

export interface PlanOrder {
  orderId: string;
  placedAt: Date;
  customer: PlanCustomer;
}

export interface LapsingCustomer extends PlanCustomer {
  lastOrderAt: Date;
  lifecycleStage: LifecycleStage;
  rfmSegment: string | null;
  recencyDays: number | null;
  /** Days between the customer's first and last order divided by the gaps between them; null below two orders. */
  usualGapDays: number | null;
}

/** One group's outcomes after a plan's first occurrence per customer (see CarePlanRepository.upliftGroups). */
export interface UpliftGroup {
  control: boolean;
  customers: number;
  /** Customers with an order in the window after the occurrence. */
  repeaters: number;
  revenue: number;
  revenueSquares: number;
  csatAnswered: number;
  optedOut: number;
}

/** An order keyset position: orders are read in (placedAt, id) order. */
export interface OrderCursor {
  placedAt: Date;
  id: string;
}

const firstId = "00000000-0000-0000-0000-000000000000";

/**
 * The care planner's reads. Every list is one page of a keyset walk (by id, or by placedAt then id
 * for orders) so that the planner holds one batch at a time, however many customers there are.
 * Erased customers are never returned.
 */
export class CarePlanRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Customers whose Gregorian birthday falls on one of `monthDays` ("MM-DD"). */
  birthdaysOn(monthDays: readonly string[], after: string | null, limit: number): Promise<BirthdayCustomer[]> {
    return this.prisma.$queryRaw<BirthdayCustomer[]>`
      SELECT id::text, "displayName", locale, "timeZone", to_char(birthday, 'MM-DD') AS birthday FROM "Customer" c
       WHERE ${solarBirthday} AND ${notErased} AND to_char(birthday, 'MM-DD') = ANY(${[...monthDays]})
         AND id > ${after ?? firstId}::uuid
       ORDER BY id LIMIT ${limit}`;
  }

  /** Customers who celebrate a lunar birthday on one of the lunar month-days `monthDays` ([month, day]). */
  async lunarBirthdaysOn(monthDays: readonly (readonly [number, number])[], after: string | null, limit: number): Promise<LunarBirthdayCustomer[]> {
    if (monthDays.length === 0) return [];
    return this.prisma.$queryRaw<LunarBirthdayCustomer[]>`
      SELECT id::text, "displayName", locale, "timeZone", "lunarBirthMonth" AS "lunarMonth", "lunarBirthDay" AS "lunarDay" FROM "Customer"
       WHERE "lunarBirthMonth" IS NOT NULL AND "erasedAt" IS NULL
         AND ("lunarBirthMonth"::int * 100 + "lunarBirthDay"::int) = ANY(${monthDays.map(([m, d]) => m * 100 + d)}::int[])
         AND id > ${after ?? firstId}::uuid
       ORDER BY id LIMIT ${limit}`;
  }

  /** Customers whose membership began on one of `monthDays` ("MM-DD", UTC) in an earlier year than `beforeYear`. */
  joinedOn(monthDays: readonly string[], beforeYear: number, after: string | null, limit: number): Promise<JoinedCustomer[]> {
    return this.prisma.$queryRaw<JoinedCustomer[]>`
      SELECT id::text, "displayName", locale, "timeZone", to_char("createdAt", 'YYYY-MM-DD') AS "joinedOn" FROM "Customer"
       WHERE "erasedAt" IS NULL AND to_char("createdAt", 'MM-DD') = ANY(${[...monthDays]})
         AND "createdAt" < make_date(${beforeYear}::int, 1, 1)
         AND id > ${after ?? firstId}::uuid
       ORDER BY id LIMIT ${limit}`;
  }

  /**
   * Tier changes recorded on the timeline at or after `since`, after the cursor (occurredAt, id).
   * Interaction has no index on occurredAt alone, so this reads the system rows of the period.
   */
  async tierChangesSince(since: Date, after: { occurredAt: Date; id: string } | null, limit: number): Promise<TierChange[]> {
    const cursor = after ?? { occurredAt: new Date(0), id: firstId };
    const rows = await this.prisma.$queryRaw<(PlanCustomer & { interactionId: string; from: string | null; to: string; occurredAt: Date })[]>`
      SELECT i.id::text AS "interactionId", i.metadata->>'from' AS "from", i.metadata->>'to' AS "to", i."occurredAt",
             c.id::text, c."displayName", c.locale, c."timeZone"
        FROM "Interaction" i JOIN "Customer" c ON c.id = i."customerId"
       WHERE i.kind = 'system' AND i.metadata->>'event' = 'tier_changed' AND i."occurredAt" >= ${since.toISOString()}::timestamp(3)
         AND c."erasedAt" IS NULL
         AND (i."occurredAt", i.id) > (${cursor.occurredAt.toISOString()}::timestamp(3), ${cursor.id}::uuid)
       ORDER BY i."occurredAt", i.id LIMIT ${limit}`;
    return rows.map(({ interactionId, from, to, occurredAt, ...customer }) => ({ interactionId, from, to, occurredAt, customer }));
  }

  /**
   * Treated and control customers of plan `kind` and what they did in the `days` after their first
   * occurrence due in [since, until]: one aggregate row per group, so the report never holds the
   * customers themselves. Treated means planned and not held out (intention to treat: a row the
   * policy later skipped still counts), so the groups differ only by the random draw.
   */
  upliftGroups(kind: string, since: Date, until: Date, days: number, dedupePrefix?: string): Promise<UpliftGroup[]> {
    // One campaign's rows share the prefix of their dedupe keys (campaign:<id>:); starts_with keeps "_" and "%" literal.
    const prefix = dedupePrefix ?? "";
    return this.prisma.$queryRaw<UpliftGroup[]>`
      WITH firsts AS (
        SELECT DISTINCT ON (o."customerId") o."customerId" AS customer, o."notBefore" AS at, o.status = 'control' AS control
          FROM "OutboxMessage" o
         WHERE o.kind = ${kind} AND starts_with(o."dedupeKey", ${prefix}::text) AND o."notBefore" >= ${since.toISOString()}::timestamp(3) AND o."notBefore" <= ${until.toISOString()}::timestamp(3)
         ORDER BY o."customerId", o."notBefore"
      ), outcomes AS (
        SELECT f.control,
               r.orders > 0 AS repeated, COALESCE(r.revenue, 0)::float8 AS revenue,
               EXISTS (SELECT 1 FROM "SurveyResponse" s JOIN "SurveyInvitation" i ON i.id = s."invitationId"
                        WHERE s."customerId" = f.customer AND i.kind = 'csat'
                          AND s."respondedAt" > f.at AND s."respondedAt" <= f.at + make_interval(days => ${days}::int)) AS csat,
               EXISTS (SELECT 1 FROM "ConsentChange" c
                        WHERE c."customerId" = f.customer AND NOT c.granted
                          AND c."changedAt" > f.at AND c."changedAt" <= f.at + make_interval(days => ${days}::int)) AS "optedOut"
          FROM firsts f
          CROSS JOIN LATERAL (
            SELECT count(*) AS orders, sum(amount) AS revenue FROM "Order" x
             WHERE x."customerId" = f.customer AND x."placedAt" > f.at AND x."placedAt" <= f.at + make_interval(days => ${days}::int)
          ) r
      )
      SELECT control, count(*)::int AS customers, (count(*) FILTER (WHERE repeated))::int AS repeaters,
             COALESCE(sum(revenue), 0)::float8 AS revenue, COALESCE(sum(revenue * revenue), 0)::float8 AS "revenueSquares",
             (count(*) FILTER (WHERE csat))::int AS "csatAnswered", (count(*) FILTER (WHERE "optedOut"))::int AS "optedOut"
        FROM outcomes GROUP BY control`;
  }

  /** Customers in a festival's audience: any of `locales`, or any of `tags`; both empty means everybody. */
  audience(locales: readonly string[], tags: readonly string[], after: string | null, limit: number): Promise<PlanCustomer[]> {
    return this.prisma.$queryRaw<PlanCustomer[]>`
      SELECT id::text, "displayName", locale, "timeZone" FROM "Customer" c
       WHERE ${notErased} AND id > ${after ?? firstId}::uuid AND ${inAudience(locales, tags)}
       ORDER BY id LIMIT ${limit}`;
  }

  /** Orders placed in [from, to), after the cursor, with their customers. */
  async ordersPlaced(from: Date, to: Date, after: OrderCursor | null, limit: number): Promise<PlanOrder[]> {
    const cursor = after ?? { placedAt: new Date(0), id: firstId };
    const rows = await this.prisma.$queryRaw<(PlanCustomer & { orderId: string; placedAt: Date })[]>`
      SELECT o.id::text AS "orderId", o."placedAt", c.id::text, c."displayName", c.locale, c."timeZone"
        FROM "Order" o JOIN "Customer" c ON c.id = o."customerId"
       WHERE o."placedAt" >= ${from} AND o."placedAt" < ${to} AND c."erasedAt" IS NULL
         AND (o."placedAt", o.id) > (${cursor.placedAt}, ${cursor.id}::uuid)
       ORDER BY o."placedAt", o.id LIMIT ${limit}`;
    return rows.map(({ orderId, placedAt, ...customer }) => ({ orderId, placedAt, customer }));
  }

  /**
   * Writes planned care messages to the outbox in one statement, skipping any whose dedupe key is
   * already there, and returns how many were new. Control rows get status `control`: the
   * dispatcher never claims them and they are never sent.
   */
  async enqueuePlanned(
    rows: readonly { customerId: string; topic: string; kind: string; payload: unknown; dedupeKey: string; notBefore: Date; control: boolean }[],
  ): Promise<number> {
    if (rows.length === 0) return 0;
    return this.prisma.$executeRaw`
      INSERT INTO "OutboxMessage" (id, "customerId", kind, topic, payload, "dedupeKey", status, "notBefore")
      SELECT gen_random_uuid(), r."customerId"::uuid, r.kind, r.topic, r.payload::jsonb, r."dedupeKey", r.status::"OutboxStatus", r."notBefore"
        FROM unnest(${rows.map((r) => r.customerId)}::text[], ${rows.map((r) => r.kind)}::text[], ${rows.map((r) => r.topic)}::text[],
                    ${rows.map((r) => JSON.stringify(r.payload))}::text[], ${rows.map((r) => r.dedupeKey)}::text[],
                    ${rows.map((r) => (r.control ? "control" : "pending"))}::text[], ${rows.map((r) => r.notBefore.toISOString())}::timestamp[])
          AS r("customerId", kind, topic, payload, "dedupeKey", status, "notBefore")
      ON CONFLICT ("dedupeKey") DO NOTHING`;
  }

  /** The rows of `kind` (to send or control, sent or not) of `customerIds` due in [from, to], by customer. */
  async plannedOfKind(
    kind: string,
    customerIds: readonly string[],
    from: Date,
    to: Date,
  ): Promise<Map<string, { dedupeKey: string; notBefore: Date }[]>> {
    const result = new Map<string, { dedupeKey: string; notBefore: Date }[]>();
    if (customerIds.length === 0) return result;
    const rows = await this.prisma.outboxMessage.findMany({
      where: { kind, customerId: { in: [...new Set(customerIds)] }, notBefore: { gte: from, lte: to } },
      select: { customerId: true, dedupeKey: true, notBefore: true },
    });
    for (const row of rows) result.set(row.customerId, [...(result.get(row.customerId) ?? []), { dedupeKey: row.dedupeKey, notBefore: row.notBefore }]);
    return result;
  }

  /**
   * Customers whose last analytics refresh calls them lapsing: one of `stages` or `segments`, or no
   * order for more than `gapFactor` times their own usual gap between orders.
   */
  lapsing(
    criteria: LapseCriteria,
    after: string | null,
    limit: number,
  ): Promise<LapsingCustomer[]> {
    return this.prisma.$queryRaw<LapsingCustomer[]>`
      SELECT c.id::text, c."displayName", c.locale, c."timeZone", s."lastOrderAt", s."lifecycleStage"::text AS "lifecycleStage",
             s."rfmSegment", s."recencyDays",
             CASE WHEN s."orderCount" > 1
                  THEN (EXTRACT(EPOCH FROM (s."lastOrderAt" - s."firstOrderAt")) / 86400.0 / (s."orderCount" - 1))::float8 END AS "usualGapDays"
        FROM "CustomerScore" s JOIN "Customer" c ON c.id = s."customerId"
       WHERE ${notErased} AND c.id > ${after ?? firstId}::uuid AND ${lapsing(criteria)}
       ORDER BY c.id LIMIT ${limit}`;
  }

  /** Of `dedupeKeys`, those already in the outbox. */
  async existingDedupeKeys(dedupeKeys: readonly string[]): Promise<Set<string>> {
    if (dedupeKeys.length === 0) return new Set();
    const rows = await this.prisma.$queryRaw<{ dedupeKey: string }[]>`
      SELECT "dedupeKey" FROM "OutboxMessage" WHERE "dedupeKey" = ANY(${[...dedupeKeys]}::text[])`;
    return new Set(rows.map((row) => row.dedupeKey));
  }

  /**
   * Cancels queued messages of `kind` whose customer has placed an order since the message was
   * planned (a win-back offer to someone who already came back). Returns how many.
   */
  cancelAfterOrder(kind: string, reason: string): Promise<number> {
    return this.prisma.$executeRaw`
      UPDATE "OutboxMessage" o SET status = 'cancelled', "lastError" = ${reason}
       WHERE o.kind = ${kind} AND o.status = 'pending'
         AND EXISTS (SELECT 1 FROM "Order" x WHERE x."customerId" = o."customerId" AND x."placedAt" > o."createdAt")`;
  }

  /** Of `customerIds`, those with an order placed after `since` (a lapse that has already ended). */
  async orderedSince(customerIds: readonly string[], since: Map<string, Date>): Promise<Set<string>> {
    if (customerIds.length === 0) return new Set();
    const rows = await this.prisma.order.groupBy({ by: ["customerId"], where: { customerId: { in: [...customerIds] } }, _max: { placedAt: true } });
    return new Set(rows.filter((row) => row._max.placedAt && row._max.placedAt > (since.get(row.customerId) ?? new Date(8.64e15))).map((row) => row.customerId));
  }
}
