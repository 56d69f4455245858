// Several Tend processes on one PostgreSQL, on this machine: 1, 2 and 3 workers (web chat only:
// it runs on every instance; Telegram, Discord and Slack keep one instance per bot), each its own
// process on its own port, driven together by autocannon (the connections split evenly), with the
// raw ceiling (bench/support/raw-ceiling.ts behind a bare HTTP server) at the same total
// concurrency in the same run. `npx tsx bench/inbound-workers.ts [seconds] [total-connections]`
import os from "node:os";
import { type Run, load, startChild, warm, webchatRequest } from "./support/http-load.ts";
import { loadAverage } from "./support/inbound-setup.ts";
import { withScratchDatabase } from "./support/scratch.ts";

// Before 278728a the first worker's stop never returned (shutdown closed the database under handlers
// autocannon had abandoned, see src/http/server.ts); kept so that a hang never holds `npm run bench`.
setTimeout(() => {
  console.error("inbound-workers: no result after 240 s, giving up (see BENCHMARKS.md, Several Tend processes)");
  process.exit(1);
}, 240_000).unref();

const seconds = Number(process.argv[2] ?? 8) || 8;
const total = Number(process.argv[3] ?? 16) || 16;
const workerCounts = [1, 2, 3];

function combine(runs: Run[]) {
  return {
    perSecond: runs.reduce((sum, r) => sum + r.perSecond, 0),
    p50: Math.max(...runs.map((r) => r.p50)),
    p99: Math.max(...runs.map((r) => r.p99)),
    bad: runs.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
  };
}

console.log(`inbound web chat, N Tend processes on one PostgreSQL, ${total} concurrent customers in all, ${seconds} s per run; ${os.cpus().length} cores; load average ${loadAverage()}`);
await withScratchDatabase("inbound_workers", async (url) => {
  const env = (n: number) =>
    JSON.stringify({
      DATABASE_URL: url,
      // Each worker's pool: the database's connections shared out, 10 in all.
      DATABASE_POOL_SIZE: String(Math.max(2, Math.floor(10 / n))),
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      OUTREACH_DEFAULT_QUIET_HOURS: "off",
      WEBCHAT_RATE_LIMIT_PER_MINUTE: "600",
      WEBCHAT_NEW_VISITORS_PER_MINUTE_PER_IP: "10000",
      WEBCHAT_NEW_VISITORS_PER_MINUTE: "100000",
    });
  const raw = await startChild(["raw", "postgres", url]);
  const rows: string[] = [];
  for (const n of workerCounts) {
    const workers = [];
    // One after the other: several instances starting together wait on the migration lock anyway.
    for (let i = 0; i < n; i++) workers.push(await startChild(["tend", env(n)]));
    const per = Math.max(1, Math.round(total / n));
    for (const [i, worker] of workers.entries()) await warm(worker.port, `w${n}-${i}`, per, false);
    const loadBefore = loadAverage();
    const tend = combine(await Promise.all(workers.map((worker, i) => load(worker.port, per, webchatRequest(`w${n}-${i}`, per), seconds))));
    const rss = await Promise.all(workers.map((worker) => worker.stop()));
    await warm(raw.port, `raw${n}`, total, false);
    const limit = combine([await load(raw.port, total, webchatRequest(`raw${n}`, total), seconds)]);
    rows.push(
      `| ${n} | ${limit.perSecond.toFixed(0)} | ${tend.perSecond.toFixed(0)}${tend.bad ? ` (${tend.bad} failed)` : ""} | ${tend.p50} / ${tend.p99} | ${(tend.perSecond / limit.perSecond).toFixed(2)} | ${rss.map((r) => r.toFixed(0)).join(", ")} | ${loadBefore} |`,
    );
    console.log(rows.at(-1));
  }
  await raw.stop();
  console.log("\n| workers | raw msg/s | Tend msg/s (all workers) | p50 / p99 ms (worst worker) | / raw | peak RSS MB per worker | load average before |");
  console.log("| ---: | ---: | ---: | ---: | ---: | --- | --- |");
  for (const row of rows) console.log(row);
});
