import type { EngagementFacts } from "../../analytics/relationship.ts";
import type { PrismaClient } from "../generated/client.ts";
import type { SqlConnection, SqlSession } from "../sql.ts";
import type { EngagementWindow, ScoreRow } from "./analytics-repository.ts";

/**
 * The analytics refresh's bulk reads and writes, in plain SQL so that a page of thousands of
 * customers costs one statement each way: the orders are summed up per customer and per day in
 * the database (only small numbers come back), engagement is counted in one statement, and the
 * scores go back as one array per column unpacked by `unnest`.
 *
 * Every value crosses as a number, text or JSON: timestamps as epoch milliseconds, sums of money
 * as cents in float8 (exact below 2^53), so the rows read the same through node-postgres, PGlite
 * and Prisma's raw queries, and no driver's time-zone handling of `timestamp` gets a say.
 */

/** One customer of a page, with what their purchases add up to (order fields null without orders). */
export interface CustomerOrderFacts {
  customerId: string;
  /** Purchases (amount >= 0) placed up to `now`. */
  orderCount: number;
  firstOrderMs: number | null;
  lastOrderMs: number | null;
  historicCents: number;
  /** Distinct UTC days with a purchase, and the first and last of them as days since the epoch. */
  purchaseDays: number;
  firstDay: number | null;
  lastDay: number | null;
  /** The first purchase day's total: the CLV spend model leaves it out. */
  firstDayCents: number;
  /** Purchases in the RFM window. */
  windowCount: number;
  windowCents: number;
  lastInWindowMs: number | null;
}

export interface PageWindow {
  now: Date;
  windowStart: Date;
}

/** The queries a refresh needs; `query` both reads and writes. */
export interface RefreshSql {
  query<Row>(text: string, params: unknown[]): Promise<Row[]>;
}

/** Runs `work` with two lanes: reads on one connection, score writes on another, so the two overlap. */
export async function withRefreshSql<T>(
  source: { sql?: SqlConnection | undefined; prisma: PrismaClient },
  work: (read: RefreshSql, write: RefreshSql) => Promise<T>,
): Promise<T> {
  const { sql, prisma } = source;
  if (!sql) {
    const viaPrisma: RefreshSql = { query: <Row>(text: string, params: unknown[]) => prisma.$queryRawUnsafe<Row[]>(text, ...params) };
    return work(viaPrisma, viaPrisma);
  }
  const lane = (session: SqlSession): RefreshSql => ({ query: <Row>(text: string, params: unknown[]) => session.query<Row>(text, params) });
  return sql.withSession((reads) => sql.withSession((writes) => work(lane(reads), lane(writes))));
}

const iso = (date: Date) => date.toISOString();

/**
 * Purchases are orders with amount >= 0 (a free order is a purchase, a refund is not) placed up
 * to now; a purchase day is the order's UTC date.
 */
const CUSTOMER_PAGE = `
  WITH c AS (
    SELECT "id" FROM "Customer" WHERE $1::uuid IS NULL OR "id" > $1::uuid ORDER BY "id" LIMIT $2::int
  ), d AS (
    SELECT o."customerId" AS "id", (o."placedAt"::date - DATE '1970-01-01') AS "day",
           count(*) AS "n", sum(o."amount") AS "amount", min(o."placedAt") AS "firstAt", max(o."placedAt") AS "lastAt",
           count(*) FILTER (WHERE o."placedAt" >= $4::timestamp) AS "wn",
           coalesce(sum(o."amount") FILTER (WHERE o."placedAt" >= $4::timestamp), 0) AS "wamount",
           max(o."placedAt") FILTER (WHERE o."placedAt" >= $4::timestamp) AS "wlast"
      FROM c JOIN "Order" o ON o."customerId" = c."id"
     WHERE o."amount" >= 0 AND o."placedAt" <= $3::timestamp
     GROUP BY 1, 2
  ), s AS (
    SELECT "id", sum("n")::int AS "orderCount",
           (extract(epoch FROM min("firstAt")) * 1000)::float8 AS "firstOrderMs",
           (extract(epoch FROM max("lastAt")) * 1000)::float8 AS "lastOrderMs",
           (sum("amount") * 100)::float8 AS "historicCents",
           count(*)::int AS "purchaseDays", min("day")::int AS "firstDay", max("day")::int AS "lastDay",
           ((array_agg("amount" ORDER BY "day"))[1] * 100)::float8 AS "firstDayCents",
           sum("wn")::int AS "windowCount", (sum("wamount") * 100)::float8 AS "windowCents",
           (extract(epoch FROM max("wlast")) * 1000)::float8 AS "lastInWindowMs"
      FROM d GROUP BY "id"
  )
  SELECT c."id"::text AS "customerId", coalesce(s."orderCount", 0) AS "orderCount", s."firstOrderMs", s."lastOrderMs",
         coalesce(s."historicCents", 0) AS "historicCents", coalesce(s."purchaseDays", 0) AS "purchaseDays",
         s."firstDay", s."lastDay", coalesce(s."firstDayCents", 0) AS "firstDayCents",
         coalesce(s."windowCount", 0) AS "windowCount", coalesce(s."windowCents", 0) AS "windowCents", s."lastInWindowMs"
    FROM c LEFT JOIN s ON s."id" = c."id"
   ORDER BY c."id"`;

/** The next page of customers in id order after `after` (exclusive), each with their purchase facts. */
export async function customerPage(db: RefreshSql, after: string | null, limit: number, window: PageWindow): Promise<CustomerOrderFacts[]> {
  return db.query<CustomerOrderFacts>(CUSTOMER_PAGE, [after, limit, iso(window.now), iso(window.windowStart)]);
}

/**
 * How each customer engaged in the window: conversations each side started (staff notes and system
 * events are not conversation; a message after the gap of silence opens one), care messages and the
 * replies to them, surveys, complaints, linked channels. Customers without any of it are absent.
 */
const ENGAGEMENT_PAGE = `
  WITH ids AS (SELECT unnest($1::uuid[]) AS "id"),
  t AS (
    SELECT i."customerId", i."direction", i."kind", i."occurredAt",
           lag(i."occurredAt") OVER (PARTITION BY i."customerId" ORDER BY i."occurredAt", i."id") AS "previousAt",
           CASE WHEN i."direction" = 'out' AND i."kind" = 'care' THEN EXISTS (
             SELECT 1 FROM "Interaction" r
              WHERE r."customerId" = i."customerId" AND r."direction" = 'in' AND r."kind" NOT IN ('system', 'staff-note')
                AND r."occurredAt" > i."occurredAt"
                AND r."occurredAt" <= i."occurredAt" + $4::int * interval '1 day'
           ) ELSE false END AS "replied"
      FROM "Interaction" i
     WHERE i."customerId" = ANY($1::uuid[])
       AND i."occurredAt" >= $2::timestamp AND i."occurredAt" <= $3::timestamp
       AND i."kind" NOT IN ('system', 'staff-note')
  ), talk AS (
    SELECT "customerId" AS "id",
           (count(*) FILTER (WHERE "direction" = 'in'))::int AS "inbound",
           (count(*) FILTER (WHERE "direction" = 'out'))::int AS "outbound",
           (count(*) FILTER (WHERE "direction" = 'in' AND ("previousAt" IS NULL
              OR "occurredAt" - "previousAt" > $5::int * interval '1 hour')))::int AS "customerInitiated",
           (count(*) FILTER (WHERE "direction" = 'out' AND ("previousAt" IS NULL
              OR "occurredAt" - "previousAt" > $5::int * interval '1 hour')))::int AS "businessInitiated",
           (count(*) FILTER (WHERE "direction" = 'out' AND "kind" = 'care'))::int AS "careSent",
           (count(*) FILTER (WHERE "replied"))::int AS "careReplied"
      FROM t GROUP BY "customerId"
  ), invited AS (
    SELECT "customerId" AS "id", count(*)::int AS "n" FROM "SurveyInvitation"
     WHERE "customerId" = ANY($1::uuid[]) AND "sentAt" >= $2::timestamp AND "sentAt" <= $3::timestamp GROUP BY 1
  ), answered AS (
    SELECT "customerId" AS "id", count(*)::int AS "n", (count(*) FILTER (WHERE "reason" IS NOT NULL))::int AS "reasons" FROM "SurveyResponse"
     WHERE "customerId" = ANY($1::uuid[]) AND "respondedAt" >= $2::timestamp AND "respondedAt" <= $3::timestamp GROUP BY 1
  ), complained AS (
    SELECT "customerId" AS "id", count(*)::int AS "n" FROM "FeedbackCase"
     WHERE "customerId" = ANY($1::uuid[]) AND "openedAt" >= $2::timestamp AND "openedAt" <= $3::timestamp AND "source" = 'complaint' GROUP BY 1
  ), channels AS (
    SELECT "customerId" AS "id", count(*)::int AS "n" FROM "ChannelIdentity" WHERE "customerId" = ANY($1::uuid[]) GROUP BY 1
  )
  SELECT ids."id"::text AS "customerId",
         coalesce(talk."inbound", 0) AS "inbound", coalesce(talk."outbound", 0) AS "outbound",
         coalesce(talk."customerInitiated", 0) AS "customerInitiated", coalesce(talk."businessInitiated", 0) AS "businessInitiated",
         coalesce(talk."careSent", 0) AS "careSent", coalesce(talk."careReplied", 0) AS "careReplied",
         coalesce(invited."n", 0) AS "surveysInvited", coalesce(answered."n", 0) AS "surveysAnswered",
         coalesce(answered."reasons", 0) AS "surveyReasons", coalesce(complained."n", 0) AS "complaints",
         coalesce(channels."n", 0) AS "channels"
    FROM ids
    LEFT JOIN talk ON talk."id" = ids."id" LEFT JOIN invited ON invited."id" = ids."id" LEFT JOIN answered ON answered."id" = ids."id"
    LEFT JOIN complained ON complained."id" = ids."id" LEFT JOIN channels ON channels."id" = ids."id"
   WHERE talk."id" IS NOT NULL OR invited."id" IS NOT NULL OR answered."id" IS NOT NULL OR complained."id" IS NOT NULL OR channels."id" IS NOT NULL`;

export async function engagementPage(db: RefreshSql, customerIds: readonly string[], window: EngagementWindow): Promise<Map<string, EngagementFacts>> {
  const result = new Map<string, EngagementFacts>();
  if (customerIds.length === 0) return result;
  const rows = await db.query<EngagementFacts & { customerId: string }>(ENGAGEMENT_PAGE, [
    customerIds,
    iso(window.since),
    iso(window.until),
    window.careReplyDays,
    window.conversationGapHours,
  ]);
  for (const { customerId, ...facts } of rows) result.set(customerId, facts);
  return result;
}

const decimal = (cents: number) => (cents / 100).toFixed(2);
const msIso = (date: Date | null) => (date ? date.toISOString() : null);

/**
 * Inserts or replaces the customers' CustomerScore rows in one statement: the rows travel as one
 * array per column, unpacked side by side by `unnest` (each array is parsed once by the server, no
 * JSON document to take apart row by row), amounts as decimal strings, times as ISO strings read
 * as UTC `timestamp`s. Concurrent writers cannot collide on the unique customerId.
 * A replaced row keeps its old stage in previousLifecycleStage; a new row has none.
 */
export async function writeScores(db: RefreshSql, runId: string, computedAt: Date, rows: readonly ScoreRow[]): Promise<void> {
  if (rows.length === 0) return;
  const column = <T>(value: (r: ScoreRow) => T) => rows.map(value);
  await db.query(
    `INSERT INTO "CustomerScore" (
       "id", "customerId", "runId", "computedAt", "windowStart", "windowMonths",
       "orderCount", "firstOrderAt", "lastOrderAt", "recencyDays", "frequency",
       "monetary", "rfmRecency", "rfmFrequency", "rfmMonetary",
       "rfmSegment", "lifecycleStage", "relationshipLevel",
       "probabilityAlive", "predictedPurchases", "historicClv",
       "predictedClv", "explanation"
     )
     SELECT gen_random_uuid(), t."customerId", $1::uuid, $2::timestamp, $3::timestamp, $4::smallint,
            t."orderCount", t."firstOrderAt", t."lastOrderAt", t."recencyDays", t."frequency",
            t."monetary", t."rfmRecency", t."rfmFrequency", t."rfmMonetary",
            t."rfmSegment", t."lifecycleStage"::"LifecycleStage", t."relationshipLevel"::"RelationshipLevel",
            t."probabilityAlive", t."predictedPurchases", t."historicClv",
            t."predictedClv", t."explanation"
       FROM unnest($5::uuid[], $6::int[], $7::timestamp(3)[], $8::timestamp(3)[], $9::int[], $10::int[],
                   $11::numeric[], $12::smallint[], $13::smallint[], $14::smallint[],
                   $15::text[], $16::text[], $17::text[],
                   $18::float8[], $19::float8[], $20::numeric[],
                   $21::numeric[], $22::jsonb[]) AS t(
            "customerId", "orderCount", "firstOrderAt", "lastOrderAt", "recencyDays", "frequency",
            "monetary", "rfmRecency", "rfmFrequency", "rfmMonetary",
            "rfmSegment", "lifecycleStage", "relationshipLevel",
            "probabilityAlive", "predictedPurchases", "historicClv",
            "predictedClv", "explanation")
     ON CONFLICT ("customerId") DO UPDATE SET
       "runId" = EXCLUDED."runId", "computedAt" = EXCLUDED."computedAt", "windowStart" = EXCLUDED."windowStart",
       "windowMonths" = EXCLUDED."windowMonths", "orderCount" = EXCLUDED."orderCount", "firstOrderAt" = EXCLUDED."firstOrderAt",
       "lastOrderAt" = EXCLUDED."lastOrderAt", "recencyDays" = EXCLUDED."recencyDays", "frequency" = EXCLUDED."frequency",
       "monetary" = EXCLUDED."monetary", "rfmRecency" = EXCLUDED."rfmRecency", "rfmFrequency" = EXCLUDED."rfmFrequency",
       "rfmMonetary" = EXCLUDED."rfmMonetary", "rfmSegment" = EXCLUDED."rfmSegment",
       -- The stage before this refresh (SET reads the old row), so a stage change can be seen; a new row keeps null.
       "previousLifecycleStage" = "CustomerScore"."lifecycleStage", "lifecycleStage" = EXCLUDED."lifecycleStage",
       "relationshipLevel" = EXCLUDED."relationshipLevel", "probabilityAlive" = EXCLUDED."probabilityAlive",
       "predictedPurchases" = EXCLUDED."predictedPurchases", "historicClv" = EXCLUDED."historicClv",
       "predictedClv" = EXCLUDED."predictedClv", "explanation" = EXCLUDED."explanation"`,
    [
      runId,
      computedAt.toISOString(),
      // One refresh has one window: the same start and months for every row.
      rows[0]!.windowStart.toISOString(),
      rows[0]!.windowMonths,
      column((r) => r.customerId),
      column((r) => r.orderCount),
      column((r) => msIso(r.firstOrderAt)),
      column((r) => msIso(r.lastOrderAt)),
      column((r) => r.recencyDays),
      column((r) => r.frequency),
      column((r) => decimal(r.monetaryCents)),
      column((r) => r.rfmRecency),
      column((r) => r.rfmFrequency),
      column((r) => r.rfmMonetary),
      column((r) => r.rfmSegment),
      column((r) => r.lifecycleStage),
      column((r) => r.relationshipLevel),
      column((r) => r.probabilityAlive),
      column((r) => r.predictedPurchases),
      column((r) => decimal(r.historicCents)),
      column((r) => (r.predictedClv === null ? null : r.predictedClv.toFixed(2))),
      column((r) => JSON.stringify(r.explanation)),
    ],
  );
}
