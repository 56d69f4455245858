import type { EngagementFacts } from "../../analytics/relationship.ts";
import type { PrismaClient } from "../generated/client.ts";
import type { SqlConnection, SqlSession } from "../sql.ts";
import type { EngagementWindow } from "./analytics-repository.ts";

/**
 * The analytics refresh's bulk reads and writes, in plain SQL. Every customer's orders are summed
 * up once, set-based (one aggregate over the whole Order table, into a temporary table of one row
 * per customer): the first pass asks that table for what the models and the RFM quintiles need
 * about everybody (grouped histories, quintile cut points: small results, computed by the
 * database), and the second pass reads it back in pages, each customer with their engagement counts
 * (summed up once too, into a second temporary table). The scores go into a new score table, one
 * array per column unpacked by `unnest`, which then takes the live one's place (score-table-swap.ts).
 *
 * Every value crosses as a number, text or JSON: timestamps as epoch milliseconds, sums of money
 * as cents in float8 (exact below 2^53), so the rows read the same through node-postgres, PGlite
 * and Prisma's raw queries, and no driver's time-zone handling of `timestamp` gets a say.
 */

/** One customer of a page, with what their purchases add up to (order fields null without orders). */
export interface CustomerOrderFacts {
  /** The customer's place in the facts table (1, 2, ...): what the pages are keyed on. */
  row: number;
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
  /** The customer's lifecycle stage in the live score table (the last refresh's), null without a row there. */
  previousStage: string | null;
  /** The id of the customer's row in the live score table: the new row keeps it. */
  scoreId: string | null;
}

export interface PageWindow {
  now: Date;
  windowStart: Date;
}

/** The queries a refresh needs; `query` both reads and writes. */
export interface RefreshSql {
  query<Row>(text: string, params: unknown[]): Promise<Row[]>;
  /** Runs `work` in one transaction on this lane (already inside one: just runs it). */
  transaction<T>(work: () => Promise<T>): Promise<T>;
}

export interface RefreshLanes {
  read: RefreshSql;
  write: RefreshSql;
  /** Whether a write may run while the next page is read (two connections). */
  overlap: boolean;
}

/**
 * Runs `work` with its lanes. With plain SQL: reads on one connection (the facts table is a
 * temporary table, so it lives on that connection), score writes on another, so the two overlap.
 * Through Prisma alone, everything runs in one interactive transaction, which keeps every statement
 * on one connection (a pool would hand each statement any connection, and the temporary table
 * would not be there); the rows are then committed together at the end.
 */
export async function withRefreshSql<T>(
  source: { sql?: SqlConnection | undefined; prisma: PrismaClient; timeoutMs: number },
  work: (lanes: RefreshLanes) => Promise<T>,
): Promise<T> {
  const { sql, prisma } = source;
  if (!sql) {
    return prisma.$transaction(
      async (tx) => {
        const lane: RefreshSql = {
          query: <Row>(text: string, params: unknown[]) => tx.$queryRawUnsafe<Row[]>(text, ...params),
          transaction: (inner) => inner(),
        };
        return work({ read: lane, write: lane, overlap: false });
      },
      { timeout: source.timeoutMs, maxWait: 60_000 },
    );
  }
  return sql.withSession((reads) => sql.withSession((writes) => work({ read: sessionLane(reads), write: sessionLane(writes), overlap: true })));
}

/** A refresh lane on one connection: its statements and its transactions (BEGIN ... COMMIT, ROLLBACK on failure). */
export function sessionLane(session: SqlSession): RefreshSql {
  return {
    query: <Row>(text: string, params: unknown[]) => session.query<Row>(text, params),
    async transaction(inner) {
      await session.exec("BEGIN");
      try {
        const result = await inner();
        await session.exec("COMMIT");
        return result;
      } catch (error) {
        await session.exec("ROLLBACK").catch(() => {});
        throw error;
      }
    },
  };
}

const iso = (date: Date) => date.toISOString();

/** The temporary table of a refresh: one row per customer, numbered in customer id order. */
const FACTS = `pg_temp."refresh_order_facts"`;

/** 2^46: a purchase day's key in min(day x DAY_KEY + cents) (FILL_FACTS); days to the year 2328 fit an int8. */
const DAY_KEY = "70368744177664";

/**
 * Purchases are orders with amount >= 0 (a free order is a purchase, a refund is not) placed up
 * to now; a purchase day is the order's UTC date. The orders are summed per customer and day (d),
 * then per customer (s): two hash aggregates over one scan of Order, no index walked, no sort of
 * the orders. Every aggregate keeps a fixed-size state (int and float8 sums, no numeric or array
 * state to allocate per group), so a million customers' groups fit the aggregate's memory.
 * The first purchase day's total rides in the low bits of min(day x 2^46 + cents): the smallest
 * such number is the first day's, and its cents come back exactly (a day's total is capped below
 * 2^46 cents in the key; a customer whose first day reaches the cap, $703 billion, gets the exact
 * sum from their orders instead). Made with CREATE TABLE ... AS, which lets PostgreSQL spread the
 * scan and the first aggregate over parallel workers (an INSERT ... SELECT never does).
 * Each customer's stage and row id in the live score table come along ("previousStage", "scoreId").
 */
const FILL_FACTS = `
  CREATE TEMPORARY TABLE "refresh_order_facts" AS
  WITH o AS (
    SELECT "customerId", "placedAt", ("amount" * 100)::float8 AS "cents" FROM "Order"
     WHERE "amount" >= 0 AND "placedAt" <= $1::timestamp
  ), d AS (
    SELECT "customerId" AS "id", ("placedAt"::date - DATE '1970-01-01') AS "day",
           count(*)::int AS "n", sum("cents") AS "cents", min("placedAt") AS "firstAt", max("placedAt") AS "lastAt",
           (count(*) FILTER (WHERE "placedAt" >= $2::timestamp))::int AS "wn",
           coalesce(sum("cents") FILTER (WHERE "placedAt" >= $2::timestamp), 0) AS "wcents"
      FROM o GROUP BY 1, 2
  ), s AS (
    SELECT "id", sum("n")::int AS "orderCount",
           (extract(epoch FROM min("firstAt")) * 1000)::float8 AS "firstOrderMs",
           (extract(epoch FROM max("lastAt")) * 1000)::float8 AS "lastOrderMs",
           sum("cents") AS "historicCents",
           count(*)::int AS "purchaseDays", min("day")::int AS "firstDay", max("day")::int AS "lastDay",
           (min("day"::int8 * ${DAY_KEY} + least("cents", ${DAY_KEY} - 1)::int8) - min("day")::int8 * ${DAY_KEY})::float8 AS "firstDayKeyCents",
           sum("wn")::int AS "windowCount", sum("wcents") AS "windowCents",
           -- The window runs up to now: with any purchase in it, the last purchase is the last in it.
           CASE WHEN sum("wn") > 0 THEN (extract(epoch FROM max("lastAt")) * 1000)::float8 END AS "lastInWindowMs"
      FROM d GROUP BY "id"
  )
  SELECT (row_number() OVER (ORDER BY c."id"))::int AS "row", c."id" AS "customerId",
         coalesce(s."orderCount", 0) AS "orderCount", s."firstOrderMs", s."lastOrderMs",
         coalesce(s."historicCents", 0)::float8 AS "historicCents", coalesce(s."purchaseDays", 0) AS "purchaseDays",
         s."firstDay", s."lastDay",
         CASE WHEN s."firstDayKeyCents" < ${DAY_KEY} - 1 THEN s."firstDayKeyCents"
              WHEN s."id" IS NULL THEN 0::float8
              ELSE (SELECT sum("amount" * 100)::float8 FROM "Order" x
                     WHERE x."customerId" = c."id" AND x."amount" >= 0 AND x."placedAt" <= $1::timestamp
                       AND (x."placedAt"::date - DATE '1970-01-01') = s."firstDay")
         END AS "firstDayCents",
         coalesce(s."windowCount", 0) AS "windowCount", coalesce(s."windowCents", 0)::float8 AS "windowCents", s."lastInWindowMs",
         live."lifecycleStage"::text AS "previousStage", live."id"::text AS "scoreId"
    FROM "Customer" c
    LEFT JOIN s ON s."id" = c."id"
    LEFT JOIN "CustomerScore" live ON live."customerId" = c."id"`;

/** Runs `work` with the refresh's facts table filled (prepareOrderFacts), and its engagement table when asked, and drops them afterwards whatever happens. */
export async function withOrderFacts<T>(
  db: RefreshSql,
  window: PageWindow,
  engagement: EngagementWindow | null,
  work: (customers: number) => Promise<T>,
): Promise<T> {
  const customers = await prepareOrderFacts(db, window);
  if (engagement) await prepareEngagement(db, engagement);
  try {
    return await work(customers);
  } finally {
    await dropOrderFacts(db);
  }
}

/**
 * Sums up every customer's orders into the refresh's temporary table (made again if a refresh on
 * this connection left one behind). The aggregate runs with more sort and hash memory than the
 * server's default (SET LOCAL: this transaction only) and without JIT compilation, which costs
 * seconds on a plan this size and saves nothing on two aggregates.
 * Returns the customers in the table.
 */
export async function prepareOrderFacts(db: RefreshSql, window: PageWindow): Promise<number> {
  await db.query(`DROP TABLE IF EXISTS ${FACTS}`, []);
  await db.transaction(async () => {
    await db.query(`SET LOCAL work_mem = '256MB'`, []);
    await db.query(`SET LOCAL jit = off`, []);
    // The planner prices parallel workers too high for this one big scan (it estimates the per-customer groups at 200).
    await db.query(`SET LOCAL parallel_setup_cost = 0`, []);
    await db.query(`SET LOCAL parallel_tuple_cost = 0`, []);
    await db.query(FILL_FACTS, [iso(window.now), iso(window.windowStart)]);
  });
  await db.query(`CREATE UNIQUE INDEX ON ${FACTS} ("row")`, []);
  const [count] = await db.query<{ n: number }>(`SELECT count(*)::int AS "n" FROM ${FACTS}`, []);
  return count?.n ?? 0;
}

/** Drops the refresh's temporary table (it would otherwise stay on the connection until it closes). */
export async function dropOrderFacts(db: RefreshSql): Promise<void> {
  await db.query(`DROP TABLE IF EXISTS ${FACTS}`, []);
  await db.query(`DROP TABLE IF EXISTS ${ENGAGEMENT}`, []);
}

/**
 * Every buyer's history as the CLV models take it, grouped: one row per distinct (repeat purchase
 * days, days from the first to the last purchase day (0 without repeat purchases, where it does not
 * enter the likelihood), days from the first purchase day to `nowDay`), and per distinct (repeat
 * purchase days, repeat spend in cents) of the repeat buyers, each with its weight; as columns, in
 * key order. Whole days and cents: the grouping is exact.
 */
export interface BuyerGroups {
  histories: { frequency: Float64Array; recencyDays: Float64Array; tDays: Float64Array; weight: Float64Array };
  spends: { frequency: Float64Array; repeatCents: Float64Array; weight: Float64Array };
}

/**
 * The columns travel as the binary float8s PostgreSQL sends (float8send, big-endian, one bytea per
 * column) instead of int arrays in text: hundreds of thousands of groups then arrive as seven
 * buffers, not as a small string per number for the refresh to parse and collect.
 */
export async function buyerGroups(db: RefreshSql, nowDay: number): Promise<BuyerGroups> {
  const packed = (column: string) => `coalesce(string_agg(float8send(${column}::float8), ''::bytea), ''::bytea)`;
  const [row] = await db.query<Record<"hx" | "hr" | "ht" | "hw" | "sx" | "sc" | "sw", Uint8Array>>(
    `WITH b AS (
       SELECT "purchaseDays" - 1 AS "x", CASE WHEN "purchaseDays" > 1 THEN "lastDay" - "firstDay" ELSE 0 END AS "r",
              $1::int - "firstDay" AS "t", "historicCents" - "firstDayCents" AS "c"
         FROM ${FACTS} WHERE "purchaseDays" > 0
     ), h AS (
       SELECT "x", "r", "t", count(*)::int AS "w" FROM b GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
     ), s AS (
       SELECT "x", "c", count(*)::int AS "w" FROM b WHERE "x" > 0 GROUP BY 1, 2 ORDER BY 1, 2
     )
     SELECT h.*, s.* FROM
       (SELECT ${packed('"x"')} AS "hx", ${packed('"r"')} AS "hr", ${packed('"t"')} AS "ht", ${packed('"w"')} AS "hw" FROM h) h,
       (SELECT ${packed('"x"')} AS "sx", ${packed('"c"')} AS "sc", ${packed('"w"')} AS "sw" FROM s) s`,
    [nowDay],
  );
  return {
    histories: { frequency: float8s(row!.hx), recencyDays: float8s(row!.hr), tDays: float8s(row!.ht), weight: float8s(row!.hw) },
    spends: { frequency: float8s(row!.sx), repeatCents: float8s(row!.sc), weight: float8s(row!.sw) },
  };
}

/** Big-endian float8s (float8send's bytes, one after another) as numbers. */
function float8s(bytes: Uint8Array): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float64Array(bytes.byteLength / 8);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat64(i * 8);
  return values;
}

/** Where each RFM quintile score starts: for R, F and M, the smallest value (of the window's buyers) scoring 1..5. */
export interface RfmCutRows {
  dimension: "r" | "f" | "m";
  score: number;
  cut: number;
  /** The window buyers in all. */
  total: number;
}

/**
 * The RFM quintile scales of every customer with purchases in the window, computed by the database
 * the way QuintileScale scores (src/analytics/rfm.ts): a value's score is from its mid-rank
 * percentile, (values below it + values at or below it) x 5 / (2 x all), in whole numbers. Per
 * dimension and score, the smallest value with it; the scores rise with the value, so these cut
 * points score any customer of the population exactly as the full sorted list would. The values
 * are the ones the refresh scores: R on the negated days since the last purchase in the window
 * (`nowDay` minus its UTC day), F the purchases in the window, M their total in currency units.
 */
export async function rfmCutRows(db: RefreshSql, nowDay: number): Promise<RfmCutRows[]> {
  return db.query<RfmCutRows>(
    `WITH w AS (
       SELECT -($1::int - floor("lastInWindowMs" / 86400000)) AS "r", "windowCount"::float8 AS "f", "windowCents" / 100 AS "m"
         FROM ${FACTS} WHERE "windowCount" > 0
     ), v AS (
       SELECT 'r' AS "dimension", "r" AS "v" FROM w UNION ALL SELECT 'f', "f" FROM w UNION ALL SELECT 'm', "m" FROM w
     ), c AS (
       SELECT "dimension", "v", count(*) AS "n" FROM v GROUP BY 1, 2
     ), s AS (
       SELECT "dimension", "v", "n", (sum("n") OVER (PARTITION BY "dimension" ORDER BY "v"))::bigint AS "le",
              (sum("n") OVER (PARTITION BY "dimension"))::bigint AS "total"
         FROM c
     )
     SELECT "dimension", least(5, greatest(1, ((2 * "le" - "n") * 5) / (2 * "total") + 1))::int AS "score",
            min("v") AS "cut", max("total")::int AS "total"
       FROM s GROUP BY 1, 2 ORDER BY 1, 2`,
    [nowDay],
  );
}

/** The refresh's second temporary table: the engagement counts of every customer with any (the others have none). */
const ENGAGEMENT = `pg_temp."refresh_engagement"`;

const CREATE_ENGAGEMENT = `
  CREATE TEMPORARY TABLE "refresh_engagement" (
    "customerId" uuid PRIMARY KEY,
    "inbound" int NOT NULL, "outbound" int NOT NULL, "customerInitiated" int NOT NULL, "businessInitiated" int NOT NULL,
    "careSent" int NOT NULL, "careReplied" int NOT NULL, "surveysInvited" int NOT NULL, "surveysAnswered" int NOT NULL,
    "surveyReasons" int NOT NULL, "complaints" int NOT NULL, "channels" int NOT NULL
  )`;

/**
 * How each customer engaged in the window, for everybody at once (one aggregate per table instead
 * of one statement per page): conversations each side started (staff notes and system events are
 * not conversation; a message after the gap of silence opens one), care messages and the replies
 * to them, surveys, complaints, linked channels. Customers without any of it get no row.
 */
const FILL_ENGAGEMENT = `
  INSERT INTO ${ENGAGEMENT}

  WITH t AS (
    SELECT i."customerId", i."direction", i."kind", i."occurredAt",
           lag(i."occurredAt") OVER (PARTITION BY i."customerId" ORDER BY i."occurredAt", i."id") AS "previousAt",
           CASE WHEN i."direction" = 'out' AND i."kind" = 'care' THEN EXISTS (
             SELECT 1 FROM "Interaction" r
              WHERE r."customerId" = i."customerId" AND r."direction" = 'in' AND r."kind" NOT IN ('system', 'staff-note')
                AND r."occurredAt" > i."occurredAt"
                AND r."occurredAt" <= i."occurredAt" + $3::int * interval '1 day'
           ) ELSE false END AS "replied"
      FROM "Interaction" i
     WHERE i."occurredAt" >= $1::timestamp AND i."occurredAt" <= $2::timestamp
       AND i."kind" NOT IN ('system', 'staff-note')
  ), talk AS (
    SELECT "customerId" AS "id",
           (count(*) FILTER (WHERE "direction" = 'in'))::int AS "inbound",
           (count(*) FILTER (WHERE "direction" = 'out'))::int AS "outbound",
           (count(*) FILTER (WHERE "direction" = 'in' AND ("previousAt" IS NULL
              OR "occurredAt" - "previousAt" > $4::int * interval '1 hour')))::int AS "customerInitiated",
           (count(*) FILTER (WHERE "direction" = 'out' AND ("previousAt" IS NULL
              OR "occurredAt" - "previousAt" > $4::int * interval '1 hour')))::int AS "businessInitiated",
           (count(*) FILTER (WHERE "direction" = 'out' AND "kind" = 'care'))::int AS "careSent",
           (count(*) FILTER (WHERE "replied"))::int AS "careReplied"
      FROM t GROUP BY "customerId"
  ), invited AS (
    SELECT "customerId" AS "id", count(*)::int AS "n" FROM "SurveyInvitation"
     WHERE "sentAt" >= $1::timestamp AND "sentAt" <= $2::timestamp GROUP BY 1
  ), answered AS (
    SELECT "customerId" AS "id", count(*)::int AS "n", (count(*) FILTER (WHERE "reason" IS NOT NULL))::int AS "reasons" FROM "SurveyResponse"
     WHERE "respondedAt" >= $1::timestamp AND "respondedAt" <= $2::timestamp GROUP BY 1
  ), complained AS (
    SELECT "customerId" AS "id", count(*)::int AS "n" FROM "FeedbackCase"
     WHERE "openedAt" >= $1::timestamp AND "openedAt" <= $2::timestamp AND "source" = 'complaint' GROUP BY 1
  ), channels AS (
    SELECT "customerId" AS "id", count(*)::int AS "n" FROM "ChannelIdentity" GROUP BY 1
  ), ids AS (
    SELECT "id" FROM talk UNION SELECT "id" FROM invited UNION SELECT "id" FROM answered UNION SELECT "id" FROM complained UNION SELECT "id" FROM channels
  )
  SELECT ids."id",
         coalesce(talk."inbound", 0) AS "inbound", coalesce(talk."outbound", 0) AS "outbound",
         coalesce(talk."customerInitiated", 0) AS "customerInitiated", coalesce(talk."businessInitiated", 0) AS "businessInitiated",
         coalesce(talk."careSent", 0) AS "careSent", coalesce(talk."careReplied", 0) AS "careReplied",
         coalesce(invited."n", 0) AS "surveysInvited", coalesce(answered."n", 0) AS "surveysAnswered",
         coalesce(answered."reasons", 0) AS "surveyReasons", coalesce(complained."n", 0) AS "complaints",
         coalesce(channels."n", 0) AS "channels"
    FROM ids
    LEFT JOIN talk ON talk."id" = ids."id" LEFT JOIN invited ON invited."id" = ids."id" LEFT JOIN answered ON answered."id" = ids."id"
    LEFT JOIN complained ON complained."id" = ids."id" LEFT JOIN channels ON channels."id" = ids."id"`;

/** Counts everybody's engagement in the window into the refresh's engagement table (made again if one was left behind). */
async function prepareEngagement(db: RefreshSql, window: EngagementWindow): Promise<void> {
  await db.query(`DROP TABLE IF EXISTS ${ENGAGEMENT}`, []);
  await db.query(CREATE_ENGAGEMENT, []);
  await db.query(FILL_ENGAGEMENT, [iso(window.since), iso(window.until), window.careReplyDays, window.conversationGapHours]);
}

/** A customer of a scoring page: the purchase facts, and the engagement counts (null without any). */
export interface ScoringFacts extends CustomerOrderFacts {
  engagement: EngagementFacts | null;
}

type EngagementColumns = { [K in keyof EngagementFacts as `e_${K}`]: number | null };

/**
 * The next page of customers after row `after` (0 for the first page), each with their purchase
 * facts and their engagement counts from the refresh's engagement table (withOrderFacts with an
 * engagement window): one statement per page, no list of ids sent back to the server.
 */
export async function scoringPage(db: RefreshSql, after: number, limit: number): Promise<ScoringFacts[]> {
  const rows = await db.query<CustomerOrderFacts & EngagementColumns & { engaged: boolean }>(
    `SELECT f."row", f."customerId"::text AS "customerId", f."orderCount", f."firstOrderMs", f."lastOrderMs", f."historicCents",
            f."purchaseDays", f."firstDay", f."lastDay", f."firstDayCents", f."windowCount", f."windowCents", f."lastInWindowMs",
            f."previousStage", f."scoreId", e."customerId" IS NOT NULL AS "engaged",
            e."inbound" AS "e_inbound", e."outbound" AS "e_outbound", e."customerInitiated" AS "e_customerInitiated",
            e."businessInitiated" AS "e_businessInitiated", e."careSent" AS "e_careSent", e."careReplied" AS "e_careReplied",
            e."surveysInvited" AS "e_surveysInvited", e."surveysAnswered" AS "e_surveysAnswered", e."surveyReasons" AS "e_surveyReasons",
            e."complaints" AS "e_complaints", e."channels" AS "e_channels"
       FROM ${FACTS} f LEFT JOIN ${ENGAGEMENT} e ON e."customerId" = f."customerId"
      WHERE f."row" > $1::int ORDER BY f."row" LIMIT $2::int`,
    [after, limit],
  );
  return rows.map((r) => ({
    row: r.row,
    customerId: r.customerId,
    orderCount: r.orderCount,
    firstOrderMs: r.firstOrderMs,
    lastOrderMs: r.lastOrderMs,
    historicCents: r.historicCents,
    purchaseDays: r.purchaseDays,
    firstDay: r.firstDay,
    lastDay: r.lastDay,
    firstDayCents: r.firstDayCents,
    windowCount: r.windowCount,
    windowCents: r.windowCents,
    lastInWindowMs: r.lastInWindowMs,
    previousStage: r.previousStage,
    scoreId: r.scoreId,
    engagement: r.engaged
      ? {
          inbound: r.e_inbound!,
          outbound: r.e_outbound!,
          customerInitiated: r.e_customerInitiated!,
          businessInitiated: r.e_businessInitiated!,
          careSent: r.e_careSent!,
          careReplied: r.e_careReplied!,
          surveysInvited: r.e_surveysInvited!,
          surveysAnswered: r.e_surveysAnswered!,
          surveyReasons: r.e_surveyReasons!,
          complaints: r.e_complaints!,
          channels: r.e_channels!,
        }
      : null,
  }));
}
