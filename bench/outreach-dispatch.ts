// Outreach end to end (issue 9): N customers with a Telegram identity and today's birthday are planned
// by the care planner into the outbox on PostgreSQL, then a whole Tend (dispatcher, contact policy, send
// pacer, the real telegraf adapter) sends them to a loopback Bot API stand-in that enforces Telegram's
// limits per sliding second, overall and per chat, and answers 429 with retry_after when they are exceeded.
// Tend's parts run in a child process, so the peak RSS reported is theirs, not the stand-in's.
//
// At Telegram's real 30 msg/s, 100,000 greetings take 55 minutes; so the large runs scale BOTH the
// stand-in's overall limit and Tend's OUTREACH_RATE_TELEGRAM by the same factor (per chat stays 1/1s:
// every birthday is a different chat), and one short run keeps the true 30/s.
// `npx tsx bench/outreach-dispatch.ts [runs]`, runs as `count@limit[@tendRate]`, e.g. `1500@30,10000@300,30000@300,100000@300`
// (tendRate, Tend's OUTREACH_RATE_TELEGRAM overall, defaults to the stand-in's limit).
// Needs the PostgreSQL the tests use (TEND_TEST_POSTGRES_URL or 127.0.0.1:5432); each run gets a fresh database, dropped after.
// The child runs compiled, as `npm start` runs Tend (BENCH_CHILD=tsx runs it under tsx instead: about 70 MB more RSS).
// BENCH_DISPATCH_LIMIT_S caps each run's dispatch: a run stopped there still reports its line (marked "stopped"), with
// the rate, 429s and RSS so far, rather than being killed by an outer timeout and losing them.
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { systemClock } from "../src/core/clock.ts";
import { openDatabase } from "../src/db/database.ts";
import { applyMigrations } from "../src/db/migrations.ts";
import { limitHeapGrowth } from "../src/observability/heap-growth.ts";
import { loadCarePlans } from "../src/outreach/care-plans-file.ts";
import { runCarePlanner } from "../src/outreach/planner-job.ts";
import { parseSendRates } from "../src/outreach/send-rates.ts";
import { childRunsUnderTsx, compileBenchmark } from "./support/compiled.ts";
import { birthdayPlanOnly } from "./support/scratch.ts";
import { TelegramLimitsStandin } from "../test/support/telegram-limits-standin.ts";

const here = fileURLToPath(import.meta.url);
const TOKEN = "123456:BENCH-token-abcdefghijklmnopq";
const CHAT_BASE = 10_000_000;
const REAL_TELEGRAM_RATE = 30;

/**
 * A fixed-offset zone where it is now late morning, so that today's 10:00 birthday greeting is due
 * at once and outside the default quiet hours (21:00-09:00), whatever the hour of the run.
 */
function lateMorningZone(now: Date): { zone: string; localDate: string } {
  let offset = 11 - now.getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset < -12) offset += 24;
  const zone = offset === 0 ? "Etc/GMT" : offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
  const localDate = new Date(now.getTime() + offset * 3_600_000).toISOString().slice(0, 10);
  return { zone, localDate };
}

interface ChildReport {
  /** RSS with Tend's modules loaded, before anything was planned or sent. */
  startRssMb: number;
  customers: number;
  planned: number;
  controls: number;
  planSeconds: number;
  dispatchSeconds: number;
  /** CPU time Tend's process used while dispatching, in seconds: with the dispatch time, how much of a core it got. */
  dispatchCpuSeconds: number;
  statuses: Record<string, number>;
  maxRssMb: number;
  rssSamplesMb: number[];
  /** V8's heap in use at the same moments: what RSS holds beyond it is code, WASM memory, buffers and freed pages not yet returned. */
  heapSamplesMb: number[];
  /** V8's heap growing percent Tend set (src/observability/heap-growth.ts), or null: V8's defaults. */
  heapGrowingPercent: number | null;
  /** Stopped at BENCH_DISPATCH_LIMIT_S with messages still to send. */
  stopped: boolean;
  /** Tend's sendMessage requests as its process saw them (see traceSends). */
  sends: SendTrace;
}

/** See traceSends. */
interface SendTrace {
  started: number;
  /** How the requests ended other than with a whole answer, by reason. */
  failures: Record<string, number>;
  /** Most requests alive at once at a request's start (itself included), by the monotonic clock and by the wall clock. */
  maxAliveMonotonic: number;
  maxAliveWall: number;
  /** Requests that started with more than the limit alive, by each clock; the first few of them. */
  overMonotonic: number;
  overWall: number;
  firstOver: { atS: number; inFlight: number; answeredInLastPeriod: number; byWall: number; wallMinusMonotonicMs: number }[];
}

/**
 * Watches Tend's sendMessage requests in its own process (node-fetch, under telegraf, calls http.request) and
 * checks, at each request's start, the pacer's promise: counting every request still in flight and every one
 * answered within the last period, there are never more than the limit. Counted once with the monotonic clock
 * (what the stand-in stamps with) and once with the wall clock (what the pacer reads). A request answered is one
 * whose response has ended; Tend hears of it a little later, so this count is never above what the pacer holds.
 */
function traceSends(limit: number, periodMs: number): SendTrace {
  const trace: SendTrace = { started: 0, failures: {}, maxAliveMonotonic: 0, maxAliveWall: 0, overMonotonic: 0, overWall: 0, firstOver: [] };
  let inFlight = 0;
  const answeredMonotonic: number[] = [];
  const answeredWall: number[] = [];
  let head = 0;
  let headWall = 0;
  const begun = performance.now();
  const original = http.request;
  http.request = function (this: unknown, ...args: unknown[]) {
    const request = (original as (...a: unknown[]) => http.ClientRequest).apply(this, args);
    if (!request.path.endsWith("/sendMessage")) return request;
    const monotonic = performance.now();
    const wall = Date.now();
    while (head < answeredMonotonic.length && answeredMonotonic[head]! <= monotonic - periodMs) head += 1;
    while (headWall < answeredWall.length && answeredWall[headWall]! <= wall - periodMs) headWall += 1;
    const aliveMonotonic = inFlight + answeredMonotonic.length - head + 1;
    let byWall = inFlight + 1;
    for (let i = headWall; i < answeredWall.length; i++) if (answeredWall[i]! > wall - periodMs) byWall += 1;
    trace.started += 1;
    trace.maxAliveMonotonic = Math.max(trace.maxAliveMonotonic, aliveMonotonic);
    trace.maxAliveWall = Math.max(trace.maxAliveWall, byWall);
    if (aliveMonotonic > limit) trace.overMonotonic += 1;
    if (byWall > limit) trace.overWall += 1;
    if ((aliveMonotonic > limit || byWall > limit) && trace.firstOver.length < 20) {
      trace.firstOver.push({
        atS: (monotonic - begun) / 1000,
        inFlight,
        answeredInLastPeriod: answeredMonotonic.length - head,
        byWall,
        wallMinusMonotonicMs: wall - (performance.timeOrigin + monotonic),
      });
    }
    if (head > 4096) {
      answeredMonotonic.splice(0, head);
      head = 0;
    }
    if (headWall > 4096) {
      answeredWall.splice(0, headWall);
      headWall = 0;
    }
    inFlight += 1;
    let ended = false;
    const end = (how: string) => {
      if (ended) return;
      ended = true;
      inFlight -= 1;
      answeredMonotonic.push(performance.now());
      answeredWall.push(Date.now());
      if (how !== "answered") trace.failures[how] = (trace.failures[how] ?? 0) + 1;
    };
    request.on("response", (response) => {
      response.on("end", () => end("answered"));
      response.on("error", (error: NodeJS.ErrnoException) => end(`response ${error.code ?? error.message}`));
      response.on("close", () => end("response closed before its end"));
    });
    request.on("error", (error: NodeJS.ErrnoException) => end(`request ${error.code ?? error.message}`));
    request.on("close", () => end("request closed without a response"));
    return request;
  } as typeof http.request;
  return trace;
}

async function child(url: string, customers: number): Promise<void> {
  const startRssMb = Math.round(process.memoryUsage.rss() / 1048576);
  // As `tend start` does (src/cli/start-command.ts), unless BENCH_V8_DEFAULTS=1 measures V8's own heap growth.
  const heapGrowingPercent = process.env.BENCH_V8_DEFAULTS === "1" ? undefined : limitHeapGrowth();
  const { zone, localDate } = lateMorningZone(new Date());
  const db = await openDatabase({ kind: "postgres", url, poolSize: 10 });
  let planned = 0;
  let planSeconds = 0;
  try {
    await applyMigrations(db.sql);
    await db.sql.withSession(async (session) => {
      await session.query(
        `INSERT INTO "Customer" (id, "displayName", birthday, "timeZone", locale, "updatedAt")
         SELECT gen_random_uuid(), 'c' || g, $2::date - interval '30 years', $3, CASE WHEN g % 2 = 0 THEN 'zh-CN' ELSE 'en' END, now()
           FROM generate_series(1, $1::int) AS g`,
        [customers, localDate, zone],
      );
      await session.query(
        `INSERT INTO "ChannelIdentity" (id, "customerId", platform, "platformUserId", address)
         SELECT gen_random_uuid(), id, 'telegram', ($1::bigint + row_number() OVER (ORDER BY id))::text,
                'telegram:' || ($1::bigint + row_number() OVER (ORDER BY id))::text
           FROM "Customer"`,
        [CHAT_BASE],
      );
    });
    const plans = birthdayPlanOnly(loadCarePlans(undefined));
    const started = performance.now();
    const report = await runCarePlanner({ db, plans, clock: systemClock, birthdayBonusPoints: 100 });
    planSeconds = (performance.now() - started) / 1000;
    planned = "birthday" in report ? report.birthday.written : 0;
  } finally {
    await db.close();
  }

  const rssSamplesMb: number[] = [];
  const heapSamplesMb: number[] = [];
  const sample = setInterval(() => {
    // Diagnosis only (BENCH_NODE_FLAGS=--expose-gc): a full collection first, so the samples are what is alive.
    (globalThis as { gc?: () => void }).gc?.();
    const memory = process.memoryUsage();
    rssSamplesMb.push(Math.round(memory.rss / 1048576));
    heapSamplesMb.push(Math.round(memory.heapUsed / 1048576));
  }, 5000);
  const heapProfile = process.env.BENCH_HEAP_PROFILE ? await startHeapSampling() : undefined;
  const dispatchStarted = performance.now();
  const cpuBefore = process.cpuUsage();
  const tendRate = parseSendRates(process.env.OUTREACH_RATE_TELEGRAM ?? "30/1s");
  const overall = tendRate.ok ? tendRate.rates.overall : null;
  const sends = traceSends(overall?.count ?? Number.POSITIVE_INFINITY, overall?.periodMs ?? 1000);
  const tend = await startTend({ config: loadConfig(process.env) });
  const statuses = async () => {
    const rows = await tend.db.sql.withSession((session) =>
      session.query<{ status: string; n: number }>(`SELECT status::text AS status, count(*)::int AS n FROM "OutboxMessage" GROUP BY status`),
    );
    return Object.fromEntries(rows.map((row) => [row.status, row.n])) as Record<string, number>;
  };
  const limitMs = Number(process.env.BENCH_DISPATCH_LIMIT_S ?? 0) * 1000;
  let counts = await statuses();
  let stopped = false;
  while ((counts.pending ?? 0) + (counts.sending ?? 0) > 0) {
    if (limitMs > 0 && performance.now() - dispatchStarted > limitMs) {
      stopped = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    counts = await statuses();
  }
  const dispatchSeconds = (performance.now() - dispatchStarted) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sample);
  if (heapProfile) fs.writeFileSync(process.env.BENCH_HEAP_PROFILE!, JSON.stringify(await heapProfile()));
  // A stop that hangs (it waits for running jobs and in-flight sends) must not cost the run's line.
  const stopWaitMs = 60_000;
  const stoppedInTime = await Promise.race([
    tend.stop().then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), stopWaitMs).unref()),
  ]);
  if (!stoppedInTime) console.error(`tend.stop() had not finished after ${stopWaitMs / 1000} s; reporting anyway`);
  const result: ChildReport = {
    startRssMb,
    customers,
    planned,
    controls: counts.control ?? 0,
    planSeconds,
    dispatchSeconds,
    dispatchCpuSeconds: (cpu.user + cpu.system) / 1e6,
    statuses: counts,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    rssSamplesMb,
    heapSamplesMb,
    heapGrowingPercent: heapGrowingPercent ?? null,
    stopped,
    sends,
  };
  console.log(JSON.stringify(result));
  process.exit(0);
}

/**
 * BENCH_HEAP_PROFILE=file.heapprofile: V8's sampling heap profiler over the dispatch, counting objects a
 * scavenge would not have freed (those that lived long enough to be promoted, then died in a full
 * collection, as well as those still alive): what the RSS climb between full collections is made of.
 * Open the file in Chrome's DevTools (Memory tab) or summarise it by function.
 */
async function startHeapSampling(): Promise<() => Promise<unknown>> {
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.startSampling", { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true } as never);
  return async () => ((await session.post("HeapProfiler.stopSampling")) as { profile: unknown }).profile;
}

/**
 * What the stand-in saw at each 429: which limit, whether the chat got its message later, the accepted sends in
 * the refusing window (how many, how far back, the tightest gap), and the wall clock against the monotonic one
 * (Tend's pacer reads the wall clock; the stand-in the monotonic one: a step between them shows here).
 */
function describeTooMany(standin: TelegramLimitsStandin): string {
  const summary = standin.tooManySummary();
  const [low, high] = summary.wallMinusMonotonicRangeMs;
  const lines = [
    `  429s: ${summary.overall} on the overall limit, ${summary.chat} on a chat's; ${summary.laterAccepted} of ${new Set(summary.records.map((r) => r.chatId)).size} refused chats accepted later; wall - monotonic clock over the accepted sends ${low.toFixed(1)}..${high.toFixed(1)} ms`,
  ];
  for (const r of summary.records.slice(0, 40)) {
    const ago = r.windowAgoMs;
    const gaps = ago.slice(1).map((t, i) => ago[i]! - t);
    const sinceFirst = (r.at - (standin.firstAcceptedAt ?? r.at)) / 1000;
    lines.push(
      `    +${sinceFirst.toFixed(1)} s ${r.limit} chat ${r.chatId}: ${ago.length} accepted in the window, oldest ${ago[0]?.toFixed(1) ?? "-"} ms ago, newest ${ago.at(-1)?.toFixed(1) ?? "-"} ms ago, tightest gap ${gaps.length ? Math.min(...gaps).toFixed(1) : "-"} ms; handled ${(r.at - r.arrivedAt).toFixed(1)} ms after arriving; ${r.onSocketBefore ? `request ${r.onSocketBefore + 1} on its connection` : "a new connection"}; wall - monotonic ${r.wallMinusMonotonicMs.toFixed(1)} ms; window ms ago: ${ago.map((t) => t.toFixed(0)).join(" ")}`,
    );
  }
  return lines.join("\n");
}

function describeSends(sends: SendTrace, standin: TelegramLimitsStandin): string {
  const failures = Object.entries(sends.failures).map(([how, n]) => `${n} ${how}`).join(", ") || "none";
  const lines = [
    `  Tend's side: ${sends.started} sendMessage requests started (the stand-in saw ${standin.accepted + standin.tooMany}); ended without an answer: ${failures}; most alive at a start (in flight + answered within the period, itself included): ${sends.maxAliveMonotonic} by the monotonic clock, ${sends.maxAliveWall} by the wall clock; starts over the limit: ${sends.overMonotonic} monotonic, ${sends.overWall} wall`,
  ];
  for (const over of sends.firstOver) {
    lines.push(`    +${over.atS.toFixed(1)} s: ${over.inFlight} in flight + ${over.answeredInLastPeriod} answered in the last period (monotonic); by wall clock ${over.byWall} alive; wall - monotonic ${over.wallMinusMonotonicMs.toFixed(1)} ms`);
  }
  return lines.join("\n");
}

function runChild(script: string, args: string[], env: Record<string, string>): Promise<string> {
  // BENCH_NODE_FLAGS: Node/V8 options for the child (e.g. "--trace-gc"), to compare a run with and without them.
  const flags = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const command = childRunsUnderTsx() ? [...flags, "--import", "tsx", here, ...args] : [...flags, script, ...args];
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, command, {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", process.env.BENCH_CHILD_STDERR ? "inherit" : "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stdout!.on("data", (chunk) => (stdout += chunk));
    proc.stderr?.on("data", (chunk) => (stderr += chunk));
    proc.on("close", (code) => {
      // BENCH_CHILD_LOG: keep the child's whole output (with BENCH_NODE_FLAGS="--trace-gc", every collection).
      if (process.env.BENCH_CHILD_LOG) fs.appendFileSync(process.env.BENCH_CHILD_LOG, stdout);
      return code === 0 ? resolve(stdout) : reject(new Error(`child failed (${code}):\n${stderr}\n${stdout.slice(-4000)}`));
    });
  });
}

async function main(): Promise<void> {
  const runs = (process.argv[2] ?? "1500@30,10000@300,30000@300,100000@300").split(",").map((run) => {
    const [count, rate, tendRate] = run.split("@").map(Number);
    return { count: count!, rate: rate ?? REAL_TELEGRAM_RATE, tendRate: tendRate ?? rate ?? REAL_TELEGRAM_RATE };
  });
  const adminUrl = process.env.TEND_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  console.log(`birthday greetings planned and sent through the Telegram adapter, PostgreSQL (${new URL(adminUrl).host})`);
  console.log(`${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(
    `Telegram's limits are 30 msg/s overall and 1 msg/s per chat; "×k" runs scale the overall limit by k in BOTH the stand-in and OUTREACH_RATE_TELEGRAM (per chat stays 1/1s)`,
  );
  const compiled = await compileBenchmark(here);
  console.log(`Tend runs in a child process, ${childRunsUnderTsx() ? "under tsx (BENCH_CHILD=tsx)" : "compiled with esbuild as `npm start` runs it"}`);
  console.log(
    "messages  allowed/s  Tend's/s  scale  plan s  dispatch s  CPU ms/msg  core share  sent     rate/s   of allowed  429s  max/chat  start RSS MB  peak RSS MB  heap growth  load before/after  RSS samples MB (heap used) every 5 s",
  );
  try {
    for (const { count, rate, tendRate } of runs) {
      const loadBefore = os.loadavg()[0]!;
      // BENCH_DB_PREFIX: whose database it is, on a PostgreSQL that several people share.
      const name = `${process.env.BENCH_DB_PREFIX ?? ""}tend_bench_dispatch_${process.pid}_${count}_${rate}_${tendRate}`;
      await admin.query(`CREATE DATABASE "${name}"`);
      const standin = await TelegramLimitsStandin.start(TOKEN, { overall: rate, perChat: 1, windowMs: 1000 });
      try {
        const url = new URL(adminUrl);
        url.pathname = `/${name}`;
        const out = await runChild(compiled.file, ["--child", url.toString(), String(count)], {
          DATABASE_URL: url.toString(),
          HOST: "127.0.0.1",
          PORT: "0",
          LOG_LEVEL: "warn",
          TEND_INSTANCE_ID: "bench",
          TELEGRAM_BOT_TOKEN: TOKEN,
          TELEGRAM_API_ROOT: standin.url,
          OUTREACH_RATE_TELEGRAM: `${tendRate}/1s, 1/1s per chat`,
          // Only the dispatcher under test: no planner tick during the run (it was run before, timed), and none of
          // Tend's other jobs. The hourly birthday-bonus job (at :05, its schedule is fixed) goes through all N
          // customers, every one with a birthday today, one awardBonus transaction each (about an hour at 100k on
          // a busy machine): a run that spans :05 measures that job, not the dispatch, and tend.stop() waits for
          // it, so such a run went on past BENCH_DISPATCH_LIMIT_S. Points 0 makes the job return at once (the
          // planner above booked the bonus already, with its own 100).
          CARE_PLANNER_CRON: "0 0 1 1 *",
          ANALYTICS_REFRESH_CRON: "0 0 1 1 *",
          LOYALTY_EXPIRY_CRON: "0 0 1 1 *",
          LOYALTY_BIRTHDAY_BONUS_POINTS: "0",
          ...(process.env.BENCH_DISPATCH_LIMIT_S ? { BENCH_DISPATCH_LIMIT_S: process.env.BENCH_DISPATCH_LIMIT_S } : {}),
          ...(process.env.BENCH_V8_DEFAULTS ? { BENCH_V8_DEFAULTS: process.env.BENCH_V8_DEFAULTS } : {}),
          ...(process.env.BENCH_HEAP_PROFILE ? { BENCH_HEAP_PROFILE: process.env.BENCH_HEAP_PROFILE } : {}),
        });
        const m = JSON.parse(out.trim().split("\n").pop()!) as ChildReport;
        const expected = m.planned - m.controls;
        if (m.planned !== count) throw new Error(`expected ${count} planned, got ${m.planned}`);
        if (!m.stopped && ((m.statuses.sent ?? 0) !== expected || standin.accepted !== expected)) {
          throw new Error(`expected ${expected} sent, got ${JSON.stringify(m.statuses)} and ${standin.accepted} accepted by the stand-in`);
        }
        const spanSeconds = ((standin.lastAcceptedAt ?? 0) - (standin.firstAcceptedAt ?? 0)) / 1000;
        const achieved = spanSeconds > 0 ? (standin.accepted - 1) / spanSeconds : 0;
        // A loop, not Math.max(...values): 100,000 arguments can overflow the stack.
        let maxPerChat = 0;
        for (const sent of standin.perChatCounts.values()) maxPerChat = Math.max(maxPerChat, sent);
        console.log(
          [
            String(count).padStart(8),
            String(rate).padStart(9),
            String(tendRate).padStart(8),
            `×${rate / REAL_TELEGRAM_RATE}`.padStart(5),
            m.planSeconds.toFixed(1).padStart(6),
            m.dispatchSeconds.toFixed(1).padStart(10),
            ((m.dispatchCpuSeconds * 1000) / Math.max(1, standin.accepted)).toFixed(2).padStart(11),
            (m.dispatchCpuSeconds / m.dispatchSeconds).toFixed(2).padStart(11),
            String(standin.accepted).padStart(6),
            achieved.toFixed(1).padStart(8),
            (achieved / rate).toFixed(3).padStart(11),
            String(standin.tooMany).padStart(5),
            String(maxPerChat).padStart(9),
            String(m.startRssMb).padStart(13),
            m.maxRssMb.toFixed(0).padStart(12),
            (m.heapGrowingPercent === null ? "V8 default" : `${m.heapGrowingPercent} %`).padStart(12),
            `${loadBefore.toFixed(1)}/${os.loadavg()[0]!.toFixed(1)}`.padStart(18),
            `  ${m.stopped ? `(stopped at BENCH_DISPATCH_LIMIT_S with ${expected - standin.accepted} unsent) ` : ""}${m.rssSamplesMb.map((rss, i) => `${rss}(${m.heapSamplesMb[i]})`).join(" ")}`,
          ].join(" "),
        );
        if (standin.tooMany > 0) console.log(describeTooMany(standin));
        console.log(describeSends(m.sends, standin));
      } finally {
        await standin.close();
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }
    }
    console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  } finally {
    compiled.remove();
    await admin.end();
  }
}

if (process.argv[2] === "--child") await child(process.argv[3]!, Number(process.argv[4]));
else await main();
