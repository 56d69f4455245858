// The dashboard's care-plan calendar at scale (issue 12 work queues): N customers, each with a festival greeting
// queued in the outbox three days ahead (a quarter without care consent), plus a birthday for one in ten the day
// after. Times outreachCalendar (one GROUP BY for the counts, the contact policy's verdict for the first 200 rows of
// each day and plan) and careForecast (the 14-day forecast: aggregates over the care plans' rules; every customer has
// a birthday spread over the year) and reports peak RSS per size, each size in a child process of its own: flat RSS as N grows shows the
// window is counted, not loaded. PostgreSQL (TEND_TEST_POSTGRES_URL or 127.0.0.1:5432).
// `npx tsx bench/dashboard-calendar.ts [sizes]`, e.g. `10000,100000`.
import fs from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type Database, openDatabase } from "../src/db/database.ts";
import { ContactFactsRepository } from "../src/db/repositories/contact-facts-repository.ts";
import { applyMigrations } from "../src/db/migrations.ts";
import { CareForecastRepository } from "../src/db/repositories/care-forecast-repository.ts";
import { careForecast } from "../src/outreach/care-forecast.ts";
import { defaultCarePlansFile, loadCarePlans } from "../src/outreach/care-plans-file.ts";
import { calendarWindow, outreachCalendar } from "../src/outreach/outreach-calendar.ts";
import { runChildForJson, withScratchDatabase } from "./support/scratch.ts";

const here = fileURLToPath(import.meta.url);
const NOW = new Date("2027-02-08T06:00:00Z");

interface Result {
  customers: number;
  rows: number;
  seconds: number;
  fullSeconds: number;
  forecastSeconds: number;
  forecastTotal: number;
  send: number;
  skip: number;
  baselineRssMb: number;
  maxRssMb: number;
}

async function child(url: string, customers: number): Promise<void> {
  const db: Database = await openDatabase({ kind: "postgres", url, poolSize: 10 });
  try {
    await applyMigrations(db.sql);
    await db.sql.withSession(async (session) => {
      await session.query(
        `INSERT INTO "Customer" (id, "displayName", "timeZone", "careConsent", locale, birthday, "updatedAt")
         SELECT gen_random_uuid(), 'c' || g, 'Asia/Shanghai', g % 4 <> 0, CASE WHEN g % 2 = 0 THEN 'zh-CN' ELSE 'en' END,
                DATE '1990-01-01' + (g % 365), now() FROM generate_series(1, $1::int) AS g`,
        [customers],
      );
      await session.query(
        `INSERT INTO "OutboxMessage" (id, "customerId", kind, topic, payload, "dedupeKey", "notBefore")
         SELECT gen_random_uuid(), id, 'festival', 'care', '{"text":"Happy Lantern Festival"}', 'festival:' || id, TIMESTAMP '2027-02-11 02:00:00' FROM "Customer"`,
      );
      await session.query(
        `INSERT INTO "OutboxMessage" (id, "customerId", kind, topic, payload, "dedupeKey", "notBefore")
         SELECT gen_random_uuid(), id, 'birthday', 'care', '{"text":"Happy birthday"}', 'birthday:' || id, TIMESTAMP '2027-02-12 02:00:00' FROM "Customer" WHERE "displayName" LIKE '%7'`,
      );
      await session.query("ANALYZE");
    });
    const baselineRssMb = process.memoryUsage().rss / 2 ** 20;
    const started = performance.now();
    const calendar = await outreachCalendar(
      { prisma: db.prisma, facts: new ContactFactsRepository(db.prisma), settings: { defaultQuietHours: null, poorRatingPauseDays: 14 } },
      { ...calendarWindow(NOW, 14), now: NOW },
    );
    const seconds = (performance.now() - started) / 1000;
    const forecastStarted = performance.now();
    const forecast = await careForecast({ repository: new CareForecastRepository(db.prisma), plans: loadCarePlans(defaultCarePlansFile) }, NOW, 14);
    const forecastSeconds = (performance.now() - forecastStarted) / 1000;
    // Peak RSS of the page's work (calendar and forecast), before the reference run below.
    const maxRssMb = process.resourceUsage().maxRSS / 1024;
    // The same count judging every row (as before the sample; it holds the whole window, 400 MB at 110k): the reference the bounded page is compared with.
    const fullStarted = performance.now();
    await outreachCalendar(
      { prisma: db.prisma, facts: new ContactFactsRepository(db.prisma), settings: { defaultQuietHours: null, poorRatingPauseDays: 14 } },
      { ...calendarWindow(NOW, 14), now: NOW, judgeLimit: Number.MAX_SAFE_INTEGER },
    );
    const fullSeconds = (performance.now() - fullStarted) / 1000;
    const result: Result = {
      customers,
      rows: calendar.total,
      seconds,
      fullSeconds,
      forecastSeconds,
      forecastTotal: forecast.total,
      send: calendar.cells.reduce((sum, cell) => sum + cell.send, 0),
      skip: calendar.cells.reduce((sum, cell) => sum + Object.values(cell.skip).reduce((a, b) => a + b, 0), 0),
      baselineRssMb,
      maxRssMb,
    };
    console.log(JSON.stringify(result));
  } finally {
    await db.close();
  }
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? "10000,100000").split(",").map(Number);
  console.log(`care-plan calendar (14 days; verdicts for the first 200 per day and plan) and its 14-day forecast; load average ${(await fs.readFile("/proc/loadavg", "utf8").catch(() => "?")).trim()}`);
  console.log("customers     rows  calendar s  all judged s  forecast s  forecast n    send    skip  RSS before MB  peak RSS MB");
  for (const customers of sizes) {
    const r = await withScratchDatabase(`h9_calendar_${customers}`, (url) => runChildForJson<Result>(here, ["--child", url, String(customers)], `calendar ${customers}`));
    const expected = customers + Math.floor((customers + 3) / 10);
    if (r.rows !== expected) throw new Error(`expected ${expected} rows, counted ${r.rows}`);
    console.log(
      `${String(r.customers).padStart(9)} ${String(r.rows).padStart(8)}  ${r.seconds.toFixed(2).padStart(10)}  ${r.fullSeconds.toFixed(2).padStart(12)}  ${r.forecastSeconds.toFixed(2).padStart(10)}  ${String(r.forecastTotal).padStart(10)}  ${String(r.send).padStart(6)}  ${String(r.skip).padStart(6)}  ${r.baselineRssMb.toFixed(0).padStart(13)}  ${r.maxRssMb.toFixed(0).padStart(11)}`,
    );
  }
}

if (process.argv[2] === "--child") await child(process.argv[3]!, Number(process.argv[4]));
else await main();
