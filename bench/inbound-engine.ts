// Inbound messages through the engine against the raw ceiling, in the same run: N customers write
// at once (1, 8, 64), each sending its next message when the last is answered ("help", "points",
// "rewards", an unknown text in turn). The raw ceiling is the same database work done with the
// same driver and no engine: look up the identity, then write the inbound and the outbound
// interaction in one transaction per message. Each database runs in a child process of its own
// (peak RSS is its own). `npx tsx bench/inbound-engine.ts [messages-per-level] [--growth]`.
import { newPGlite } from "../src/db/pglite.ts";
import pg from "pg";
import type { Database } from "../src/db/database.ts";
import { inbound, loadAverage, openBenchPostgres, percentile, tendOn } from "./support/inbound-setup.ts";
import { type RawSend, rawPg, rawPglite } from "./support/raw-ceiling.ts";
import { runChildForJson, withScratchDatabase } from "./support/scratch.ts";
import { openDatabase } from "../src/db/database.ts";

const texts = ["help", "points", "rewards", "what is this?"];
const levels = [1, 8, 64];

interface Level {
  concurrency: number;
  messages: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** `concurrency` customers, each sending one message after the other until `total` are answered. */
async function drive(concurrency: number, total: number, send: (customer: number, i: number) => Promise<unknown>): Promise<Level> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, customer) => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await send(customer, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { concurrency, messages: total, perSecond: total / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

async function measureOn(db: Database, raw: RawSend, perLevel: number, label: string) {
  const tend = await tendOn(db);
  const users = (concurrency: number, customer: number) => `${label}-c${concurrency}-${customer}`;
  const results: { concurrency: number; raw: Level; engine: Level }[] = [];
  for (const concurrency of levels) {
    // Every customer has written once before (a returning customer), and the code is warm.
    for (let customer = 0; customer < concurrency; customer++) await tend.engine.handleInbound(inbound(users(concurrency, customer), "help"));
    await drive(concurrency, Math.min(200, perLevel), (c, i) => tend.engine.handleInbound(inbound(users(concurrency, c), texts[i % texts.length]!)));
    await drive(concurrency, Math.min(200, perLevel), (c, i) => raw(users(concurrency, c), texts[i % texts.length]!));
    const rawLevel = await drive(concurrency, perLevel, (c, i) => raw(users(concurrency, c), texts[i % texts.length]!));
    const engineLevel = await drive(concurrency, perLevel, (c, i) => tend.engine.handleInbound(inbound(users(concurrency, c), texts[i % texts.length]!)));
    results.push({ concurrency, raw: rawLevel, engine: engineLevel });
  }
  return { results, tend };
}

async function child(kind: string, perLevel: number, url?: string) {
  const load = loadAverage();
  let out;
  if (kind === "postgres") {
    const poolSize = 10;
    const db = await openBenchPostgres(url!, poolSize);
    const pool = new pg.Pool({ connectionString: url, max: poolSize });
    const measured = await measureOn(db, rawPg(pool), perLevel, "pg");
    await pool.end();
    await measured.tend.db.close();
    out = measured.results;
  } else {
    const pglite = newPGlite();
    await pglite.waitReady;
    const db = await openDatabase({ kind: "pglite-instance", pglite });
    const measured = await measureOn(db, rawPglite(pglite), perLevel, "lite");
    await measured.tend.db.close();
    out = measured.results;
  }
  console.log(JSON.stringify({ kind, loadBefore: load, loadAfter: loadAverage(), peakRssMb: process.resourceUsage().maxRSS / 1024, levels: out }));
}

function print(kind: string, run: { loadBefore: string; loadAfter: string; peakRssMb: number; levels: { concurrency: number; raw: Level; engine: Level }[] }) {
  console.log(`\n${kind}: load average ${run.loadBefore} → ${run.loadAfter}, peak RSS ${run.peakRssMb.toFixed(0)} MB (whole child: engine and raw)`);
  console.log("| concurrent customers | messages | raw msg/s | raw p50 / p99 ms | engine msg/s | engine p50 / p99 ms | engine / raw |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const { concurrency, raw, engine } of run.levels) {
    console.log(
      `| ${concurrency} | ${engine.messages} | ${raw.perSecond.toFixed(0)} | ${raw.p50.toFixed(1)} / ${raw.p99.toFixed(1)} | ${engine.perSecond.toFixed(0)} | ${engine.p50.toFixed(1)} / ${engine.p99.toFixed(1)} | ${(engine.perSecond / raw.perSecond).toFixed(2)} |`,
    );
  }
}

/**
 * Growth: 8 customers at once on PostgreSQL, three sizes one after the other in one database (so
 * the timeline grows by each size's rows), engine and raw at each: does the rate hold as the
 * tables grow, does memory stay flat?
 */
async function growth(url: string, sizes: number[]) {
  const db = await openBenchPostgres(url, 10);
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const tend = await tendOn(db);
  const raw = rawPg(pool);
  const user = (c: number) => `growth-${c}`;
  for (let c = 0; c < 8; c++) await tend.engine.handleInbound(inbound(user(c), "help"));
  const out = [];
  for (const size of sizes) {
    const rawLevel = await drive(8, size, (c, i) => raw(user(c), texts[i % texts.length]!));
    const engineLevel = await drive(8, size, (c, i) => tend.engine.handleInbound(inbound(user(c), texts[i % texts.length]!)));
    const rows = (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "Interaction"`)).rows[0]!.n;
    out.push({ size, raw: rawLevel, engine: engineLevel, rows: Number(rows), rssMb: process.memoryUsage().rss / 1024 / 1024, load: loadAverage() });
  }
  await pool.end();
  await db.close();
  console.log(JSON.stringify({ growth: out, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === "--child") {
  await child(rest[0]!, Number(rest[1]), rest[2]);
} else if (mode === "--growth-child") {
  await growth(rest[0]!, rest.slice(1).map(Number));
} else if (mode === "--growth") {
  const sizes = rest.length ? rest.map(Number) : [500, 2000, 8000];
  const script = new URL(import.meta.url).pathname;
  console.log(`inbound growth on PostgreSQL, 8 customers at once, sizes ${sizes.join(", ")}; load average ${loadAverage()}`);
  type Growth = { growth: { size: number; raw: Level; engine: Level; rows: number; rssMb: number; load: string }[]; peakRssMb: number };
  const result = await withScratchDatabase("inbound_growth", (url) => runChildForJson<Growth>(script, ["--growth-child", url, ...sizes.map(String)], "growth run"));
  console.log("| messages | Interaction rows after | raw msg/s | engine msg/s | engine p50 / p99 ms | engine / raw | RSS after MB | load average |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const g of result.growth) {
    console.log(
      `| ${g.size} | ${g.rows} | ${g.raw.perSecond.toFixed(0)} | ${g.engine.perSecond.toFixed(0)} | ${g.engine.p50.toFixed(1)} / ${g.engine.p99.toFixed(1)} | ${(g.engine.perSecond / g.raw.perSecond).toFixed(2)} | ${g.rssMb.toFixed(0)} | ${g.load} |`,
    );
  }
  console.log(`peak RSS ${result.peakRssMb.toFixed(0)} MB`);
} else {
  const perLevel = Number(mode ?? 2000) || 2000;
  const script = new URL(import.meta.url).pathname;
  console.log(`inbound through the engine vs the raw ceiling, ${perLevel} messages per level; load average ${loadAverage()}`);
  const postgres = await withScratchDatabase("inbound", (url) => runChildForJson<Parameters<typeof print>[1]>(script, ["--child", "postgres", String(perLevel), url], "PostgreSQL run"));
  print("PostgreSQL 15 (loopback, pool of 10 for both)", postgres);
  const pglite = runChildForJson<Parameters<typeof print>[1]>(script, ["--child", "pglite", String(Math.round(perLevel / 2))], "PGlite run");
  print("PGlite (in memory)", pglite);
}
