// Messages per second through the relationship engine (identity, dedupe, routing, loyalty
// lookups, timeline writes), on the embedded database and on PostgreSQL, in one run.
import os from "node:os";
import { newPGlite } from "../src/db/pglite.ts";
import pg from "pg";
import { loadConfig } from "../src/config/env.ts";
import { systemClock } from "../src/core/clock.ts";
import { type Database, openDatabase } from "../src/db/database.ts";
import { applyMigrations } from "../src/db/migrations.ts";
import { buildServices } from "../src/engine/build-services.ts";
import { Engine } from "../src/engine/engine.ts";
import { createLogger } from "../src/observability/logger.ts";

const CUSTOMERS = 50;
const MESSAGES = 1000;
const CONCURRENCY = 8;
const texts = ["help", "points", "rewards", "birthday 1990-05-12", "profile", "what is this?"];

async function run(name: string, db: Database) {
  await applyMigrations(db.sql);
  const config = loadConfig({ LOG_LEVEL: "silent" });
  const logger = createLogger("silent");
  const services = buildServices(db, config, systemClock, logger);
  await services.loyalty.syncRewardCatalogue();
  const engine = new Engine({ services, logger });
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < MESSAGES) {
        const i = next++;
        const user = `bench-${i % CUSTOMERS}`;
        const t0 = performance.now();
        await engine.handleInbound({
          platform: "web",
          platformUserId: user,
          address: `web:${user}`,
          platformMessageId: `m-${i}`,
          text: texts[i % texts.length],
          receivedAt: new Date(),
          raw: null,
        });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
  const rate = MESSAGES / seconds;
  console.log(`${name.padEnd(10)} ${rate.toFixed(0).padStart(5)} messages/s   p50 ${pick(0.5)} ms   p95 ${pick(0.95)} ms`);
  await db.close();
  return rate;
}

console.log(`engine throughput: ${MESSAGES} messages from ${CUSTOMERS} customers, ${CONCURRENCY} at a time`);
console.log(`machine: ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}, Node ${process.version}`);
const embedded = await run("PGlite", await openDatabase({ kind: "pglite-instance", pglite: newPGlite() }));
const adminUrl = process.env.TEND_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const name = `tend_bench_${process.pid}`;
const admin = new pg.Client({ connectionString: adminUrl });
try {
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const postgres = await run("PostgreSQL", await openDatabase({ kind: "postgres", url: url.toString(), poolSize: CONCURRENCY }));
  console.log(`PostgreSQL / PGlite: ${(postgres / embedded).toFixed(2)}x`);
  await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
} catch (error) {
  console.log(`PostgreSQL skipped: ${(error as Error).message}`);
} finally {
  await admin.end().catch(() => {});
}
