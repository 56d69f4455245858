import { describe, expect, inject, it } from "vitest";
import { openDatabase } from "../src/db/database.ts";
import { defaultDispatcherSettings } from "../src/outreach/dispatcher.ts";
import { createTestPostgresDatabase } from "./support/databases.ts";
import { databaseUrl } from "./support/postgres-server.ts";
import { startTendProcess, waitForExit } from "./support/run-tend.ts";
import { goodToken } from "./support/telegram-helpers.ts";
import { TelegramLimitsStandin } from "./support/telegram-limits-standin.ts";

const MESSAGES = 10_000;
const CHAT_BASE = 700_000;
/** Bounds on waits that only stop a hung run (nothing here is timed): a busy 2-core machine may take minutes. */
const TIMEOUT_MS = 900_000;

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Three Tend processes on one PostgreSQL dispatch one outbox of 10,000 due messages to a counting
 * Telegram stand-in (it keeps a count per chat, not the messages, so it stays cheap); one is killed
 * (SIGKILL) mid-run. Every message arrives; a duplicate may only come from a send the killed process
 * had started and not yet recorded. The customers and rows are written with plain SQL: the test is
 * about dispatching them.
 */
describe.skipIf(Boolean(inject("postgresSkipReason")))("outbox across three Tend processes [postgres]", () => {
  it(
    "delivers every message once, and loses none when one process is killed mid-run",
    async () => {
      const started = performance.now();
      // No limit to enforce here: the pace is not what is under test.
      const standin = await TelegramLimitsStandin.start(goodToken, { overall: 1_000_000, perChat: 1_000_000, windowMs: 1000 });
      const url = databaseUrl(await createTestPostgresDatabase());
      const db = await openDatabase({ kind: "postgres", url, poolSize: 4 });
      const children: Awaited<ReturnType<typeof startTendProcess>>[] = [];
      try {
        const queued = await db.sql.withSession(async (session) => {
          await session.query(
            `INSERT INTO "Customer" (id, "displayName", "updatedAt") SELECT gen_random_uuid(), 'load ' || g, now() FROM generate_series(0, $1::int - 1) AS g`,
            [MESSAGES],
          );
          await session.query(
            `INSERT INTO "ChannelIdentity" (id, "customerId", platform, "platformUserId", address)
             SELECT gen_random_uuid(), id, 'telegram', ($1::int + substr("displayName", 6)::int)::text, 'telegram:' || ($1::int + substr("displayName", 6)::int)
               FROM "Customer" WHERE "displayName" LIKE 'load %'`,
            [CHAT_BASE],
          );
          return session.query<{ n: number }>(
            `WITH queued AS (
               INSERT INTO "OutboxMessage" (id, "customerId", kind, topic, payload, "dedupeKey", status, "notBefore")
               SELECT gen_random_uuid(), c.id, 'load', 'staff', jsonb_build_object('text', 'message for ' || i.address), 'load:' || i.address, 'pending', now()
                 FROM "Customer" c JOIN "ChannelIdentity" i ON i."customerId" = c.id WHERE c."displayName" LIKE 'load %'
               RETURNING 1)
             SELECT count(*)::int AS n FROM queued`,
          );
        });
        expect(queued[0]?.n).toBe(MESSAGES);

        const env = (name: string) => ({
          DATABASE_URL: url,
          HOST: "127.0.0.1",
          PORT: "0",
          TEND_INSTANCE_ID: name,
          TELEGRAM_BOT_TOKEN: goodToken,
          TELEGRAM_API_ROOT: standin.url,
          // The pace is not what is under test here.
          OUTREACH_RATE_TELEGRAM: "3000/1s, 1/1s per chat",
        });
        children.push(...(await Promise.all(["p1", "p2", "p3"].map((name) => startTendProcess(env(name))))));

        const chatsReached = () => standin.perChatCounts.size;
        await until(() => standin.accepted >= MESSAGES / 4, "a quarter of the messages", TIMEOUT_MS);
        const victim = children[0]!;
        victim.child.kill("SIGKILL");
        await waitForExit(victim.child);
        const atKill = standin.accepted;

        await until(() => chatsReached() === MESSAGES, "every message", TIMEOUT_MS);
        await until(async () => (await db.prisma.outboxMessage.count({ where: { kind: "load", status: "sent" } })) === MESSAGES, "every row recorded sent", TIMEOUT_MS);
        const sends = standin.accepted;
        const duplicates = sends - MESSAGES;
        const repeated = [...standin.perChatCounts].filter(([, count]) => count > 1).map(([chat, count]) => `${chat}×${count}`);
        console.log(
          `outbox across 3 processes: ${MESSAGES} messages, ${sends} sends, ${duplicates} duplicate(s) after SIGKILL (killed at ${atKill} sent)` +
            `${repeated.length ? `: ${repeated.join(", ")}` : ""}; ${((performance.now() - started) / 1000).toFixed(0)} s in all`,
        );
        // Only sends the killed process had started and not yet recorded may repeat: at most one per worker.
        expect(duplicates).toBeLessThanOrEqual(defaultDispatcherSettings.concurrency);
        expect(chatsReached()).toBe(MESSAGES);
        expect([...standin.perChatCounts.keys()].every((chat) => chat >= CHAT_BASE && chat < CHAT_BASE + MESSAGES)).toBe(true);
      } finally {
        for (const { child } of children.slice(1)) {
          child.kill("SIGTERM");
          await waitForExit(child);
        }
        await db.close();
        await standin.close();
      }
    },
    TIMEOUT_MS * 2,
  );
});
