// The dashboard overview at scale (issue 12): 1,000,000 customers with their scores (a refresh's
// previous stage included), one order and ledger entry each, 3,000,000 outbox rows over a year,
// 1,000,000 survey invitations over a year (60% answered) and 10,000 open cases, generated on
// PostgreSQL by INSERT … SELECT generate_series; then readOverview (the page's reads) and its parts
// timed, with the overview's indexes (migration 20261202030700_overview_indexes) and without them.
// `npx tsx bench/dashboard-overview.ts [customers] [samples]`. Needs the tests' PostgreSQL.
import os from "node:os";
import pg from "pg";
import { loadConfig } from "../src/config/env.ts";
import { systemClock } from "../src/core/clock.ts";
import { readOverview } from "../src/dashboard/overview-data.ts";
import { readScoreFigures } from "../src/dashboard/overview-scores.ts";
import { openDatabase } from "../src/db/database.ts";
import { applyMigrations } from "../src/db/migrations.ts";
import { buildServices } from "../src/engine/build-services.ts";
import { createLogger } from "../src/observability/logger.ts";
import { withScratchDatabase } from "./support/scratch.ts";

const customers = Number(process.argv[2] ?? 1_000_000);
const samples = Number(process.argv[3] ?? 7);
const idOf = (g: string) => `md5('c' || ${g})::uuid`;
const OVERVIEW_INDEXES = ["SurveyInvitation_sentAt_idx", "OutboxMessage_status_sentAt_idx", "CustomerScore_overview_idx"];

const generator: { what: string; sql: string }[] = [
  {
    what: "customers",
    sql: `INSERT INTO "Customer" (id, "externalId", "displayName", "createdAt", "updatedAt")
          SELECT ${idOf("g")}, 'crm-' || g, 'Customer ' || g, now() - (g % 900) * interval '1 day', now() FROM generate_series(1, $1::int) AS g`,
  },
  {
    what: "orders and ledger (one each)",
    sql: `WITH o AS (
            INSERT INTO "Order" (id, "customerId", "externalId", amount, currency, "placedAt", "createdAt")
            SELECT md5('o' || g)::uuid, ${idOf("g")}, 'SO-' || g, (10 + g % 490)::numeric, 'CNY', now() - (g % 800) * interval '1 day', now() FROM generate_series(1, $1::int) AS g
            RETURNING id, "customerId", amount, "placedAt")
          INSERT INTO "LoyaltyLedgerEntry" (id, "customerId", kind, points, reason, "orderId", "idempotencyKey", "createdAt")
          SELECT gen_random_uuid(), "customerId", 'earn', amount::int, 'order', id, 'order:' || id, "placedAt" FROM o`,
  },
  {
    what: "scores",
    sql: `INSERT INTO "CustomerScore" (id, "customerId", "computedAt", "windowStart", "windowMonths", "orderCount", frequency, monetary, "rfmSegment", "rfmRecency", "rfmFrequency", "rfmMonetary",
                                     "lifecycleStage", "previousLifecycleStage", "relationshipLevel", "historicClv", "predictedClv", "probabilityAlive", "predictedPurchases", explanation)
          SELECT gen_random_uuid(), ${idOf("g")}, now(), now() - interval '24 months', 24, 1, 1, 250,
                 (ARRAY['champions','loyal','potential_loyalists','new','promising','needs_attention','about_to_sleep','at_risk','cant_lose','hibernating','lost'])[1 + g % 11], 1 + g % 5, 1 + g % 5, 1 + g % 5,
                 (ARRAY['potential','new','growing','mature','declining','churned'])[1 + g % 6]::"LifecycleStage",
                 CASE WHEN g % 50 = 0 THEN NULL ELSE (ARRAY['potential','new','growing','mature','declining','churned'])[1 + (g + (g / 7) % 2) % 6]::"LifecycleStage" END,
                 'reactive', 250, CASE WHEN g % 10 = 0 THEN NULL ELSE (g % 997)::numeric / 3 END, 0.8, 1.7,
                 jsonb_build_object('rfm', jsonb_build_object('en', repeat('R 3 F 3 M 3. ', 8), 'zh', repeat('R 3 F 3 M 3。', 8)), 'lifecycle', jsonb_build_object('en', repeat('growing ', 10), 'zh', '成长'),
                                    'relationship', jsonb_build_object('en', 'reactive', 'zh', '反应型'), 'predictive', jsonb_build_object('en', 'fitted', 'zh', '已拟合'))
            FROM generate_series(1, $1::int) AS g`,
  },
  {
    what: "outbox (3 per customer over a year)",
    sql: `INSERT INTO "OutboxMessage" (id, "customerId", kind, topic, payload, "dedupeKey", status, "notBefore", "sentAt", "deferReason")
          SELECT gen_random_uuid(), ${idOf("(1 + m % $1::int)")}, 'care', 'care', '{}'::jsonb, 'bench:' || m,
                 (CASE WHEN m % 20 = 0 THEN 'pending' WHEN m % 97 = 0 THEN 'dead' ELSE 'sent' END)::"OutboxStatus",
                 now() - (m % 365) * interval '1 day', CASE WHEN m % 20 <> 0 AND m % 97 <> 0 THEN now() - (m % 365) * interval '1 day' END,
                 CASE WHEN m % 20 = 0 THEN (ARRAY['quiet_hours','weekly_cap','open_case'])[1 + m % 3] END
            FROM generate_series(1, 3 * $1::int) AS m`,
  },
  {
    what: "survey invitations and answers (one per customer over a year)",
    sql: `WITH inv AS (
            INSERT INTO "SurveyInvitation" (id, "customerId", kind, platform, status, "sentAt", "expiresAt")
            SELECT md5('s' || s)::uuid, ${idOf("s")}, CASE WHEN s % 3 = 0 THEN 'nps'::"SurveyKind" ELSE 'csat'::"SurveyKind" END,
                   (ARRAY['telegram','web','slack','discord'])[1 + s % 4]::"Platform", CASE WHEN s % 5 < 3 THEN 'answered' ELSE 'expired' END::"SurveyInvitationStatus",
                   now() - (s % 365) * interval '1 day', now() - (s % 365) * interval '1 day' + interval '3 days'
              FROM generate_series(1, $1::int) AS s RETURNING id, "customerId", kind, status, "sentAt")
          INSERT INTO "SurveyResponse" (id, "invitationId", "customerId", score, "respondedAt")
          SELECT gen_random_uuid(), id, "customerId", CASE WHEN kind = 'nps' THEN 4 + (get_byte(decode(md5(id::text), 'hex'), 0) % 7) ELSE 1 + (get_byte(decode(md5(id::text), 'hex'), 0) % 5) END, "sentAt" + interval '1 hour'
            FROM inv WHERE status = 'answered'`,
  },
  {
    what: "open feedback cases",
    sql: `INSERT INTO "FeedbackCase" (id, "customerId", source, status, summary, "openedAt")
          SELECT gen_random_uuid(), ${idOf("(1 + (f * 7907::bigint) % $1::int)")}, 'complaint', 'open', 'late parcel ' || f, now() - (f % 60) * interval '1 day'
            FROM generate_series(1, GREATEST($1::int / 100, 1)) AS f`,
  },
];

function stats(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return `p50 ${at(0.5).toFixed(0)} ms, p95 ${at(0.95).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms (n=${ms.length})`;
}

async function time(what: string, run: () => Promise<unknown>): Promise<void> {
  await run(); // warm
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await run();
    ms.push(performance.now() - started);
  }
  console.log(`  ${what.padEnd(34)} ${stats(ms)}`);
}

await withScratchDatabase("overview", async (url) => {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const db = await openDatabase({ kind: "postgres", url, poolSize: 10 });
  try {
    await applyMigrations(db.sql);
    console.log(`dashboard overview at ${customers.toLocaleString("en")} customers (load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")})`);
    for (const step of generator) {
      const started = performance.now();
      await admin.query(step.sql, [customers]);
      console.log(`  generated ${step.what} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    await admin.query("VACUUM ANALYZE");
    const services = buildServices(db, loadConfig({ LOG_LEVEL: "silent" }), systemClock, createLogger("silent"));
    const sources = { prisma: db.prisma, surveys: services.surveys, loyalty: services.loyalty };
    const measure = async (label: string) => {
      console.log(`${label} (load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")})`);
      await time("score figures (readScoreFigures)", () => readScoreFigures(db.prisma));
      await time("survey report, 12 weeks", () => services.surveys.surveyReport({ from: new Date(Date.now() - 84 * 86_400_000), to: new Date() }));
      await time("outreach sent per day (14 days)", () => admin.query(`SELECT to_char("sentAt", 'YYYY-MM-DD') AS day, count(*) FROM "OutboxMessage" WHERE audience = 'customer' AND status = 'sent' AND "sentAt" >= now() - interval '14 days' GROUP BY 1`));
      await time("whole overview (readOverview)", () => readOverview(sources, new Date()));
    };
    await measure("with the overview's indexes");
    for (const index of OVERVIEW_INDEXES) await admin.query(`DROP INDEX "${index}"`);
    await admin.query("VACUUM ANALYZE");
    await measure("without them");
  } finally {
    await db.close();
    await admin.end();
  }
});
