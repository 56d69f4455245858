// The dashboard's customers table at 1,000,000 customers on PostgreSQL (issue 12; goal p95 < 150 ms):
// p50/p95 page time over HTTP through the real /dashboard/customers route with a signed-in session
// (autocannon), for the first page, a deep page (a cursor half-way down), each order, a name
// fragment and an exact email; against the ceiling, the same SQL straight through `pg` at the same
// concurrency. The million customers are generated once into a template database and copied per run.
//   npm run bench -- dashboard-customers
//   BENCH_CUSTOMERS=1000000 BENCH_CUSTOMERS_TEMPLATE=<name> BENCH_CONNECTIONS=4 BENCH_REQUESTS=200
//   BENCH_CUSTOMERS_REBUILD=1 regenerates the template.
import os from "node:os";
import pg from "pg";
import autocannon from "autocannon";
import { loadConfig } from "../src/config/env.ts";
import { systemClock } from "../src/core/clock.ts";
import { type CustomerSort, encodeCursor, pageSql } from "../src/dashboard/customer-list.ts";
import { DashboardAuth } from "../src/dashboard/dashboard-auth.ts";
import { openDatabase } from "../src/db/database.ts";
import type { Prisma } from "../src/db/generated/client.ts";
import { applyMigrations } from "../src/db/migrations.ts";
import { buildServices } from "../src/engine/build-services.ts";
import { createLogger } from "../src/observability/logger.ts";
import { cliActor } from "../src/staff/actor.ts";
import { GENERATE_DONE, GENERATE_FAST, generatedCustomersSql, generatedEmail, generatedName } from "../test/support/generated-customers.ts";
import { startChild } from "./support/http-load.ts";
import { benchAdminUrl } from "./support/scratch.ts";

const size = Number(process.env.BENCH_CUSTOMERS ?? 1_000_000);
const template = process.env.BENCH_CUSTOMERS_TEMPLATE ?? `tend_bench_customers_${size}`;
const urlOf = (database: string) => {
  const url = new URL(benchAdminUrl);
  url.pathname = `/${database}`;
  return url.toString();
};
const load = () => os.loadavg().map((n) => n.toFixed(1)).join(" ");

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: benchAdminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The template with `size` generated customers, built unless it exists (its comment says it is complete). */
export async function ensureTemplate(): Promise<void> {
  const ready = await admin(async (client) => {
    const { rows } = await client.query<{ comment: string | null }>(
      `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`,
      [template],
    );
    return rows[0]?.comment === "complete";
  });
  if (ready && process.env.BENCH_CUSTOMERS_REBUILD !== "1") return;
  const building = `${template}_building`;
  await admin(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
    await client.query(`UPDATE pg_database SET datistemplate = false WHERE datname = $1`, [template]);
    await client.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${building}"`);
  });
  const started = Date.now();
  const db = await openDatabase({ kind: "postgres", url: urlOf(building), poolSize: 2 });
  await applyMigrations(db.sql);
  await db.close();
  const client = new pg.Client({ connectionString: urlOf(building) });
  await client.connect();
  try {
    await client.query(GENERATE_FAST);
    const chunk = 100_000;
    for (let from = 1; from <= size; from += chunk) {
      for (const sql of generatedCustomersSql(from, Math.min(from + chunk - 1, size))) await client.query(sql);
      console.log(`  generated ${Math.min(from + chunk - 1, size)} customers (${((Date.now() - started) / 1000).toFixed(0)} s, load ${load()})`);
    }
    await client.query(GENERATE_DONE);
    await client.query("VACUUM ANALYZE");
  } finally {
    await client.end();
  }
  await admin(async (c) => {
    await c.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
    await c.query(`COMMENT ON DATABASE "${template}" IS 'complete'`);
    await c.query(`UPDATE pg_database SET datistemplate = true WHERE datname = $1`, [template]);
  });
  console.log(`template ${template}: ${size} customers in ${((Date.now() - started) / 1000).toFixed(0)} s (load ${load()})`);
}


const connections = Number(process.env.BENCH_CONNECTIONS ?? 4);
const requests = Number(process.env.BENCH_REQUESTS ?? 200);

/** What this benchmark uses of autocannon beyond bench/support/autocannon.d.ts: a fixed amount, and each response's time. */
type AutocannonWithEvents = (options: { url: string; connections: number; amount: number; headers: Record<string, string> }) => Promise<{ non2xx: number; errors: number }> & {
  on(event: "response", listener: (client: unknown, status: number, bytes: number, responseTime: number) => void): void;
};

interface Timing {
  p50: number;
  p95: number;
  non2xx: number;
}

function percentiles(samples: number[]): { p50: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p95: at(0.95) };
}

/** `requests` GETs of `path` over `connections` connections with the session cookie; the latency of each as autocannon saw it. */
async function overHttp(port: number, path: string, cookie: string): Promise<Timing> {
  // Warm: the first requests of a path pay for cold pages and plans; they are not timed.
  for (let i = 0; i < 3; i++) {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { cookie } });
    if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
    await response.text();
  }
  const samples: number[] = [];
  const instance = (autocannon as unknown as AutocannonWithEvents)({ url: `http://127.0.0.1:${port}${path}`, connections, amount: requests, headers: { cookie } });
  instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => samples.push(responseTime));
  const result = await instance;
  return { ...percentiles(samples), non2xx: result.non2xx + result.errors };
}

/** The same work straight through pg, `requests` times at the same concurrency: the ceiling. */
async function throughPg(pool: pg.Pool, work: (pool: pg.Pool) => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < 3; i++) await work(pool);
  const samples: number[] = [];
  let left = requests;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (left-- > 0) {
        const started = performance.now();
        await work(pool);
        samples.push(performance.now() - started);
      }
    }),
  );
  return { ...percentiles(samples), non2xx: 0 };
}

const run = (pool: pg.Pool, sql: Prisma.Sql) => pool.query(sql.text, sql.values as unknown[]);

/** A page as customerPage reads it: its one statement (and the tail's where the keyed part runs out). */
async function pageThroughPg(pool: pg.Pool, sort: CustomerSort, cursor: { v: string | null; id: string } | null): Promise<void> {
  const sql = pageSql(sort, cursor, 51);
  const rows = sql.head ? (await run(pool, sql.head)).rows : [];
  if (rows.length < 51) {
    const tail = sql.tail(cursor && cursor.v === null ? cursor.id : null, 51 - rows.length);
    if (tail) await run(pool, tail);
  }
}

/** A search as findCustomers does it: the exact keys in one statement, then (none matching) names, then the matches' summaries. */
async function searchThroughPg(pool: pg.Pool, q: string): Promise<void> {
  const exact = await pool.query(
    `SELECT k.id::text AS id FROM ((SELECT id, 2 AS rank FROM "Customer" WHERE "externalId" = $1)
       UNION ALL (SELECT "customerId", 5 FROM "Order" WHERE "externalId" = $1)
       UNION ALL (SELECT "customerId", 6 FROM "ChannelIdentity" WHERE "platformUserId" = ANY($2::text[]) LIMIT 20)
       UNION ALL (SELECT id, 3 FROM "Customer" WHERE email = ANY($3::text[]) ORDER BY "createdAt" DESC LIMIT 20)) k ORDER BY k.rank`,
    [q, [q], [q, q.toLowerCase()]],
  );
  let ids = exact.rows.map((row: { id: string }) => row.id);
  if (ids.length === 0) {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      if (q.length >= 3) await client.query("SET LOCAL enable_seqscan = off");
      const pattern = `%${q}%`;
      const found = await client.query(
        `WITH own AS MATERIALIZED (SELECT id FROM "Customer" WHERE "displayName" ILIKE $1 LIMIT 500),
              channel AS MATERIALIZED (SELECT "customerId" AS id FROM "ChannelIdentity" WHERE "displayName" ILIKE $1 LIMIT 500)
         SELECT c.id::text AS id FROM (SELECT id FROM own UNION SELECT id FROM channel) m
           CROSS JOIN LATERAL (SELECT c.id, c."createdAt" FROM "Customer" c WHERE c.id = m.id LIMIT 1) c
          ORDER BY c."createdAt" DESC, c.id LIMIT 50`,
        [pattern],
      );
      await client.query("COMMIT");
      ids = found.rows.map((row: { id: string }) => row.id);
    } finally {
      client.release();
    }
  }
  await pool.query(
    `SELECT c.id::text AS id, c."displayName", c."externalId", c."erasedAt",
            COALESCE((SELECT json_agg(json_build_object('platform', i.platform, 'platformUserId', i."platformUserId", 'displayName', i."displayName") ORDER BY i."createdAt", i.id)
                        FROM "ChannelIdentity" i WHERE i."customerId" = c.id), '[]'::json) AS identities
       FROM "Customer" c WHERE c.id = ANY($1::uuid[])`,
    [ids],
  );
}

/** Where each order's page half-way down the table starts: the cursor the page before it would have given. */
async function deepCursors(pool: pg.Pool): Promise<Record<CustomerSort, { v: string | null; id: string }>> {
  const half = Math.floor(size / 2);
  const one = async (sql: string) => (await pool.query<{ v: string | null; id: string }>(sql)).rows[0]!;
  return {
    newest: await one(`SELECT to_char("createdAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS v, id::text AS id FROM "Customer" ORDER BY "createdAt" DESC, id DESC OFFSET ${half} LIMIT 1`),
    oldest: await one(`SELECT to_char("createdAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS v, id::text AS id FROM "Customer" ORDER BY "createdAt", id OFFSET ${half} LIMIT 1`),
    name: await one(`SELECT "displayName" AS v, id::text AS id FROM "Customer" WHERE "displayName" IS NOT NULL ORDER BY "displayName", id OFFSET ${half} LIMIT 1`),
    active: await one(`SELECT to_char(i."lastSeenAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS v, i.id::text AS id FROM "ChannelIdentity" i
      WHERE NOT EXISTS (SELECT 1 FROM "ChannelIdentity" o WHERE o."customerId" = i."customerId" AND (o."lastSeenAt", o.id) > (i."lastSeenAt", i.id))
      ORDER BY i."lastSeenAt" DESC, i.id DESC OFFSET ${Math.floor(half * 0.9)} LIMIT 1`),
    clv: await one(`SELECT "predictedClv"::text AS v, "customerId"::text AS id FROM "CustomerScore" WHERE "predictedClv" IS NOT NULL ORDER BY "predictedClv" DESC, "customerId" DESC OFFSET ${Math.floor(half * 0.6)} LIMIT 1`),
  };
}

async function main(): Promise<void> {
  console.log(`dashboard customers table: ${size} customers on PostgreSQL, ${requests} requests at ${connections} connections per case (load ${load()})`);
  await ensureTemplate();
  const copy = `${template}_run_${process.pid}`;
  await admin((c) => c.query(`CREATE DATABASE "${copy}" TEMPLATE "${template}" STRATEGY FILE_COPY`));
  const url = urlOf(copy);
  const pool = new pg.Pool({ connectionString: url, max: connections });
  const never = "0 0 1 1 *";
  const tend = await startChild([
    "tend",
    JSON.stringify({
      DATABASE_URL: url,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      OUTREACH_DEFAULT_QUIET_HOURS: "off",
      // The timed minutes are the table's alone: no scheduled job over a million customers meanwhile.
      ANALYTICS_REFRESH_CRON: never,
      CARE_PLANNER_CRON: never,
      LOYALTY_EXPIRY_CRON: never,
    }),
  ]);
  try {
    const db = await openDatabase({ kind: "postgres", url, poolSize: 2 });
    const services = buildServices(db, loadConfig({ DATABASE_URL: url }), systemClock, createLogger("silent"));
    await services.staff.createApiKey("bench", "staff").catch(() => {});
    const link = await new DashboardAuth({ prisma: db.prisma, staff: services.staff }).createLoginLink("bench", cliActor("bench"));
    await db.close();
    const login = await fetch(`http://127.0.0.1:${tend.port}/dashboard/login`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `token=${link.token}` });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    if (login.status !== 303 || !cookie) throw new Error(`sign-in failed: ${login.status}`);

    const deep = await deepCursors(pool);
    const rare = generatedName(size - 12_345)!; // a whole name: a handful of customers
    const fragment = rare.slice(2, 10).toLowerCase();
    const email = generatedEmail(size - 54_321);
    const cases: { label: string; path: string; ceiling: (p: pg.Pool) => Promise<unknown> }[] = [];
    for (const sort of ["newest", "oldest", "name", "active", "clv"] as const) {
      cases.push({ label: `${sort}, first page`, path: `/dashboard/customers?sort=${sort}`, ceiling: (p) => pageThroughPg(p, sort, null) });
      cases.push({ label: `${sort}, page half-way (cursor)`, path: `/dashboard/customers?sort=${sort}&after=${encodeCursor(deep[sort])}`, ceiling: (p) => pageThroughPg(p, sort, deep[sort]) });
    }
    cases.push({ label: `name fragment "${fragment}"`, path: `/dashboard/customers?q=${encodeURIComponent(fragment)}`, ceiling: (p) => searchThroughPg(p, fragment) });
    cases.push({ label: `common fragment "wen"`, path: "/dashboard/customers?q=wen", ceiling: (p) => searchThroughPg(p, "wen") });
    cases.push({ label: "exact email", path: `/dashboard/customers?q=${encodeURIComponent(email)}`, ceiling: (p) => searchThroughPg(p, email) });

    console.log("case | Tend p50 / p95 ms | pg ceiling p50 / p95 ms | ceiling/Tend at p95 | load");
    let worst = 0;
    for (const c of cases) {
      const viaHttp = await overHttp(tend.port, c.path, cookie);
      const ceiling = await throughPg(pool, c.ceiling);
      worst = Math.max(worst, viaHttp.p95);
      console.log(`${c.label} | ${viaHttp.p50.toFixed(1)} / ${viaHttp.p95.toFixed(1)}${viaHttp.non2xx ? ` (${viaHttp.non2xx} failed)` : ""} | ${ceiling.p50.toFixed(1)} / ${ceiling.p95.toFixed(1)} | ${(ceiling.p95 / viaHttp.p95).toFixed(2)} | ${load()}`);
    }
    console.log(`worst p95 ${worst.toFixed(1)} ms (goal < 150 ms) at load ${load()}`);
  } finally {
    await tend.stop().catch(() => {});
    await pool.end();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${copy}" WITH (FORCE)`)).catch(() => {});
  }
}

if (process.argv[2] === "--template-only") await ensureTemplate();
else await main();
