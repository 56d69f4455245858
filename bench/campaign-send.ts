// Staff campaigns at scale (issue 9 §3): N customers tagged "spring" (half with marketing consent, all on Telegram,
// a quarter with loyalty points), one campaign to the tag whose text uses {tier} (so every member's tier progress is
// computed), 10 % control. Times the preview (every member judged by the contact policy), the send (one outbox row
// per member, in batches of 500), and a second send (queues nothing); peak RSS per size, each size in a child process
// of its own, so flat RSS as N grows shows the audience is streamed. PostgreSQL (TEND_TEST_POSTGRES_URL or
// 127.0.0.1:5432) and, for the largest size, the embedded database (PGlite).
// `npx tsx bench/campaign-send.ts [sizes]`, e.g. `10000,30000,100000`.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ManualClock } from "../src/core/clock.ts";
import { type Database, openDatabase } from "../src/db/database.ts";
import { applyMigrations } from "../src/db/migrations.ts";
import { defaultLoyaltySettings } from "../src/loyalty/settings.ts";
import { CampaignService } from "../src/outreach/campaign-service.ts";
import { cliActor } from "../src/staff/actor.ts";
import { runChildForJson, withScratchDatabase } from "./support/scratch.ts";

const here = fileURLToPath(import.meta.url);
const NOW = "2027-05-20T06:00:00Z";

interface Result {
  kind: string;
  customers: number;
  previewSeconds: number;
  sendSeconds: number;
  resendSeconds: number;
  queued: number;
  control: number;
  rows: number;
  previewSend: number;
  previewSkip: number;
  maxRssMb: number;
}

async function child(kind: "postgres" | "pglite", where: string, customers: number): Promise<void> {
  const db: Database = kind === "postgres" ? await openDatabase({ kind: "postgres", url: where, poolSize: 10 }) : await openDatabase({ kind: "pglite", dataDir: where });
  try {
    await applyMigrations(db.sql);
    await db.sql.withSession(async (session) => {
      await session.query(
        `INSERT INTO "Customer" (id, "displayName", "timeZone", locale, tags, "marketingConsent", "updatedAt")
         SELECT gen_random_uuid(), 'c' || g, 'Asia/Shanghai', CASE WHEN g % 2 = 0 THEN 'zh-CN' ELSE 'en' END, ARRAY['spring'], g % 2 = 0, now()
           FROM generate_series(1, $1::int) AS g`,
        [customers],
      );
      await session.query(
        `INSERT INTO "ChannelIdentity" (id, "customerId", platform, "platformUserId", address)
         SELECT gen_random_uuid(), id, 'telegram', id::text, 'telegram:' || id::text FROM "Customer"`,
      );
      await session.query(
        `INSERT INTO "LoyaltyLedgerEntry" (id, "customerId", kind, points, "createdAt")
         SELECT gen_random_uuid(), id, 'earn', 600, TIMESTAMP '2027-03-01 00:00:00' FROM "Customer" WHERE "displayName" LIKE '%3' OR "displayName" LIKE '%7'`,
      );
      // As a database that has lived a while: the planner knows the tables' sizes (autovacuum would have analysed them).
      await session.query("ANALYZE");
    });
    const clock = new ManualClock(NOW);
    const service = new CampaignService({
      db,
      clock,
      tierRules: defaultLoyaltySettings,
      policy: { defaultQuietHours: null, poorRatingPauseDays: 14 },
      plan: { enabled: true, control: 0.1 },
    });
    const parsed = service.parseDraft({
      name: "Spring",
      message: { en: "Hi {name}, as a {tier} member: {reward}", "zh-CN": "{name}，{tier}会员：{reward}" },
      offer: { en: "10% off", "zh-CN": "九折" },
      segment: { tags: { any: ["spring"] } },
      by: "bench",
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const by = { actor: cliActor("bench") };
    const campaign = await service.create(parsed.value, by);

    let started = performance.now();
    const preview = (await service.preview(campaign.id, 20))!;
    const previewSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const sent = await service.send(campaign.id, by);
    const sendSeconds = (performance.now() - started) / 1000;
    if (sent.status !== "sent") throw new Error(`send: ${sent.status}`);
    started = performance.now();
    const again = await service.send(campaign.id, by);
    const resendSeconds = (performance.now() - started) / 1000;
    if (again.status !== "already_sent") throw new Error(`second send: ${again.status}`);
    const rows = await db.prisma.outboxMessage.count({ where: { kind: "campaign" } });
    const result: Result = {
      kind,
      customers,
      previewSeconds,
      sendSeconds,
      resendSeconds,
      queued: sent.queued,
      control: sent.control,
      rows,
      previewSend: preview.counts.send,
      previewSkip: preview.counts.skip,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    };
    console.log(JSON.stringify(result));
  } finally {
    await db.close();
  }
}

function line(r: Result): string {
  return `${r.kind.padEnd(8)} ${String(r.customers).padStart(9)}  ${r.previewSeconds.toFixed(1).padStart(9)}  ${Math.round(r.customers / r.previewSeconds)
    .toString()
    .padStart(9)}  ${r.sendSeconds.toFixed(1).padStart(6)}  ${Math.round(r.customers / r.sendSeconds)
    .toString()
    .padStart(8)}  ${r.resendSeconds.toFixed(1).padStart(9)}  ${String(r.rows).padStart(7)}  ${String(r.control).padStart(7)}  ${r.maxRssMb.toFixed(0).padStart(11)}`;
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? "10000,30000,100000").split(",").map(Number);
  console.log(`campaign preview and send, batches of 500; load average ${(await fs.readFile("/proc/loadavg", "utf8").catch(() => "?")).trim()}`);
  console.log("database customers  preview s  members/s  send s  rows/s  re-send s     rows  control  peak RSS MB");
  const check = (r: Result) => {
    // Every member gets a row (to send or control); half have consent, so the preview skips about half of the rest.
    if (r.rows !== r.customers || r.queued + r.control !== r.customers) throw new Error(`expected ${r.customers} rows, got ${r.rows}`);
  };
  for (const customers of sizes) {
    const result = await withScratchDatabase(`campaign_${customers}`, (url) => runChildForJson<Result>(here, ["--child", "postgres", url, String(customers)], `postgres ${customers}`));
    check(result);
    console.log(line(result));
  }
  const largest = Math.max(...sizes);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tend-bench-campaign-"));
  try {
    const result = runChildForJson<Result>(here, ["--child", "pglite", dir, String(largest)], `pglite ${largest}`);
    check(result);
    console.log(line(result));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") await child(process.argv[3] as "postgres" | "pglite", process.argv[4]!, Number(process.argv[5]));
else await main();
