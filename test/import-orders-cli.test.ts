import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../src/db/database.ts";
import { tendDatabaseTargets } from "./support/databases.ts";
import { runTend, tendBin } from "./support/run-tend.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tend-import-cli-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** N orders over M customers, one line each; `reject(i)` rows carry an amount every import refuses. */
function ordersFile(name: string, count: number, customers: number, reject: (i: number) => boolean = () => false): string {
  const file = path.join(tmp, name);
  const lines = ["external_id,customer_external_id,amount,currency,placed_at"];
  for (let i = 1; i <= count; i++) lines.push(`${name}-${i},${name}-c${i % customers},${reject(i) ? "-1" : `${(i % 300) + 1}.25`},CNY,2026-10-01T08:00:00Z`);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

async function openTarget(env: Record<string, string>): Promise<Database> {
  return env.DATABASE_URL ? openDatabase({ kind: "postgres", url: env.DATABASE_URL, poolSize: 2 }) : openDatabase({ kind: "pglite", dataDir: env.TEND_DATA_DIR! });
}

/** Orders stored, and how many of them lack their earn entry. */
async function ledgerVsOrders(env: Record<string, string>): Promise<{ orders: number; withoutPoints: number }> {
  const db = await openTarget(env);
  try {
    const [row] = await db.prisma.$queryRaw<{ orders: number; without: number }[]>`
      SELECT count(*)::int AS orders,
             count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM "LoyaltyLedgerEntry" l WHERE l."orderId" = o.id AND l.kind = 'earn'))::int AS without
      FROM "Order" o`;
    return { orders: row!.orders, withoutPoints: row!.without };
  } finally {
    await db.close();
  }
}

for (const target of tendDatabaseTargets("import-cli")) {
  describe.skipIf(Boolean(target.skip))(`tend import orders [${target.name}]${target.skip ? ` (skipped: ${target.skip})` : ""}`, () => {
    it("imports 5,000 orders with the default batch size on a small pool, every order with its points", async () => {
      const env = await target.env();
      // A pool of 2 makes any unawaited booking compete for connections, as a busy server would.
      const run = await runTend(["import", "orders", ordersFile("five-k", 5000, 400)], { ...env, DATABASE_POOL_SIZE: "2" }, 240_000);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/created: +5000\n/);
      expect(await ledgerVsOrders(env)).toEqual({ orders: 5000, withoutPoints: 0 });
    }, 300_000);

    it("leaves no order without its points when killed mid-import, and a re-run completes the file", async () => {
      const env = await target.env();
      // Every 10th row is refused, so the rejects file grows batch by batch: it shows how far the import got.
      const file = ordersFile("killed", 3000, 200, (i) => i % 10 === 0);
      const rejects = path.join(tmp, `killed-rejects-${target.name}.csv`);
      const child = spawn(process.execPath, [tendBin, "import", "orders", file, "--rejects", rejects], {
        env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (chunk) => (output += chunk));
      child.stderr.on("data", (chunk) => (output += chunk));
      const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
      let done = false;
      void exited.then(() => (done = true));
      // Kill it hard as soon as the first batch is in: its rejected rows are written after its orders.
      for (let waited = 0; !done; waited += 10) {
        if (waited > 200_000) throw new Error(`the import never got going:\n${output}`);
        const text = fs.existsSync(rejects) ? fs.readFileSync(rejects, "utf8") : "";
        if (text.split("\r\n").length > 2) {
          child.kill("SIGKILL");
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await exited;

      const interrupted = await ledgerVsOrders(env);
      expect(interrupted.orders).toBeGreaterThan(0);
      expect(interrupted.withoutPoints).toBe(0);

      const rerun = await runTend(["import", "orders", file], env, 240_000);
      expect(rerun.stderr).toBe("");
      expect(rerun.code).toBe(2); // the refused rows
      expect(await ledgerVsOrders(env)).toEqual({ orders: 2700, withoutPoints: 0 });
    }, 300_000);
  });
}
