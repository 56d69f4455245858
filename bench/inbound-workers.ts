// Several Tend processes on one PostgreSQL, on this machine: 1, 2 and 3 workers, each started as
// `npm start` starts Tend (`node bin/tend.js start`: the compiled dist/, the heap-growth flag it
// sets, LOG_LEVEL info), each on its own port and pool (DATABASE_POOL_SIZE 5), all on one database.
// One autocannon run drives the web chat of the first n of three running workers at once (its
// connections split evenly over them, as a load balancer without sticky sessions would: a
// customer's next message may reach another worker), with the same total concurrency at every
// level; the raw ceiling (bench/support/raw-ceiling.ts behind a bare HTTP server, one process, pool
// of 10) at that concurrency right after, in the same round. The levels are interleaved (round 1:
// 1,2,3; round 2: 2,3,1; ...) so that a change in the machine's load, which other work on it moves,
// falls on every level alike; each row says the load, and the Tend processes' CPU per message.
// The workers are started once and warmed up together (see INITIAL_WARM_UP_SECONDS): a fresh
// worker per level would measure V8 warming up, more so the more workers share the messages.
//
// Only the web chat is driven: it runs on every instance. Telegram long polling, the Discord
// gateway and Slack Socket Mode belong on one instance each (README, "Scaling out on PostgreSQL").
//
// `npx tsx bench/inbound-workers.ts [seconds] [total-connections] [rounds]`  (defaults 10, 12, 3)
// Env: BENCH_DB_PREFIX prefixes the scratch database's name (on a shared server, e.g. h4_);
// BENCH_INITIAL_WARM_UP_S the untimed warm-up (default 30).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import pg from "pg";
import { type Child, startChild, texts } from "./support/http-load.ts";
import { benchAdminUrl } from "./support/scratch.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const seconds = Number(process.argv[2] ?? 10) || 10;
const total = Number(process.argv[3] ?? 12) || 12;
const rounds = Number(process.argv[4] ?? 3) || 3;
const workerCounts = [1, 2, 3];
/** Untimed load before each timed run (pools and caches warm, the new customers written once). */
const WARM_UP_SECONDS = 3;
/** Untimed load over all workers once they have started (see below). */
const INITIAL_WARM_UP_SECONDS = Number(process.env.BENCH_INITIAL_WARM_UP_S ?? 30) || 30;
/** Each worker's pool: 15 connections at three workers, near the raw ceiling's 10 in one process. */
const POOL_PER_WORKER = 5;
/** Customers per connection: each is timed as a returning customer and stays under the web chat's per-visitor limit. */
const CUSTOMERS_PER_CONNECTION = 16;
if (total % 6 !== 0) throw new Error("total connections must divide by 1, 2 and 3 workers evenly (and by 6, e.g. 12 or 24)");

// A run that hangs (a worker that never stops, say) must not hold `npm run bench`.
const budgetMs = (rounds * workerCounts.length * (2 * seconds + 2 * WARM_UP_SECONDS + 30) + INITIAL_WARM_UP_SECONDS + 180) * 1000;
setTimeout(() => {
  console.error(`inbound-workers: no result after ${Math.round(budgetMs / 1000)} s, giving up`);
  process.exit(1);
}, budgetMs).unref();

// --- Reading the machine -----------------------------------------------------------------------

const loadAverage = () => os.loadavg().map((v) => v.toFixed(1)).join(" ");

/** Busy and total jiffies of the whole machine (all cores), for its CPU use over a run. */
function machineJiffies(): { busy: number; all: number } {
  const fields = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3]! + fields[4]!;
  const all = fields.reduce((sum, v) => sum + v, 0);
  return { busy: all - idle, all };
}

/** User + system CPU seconds a process has used (its /proc stat, in clock ticks of 1/100 s). */
function processCpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** VmHWM (peak RSS) and VmRSS of a process, in MB. */
function memoryMb(pid: number): { peak: number; now: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { peak: kb("VmHWM") / 1024, now: kb("VmRSS") / 1024 };
}

// --- Tend workers, as `npm start` runs them ------------------------------------------------------

interface Worker {
  url: string;
  pid: number;
  process: ChildProcess;
}

/** Workers still running: killed if the benchmark itself fails or gives up, so none outlives it. */
const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(1));

/** `node bin/tend.js start` in a scratch folder (no .env is read; ./data is unused on PostgreSQL). */
async function startWorker(env: Record<string, string>, folder: string): Promise<Worker> {
  const child = spawn(process.execPath, [path.join(root, "bin", "tend.js"), "start"], {
    cwd: folder,
    // Only what Tend needs: the benchmark's own NODE_OPTIONS (tsx's loader) must not reach it.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  return await new Promise<Worker>((resolve, reject) => {
    let buffered = "";
    let listening = false;
    child.stdout!.on("data", (chunk: Buffer) => {
      // Kept draining for the whole run, so that a full pipe never blocks the worker's logging.
      if (listening) return;
      buffered += chunk.toString("utf8");
      const complete = buffered.split("\n").slice(0, -1);
      for (const line of complete) {
        if (!line.includes('"msg":"Tend is listening"')) continue;
        listening = true;
        resolve({ url: (JSON.parse(line) as { url: string }).url, pid: child.pid!, process: child });
        return;
      }
    });
    child.once("exit", (code) => {
      if (!listening) reject(new Error(`tend start exited with ${code} before listening`));
    });
  });
}

/** SIGTERM, as a process manager stops Tend; returns its peak RSS in MB, read just before. */
async function stopWorker(worker: Worker): Promise<number> {
  const { peak } = memoryMb(worker.pid);
  const exited = new Promise((resolve) => worker.process.once("exit", resolve));
  worker.process.kill("SIGTERM");
  await exited;
  return peak;
}

// --- Load ------------------------------------------------------------------------------------------

/** Web chat visitor ids are 8 to 128 letters, digits, - or _. */
const visitor = (label: string, index: number) => `bench-${label}-v${index}`;

function webchatRequest(label: string, customers: number) {
  let sent = 0;
  return {
    method: "POST" as const,
    path: "/webchat/api/messages",
    headers: { "content-type": "application/json" },
    setupRequest: (request: { body?: unknown }) => {
      const n = sent++;
      request.body = JSON.stringify({ visitorId: visitor(label, n % customers), messageId: `m${n}-${Math.random().toString(36).slice(2)}`, text: texts[n % texts.length] });
      return request;
    },
  };
}

/**
 * Every customer of a run writes once first on every worker, so each timed message is a returning
 * customer's on whichever worker it reaches. (The web chat's gate looks a visitor up once per
 * process before it knows them: left to the timed run, those look-ups made a customer moving
 * between three workers cost up to twice the CPU of one staying on its worker, measured 11:35 UTC.)
 */
async function warmCustomers(urls: string[], label: string, customers: number) {
  let next = 0;
  const one = async () => {
    while (next < customers * urls.length) {
      const k = next++;
      const i = Math.floor(k / urls.length);
      const response = await fetch(`${urls[k % urls.length]}/webchat/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ visitorId: visitor(label, i), text: "help" }),
      });
      if (response.status !== 200) throw new Error(`warm-up: ${response.status} ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: total }, one));
}

interface Measured {
  perSecond: number;
  p50: number;
  p99: number;
  bad: number;
  /** The whole machine's CPU use over the run, of all its cores (1 = every core busy). */
  machineBusy: number;
  /** This process's (autocannon's) CPU over the run, as a share of one core. */
  autocannonCpu: number;
  /** Each worker's CPU over the run, as a share of one core. */
  workerCpu: number[];
}

/** One autocannon run over all `urls` (connection i goes to urls[i % n]), `customers` warmed first. */
async function drive(urls: string[], label: string, pids: number[], timedSeconds = seconds): Promise<Measured> {
  const customers = total * CUSTOMERS_PER_CONNECTION;
  await warmCustomers(urls, label, customers);
  // autocannon 8 takes an array of URLs and spreads its connections over them; its typings here say string.
  const url = urls as unknown as string;
  await autocannon({ url, connections: total, duration: WARM_UP_SECONDS, requests: [webchatRequest(label, customers)] });
  const machineBefore = machineJiffies();
  const ownBefore = process.cpuUsage();
  const workersBefore = pids.map(processCpuSeconds);
  const result = await autocannon({ url, connections: total, duration: timedSeconds, requests: [webchatRequest(label, customers)] });
  const own = process.cpuUsage(ownBefore);
  const machineAfter = machineJiffies();
  return {
    perSecond: result.requests.total / timedSeconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bad: result.non2xx + result.errors,
    machineBusy: (machineAfter.busy - machineBefore.busy) / (machineAfter.all - machineBefore.all),
    autocannonCpu: (own.user + own.system) / 1e6 / timedSeconds,
    workerCpu: pids.map((pid, i) => (processCpuSeconds(pid) - workersBefore[i]!) / timedSeconds),
  };
}

// --- The run ---------------------------------------------------------------------------------------

interface Row {
  round: number;
  workers: number;
  load: string;
  tend: Measured;
  raw: Measured;
  peakRssMb: number[];
  rssAfterMb: number[];
}

async function withDatabase<T>(work: (url: string) => Promise<T>): Promise<T> {
  const name = `${process.env.BENCH_DB_PREFIX ?? ""}tend_bench_inbound_workers_${process.pid}`;
  const admin = new pg.Client({ connectionString: benchAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(benchAdminUrl);
    url.pathname = `/${name}`;
    return await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}

const cpuModel = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "unknown CPU";
const started = new Date();
console.log(
  `inbound web chat, N Tend processes (\`node bin/tend.js start\`, compiled) on one PostgreSQL; ${total} connections in all, ${seconds} s timed per run after ${WARM_UP_SECONDS} s of warm-up, ${rounds} rounds, levels interleaved`,
);
console.log(`${cpuModel}, ${os.cpus().length} cores, Node ${process.version}, ${started.toISOString()}, load average ${loadAverage()}`);
// Compiled before the first start, so no worker's start includes a build.
if (spawnSync(process.execPath, [path.join(root, "bin", "build-cli.js")], { stdio: "inherit" }).status !== 0) throw new Error("bin/build-cli.js failed");

const rows: Row[] = [];
let startedIn: number[] = [];
let warmUp: Measured | undefined;
await withDatabase(async (databaseUrl) => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "tend-bench-workers-"));
  const env = (i: number): Record<string, string> => ({
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: String(POOL_PER_WORKER),
    PORT: "0",
    HOST: "127.0.0.1",
    TEND_INSTANCE_ID: `bench-worker-${i + 1}`,
    TEND_DATA_DIR: path.join(folder, "data"),
    // The benchmark's own customers write many times a minute; the limits' defaults are for the public.
    WEBCHAT_RATE_LIMIT_PER_MINUTE: "600",
    WEBCHAT_NEW_VISITORS_PER_MINUTE_PER_IP: "10000",
    WEBCHAT_NEW_VISITORS_PER_MINUTE: "100000",
  });
  const workers: Worker[] = [];
  const raw: Child = await startChild(["raw", "postgres", databaseUrl]);
  try {
    // One after the other, as a deploy would start them (the first applies the migrations).
    for (let i = 0; i < Math.max(...workerCounts); i++) {
      const at = performance.now();
      workers.push(await startWorker(env(i), folder));
      startedIn.push((performance.now() - at) / 1000);
    }
    const rawUrl = `http://127.0.0.1:${raw.port}`;
    // Untimed: a Tend just started spends 2-3 times the CPU per message it spends a few thousand
    // messages later (V8 compiling its and Prisma's hot code), which would count against the levels
    // with more workers, each of which has seen fewer messages. Every worker and the raw server warm up here.
    warmUp = await drive(workers.map((w) => w.url), "warm", workers.map((w) => w.pid), INITIAL_WARM_UP_SECONDS);
    await drive([rawUrl], "raw-warm", [], WARM_UP_SECONDS);
    for (let round = 1; round <= rounds; round++) {
      const order = workerCounts.map((_, i) => workerCounts[(i + round - 1) % workerCounts.length]!);
      for (const n of order) {
        const load = loadAverage();
        // The first n workers take the load; the others run idle (their heartbeats and dispatcher polls cost about 1 % of a core).
        const tend = await drive(
          workers.slice(0, n).map((w) => w.url),
          `r${round}w${n}`,
          workers.map((w) => w.pid),
        );
        const rawRun = await drive([rawUrl], `raw-r${round}w${n}`, []);
        const rssAfterMb = workers.slice(0, n).map((w) => memoryMb(w.pid).now);
        const row: Row = { round, workers: n, load, tend, raw: rawRun, peakRssMb: workers.slice(0, n).map((w) => memoryMb(w.pid).peak), rssAfterMb };
        rows.push(row);
        console.log(JSON.stringify(row));
      }
    }
  } finally {
    for (const worker of workers) await stopWorker(worker);
    await raw.stop();
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

// --- Report ----------------------------------------------------------------------------------------

const f0 = (v: number) => v.toFixed(0);
const f2 = (v: number) => v.toFixed(2);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const pct = (v: number) => `${Math.round(v * 100)} %`;

const cpuMsPerMessage = (m: Measured) => (m.workerCpu.reduce((sum, v) => sum + v, 0) * 1000) / m.perSecond;
console.log(`\nworkers started in ${startedIn.map((v) => v.toFixed(1)).join(", ")} s (the first applied the migrations)`);
if (warmUp) console.log(`warm-up over all workers, ${INITIAL_WARM_UP_SECONDS} s untimed: ${f0(warmUp.perSecond)} msg/s, ${f2(cpuMsPerMessage(warmUp))} ms of Tend CPU per message`);
console.log("\nEvery run (in the order run):\n");
console.log("| round | workers | load average before | Tend msg/s | raw msg/s | Tend / raw | Tend p50 / p99 ms | raw p50 / p99 ms | CPU per worker (of a core) | Tend CPU ms per msg | machine CPU busy | autocannon CPU | peak RSS MB per worker (RSS after load) |");
console.log("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |");
for (const r of rows) {
  console.log(
    `| ${r.round} | ${r.workers} | ${r.load} | ${f0(r.tend.perSecond)}${r.tend.bad ? ` (${r.tend.bad} failed)` : ""} | ${f0(r.raw.perSecond)} | ${f2(r.tend.perSecond / r.raw.perSecond)} | ${r.tend.p50} / ${r.tend.p99} | ${r.raw.p50} / ${r.raw.p99} | ${r.tend.workerCpu.slice(0, r.workers).map(f2).join(", ")} | ${f2(cpuMsPerMessage(r.tend))} | ${pct(r.tend.machineBusy)} | ${f2(r.tend.autocannonCpu)} | ${r.peakRssMb.map(f0).join(", ")} (${r.rssAfterMb.map(f0).join(", ")}) |`,
  );
}
console.log(`\nMedians over ${rounds} rounds:\n`);
console.log("| workers | Tend msg/s | raw msg/s | Tend / raw | Tend p50 / p99 ms | vs 1 worker (msg/s) | Tend CPU ms per msg | peak RSS MB per worker |");
console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
const one = median(rows.filter((r) => r.workers === 1).map((r) => r.tend.perSecond));
for (const n of workerCounts) {
  const at = rows.filter((r) => r.workers === n);
  const tendRate = median(at.map((r) => r.tend.perSecond));
  console.log(
    `| ${n} | ${f0(tendRate)} | ${f0(median(at.map((r) => r.raw.perSecond)))} | ${f2(median(at.map((r) => r.tend.perSecond / r.raw.perSecond)))} | ${f0(median(at.map((r) => r.tend.p50)))} / ${f0(median(at.map((r) => r.tend.p99)))} | ${f2(tendRate / one)} | ${f2(median(at.map((r) => cpuMsPerMessage(r.tend))))} | ${f0(Math.min(...at.flatMap((r) => r.peakRssMb)))}–${f0(Math.max(...at.flatMap((r) => r.peakRssMb)))} |`,
  );
}
console.log(`\nfinished ${new Date().toISOString()}, load average ${loadAverage()}`);
