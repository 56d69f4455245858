// What dating points by the order costs a history import (issue 13): `tend import orders` of N orders
// for N/10 existing customers on PostgreSQL, once with every order placed last month (nothing has
// lapsed) and once with the orders spread over the last three years (about two thirds lapsed, so
// each batch also replays those customers' ledgers and books their expiries). Each run is a child
// process on a fresh database. `npx tsx bench/import-history.ts [sizes]`, e.g. `20000,50000`.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runImport } from "../src/cli/import-commands.ts";
import { openDatabase } from "../src/db/database.ts";
import { applyMigrations } from "../src/db/migrations.ts";
import { runChildForJson, withScratchDatabase } from "./support/scratch.ts";

const here = fileURLToPath(import.meta.url);
const ORDERS_PER_CUSTOMER = 10;
const DAY_MS = 86_400_000;

type Spread = "recent" | "history";

function writeOrdersCsv(file: string, orders: number, spread: Spread): void {
  const customers = Math.max(1, Math.floor(orders / ORDERS_PER_CUSTOMER));
  const now = Date.now();
  const lines = ["external_id,customer_external_id,amount,currency,placed_at"];
  for (let i = 1; i <= orders; i++) {
    // Recent: within the last 30 days. History: spread evenly over the last 3 years.
    const daysAgo = spread === "recent" ? 1 + (i % 30) : 1 + ((i * 7919) % (3 * 365));
    lines.push(`bench-o-${i},bench-c-${i % customers},${(i % 300) + 1}.25,CNY,${new Date(now - daysAgo * DAY_MS).toISOString()}`);
  }
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
}

async function child(url: string, file: string, orders: number): Promise<{ seconds: number; check: string }> {
  const db = await openDatabase({ kind: "postgres", url, poolSize: 10 });
  await applyMigrations(db.sql);
  await db.sql.withSession((session) =>
    session.query(
      `INSERT INTO "Customer" ("id", "externalId", "createdAt", "updatedAt")
       SELECT gen_random_uuid(), 'bench-c-' || g, now(), now() FROM generate_series(0, $1::int - 1) AS g`,
      [Math.max(1, Math.floor(orders / ORDERS_PER_CUSTOMER))],
    ),
  );
  const sink = { write: () => true } as unknown as NodeJS.WritableStream;
  const started = performance.now();
  await runImport("orders", file, {}, async () => ({ ...db, close: async () => {} }), { stdout: sink, stderr: sink });
  const seconds = (performance.now() - started) / 1000;
  const [row] = await db.prisma.$queryRaw<{ earn: number; expire: number }[]>`
    SELECT count(*) FILTER (WHERE kind = 'earn')::int AS earn, count(*) FILTER (WHERE kind = 'expire')::int AS expire FROM "LoyaltyLedgerEntry"`;
  await db.close();
  return { seconds, check: `${row!.earn} earn, ${row!.expire} expire entries` };
}

function measure(url: string, file: string, orders: number): { seconds: number; check: string } {
  return runChildForJson(here, ["--child", url, file, String(orders)], `import of ${orders}`);
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? "20000,50000").split(",").map(Number);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tend-bench-history-"));
  console.log(`import orders on PostgreSQL, N orders for N/${ORDERS_PER_CUSTOMER} customers: placed last month vs over three years`);
  console.log(`machine: ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}, Node ${process.version}, load ${os.loadavg()[0]!.toFixed(1)}`);
  console.log("| Orders | Recent s | History s | History / recent | History ledger |");
  console.log("| ---: | ---: | ---: | ---: | --- |");
  try {
    for (const orders of sizes) {
      const recentFile = path.join(dir, `recent-${orders}.csv`);
      const historyFile = path.join(dir, `history-${orders}.csv`);
      writeOrdersCsv(recentFile, orders, "recent");
      writeOrdersCsv(historyFile, orders, "history");
      const recent = await withScratchDatabase("history", (url) => measure(url, recentFile, orders));
      const history = await withScratchDatabase("history", (url) => measure(url, historyFile, orders));
      console.log(`| ${orders.toLocaleString("en")} | ${recent.seconds.toFixed(1)} | ${history.seconds.toFixed(1)} | ${(history.seconds / recent.seconds).toFixed(2)} | ${history.check} |`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") {
  const [, , , url, file, orders] = process.argv;
  console.log(JSON.stringify(await child(url!, file!, Number(orders))));
} else {
  await main();
}
