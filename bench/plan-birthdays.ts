// Care planning speed and memory (issue 9): the planner queues N birthday greetings (customers in
// Shanghai and New York, all with today's birthday) into the outbox on PostgreSQL, at several sizes.
// Each size runs in a child process of its own, so its peak RSS is its own; flat RSS as N grows shows
// that the planner streams customers in batches. `npx tsx bench/plan-birthdays.ts [sizes]`, e.g.
// `10000,30000,100000`. Needs the PostgreSQL the tests use (TEND_TEST_POSTGRES_URL or 127.0.0.1:5432).
// The child runs compiled, as `npm start` runs Tend (BENCH_CHILD=tsx runs it under tsx instead: about 70 MB more RSS).
import { spawnSync } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { ManualClock } from "../src/core/clock.ts";
import { openDatabase } from "../src/db/database.ts";
import { applyMigrations } from "../src/db/migrations.ts";
import { loadCarePlans } from "../src/outreach/care-plans-file.ts";
import { runCarePlanner } from "../src/outreach/planner-job.ts";
import { childRunsUnderTsx, compileBenchmark } from "./support/compiled.ts";
import { birthdayPlanOnly } from "./support/scratch.ts";

const here = fileURLToPath(import.meta.url);
/** The day planned for: 2027-05-20 at 00:30 UTC, when tomorrow's birthdays are due everywhere in the sample. */
const NOW = "2027-05-20T00:30:00Z";

async function child(url: string, customers: number): Promise<void> {
  const startRssMb = Math.round(process.memoryUsage.rss() / 1048576);
  const db = await openDatabase({ kind: "postgres", url, poolSize: 10 });
  try {
    await applyMigrations(db.sql);
    await db.sql.withSession((session) =>
      session.query(
        `INSERT INTO "Customer" (id, "displayName", birthday, "timeZone", locale, "updatedAt")
         SELECT gen_random_uuid(), 'c' || g, DATE '1990-05-20', CASE WHEN g % 2 = 0 THEN 'Asia/Shanghai' ELSE 'America/New_York' END,
                CASE WHEN g % 2 = 0 THEN 'zh-CN' ELSE 'en' END, now()
           FROM generate_series(1, $1::int) AS g`,
        [customers],
      ),
    );
    const plans = birthdayPlanOnly(loadCarePlans(undefined));
    const started = performance.now();
    const report = await runCarePlanner({ db, plans, clock: new ManualClock(NOW), birthdayBonusPoints: 100 });
    const seconds = (performance.now() - started) / 1000;
    const again = performance.now();
    await runCarePlanner({ db, plans, clock: new ManualClock(NOW), birthdayBonusPoints: 100 });
    const rerunSeconds = (performance.now() - again) / 1000;
    const written = "birthday" in report ? report.birthday.written : 0;
    const counted = await db.sql.withSession((session) => session.query<{ rows: number }>(`SELECT count(*)::int AS rows FROM "OutboxMessage"`));
    const rows = counted[0]?.rows ?? 0;
    console.log(JSON.stringify({ customers, written, rows, seconds, rerunSeconds, startRssMb, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
  } finally {
    await db.close();
  }
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? "10000,30000,100000").split(",").map(Number);
  const adminUrl = process.env.TEND_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const compiled = await compileBenchmark(here);
  console.log(`planning birthday greetings on PostgreSQL (${new URL(adminUrl).host}), batch 500, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`the planner runs in a child process, ${childRunsUnderTsx() ? "under tsx (BENCH_CHILD=tsx)" : "compiled with esbuild as `npm start` runs Tend"}`);
  console.log("customers  rows      plan s   rows/s   re-run s  start RSS MB  peak RSS MB  load");
  try {
    for (const customers of sizes) {
      const name = `tend_bench_plan_${process.pid}_${customers}`;
      await admin.query(`CREATE DATABASE "${name}"`);
      try {
        const url = new URL(adminUrl);
        url.pathname = `/${name}`;
        const args = ["--child", url.toString(), String(customers)];
        const result = spawnSync(process.execPath, childRunsUnderTsx() ? ["--import", "tsx", here, ...args] : [compiled.file, ...args], { encoding: "utf8" });
        if (result.status !== 0) throw new Error(`child failed: ${result.stderr}`);
        const m = JSON.parse(result.stdout.trim().split("\n").pop()!) as {
          written: number;
          rows: number;
          seconds: number;
          rerunSeconds: number;
          startRssMb: number;
          maxRssMb: number;
        };
        if (m.written !== customers || m.rows !== customers) throw new Error(`expected ${customers} rows, got ${m.rows} (${m.written} written)`);
        console.log(
          `${String(customers).padStart(9)}  ${String(m.rows).padStart(7)}  ${m.seconds.toFixed(1).padStart(7)}  ${Math.round(customers / m.seconds).toString().padStart(7)}  ${m.rerunSeconds.toFixed(1).padStart(9)}  ${String(m.startRssMb).padStart(12)}  ${m.maxRssMb.toFixed(0).padStart(11)}  ${os.loadavg()[0]!.toFixed(1).padStart(4)}`,
        );
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }
    }
  } finally {
    compiled.remove();
    await admin.end();
  }
}

if (process.argv[2] === "--child") await child(process.argv[3]!, Number(process.argv[4]));
else await main();
