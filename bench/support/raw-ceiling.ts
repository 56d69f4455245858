// The inbound benchmarks' limit: the database work one message needs, done with the same driver
// and no engine: look up the identity, then write the inbound and the outbound interaction in
// one transaction. A platform user seen for the first time gets a customer and identity first.
import { randomUUID } from "node:crypto";
import type { PGlite } from "@electric-sql/pglite";
import type pg from "pg";

export type RawSend = (platformUserId: string, text: string) => Promise<void>;

const identitySql = `SELECT "customerId" FROM "ChannelIdentity" WHERE "platform" = 'web' AND "platformUserId" = $1`;
const insertSql = `INSERT INTO "Interaction" ("id", "customerId", "platform", "direction", "kind", "text", "platformMessageId", "occurredAt", "claimedAt", "handledAt")
  VALUES ($1, $2, 'web', $3::"Direction", 'message', $4, $5, now(), now(), now())`;
const newCustomerSql = `WITH c AS (INSERT INTO "Customer" ("id", "updatedAt") VALUES ($1, now()) RETURNING "id")
  INSERT INTO "ChannelIdentity" ("id", "customerId", "platform", "platformUserId", "address") SELECT $2, c."id", 'web', $3, $3 FROM c
  ON CONFLICT DO NOTHING`;

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
