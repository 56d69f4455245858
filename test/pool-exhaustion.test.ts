// A whole Tend on PostgreSQL with a pool of two connections, under many web chat messages at
// once: every message is answered (no transaction waits on a connection another holds), and a
// shutdown while handlers are still running (their clients gone) finishes and leaves no
// connection open in a transaction. The timeouts only stop a hung run; nothing here is timed.
import { describe, expect, it } from "vitest";
import { type RunningTend, startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { createLogger } from "../src/observability/logger.ts";
import { tendDatabaseTargets } from "./support/databases.ts";
import { withAdminClient } from "./support/postgres-server.ts";

const logger = createLogger("silent");
const HANG_MS = 120_000;
const postgres = tendDatabaseTargets("pool").find((target) => target.name === "postgres")!;

async function startSmallPool(): Promise<{ tend: RunningTend; database: string }> {
  const env = await postgres.env();
  const config = loadConfig({
    ...env,
    DATABASE_POOL_SIZE: "2",
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    OUTREACH_DEFAULT_QUIET_HOURS: "off",
    WEBCHAT_RATE_LIMIT_PER_MINUTE: "600",
    WEBCHAT_NEW_VISITORS_PER_MINUTE_PER_IP: "10000",
    WEBCHAT_NEW_VISITORS_PER_MINUTE: "100000",
  });
  const tend = await startTend({ config, logger });
  return { tend, database: new URL(env.DATABASE_URL!).pathname.slice(1) };
}

function send(tend: RunningTend, visitorId: string, text: string, messageId: string, signal?: AbortSignal) {
  return fetch(`${tend.url}/webchat/api/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ visitorId, text, messageId }),
    signal,
  });
}

/** Rejects when `work` has not settled in HANG_MS: the run hung (a deadlock), it is not slow. */
function hangDetector<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${HANG_MS} ms, hung`)), HANG_MS);
  });
  return Promise.race([work, hung]).finally(() => clearTimeout(timer));
}

const visitor = (i: number) => `pool-visitor-${i}`;

describe.skipIf(Boolean(postgres.skip))(`a Tend with a pool of 2 on PostgreSQL${postgres.skip ? ` (skipped: ${postgres.skip})` : ""}`, () => {
  it("answers every first and returning message sent at once", { timeout: 4 * HANG_MS }, async () => {
    const { tend } = await startSmallPool();
    try {
      const texts = ["help", "points", "rewards", "what is this?", "profile"];
      const answered = async (response: Promise<Response>) => {
        const r = await response;
        return { status: r.status, replies: ((await r.json()) as { replies?: unknown[] }).replies?.length ?? 0 };
      };
      // 40 new visitors' first messages at once.
      const first = await hangDetector(Promise.all(Array.from({ length: 40 }, (_, i) => answered(send(tend, visitor(i), "help", "first")))), "first messages");
      expect(first.every((r) => r.status === 200 && r.replies > 0)).toBe(true);
      // Those 40 again, together with 24 more new ones, mixed.
      const mixed = await hangDetector(
        Promise.all(Array.from({ length: 64 }, (_, i) => answered(send(tend, visitor(i), texts[i % texts.length]!, "second")))),
        "returning and first messages",
      );
      expect(mixed.every((r) => r.status === 200 && r.replies > 0)).toBe(true);
    } finally {
      await tend.stop();
    }
  });

  it("stops while handlers run for clients that have gone, and leaves no connection in a transaction", { timeout: 4 * HANG_MS }, async () => {
    const { tend, database } = await startSmallPool();
    const abort = new AbortController();
    const gone = Array.from({ length: 32 }, (_, i) => send(tend, visitor(100 + i), "help", "first", abort.signal).catch(() => null));
    // The first answer means the rest are in the handlers or queued for a connection behind it.
    await hangDetector(Promise.race(gone), "the first of 32 messages");
    abort.abort();
    await hangDetector(tend.stop(), "stop with handlers in flight");
    const left = await withAdminClient((client) =>
      client.query<{ state: string }>(`SELECT state FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]),
    );
    expect(left.rows.filter((row) => row.state.startsWith("idle in transaction"))).toEqual([]);
  });
});
