// The inbound benchmarks' limit: the database work one message needs, done with the same driver
// and no engine: look up the identity, then write the inbound and the outbound interaction in
// one transaction. A platform user seen for the first time gets a customer and identity first.
//
// Two ways to do it: as the issue words it (BEGIN, one INSERT per row, COMMIT: five round trips
// with the look-up), and the tightest the driver allows (both rows in one INSERT, itself one
// transaction: two round trips, each a named statement prepared once per connection, as Tend's
// plain-SQL statements are since they were prepared: on PGlite through the same protocol runner,
// src/db/plain-sql.ts's pglitePrepared, one call into PGlite per statement). Either does less database work than the engine does for the same
// message (the engine also reads the whole customer row and whether the message was seen before,
// refreshes the identity, locks the customer row FOR SHARE, writes the reply's metadata, and reads
// the ledger for points and rewards), so both are ceilings, the second the stricter one.
import { randomUUID } from "node:crypto";
import type { PGlite } from "@electric-sql/pglite";
import type pg from "pg";
import { pglitePrepared } from "../../src/db/plain-sql.ts";

export type RawSend = (platformUserId: string, text: string) => Promise<void>;

const identitySql = `SELECT "customerId" FROM "ChannelIdentity" WHERE "platform" = 'web' AND "platformUserId" = $1`;
const insertSql = `INSERT INTO "Interaction" ("id", "customerId", "platform", "direction", "kind", "text", "platformMessageId", "occurredAt", "claimedAt", "handledAt")
  VALUES ($1, $2, 'web', $3::"Direction", 'message', $4, $5, now(), now(), now())`;
const newCustomerSql = `WITH c AS (INSERT INTO "Customer" ("id", "updatedAt") VALUES ($1, now()) RETURNING "id")
  INSERT INTO "ChannelIdentity" ("id", "customerId", "platform", "platformUserId", "address") SELECT $2, c."id", 'web', $3, $3 FROM c
  ON CONFLICT DO NOTHING`;

/** Both rows in one statement (one implicit transaction): the same columns, NULLs where a row has none. */
const insertBothSql = `INSERT INTO "Interaction" ("id", "customerId", "platform", "direction", "kind", "text", "platformMessageId", "occurredAt", "claimedAt", "handledAt")
  VALUES ($1, $2, 'web', 'in', 'message', $3, $4, now(), now(), now()), ($5, $2, 'web', 'out', 'message', $6, NULL, now(), NULL, NULL)`;

type Query = (sql: string, params: unknown[]) => Promise<{ rows: { customerId: string }[] }>;

async function customerOf(query: Query, user: string): Promise<string> {
  const found = await query(identitySql, [user]);
  if (found.rows[0]) return found.rows[0].customerId;
  await query(newCustomerSql, [randomUUID(), randomUUID(), user]);
  return (await query(identitySql, [user])).rows[0]!.customerId;
}

export function rawPg(pool: pg.Pool): RawSend {
  return async (user, text) => {
    const customerId = await customerOf((sql, params) => pool.query(sql, params), user);
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(insertSql, [randomUUID(), customerId, "in", text, `raw-${randomUUID()}`]);
      await client.query(insertSql, [randomUUID(), customerId, "out", `answer to ${text}`, null]);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };
}

export function rawPglite(pglite: PGlite): RawSend {
  return async (user, text) => {
    const customerId = await customerOf((sql, params) => pglite.query<{ customerId: string }>(sql, params), user);
    await pglite.transaction(async (tx) => {
      await tx.query(insertSql, [randomUUID(), customerId, "in", text, `raw-${randomUUID()}`]);
      await tx.query(insertSql, [randomUUID(), customerId, "out", `answer to ${text}`, null]);
    });
  };
}

/** The stricter ceiling on pg: the look-up, then both rows in one INSERT (two round trips), both prepared. */
export function rawPgOneStatement(pool: pg.Pool): RawSend {
  const query: Query = (sql, params) => pool.query({ name: sql === identitySql ? "raw_identity" : "raw_new_customer", text: sql, values: params });
  return async (user, text) => {
    const customerId = await customerOf(query, user);
    await pool.query({ name: "raw_insert_both", text: insertBothSql, values: [randomUUID(), customerId, text, `raw-${randomUUID()}`, randomUUID(), `answer to ${text}`] });
  };
}

/** The stricter ceiling on PGlite: the look-up, then both rows in one INSERT, both prepared. */
export function rawPgliteOneStatement(pglite: PGlite): RawSend {
  const statements = pglitePrepared(pglite);
  const query: Query = async (sql, params) => ({ rows: await statements.run<{ customerId: string }>(sql, params) });
  return async (user, text) => {
    const customerId = await customerOf(query, user);
    await statements.run(insertBothSql, [randomUUID(), customerId, text, `raw-${randomUUID()}`, randomUUID(), `answer to ${text}`]);
  };
}
