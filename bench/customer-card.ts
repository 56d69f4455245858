// The customer card at scale (issue 10): 100,000 customers and 1,000,000 interactions (plus channels,
// consent changes, 300,000 orders with their ledger entries, surveys, open cases and scores) generated
// on PostgreSQL by set-based INSERT … SELECT generate_series (seconds, not minutes), then the card's
// latency over random customers through Tend (CustomerCards: Prisma, the loyalty service) against the
// ceiling: the same reads through `pg` directly, side by side on a pool of the same size. Also customer
// search (exact keys and a name substring). Goal: card p95 < 100 ms.
// `npx tsx bench/customer-card.ts [customers] [interactions] [samples]`. Needs the tests' PostgreSQL.
import os from "node:os";
import pg from "pg";
import { systemClock } from "../src/core/clock.ts";
import { CustomerCards } from "../src/customers/customer-card.ts";
import { CARD_SQL } from "../src/db/repositories/customer-card-repository.ts";
import { openDatabase } from "../src/db/database.ts";
import { applyMigrations } from "../src/db/migrations.ts";
import { LoyaltyService } from "../src/loyalty/loyalty-service.ts";
import { withScratchDatabase } from "./support/scratch.ts";

const customers = Number(process.argv[2] ?? 100_000);
const interactions = Number(process.argv[3] ?? 1_000_000);
const samples = Number(process.argv[4] ?? 1000);
const POOL = 10;

/** Customer g's id: deterministic, so every table can point at it without a lookup. */
const idOf = (g: string) => `md5('c' || ${g})::uuid`;

const generator: { what: string; sql: string }[] = [
  {
    what: "customers",
    sql: `INSERT INTO "Customer" (id, "externalId", "displayName", email, locale, "timeZone", "careConsent", "marketingConsent", "createdAt", "updatedAt", "outreachPausedUntil", "handedOverAt", "handedOverTo", "handedOverToName")
          SELECT ${idOf("g")}, 'crm-' || g, (ARRAY['Wang','Li','Zhang','Liu','Chen','Smith','Garcia','Kim'])[1 + g % 8] || ' ' || g, 'c' || g || '@example.com',
                 CASE WHEN g % 2 = 0 THEN 'zh-CN' ELSE 'en' END, CASE WHEN g % 2 = 0 THEN 'Asia/Shanghai' ELSE 'UTC' END, g % 10 <> 0, g % 3 = 0,
                 now() - (g % 900) * interval '1 day', now(),
                 CASE WHEN g % 50 = 0 THEN now() + interval '7 days' END, CASE WHEN g % 200 = 0 THEN now() END,
                 CASE WHEN g % 400 = 0 THEN 'slack:U0STAFF' END, CASE WHEN g % 400 = 0 THEN 'Alice' END
            FROM generate_series(1, $1::int) AS g`,
  },
  {
    what: "channel identities",
    sql: `INSERT INTO "ChannelIdentity" (id, "customerId", platform, "platformUserId", address, "displayName", "createdAt", "lastSeenAt")
          SELECT gen_random_uuid(), ${idOf("g")}, 'telegram'::"Platform", 'tg-' || g, 'tg:' || g, 'tg user ' || g, now() - interval '300 days', now() - (g % 90) * interval '1 day'
            FROM generate_series(1, $1::int) AS g
          UNION ALL
          SELECT gen_random_uuid(), ${idOf("g")}, 'web'::"Platform", 'web-' || g, 'web-' || g, NULL, now() - interval '100 days', now() - (g % 30) * interval '1 day'
            FROM generate_series(1, $1::int) AS g WHERE g % 3 = 0`,
  },
  {
    // One in ten interactions goes to the 1% of busy customers (about 110 each); the rest spread evenly.
    what: "interactions",
    sql: `INSERT INTO "Interaction" (id, "customerId", platform, direction, kind, text, "platformMessageId", "occurredAt")
          SELECT gen_random_uuid(), ${idOf("c")}, 'telegram', CASE WHEN i % 2 = 0 THEN 'in'::"Direction" ELSE 'out'::"Direction" END,
                 (ARRAY['message','message','message','care','survey','system','loyalty'])[1 + i % 7]::"InteractionKind",
                 'message number ' || i, CASE WHEN i % 2 = 0 THEN 'm' || i END, now() - (i % 700) * interval '1 day' - (i % 86400) * interval '1 second'
            FROM (SELECT i, CASE WHEN i % 10 = 0 THEN 1 + (i / 10) % GREATEST($1::int / 100, 1) ELSE 1 + (i * 7919::bigint) % $1::int END AS c
                    FROM generate_series(1, $2::int) AS i) AS s`,
  },
  {
    what: "consent changes",
    sql: `INSERT INTO "ConsentChange" (id, "customerId", topic, granted, source, "changedAt")
          SELECT gen_random_uuid(), ${idOf("g")}, 'marketing', g % 3 = 0, 'import', now() - (g % 400) * interval '1 day' FROM generate_series(1, $1::int) AS g`,
  },
  {
    what: "orders (3 per customer)",
    sql: `INSERT INTO "Order" (id, "customerId", "externalId", amount, currency, "placedAt", "createdAt")
          SELECT md5('o' || o)::uuid, ${idOf("(1 + (o * 104729::bigint) % $1::int)")}, 'SO-' || o, (10 + o % 490)::numeric, 'CNY', now() - (o % 800) * interval '1 day', now()
            FROM generate_series(1, 3 * $1::int) AS o`,
  },
  {
    // One earn per order; points of orders over a year old lapsed (expiresAt passed) and half of those were never booked as expired.
    what: "ledger entries",
    sql: `INSERT INTO "LoyaltyLedgerEntry" (id, "customerId", kind, points, reason, "orderId", "idempotencyKey", "expiresAt", "createdAt")
          SELECT gen_random_uuid(), o."customerId", 'earn', o.amount::int, 'order', o.id, 'order:' || o.id, o."placedAt" + interval '12 months', o."placedAt" FROM "Order" o`,
  },
  {
    what: "booked expiries",
    sql: `INSERT INTO "LoyaltyLedgerEntry" (id, "customerId", kind, points, reason, "createdAt")
          SELECT gen_random_uuid(), e."customerId", 'expire', -e.points, 'expired', e."expiresAt" FROM "LoyaltyLedgerEntry" e
           WHERE e.kind = 'earn' AND e."expiresAt" < now() AND get_byte(decode(md5(e.id::text), 'hex'), 0) % 2 = 0`,
  },
  {
    what: "survey invitations and answers",
    sql: `WITH inv AS (
            INSERT INTO "SurveyInvitation" (id, "customerId", kind, platform, status, "sentAt", "expiresAt")
            SELECT md5('s' || s)::uuid, ${idOf("(1 + (s * 15485863::bigint) % $1::int)")}, CASE WHEN s % 3 = 0 THEN 'nps'::"SurveyKind" ELSE 'csat'::"SurveyKind" END,
                   'telegram', 'answered', now() - (s % 300) * interval '1 day', now() - (s % 300) * interval '1 day' + interval '3 days'
              FROM generate_series(1, $1::int / 2) AS s RETURNING id, "customerId", kind, "sentAt")
          INSERT INTO "SurveyResponse" (id, "invitationId", "customerId", score, reason, "respondedAt")
          SELECT gen_random_uuid(), id, "customerId", CASE WHEN kind = 'nps' THEN 7 ELSE 4 END, 'fine', "sentAt" + interval '1 hour' FROM inv`,
  },
  {
    what: "open feedback cases",
    sql: `INSERT INTO "FeedbackCase" (id, "customerId", source, status, summary, "openedAt")
          SELECT gen_random_uuid(), ${idOf("(1 + (f * 7907::bigint) % $1::int)")}, 'complaint', 'open', 'late parcel ' || f, now() - (f % 60) * interval '1 day'
            FROM generate_series(1, $1::int / 10) AS f`,
  },
  {
    what: "scores",
    sql: `INSERT INTO "CustomerScore" (id, "customerId", "computedAt", "windowStart", "windowMonths", "orderCount", frequency, monetary, "rfmSegment", "rfmRecency", "rfmFrequency", "rfmMonetary",
                                     "lifecycleStage", "relationshipLevel", "historicClv", "predictedClv", "probabilityAlive", "predictedPurchases", explanation)
          SELECT gen_random_uuid(), ${idOf("g")}, now(), now() - interval '24 months', 24, 3, 3, 750, (ARRAY['champions','loyal','at_risk','hibernating'])[1 + g % 4], 1 + g % 5, 1 + g % 5, 1 + g % 5,
                 (ARRAY['new','growing','mature','declining'])[1 + g % 4]::"LifecycleStage", 'reactive', 750, 420.5, 0.8, 1.7,
                 jsonb_build_object('rfm', jsonb_build_object('en', 'R 3 F 3 M 3', 'zh', 'R 3 F 3 M 3'), 'lifecycle', jsonb_build_object('en', 'growing', 'zh', '成长'),
                                    'relationship', jsonb_build_object('en', 'reactive', 'zh', '反应型'), 'predictive', jsonb_build_object('en', 'fitted', 'zh', '已拟合'))
            FROM generate_series(1, $1::int) AS g`,
  },
];

/** The card's reads as Tend does them (the customer's row, the one card statement, the loyalty summary's three reads), directly through pg. */
function rawSame(pool: pg.Pool, id: string, recent: number, tierSince: Date) {
  const q = (sql: string, params: unknown[]) => pool.query(sql, params).then((r) => r.rows);
  return Promise.all([
    q(`SELECT * FROM "Customer" WHERE id = $1`, [id]),
    q(CARD_SQL, [id, recent]),
    q(`SELECT count(*) FROM "Customer" WHERE id = $1`, [id]),
    q(`SELECT * FROM "LoyaltyLedgerEntry" WHERE "customerId" = $1 ORDER BY "createdAt", id`, [id]),
    q(`SELECT sum(points) FROM "LoyaltyLedgerEntry" WHERE "customerId" = $1 AND kind IN ('earn','bonus') AND points > 0 AND "createdAt" >= $2`, [id, tierSince]),
  ]);
}

/** The card's reads done directly, one statement per part, all in parallel on the pool. */
function rawCard(pool: pg.Pool, id: string, recent: number, tierSince: Date) {
  const q = (sql: string, params: unknown[]) => pool.query(sql, params).then((r) => r.rows);
  return Promise.all([
    q(`SELECT * FROM "Customer" WHERE id = $1`, [id]),
    q(`SELECT * FROM "ChannelIdentity" WHERE "customerId" = $1 ORDER BY "createdAt", id`, [id]),
    q(`SELECT * FROM "ConsentChange" WHERE "customerId" = $1 ORDER BY "changedAt" DESC, id DESC LIMIT $2`, [id, recent]),
    q(`SELECT count(*), sum(amount), max("placedAt") FROM "Order" WHERE "customerId" = $1 AND amount >= 0`, [id]),
    q(`SELECT kind, direction, count(*) FROM "Interaction" WHERE "customerId" = $1 GROUP BY kind, direction`, [id]),
    q(`SELECT * FROM "Interaction" WHERE "customerId" = $1 ORDER BY "occurredAt" DESC, id DESC LIMIT $2`, [id, recent]),
    q(`SELECT DISTINCT ON (i.kind) i.kind, r.score, r.reason, r."respondedAt" FROM "SurveyResponse" r JOIN "SurveyInvitation" i ON i.id = r."invitationId"
        WHERE r."customerId" = $1 ORDER BY i.kind, r."respondedAt" DESC, r.id DESC`, [id]),
    q(`SELECT * FROM "FeedbackCase" WHERE "customerId" = $1 AND status = 'open' ORDER BY "openedAt", id`, [id]),
    q(`SELECT s.*, r.id AS run FROM "CustomerScore" s LEFT JOIN "AnalyticsRun" r ON r.id = s."runId" WHERE s."customerId" = $1`, [id]),
    // The loyalty summary's reads: existence, the ledger, the tier window's points.
    q(`SELECT count(*) FROM "Customer" WHERE id = $1`, [id]),
    q(`SELECT * FROM "LoyaltyLedgerEntry" WHERE "customerId" = $1 ORDER BY "createdAt", id`, [id]),
    q(`SELECT sum(points) FROM "LoyaltyLedgerEntry" WHERE "customerId" = $1 AND kind IN ('earn','bonus') AND points > 0 AND "createdAt" >= $2`, [id, tierSince]),
  ]);
}

function percentiles(ms: number[]): { p50: number; p95: number; p99: number; max: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1)! };
}

async function timeEach(ids: string[], run: (id: string) => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  for (const id of ids) {
    const started = performance.now();
    await run(id);
    ms.push(performance.now() - started);
  }
  return ms;
}

const fmt = (p: ReturnType<typeof percentiles>) => `p50 ${p.p50.toFixed(1)} ms, p95 ${p.p95.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms, max ${p.max.toFixed(1)} ms`;

await withScratchDatabase("card", async (url) => {
  console.log(`customer card on PostgreSQL (${new URL(url).host}), ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  const db = await openDatabase({ kind: "postgres", url, poolSize: POOL });
  const pool = new pg.Pool({ connectionString: url, max: POOL });
  // Dropping the scratch database ends idle connections; that is not a failure of the run.
  pool.on("error", () => {});
  try {
    await applyMigrations(db.sql);
    const generated = performance.now();
    for (const step of generator) {
      const started = performance.now();
      await db.sql.withSession((session) => session.query(step.sql, step.sql.includes("$2") ? [customers, interactions] : step.sql.includes("$1") ? [customers] : []));
      console.log(`  generated ${step.what} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    await pool.query("ANALYZE");
    const counts = (await pool.query(`SELECT (SELECT count(*) FROM "Customer")::int AS c, (SELECT count(*) FROM "Interaction")::int AS i, (SELECT count(*) FROM "Order")::int AS o,
                                              (SELECT count(*) FROM "LoyaltyLedgerEntry")::int AS l`)).rows[0] as { c: number; i: number; o: number; l: number };
    console.log(`data: ${counts.c} customers, ${counts.i} interactions, ${counts.o} orders, ${counts.l} ledger entries in ${((performance.now() - generated) / 1000).toFixed(1)} s`);

    const loyalty = new LoyaltyService({ prisma: db.prisma, clock: systemClock });
    const cards = new CustomerCards({ prisma: db.prisma, loyalty, clock: systemClock });
    const pick = (n: number) => Array.from({ length: n }, () => 1 + Math.floor(Math.random() * customers));
    const ids = (await pool.query(`SELECT md5('c' || g)::uuid::text AS id FROM unnest($1::int[]) AS g`, [pick(samples)])).rows.map((r: { id: string }) => r.id);
    const busy = (await pool.query(`SELECT md5('c' || g)::uuid::text AS id FROM generate_series(1, 50) AS g`)).rows.map((r: { id: string }) => r.id);
    const tierSince = new Date(Date.now() - 365 * 86_400_000);

    // Warm both paths (JIT, Prisma's query compiler, connections, the buffer cache) on other customers.
    const warm = (await pool.query(`SELECT md5('c' || g)::uuid::text AS id FROM unnest($1::int[]) AS g`, [pick(100)])).rows.map((r: { id: string }) => r.id);
    await timeEach(warm, (id) => cards.card(id));
    await timeEach(warm, (id) => rawCard(pool, id, 10, tierSince));
    await timeEach(warm, (id) => rawSame(pool, id, 10, tierSince));

    const loadBefore = os.loadavg()[0]!;
    const card = percentiles(await timeEach(ids, async (id) => {
      if (!(await cards.card(id))) throw new Error(`no card for ${id}`);
    }));
    const raw = percentiles(await timeEach(ids, (id) => rawCard(pool, id, 10, tierSince)));
    const same = percentiles(await timeEach(ids, (id) => rawSame(pool, id, 10, tierSince)));
    const ceiling = same.p95 < raw.p95 ? same : raw;
    const busyCard = percentiles(await timeEach(busy, (id) => cards.card(id)));
    const busyRaw = percentiles(await timeEach(busy, (id) => rawCard(pool, id, 10, tierSince)));
    const searchIds = pick(200);
    const exact = percentiles(await timeEach(searchIds.map(String), (g) => cards.findCustomers(`SO-${g}`, 10)));
    const handle = percentiles(await timeEach(searchIds.map(String), (g) => cards.findCustomers(`tg-${g}`, 10)));
    const name = percentiles(await timeEach(searchIds.slice(0, 50).map(String), (g) => cards.findCustomers(`wang ${g}`, 10)));
    const loadAfter = os.loadavg()[0]!;

    console.log(`card, ${samples} random customers (Tend: CustomerCards.card):  ${fmt(card)}`);
    console.log(`  raw, Tend's statements through pg (pool ${POOL}):            ${fmt(same)}`);
    console.log(`  raw, one statement per part through pg (pool ${POOL}):       ${fmt(raw)}`);
    console.log(`  ratio Tend/ceiling (the faster raw): p50 ${(card.p50 / ceiling.p50).toFixed(2)}, p95 ${(card.p95 / ceiling.p95).toFixed(2)}; goal p95 < 100 ms: ${card.p95 < 100 ? "met" : "NOT met"}`);
    console.log(`card, 50 busiest customers (~110 interactions each):           ${fmt(busyCard)} (raw ${fmt(busyRaw)})`);
    console.log(`search by order id: ${fmt(exact)}`);
    console.log(`search by platform user id: ${fmt(handle)}`);
    console.log(`search by name substring (scan): ${fmt(name)}`);
    console.log(`load average (1 min) before/after measuring: ${loadBefore.toFixed(2)} / ${loadAfter.toFixed(2)}`);
    console.log(JSON.stringify({ customers: counts.c, interactions: counts.i, card, raw, same, busyCard, busyRaw, exact, handle, name, loadBefore, loadAfter }));
  } finally {
    await pool.end();
    await db.close();
  }
});
