// Inbound messages over HTTP, driven by a real load generator (autocannon), against the raw
// ceiling in the same run: (b) the web chat (POST /webchat/api/messages) and (c) the Telegram
// adapter in webhook mode (POST /telegram/webhook, the replies sent to the loopback Bot API
// stand-in before the webhook answers), on PostgreSQL and on a file-backed PGlite, at 1, 8 and 64
// concurrent customers (autocannon connections; each connection writes as its own customers and
// sends its next message when the last is answered). The limit is a bare node:http server doing
// the raw ceiling's database work (bench/support/raw-ceiling.ts) with the same driver.
// Tend runs as `npm start` runs it (`node bin/tend.js start`: the compiled dist/, the V8 flags
// `tend start` sets), configured by environment only; the raw server in another child (peak RSS
// is theirs). With --trace a preload reports Tend's GC pauses and event-loop delay per run.
// Wall-clock figures move with whatever else the machine runs, so each row also gives the load
// average when it started and Tend's CPU time per message (process.cpuUsage in its child), and
// each database the engine's own median at one customer, measured right after on the same database
// in a second Tend (started in-process by the bench child, the same messages handed to the engine
// directly, no HTTP): the distance between that and the web chat's median at one customer is what
// HTTP and the adapter add.
// `npx tsx bench/inbound-http.ts [seconds-per-run] [postgres|pglite] [--levels=1,8,64] [--only=web|telegram] [--cpu-prof] [--trace]`
// (--cpu-prof writes a V8 CPU profile of the Tend child to a temporary folder and prints where.)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TelegramStandin } from "../test/support/telegram-standin.ts";
import { type Run, SECRET, TOKEN, load, startChild, telegramRequest, warm, webchatRequest } from "./support/http-load.ts";
import { type PerfSnapshot, startTendProcess } from "./support/tend-process.ts";
import { loadAverage } from "./support/inbound-setup.ts";
import { withScratchDatabase } from "./support/scratch.ts";

const positional = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const seconds = Number(positional[0] ?? 8) || 8;
const levelsArg = process.argv.find((arg) => arg.startsWith("--levels="));
const levels = levelsArg ? levelsArg.slice("--levels=".length).split(",").map(Number).filter((n) => n > 0) : [1, 8, 64];
const paths = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length);
const profileDir = process.argv.includes("--cpu-prof") ? fs.mkdtempSync(path.join(os.tmpdir(), "tend-inbound-http-prof-")) : undefined;
const trace = process.argv.includes("--trace");
/** BENCH_TEND_NODE_ARGS: node options for Tend's process on top of what `npm start` gives it (A/B of a V8 flag, --trace-gc). */
const extraNodeArgs = (process.env.BENCH_TEND_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
const skipped: Run = { perSecond: Number.NaN, p50: Number.NaN, p99: Number.NaN, non2xx: 0, errors: 0 };
/** Messages handed to the engine directly for its median at one customer. */
const ENGINE_DIRECT_MESSAGES = 500;

async function measure(kind: "postgres" | "pglite", tendEnv: Record<string, string>, rawArgs: string[]) {
  const standin = await TelegramStandin.start([TOKEN]);
  const loadBefore = loadAverage();
  const tend = await startTendProcess(
    {
      ...tendEnv,
      LOG_LEVEL: "silent",
      OUTREACH_DEFAULT_QUIET_HOURS: "off",
      WEBCHAT_RATE_LIMIT_PER_MINUTE: "600",
      WEBCHAT_NEW_VISITORS_PER_MINUTE_PER_IP: "10000",
      WEBCHAT_NEW_VISITORS_PER_MINUTE: "100000",
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: standin.url,
      TELEGRAM_WEBHOOK_URL: "https://bench.example/telegram/webhook",
      TELEGRAM_WEBHOOK_SECRET: SECRET,
    },
    { trace, nodeArgs: [...extraNodeArgs, ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [])] },
  );
  const rows: { connections: number; load: string; webchat: Run; telegram: Run; raw?: Run; webTrace?: PerfSnapshot; telegramTrace?: PerfSnapshot }[] = [];
  for (const connections of levels) {
    await warm(tend.port, "web", connections, true);
    const load1 = loadAverage();
    await tend.snapshot();
    const webchat = paths === "telegram" ? skipped : await load(tend.port, connections, webchatRequest("web", connections), seconds, tend);
    const webTrace = await tend.snapshot();
    const telegram = paths === "web" ? skipped : await load(tend.port, connections, telegramRequest(connections * 1000, connections), seconds, tend);
    const telegramTrace = await tend.snapshot();
    rows.push({ connections, load: load1, webchat, telegram, webTrace, telegramTrace });
  }
  const tendRss = await tend.stop();
  await standin.close();
  const engineLoad = loadAverage();
  const direct = await startChild(["tend", JSON.stringify({ ...tendEnv, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", OUTREACH_DEFAULT_QUIET_HOURS: "off" })]);
  const directRun = await direct.engineDirect(ENGINE_DIRECT_MESSAGES);
  await direct.stop();
  const engine = { load: engineLoad, p50Ms: directRun.p50Ms, cpuMsPerMessage: directRun.cpuUs / 1000 / ENGINE_DIRECT_MESSAGES };
  const raw = await startChild(rawArgs);
  for (const row of rows) {
    await warm(raw.port, "web", row.connections, false);
    row.raw = await load(raw.port, row.connections, webchatRequest("web", row.connections), seconds);
  }
  const rawRss = await raw.stop();
  return { kind, loadBefore, loadAfter: loadAverage(), tendRss, rawRss, rows, engine, sent: standin.sent.length };
}

function print(run: Awaited<ReturnType<typeof measure>>) {
  console.log(`\n${run.kind}: load average ${run.loadBefore} → ${run.loadAfter}; peak RSS Tend ${run.tendRss.toFixed(0)} MB, raw server ${run.rawRss.toFixed(0)} MB; ${seconds} s per run; replies the Telegram stand-in received: ${run.sent}`);
  console.log(
    "| concurrent | load average | raw msg/s | raw p50 / p99 ms | web chat msg/s | p50 / p99 ms | / raw | Tend CPU ms/msg | Telegram webhook msg/s | p50 / p99 ms | / raw | Tend CPU ms/msg |",
  );
  console.log("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const { connections, load, webchat, telegram, raw } of run.rows) {
    const bad = (r: Run) => (r.non2xx || r.errors ? ` (${r.non2xx} non-2xx, ${r.errors} errors)` : "");
    const cpu = (r: Run) => r.cpuMsPerRequest?.toFixed(2) ?? "";
    console.log(
      `| ${connections} | ${load} | ${raw!.perSecond.toFixed(0)}${bad(raw!)} | ${raw!.p50} / ${raw!.p99} | ${webchat.perSecond.toFixed(0)}${bad(webchat)} | ${webchat.p50} / ${webchat.p99} | ${(webchat.perSecond / raw!.perSecond).toFixed(2)} | ${cpu(webchat)} | ${telegram.perSecond.toFixed(0)}${bad(telegram)} | ${telegram.p50} / ${telegram.p99} | ${(telegram.perSecond / raw!.perSecond).toFixed(2)} | ${cpu(telegram)} |`,
    );
  }
  const share = (r: Run) => (r.benchCpuShare === undefined || Number.isNaN(r.perSecond) ? "-" : r.benchCpuShare.toFixed(2));
  console.log(`load generator's own CPU (autocannon + Telegram stand-in, share of a core): ${run.rows.map((r) => `${r.connections}: web ${share(r.webchat)}, Telegram ${share(r.telegram)}`).join("; ")}`);
  const gcLine = (t?: PerfSnapshot) =>
    t ? `${Object.entries(t.gc).map(([kind, g]) => `${kind} ${g.count}× total ${g.totalMs.toFixed(0)} ms max ${g.maxMs.toFixed(1)}`).join(", ")}; loop delay p50/p99/max ${t.loopDelay.p50}/${t.loopDelay.p99}/${t.loopDelay.max} ms` : "";
  if (trace) for (const r of run.rows) console.log(`trace ${r.connections}: web chat: ${gcLine(r.webTrace)} | Telegram: ${gcLine(r.telegramTrace)}`);
  console.log(
    `engine directly (a second Tend on the same database, in-process), one customer, ${ENGINE_DIRECT_MESSAGES} web chat messages: p50 ${run.engine.p50Ms.toFixed(1)} ms, Tend CPU ${run.engine.cpuMsPerMessage.toFixed(2)} ms/msg (load average ${run.engine.load})`,
  );
}

console.log(`inbound over HTTP (autocannon), ${os.cpus().length} cores, Node ${process.version}; load average ${loadAverage()}${extraNodeArgs.length ? `; Tend's extra node options: ${extraNodeArgs.join(" ")}` : ""}`);
const only = positional[1];
if (only !== "pglite") {
  await withScratchDatabase("inbound_http", async (url) => print(await measure("postgres", { DATABASE_URL: url, DATABASE_POOL_SIZE: "10" }, ["raw", "postgres", url])));
}
if (only !== "postgres") {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tend-inbound-http-"));
  try {
    print(await measure("pglite", { TEND_DATA_DIR: path.join(dir, "tend") }, ["raw", "pglite", path.join(dir, "raw")]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
if (profileDir) console.log(`\nCPU profiles of Tend: ${fs.readdirSync(profileDir).map((file) => path.join(profileDir, file)).join(", ")}`);
