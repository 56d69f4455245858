// `tend analytics refresh` on PostgreSQL for N customers with about 10 orders each, against its limit
// measured in the same run: the same set-based order facts table filled, read back once in the same
// pages, and the same score rows written with `pg` directly, no models, no scoring (every row carries
// one of Tend's own explanations, so the bytes written match). Each measurement runs in a child
// process of its own, so its peak RSS is its own; CPU seconds of the process and of its server
// backends are reported too (less inflated by a shared machine's load than wall time).
// `npx tsx bench/analytics-refresh.ts [sizes]`, e.g. `100000,300000,1000000`.
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { refreshAnalytics } from "../src/analytics/refresh.ts";
import { defaultRelationshipSettings } from "../src/analytics/relationship.ts";
import { ManualClock } from "../src/core/clock.ts";
import { openDatabase } from "../src/db/database.ts";
import { applyMigrations } from "../src/db/migrations.ts";
import { scoringPage, sessionLane, withOrderFacts } from "../src/db/repositories/analytics-pages.ts";
import type { ScoreRow } from "../src/db/repositories/analytics-repository.ts";
import { prepareNextScores, publishNextScores, writeScores } from "../src/db/repositories/score-table-swap.ts";
import { writeShop } from "./support/analytics-data.ts";
import { benchAdminUrl, runChildForJson } from "./support/scratch.ts";

const here = fileURLToPath(import.meta.url);
const NOW = new Date("2026-12-01T12:00:00Z");
const ORDERS_PER_CUSTOMER = 10;
const PAGE = 2000;

interface Measured {
  seconds: number;
  readingSeconds?: number;
  customers: number;
  maxRssMb: number;
  /** CPU seconds of the measured process itself, and of the server processes working for it (null if unreadable). */
  cpuSeconds: number;
  serverCpuSeconds: number | null;
  loadavg: string;
  note: string;
}

const loadavg = () => os.loadavg().map((l) => l.toFixed(1)).join(" ");
const ownCpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

/**
 * The CPU time the server spends for one measurement: on a machine shared with other work the
 * wall-clock times are inflated by the load, CPU seconds much less so. Samples every backend of
 * the scratch database (parallel workers included) once a second and adds up each one's last
 * reading of /proc/<pid>/stat (utime + stime); only possible when the server runs on this machine,
 * null otherwise. A worker that lives less than a second is missed.
 */
function sampleServerCpu(url: string): { stop(): Promise<number | null> } {
  const ticks = 100; // USER_HZ on Linux
  const seen = new Map<number, number>();
  const client = new pg.Client({ connectionString: url });
  let readable = true;
  const sample = async () => {
    const rows = (await client.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)).rows as { pid: number }[];
    for (const { pid } of rows) {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
        seen.set(pid, (Number(fields[11]) + Number(fields[12])) / ticks);
      } catch {
        if (!existsSync("/proc/self/stat")) readable = false;
      }
    }
  };
  const ready = client.connect();
  const timer = setInterval(() => void ready.then(sample).catch(() => {}), 1000);
  return {
    async stop() {
      clearInterval(timer);
      await ready;
      await sample().catch(() => {});
      await client.end();
      return readable && seen.size > 0 ? [...seen.values()].reduce((a, b) => a + b, 0) : null;
    },
  };
}

/** Tend: the refresh as `tend analytics refresh` runs it (plain SQL lanes, default page size). */
async function tend(url: string): Promise<Measured> {
  const db = await openDatabase({ kind: "postgres", url, poolSize: 4 });
  const server = sampleServerCpu(url);
  const cpuBefore = ownCpuSeconds();
  const started = performance.now();
  let readingSeconds = 0;
  const report = await refreshAnalytics({
    prisma: db.prisma,
    sql: db.sql,
    clock: new ManualClock(NOW),
    onProgress: (_done, _total, phase) => {
      if (phase === "scoring" && !readingSeconds) readingSeconds = (performance.now() - started) / 1000;
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = ownCpuSeconds() - cpuBefore;
  const serverCpuSeconds = await server.stop();
  await db.close();
  if (report.status !== "done") throw new Error(report.reason);
  const bg = report.models.bgnbd;
  return {
    seconds,
    readingSeconds,
    customers: report.customers,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    cpuSeconds,
    serverCpuSeconds,
    loadavg: loadavg(),
    note: bg ? `BG/NBD r ${bg.r.toFixed(3)} α ${bg.alpha.toFixed(2)} a ${bg.a.toFixed(3)} b ${bg.b.toFixed(3)}; ${report.repeatBuyers} repeat buyers` : `no models: ${report.models.reason}`,
  };
}

/**
 * The limit: the same reads and writes the plain way, nothing computed: every customer's orders
 * (and engagement) summed into the same temporary tables by the same statements, read back once in
 * the same pages, and the same score rows written through `pg` on one connection, one page after
 * another, into a new table swapped in as Tend's is. Tend's own reads beyond that (the grouped
 * histories and RFM cut points) and its overlapping second connection are not in it.
 */
async function raw(url: string): Promise<Measured> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const lane = sessionLane({
    query: async <Row>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as Row[],
    exec: async (text: string) => void (await client.query(text)),
  });
  // One of the explanations Tend wrote, for every row: the same bytes to store. Then an empty table, as Tend had.
  const [{ explanation }] = (await client.query(`SELECT "explanation" FROM "CustomerScore" ORDER BY "customerId" LIMIT 1`)).rows as [{ explanation: object }];
  await client.query(`TRUNCATE "CustomerScore"`);
  const [{ id: runId }] = (await client.query(`INSERT INTO "AnalyticsRun" ("id", "startedAt") VALUES (gen_random_uuid(), now()) RETURNING "id"`)).rows as [{ id: string }];
  const server = sampleServerCpu(url);
  const cpuBefore = ownCpuSeconds();
  const started = performance.now();
  const windowStart = new Date(NOW);
  windowStart.setUTCMonth(windowStart.getUTCMonth() - 24);
  let customers = 0;
  const engagement = { since: windowStart, until: NOW, careReplyDays: defaultRelationshipSettings.careReplyDays, conversationGapHours: defaultRelationshipSettings.conversationGapHours };
  await withOrderFacts(lane, { now: NOW, windowStart }, engagement, async () => {
    await prepareNextScores(lane);
    for (let after = 0; ; ) {
      const page = await scoringPage(lane, after, PAGE);
      if (page.length === 0) break;
      const rows: ScoreRow[] = page.map((f) => ({
        customerId: f.customerId,
        windowStart,
        windowMonths: 24,
        orderCount: f.orderCount,
        firstOrderAt: f.firstOrderMs === null ? null : new Date(f.firstOrderMs),
        lastOrderAt: f.lastOrderMs === null ? null : new Date(f.lastOrderMs),
        recencyDays: f.lastDay === null ? null : Math.floor(NOW.getTime() / 86_400_000) - f.lastDay,
        frequency: f.windowCount,
        monetaryCents: f.windowCents,
        rfmRecency: 3,
        rfmFrequency: 3,
        rfmMonetary: 3,
        rfmSegment: "needs_attention",
        lifecycleStage: "growing",
        previousLifecycleStage: f.previousStage as ScoreRow["previousLifecycleStage"],
        scoreId: f.scoreId,
        relationshipLevel: "basic",
        probabilityAlive: 0.5,
        predictedPurchases: 1.5,
        historicCents: f.historicCents,
        predictedClv: 12.34,
        explanation,
      }));
      await writeScores(lane, runId, NOW, rows);
      customers += page.length;
      after = page[page.length - 1]!.row;
      if (page.length < PAGE) break;
    }
    await publishNextScores(lane);
  });
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = ownCpuSeconds() - cpuBefore;
  const serverCpuSeconds = await server.stop();
  await client.end();
  return { seconds, customers, maxRssMb: process.resourceUsage().maxRSS / 1024, cpuSeconds, serverCpuSeconds, loadavg: loadavg(), note: "" };
}

async function seed(url: string, customers: number): Promise<{ orders: number; seconds: number }> {
  const db = await openDatabase({ kind: "postgres", url, poolSize: 2 });
  await applyMigrations(db.sql);
  await db.close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await writeShop(client, { customers, ordersPerCustomer: ORDERS_PER_CUSTOMER, now: NOW });
  } finally {
    await client.end();
  }
}

/**
 * The generated shop of N customers is kept as a template database and each run copies it
 * (CREATE DATABASE ... TEMPLATE: a file copy, seconds instead of the minutes 10 million orders take
 * to generate under load). A template is complete once its comment records what it holds; one
 * whose generator version differs, or that was left half-written, is made again.
 * BENCH_TEMPLATE_PREFIX names them (default tend_bench_analytics_tpl); BENCH_FRESH=1 ignores them.
 */
const TEMPLATE_VERSION = `analytics-data v1 vacuumed, ${ORDERS_PER_CUSTOMER} orders, now ${NOW.toISOString()}`;
const templatePrefix = process.env.BENCH_TEMPLATE_PREFIX ?? "tend_bench_analytics_tpl";

/** A copy of a template to run on, named after the templates (<prefix>_run_<pid>, so a shared server shows whose it is), dropped afterwards. */
async function withRunDatabase(work: (url: string) => Promise<void>): Promise<void> {
  const name = `${templatePrefix}_run_${process.pid}`;
  const url = new URL(benchAdminUrl);
  url.pathname = `/${name}`;
  const admin = new pg.Client({ connectionString: benchAdminUrl });
  await admin.connect();
  try {
    await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}

async function template(customers: number): Promise<{ name: string; orders: number; seconds: number; reused: boolean }> {
  const name = `${templatePrefix}_${customers}`;
  const admin = new pg.Client({ connectionString: benchAdminUrl });
  await admin.connect();
  try {
    const [found] = (
      await admin.query(`SELECT shobj_description(oid, 'pg_database') AS "comment" FROM pg_database WHERE datname = $1`, [name])
    ).rows as { comment: string | null }[];
    const made = found?.comment ? (JSON.parse(found.comment) as { version: string; orders: number; seconds: number }) : null;
    if (made && made.version === TEMPLATE_VERSION && !process.env.BENCH_FRESH) return { name, orders: made.orders, seconds: made.seconds, reused: true };
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(benchAdminUrl);
    url.pathname = `/${name}`;
    const seeded = await seed(url.toString(), customers);
    await settle(url.toString());
    const comment = JSON.stringify({ version: TEMPLATE_VERSION, orders: seeded.orders, seconds: seeded.seconds });
    await admin.query(`COMMENT ON DATABASE "${name}" IS '${comment.replaceAll("'", "''")}'`);
    return { name, ...seeded, reused: false };
  } finally {
    await admin.end();
  }
}

/** A fresh copy of the template, migrated to the current schema (the template may predate a migration). */
async function fromTemplate(templateName: string, url: string): Promise<void> {
  const target = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: benchAdminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${target}" WITH (FORCE)`);
    // A file copy (PostgreSQL 15 would otherwise write the whole copy to the WAL, and the checkpoints
    // it triggers would run during the measurement); older servers copy files anyway.
    await admin
      .query(`CREATE DATABASE "${target}" TEMPLATE "${templateName}" STRATEGY FILE_COPY`)
      .catch(() => admin.query(`CREATE DATABASE "${target}" TEMPLATE "${templateName}"`));
  } finally {
    await admin.end();
  }
  const db = await openDatabase({ kind: "postgres", url, poolSize: 2 });
  await applyMigrations(db.sql);
  await db.close();
  // Measured from a settled server: nothing dirty left to write out from the copy or the migrations.
  await checkpoint();
}

/**
 * A shop's database as it is after a while in use: every row's visibility settled and the
 * statistics gathered (VACUUM FREEZE, ANALYZE). Without it the refresh's first scan of Order sets
 * the hint bits of every page and the server writes the whole table out again during the
 * measurement, which a real shop's years-old orders never cost.
 */
async function settle(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`VACUUM (FREEZE, ANALYZE) "Customer", "Order"`);
  } finally {
    await client.end();
  }
  await checkpoint();
}

/** CHECKPOINT needs a superuser (or pg_checkpoint); without one the measurement starts unsettled, as before. */
async function checkpoint(): Promise<void> {
  const admin = new pg.Client({ connectionString: benchAdminUrl });
  await admin.connect();
  try {
    await admin.query("CHECKPOINT").catch(() => {});
  } finally {
    await admin.end();
  }
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? "100000,300000,1000000").split(",").map(Number);
  console.log(
    `analytics refresh on PostgreSQL: N customers, at least ${ORDERS_PER_CUSTOMER} orders each (bench/support/analytics-data.ts); ` +
      "raw = the same order facts table filled, read once in the same pages, and the same rows written, through pg, no models",
  );
  console.log(`machine: ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}, Node ${process.version}, ${new Date().toISOString()}`);
  console.log(
    "| Customers | Orders | Seed s | Tend s (reading pass) | Raw s | Raw / Tend | Tend s per 100k | Peak RSS Tend | Peak RSS raw | " +
      "CPU s Tend (process + server) | CPU s raw (process + server) | Load avg (start → end of Tend) |",
  );
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  const cpu = (m: Measured) => `${m.cpuSeconds.toFixed(1)} + ${m.serverCpuSeconds === null ? "?" : m.serverCpuSeconds.toFixed(1)}`;
  for (const customers of sizes) {
    const shop = await template(customers);
    await withRunDatabase(async (url) => {
      await fromTemplate(shop.name, url);
      const seeded = shop;
      const before = loadavg();
      const t = runChildForJson<Measured>(here, ["--child", "tend", url], `tend ${customers}`);
      // `--no-raw` skips the limit (when a large size must fit in the time there is; the table says so).
      const r = process.argv.includes("--no-raw") ? null : runChildForJson<Measured>(here, ["--child", "raw", url], `raw ${customers}`);
      if (t.customers !== customers || (r && r.customers !== customers)) throw new Error(`scored ${t.customers} / ${r?.customers} of ${customers}`);
      console.log(
        `| ${customers.toLocaleString("en")} | ${seeded.orders.toLocaleString("en")} | ${seeded.seconds.toFixed(0)} | ${t.seconds.toFixed(1)} (${t.readingSeconds!.toFixed(1)}) | ` +
          `${r ? r.seconds.toFixed(1) : "not run"} | ${r ? (r.seconds / t.seconds).toFixed(2) : "–"} | ${((t.seconds / customers) * 100_000).toFixed(1)} | ${t.maxRssMb.toFixed(0)} MB | ` +
          `${r ? `${r.maxRssMb.toFixed(0)} MB` : "–"} | ${cpu(t)} | ${r ? cpu(r) : "–"} | ${before} → ${t.loadavg} |`,
      );
      console.log(`  ${t.note}`);
    });
  }
}

if (process.argv[2] === "--templates") {
  // Only make (or check) the templates: `npx tsx bench/analytics-refresh.ts --templates 100000,300000,1000000`.
  for (const customers of (process.argv[3] ?? "100000,300000,1000000").split(",").map(Number)) {
    const made = await template(customers);
    console.log(`${made.name}: ${made.orders} orders, ${made.reused ? "already there" : `written in ${made.seconds.toFixed(0)} s`}`);
  }
} else if (process.argv[2] === "--child") {
  const [, , , mode, url] = process.argv;
  console.log(JSON.stringify(mode === "tend" ? await tend(url!) : await raw(url!)));
} else {
  await main();
}
