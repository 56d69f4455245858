// Orders per second through `tend import orders` (read, validate, record each order with its points),
// on PostgreSQL and PGlite, at several sizes; against the raw ceiling: the same orders and ledger rows
// written straight through the driver, with no Tend in between. Each run is a child process of its
// own, so its peak RSS is its own. `npx tsx bench/import-orders.ts [sizes]`, e.g. `20000,50000,200000`.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { newPGlite } from "../src/db/pglite.ts";
import { runImport } from "../src/cli/import-commands.ts";
import { type Database, openDatabase } from "../src/db/database.ts";
import { applyMigrations } from "../src/db/migrations.ts";
import { runChildForJson, withScratchDatabase } from "./support/scratch.ts";

const here = fileURLToPath(import.meta.url);
const ORDERS_PER_CUSTOMER = 10;
const BATCH = 500;

interface Measured {
  seconds: number;
  rows: number;
  maxRssMb: number;
  check: string;
}

/** The rows an import reads: N orders for N/10 customers, the amounts spread over 1.25–300.25. */
function writeOrdersCsv(file: string, orders: number): void {
  const out = fs.openSync(file, "w");
  fs.writeSync(out, "external_id,customer_external_id,amount,currency,placed_at\n");
  const customers = Math.max(1, Math.floor(orders / ORDERS_PER_CUSTOMER));
  let chunk = "";
  for (let i = 1; i <= orders; i++) {
    chunk += `bench-o-${i},bench-c-${i % customers},${(i % 300) + 1}.25,CNY,2026-10-${String((i % 28) + 1).padStart(2, "0")}T08:00:00Z\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(out, chunk);
      chunk = "";
    }
  }
  fs.writeSync(out, chunk);
  fs.closeSync(out);
}

/** The customers exist before their orders, made in one statement. */
const CREATE_CUSTOMERS = `
  INSERT INTO "Customer" ("id", "externalId", "createdAt", "updatedAt")
  SELECT gen_random_uuid(), 'bench-c-' || g, now(), now() FROM generate_series(0, $1::int - 1) AS g`;

/** The raw ceiling: each batch's orders and their earn rows in one transaction, amounts already known good. */
async function rawWrite(query: (sql: string, params?: unknown[]) => Promise<unknown>, file: string): Promise<number> {
  const lines = fs.readFileSync(file, "utf8").split("\n").slice(1).filter(Boolean);
  for (let start = 0; start < lines.length; start += BATCH) {
    const rows = lines.slice(start, start + BATCH).map((line) => line.split(","));
    await query("BEGIN");
    await query(
      `WITH o AS (
         INSERT INTO "Order" ("id", "customerId", "externalId", "amount", "currency", "placedAt", "createdAt")
         SELECT gen_random_uuid(), c."id", t.ext, t.amount, t.currency, t.placed, now()
         FROM unnest($1::text[], $2::text[], $3::numeric[], $4::text[], $5::timestamp(3)[]) AS t(ext, cust, amount, currency, placed)
         JOIN "Customer" c ON c."externalId" = t.cust
         ON CONFLICT ("externalId") DO NOTHING
         RETURNING "id", "customerId", "amount")
       INSERT INTO "LoyaltyLedgerEntry" ("id", "customerId", "kind", "points", "orderId", "idempotencyKey", "expiresAt", "createdAt")
       SELECT gen_random_uuid(), o."customerId", 'earn', floor(o."amount")::int, o."id", 'order:' || o."id", now() + interval '12 months', now() FROM o`,
      [0, 1, 2, 3, 4].map((i) => rows.map((row) => row[i])),
    );
    await query("COMMIT");
  }
  return lines.length;
}

async function checkLedger(db: Database): Promise<string> {
  const [row] = await db.prisma.$queryRaw<{ orders: number; earn: number }[]>`
    SELECT (SELECT count(*)::int FROM "Order") AS orders, (SELECT count(*)::int FROM "LoyaltyLedgerEntry" WHERE kind = 'earn') AS earn`;
  return `${row!.orders} orders, ${row!.earn} earn entries`;
}

/** One measurement, in this (child) process. */
async function child(mode: "tend" | "raw", target: string, file: string, orders: number): Promise<Measured> {
  const open = (): Promise<Database> =>
    target === "pglite" ? openDatabase({ kind: "pglite-instance", pglite: newPGlite() }) : openDatabase({ kind: "postgres", url: target, poolSize: 10 });
  const db = await open();
  await applyMigrations(db.sql);
  await db.sql.withSession((session) => session.query(CREATE_CUSTOMERS, [Math.max(1, Math.floor(orders / ORDERS_PER_CUSTOMER))]));
  const started = performance.now();
  let rows: number;
  if (mode === "tend") {
    const sink = { write: () => true } as unknown as NodeJS.WritableStream;
    const report = await runImport("orders", file, {}, async () => ({ ...db, close: async () => {} }), { stdout: sink, stderr: sink });
    rows = report.rows;
  } else {
    rows = await db.sql.withSession((session) => rawWrite((sql, params) => session.query(sql, params), file));
  }
  const seconds = (performance.now() - started) / 1000;
  const check = await checkLedger(db);
  await db.close();
  return { seconds, rows, maxRssMb: process.resourceUsage().maxRSS / 1024, check };
}

function measure(mode: "tend" | "raw", target: string, file: string, orders: number): Measured {
  return runChildForJson(here, ["--child", mode, target, file, String(orders)], `${mode} ${orders}`);
}

async function main(): Promise<void> {
  const postgresSizes = (process.argv[2] ?? "20000,50000,200000").split(",").map(Number);
  const pgliteSizes = postgresSizes.filter((n) => n <= 50_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tend-bench-import-"));
  console.log(`import orders: N orders for N/${ORDERS_PER_CUSTOMER} existing customers, default batch size; raw = the same orders and earn rows through the driver`);
  console.log(`machine: ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  console.log("| Database | Orders | Tend s | Tend orders/s | Raw s | Raw orders/s | Tend / raw | Peak RSS (Tend) | s per 10k orders |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  const row = (name: string, orders: number, tend: Measured, raw: Measured) =>
    console.log(
      `| ${name} | ${orders.toLocaleString("en")} | ${tend.seconds.toFixed(1)} | ${Math.round(tend.rows / tend.seconds).toLocaleString("en")} | ` +
        `${raw.seconds.toFixed(1)} | ${Math.round(raw.rows / raw.seconds).toLocaleString("en")} | ${(raw.seconds / tend.seconds).toFixed(2)} | ` +
        `${tend.maxRssMb.toFixed(0)} MB | ${((tend.seconds / orders) * 10_000).toFixed(2)} |`,
    );
  try {
    for (const orders of postgresSizes) {
      const file = path.join(dir, `orders-${orders}.csv`);
      writeOrdersCsv(file, orders);
      const tend = await withScratchDatabase("import", (url) => measure("tend", url, file, orders));
      const raw = await withScratchDatabase("import", (url) => measure("raw", url, file, orders));
      if (tend.check !== raw.check) throw new Error(`PostgreSQL ${orders}: Tend wrote ${tend.check}, raw ${raw.check}`);
      row("PostgreSQL", orders, tend, raw);
    }
  } catch (error) {
    console.log(`PostgreSQL skipped or failed: ${(error as Error).message}`);
  }
  for (const orders of pgliteSizes) {
    const file = path.join(dir, `orders-${orders}.csv`);
    if (!fs.existsSync(file)) writeOrdersCsv(file, orders);
    row("PGlite (in memory)", orders, measure("tend", "pglite", file, orders), measure("raw", "pglite", file, orders));
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

if (process.argv[2] === "--child") {
  const [, , , mode, target, file, orders] = process.argv;
  console.log(JSON.stringify(await child(mode as "tend" | "raw", target!, file!, Number(orders))));
} else {
  await main();
}
