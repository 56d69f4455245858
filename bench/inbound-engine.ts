// Inbound messages through the engine against the raw ceiling, in the same run: N customers write
// at once (1, 8, 64), each sending its next message when the last is answered ("help", "points",
// "rewards", an unknown text in turn). The raw ceiling is the same database work done with the
// same driver and no engine: look up the identity, then write the inbound and the outbound
// interaction in one transaction per message, measured two ways (bench/support/raw-ceiling.ts):
// BEGIN + one INSERT per row + COMMIT, as the issue words it, and both rows in one INSERT with
// both statements prepared (named), as Tend's are.
//
// Wall-clock rates move with the machine's load (other work on it), so each level runs the three
// contenders in interleaved rounds (raw, raw one-statement, engine, raw, …) so that a change in
// load hits all three alike, and each also reports the CPU this process spent per message
// (process.cpuUsage: user + system), which depends far less on the load. The load average is
// printed with every level. Each database runs in a child process of its own (peak RSS is its own).
//
//   npx tsx bench/inbound-engine.ts [messages-per-level]          (default 2000; PGlite gets half)
//   npx tsx bench/inbound-engine.ts --growth [sizes...]           (default 2000 8000 32000, PostgreSQL)
import pg from "pg";
import type { Database } from "../src/db/database.ts";
import { newPGlite } from "../src/db/pglite.ts";
import { inbound, loadAverage, openBenchPostgres, percentile, tendOn } from "./support/inbound-setup.ts";
import { type RawSend, rawPg, rawPgOneStatement, rawPglite, rawPgliteOneStatement } from "./support/raw-ceiling.ts";
import { runChildForJson, withScratchDatabase } from "./support/scratch.ts";
import { openDatabase } from "../src/db/database.ts";

const texts = ["help", "points", "rewards", "what is this?"];
const levels = [1, 8, 64];
const rounds = 4;

interface Level {
  messages: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** CPU (user + system) of this process per message, in ms. */
  cpuMs: number;
}

type Send = (customer: number, i: number) => Promise<unknown>;

/** Adds up one contender's rounds. */
class Tally {
  private latencies: number[] = [];
  private ms = 0;
  private cpuUs = 0;
  private count = 0;

  /** `concurrency` customers, each sending one message after the other until `total` are answered. */
  async drive(concurrency: number, total: number, send: Send): Promise<void> {
    let next = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async (_, customer) => {
        while (next < total) {
          const i = next++;
          const t0 = performance.now();
          await send(customer, i);
          this.latencies.push(performance.now() - t0);
        }
      }),
    );
    this.ms += performance.now() - started;
    const used = process.cpuUsage(cpu);
    this.cpuUs += used.user + used.system;
    this.count += total;
  }

  result(): Level {
    const sorted = this.latencies.sort((a, b) => a - b);
    return { messages: this.count, perSecond: (this.count / this.ms) * 1000, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), cpuMs: this.cpuUs / 1000 / this.count };
  }
}

interface LevelResult {
  concurrency: number;
  raw: Level;
  rawOne: Level;
  engine: Level;
  loadBefore: string;
  loadAfter: string;
}

async function measureOn(db: Database, raw: RawSend, rawOne: RawSend, perLevel: number, label: string) {
  const tend = await tendOn(db);
  const users = (concurrency: number, customer: number) => `${label}-c${concurrency}-${customer}`;
  const results: LevelResult[] = [];
  for (const concurrency of levels) {
    const user = (c: number) => users(concurrency, c);
    const contenders: [Tally, Send][] = [
      [new Tally(), (c, i) => raw(user(c), texts[i % texts.length]!)],
      [new Tally(), (c, i) => rawOne(user(c), texts[i % texts.length]!)],
      [new Tally(), (c, i) => tend.engine.handleInbound(inbound(user(c), texts[i % texts.length]!))],
    ];
    // Every customer has written once before (a returning customer), and the code is warm.
    for (let customer = 0; customer < concurrency; customer++) await tend.engine.handleInbound(inbound(user(customer), "help"));
    for (const [, send] of contenders) await new Tally().drive(concurrency, Math.min(200, perLevel), send);
    const loadBefore = loadAverage();
    for (let round = 0; round < rounds; round++) {
      for (const [tally, send] of contenders) await tally.drive(concurrency, Math.ceil(perLevel / rounds), send);
    }
    const [raw1, rawOne1, engine] = contenders.map(([tally]) => tally.result()) as [Level, Level, Level];
    results.push({ concurrency, raw: raw1, rawOne: rawOne1, engine, loadBefore, loadAfter: loadAverage() });
  }
  return { results, tend };
}

async function child(kind: string, perLevel: number, url?: string) {
  let out;
  if (kind === "postgres") {
    const poolSize = 10;
    const db = await openBenchPostgres(url!, poolSize);
    const pool = new pg.Pool({ connectionString: url, max: poolSize });
    pool.on("error", () => {});
    const measured = await measureOn(db, rawPg(pool), rawPgOneStatement(pool), perLevel, "pg");
    await pool.end();
    await measured.tend.db.close();
    out = measured.results;
  } else {
    const pglite = newPGlite();
    await pglite.waitReady;
    const db = await openDatabase({ kind: "pglite-instance", pglite });
    const measured = await measureOn(db, rawPglite(pglite), rawPgliteOneStatement(pglite), perLevel, "lite");
    await measured.tend.db.close();
    out = measured.results;
  }
  console.log(JSON.stringify({ kind, peakRssMb: process.resourceUsage().maxRSS / 1024, levels: out }));
}

const ratio = (a: number, b: number) => (a / b).toFixed(2);

function print(kind: string, run: { peakRssMb: number; levels: LevelResult[] }) {
  console.log(`\n${kind}: peak RSS ${run.peakRssMb.toFixed(0)} MB (whole child: engine and raw)`);
  console.log("raw = BEGIN + 2 INSERTs + COMMIT (as the issue words it); raw1 = both rows in one INSERT, both statements prepared; cpu = ms of this process's CPU per message");
  console.log("| customers | load average (1/5/15 min) before → after | raw msg/s | raw1 msg/s | engine msg/s | engine p50 / p99 ms | engine / raw | engine / raw1 | cpu raw / raw1 / engine | raw cpu / engine cpu |");
  console.log("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const { concurrency, raw, rawOne, engine, loadBefore, loadAfter } of run.levels) {
    console.log(
      `| ${concurrency} | ${loadBefore} → ${loadAfter} | ${raw.perSecond.toFixed(0)} | ${rawOne.perSecond.toFixed(0)} | ${engine.perSecond.toFixed(0)} | ${engine.p50.toFixed(1)} / ${engine.p99.toFixed(1)} | ${ratio(engine.perSecond, raw.perSecond)} | ${ratio(engine.perSecond, rawOne.perSecond)} | ${raw.cpuMs.toFixed(2)} / ${rawOne.cpuMs.toFixed(2)} / ${engine.cpuMs.toFixed(2)} | ${ratio(raw.cpuMs, engine.cpuMs)} |`,
    );
  }
}

interface GrowthStep {
  size: number;
  raw: Level;
  engine: Level;
  rows: number;
  rssMb: number;
  heapMb: number;
  load: string;
}

/**
 * Growth: 8 customers at once on PostgreSQL, three sizes one after the other in one database (so
 * the timeline grows by each size's rows), engine and raw at each: does the rate hold as the
 * tables grow (time linear in the messages), does memory stay flat?
 */
async function growth(url: string, sizes: number[]) {
  const db = await openBenchPostgres(url, 10);
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on("error", () => {});
  const tend = await tendOn(db);
  const raw = rawPg(pool);
  const user = (c: number) => `growth-${c}`;
  for (let c = 0; c < 8; c++) await tend.engine.handleInbound(inbound(user(c), "help"));
  const out: GrowthStep[] = [];
  for (const size of sizes) {
    const rawTally = new Tally();
    const engineTally = new Tally();
    for (let round = 0; round < rounds; round++) {
      await rawTally.drive(8, Math.ceil(size / rounds), (c, i) => raw(user(c), texts[i % texts.length]!));
      await engineTally.drive(8, Math.ceil(size / rounds), (c, i) => tend.engine.handleInbound(inbound(user(c), texts[i % texts.length]!)));
    }
    const rows = (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "Interaction"`)).rows[0]!.n;
    const memory = process.memoryUsage();
    out.push({ size, raw: rawTally.result(), engine: engineTally.result(), rows: Number(rows), rssMb: memory.rss / 2 ** 20, heapMb: memory.heapUsed / 2 ** 20, load: loadAverage() });
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
  const sizes = rest.length ? rest.map(Number) : [2000, 8000, 32000];
  const script = new URL(import.meta.url).pathname;
  console.log(`inbound growth on PostgreSQL, 8 customers at once, sizes ${sizes.join(", ")} one after the other; load average ${loadAverage()}`);
  const result = await withScratchDatabase("inbound_growth", (url) =>
    runChildForJson<{ growth: GrowthStep[]; peakRssMb: number }>(script, ["--growth-child", url, ...sizes.map(String)], "growth run"),
  );
  console.log("| messages | Interaction rows after | raw msg/s | engine msg/s | engine p50 / p99 ms | engine / raw | cpu ms/msg raw / engine | engine s for these messages | RSS / heap after MB | load average after |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const g of result.growth) {
    console.log(
      `| ${g.size} | ${g.rows} | ${g.raw.perSecond.toFixed(0)} | ${g.engine.perSecond.toFixed(0)} | ${g.engine.p50.toFixed(1)} / ${g.engine.p99.toFixed(1)} | ${ratio(g.engine.perSecond, g.raw.perSecond)} | ${g.raw.cpuMs.toFixed(2)} / ${g.engine.cpuMs.toFixed(2)} | ${(g.size / g.engine.perSecond).toFixed(1)} | ${g.rssMb.toFixed(0)} / ${g.heapMb.toFixed(0)} | ${g.load} |`,
    );
  }
  console.log(`peak RSS ${result.peakRssMb.toFixed(0)} MB`);
} else {
  const perLevel = Number(mode ?? 2000) || 2000;
  const script = new URL(import.meta.url).pathname;
  console.log(`inbound through the engine vs the raw ceiling, ${perLevel} messages per level in ${rounds} interleaved rounds; load average ${loadAverage()}`);
  const postgres = await withScratchDatabase("inbound", (url) => runChildForJson<Parameters<typeof print>[1]>(script, ["--child", "postgres", String(perLevel), url], "PostgreSQL run"));
  print("PostgreSQL 15 (loopback, pool of 10 for both)", postgres);
  const pglite = runChildForJson<Parameters<typeof print>[1]>(script, ["--child", "pglite", String(Math.round(perLevel / 2))], "PGlite run");
  print("PGlite (in memory)", pglite);
}
