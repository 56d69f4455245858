import type { Database } from "./database.ts";

/**
 * Runs `work` only if no other session holds the PostgreSQL advisory lock `name`, and returns
 * null (without waiting) when one does: several instances firing the same job at once run it once.
 * The lock is a session lock on a connection lent for the run, so it dies with a crashed process.
 * PGlite has a single process and connection: `work` simply runs.
 */
export async function withTryAdvisoryLock<T>(db: Database, name: string, work: () => Promise<T>): Promise<T | null> {
  if (db.kind === "pglite") return work();
  return db.sql.withSession(async (session) => {
    const [row] = await session.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS locked", [name]);
    if (!row?.locked) return null;
    try {
      return await work();
    } finally {
      await session.query("SELECT pg_advisory_unlock(hashtext($1))", [name]);
    }
  });
}
