import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningTend, startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { createLogger } from "../src/observability/logger.ts";
import { tendDatabaseTargets } from "./support/databases.ts";
import { withAdminClient } from "./support/postgres-server.ts";

const apiKey = "outage-api-key-0123456789";

/** Makes the database unreachable for the running Tend: on PostgreSQL refused and cut off, on PGlite closed. */
async function takeDatabaseAway(tend: RunningTend, target: string, databaseName: string): Promise<void> {
  if (target === "pglite") {
    await tend.db.close();
    return;
  }
  await withAdminClient(async (client) => {
    await client.query(`ALTER DATABASE "${databaseName}" ALLOW_CONNECTIONS false`);
    await client.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [databaseName]);
  });
}

async function bringDatabaseBack(databaseName: string): Promise<void> {
  await withAdminClient(async (client) => {
    await client.query(`ALTER DATABASE "${databaseName}" ALLOW_CONNECTIONS true`);
  });
}

for (const target of tendDatabaseTargets("outage")) {
  describe.skipIf(Boolean(target.skip))(`a database outage [${target.name}]${target.skip ? ` (skipped: ${target.skip})` : ""}`, () => {
    let tend: RunningTend;
    let databaseName = "";
    let logs = "";

    beforeAll(async () => {
      const env = await target.env();
      databaseName = env.DATABASE_URL ? new URL(env.DATABASE_URL).pathname.slice(1) : "";
      const config = loadConfig({ ...env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", TEND_API_KEY: apiKey });
      const sink = new Writable({
        write(chunk, _encoding, done) {
          logs += chunk;
          done();
        },
      });
      tend = await startTend({ config, logger: createLogger("info", sink) });
    });
    afterAll(async () => {
      await tend?.stop();
    });

    const chat = () =>
      fetch(`${tend.url}/webchat/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ visitorId: `visitor-outage-${target.name}`, text: "points" }),
      });
    const api = () =>
      fetch(`${tend.url}/api/customers`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ externalId: `outage-${target.name}` }),
      });

    it("answers 503 with Retry-After while the database is away, keeps the details in the log, and recovers", async () => {
      expect((await chat()).status).toBe(200);
      expect((await api()).status).toBe(201);

      await takeDatabaseAway(tend, target.name, databaseName);

      for (const response of [await chat(), await api()]) {
        expect(response.status, response.url).toBe(503);
        expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
        const body = await response.text();
        expect(JSON.parse(body)).toEqual({ error: expect.stringMatching(/database/i) });
        if (databaseName) expect(body).not.toContain(databaseName);
      }

      const health = await fetch(`${tend.url}/healthz`);
      expect(health.status).toBe(503);
      expect(Number(health.headers.get("retry-after"))).toBeGreaterThan(0);
      const healthBody = await health.text();
      expect(JSON.parse(healthBody)).toEqual({ status: "database unavailable", database: { kind: target.name, ok: false } });
      if (databaseName) {
        expect(healthBody).not.toContain(databaseName);
        // The operator still finds out why, in the log.
        expect(logs).toContain(databaseName);
      }
      expect(logs).toMatch(/database unavailable/);

      if (target.name === "postgres") {
        await bringDatabaseBack(databaseName);
        // The pool reconnects by itself: no restart needed.
        expect((await fetch(`${tend.url}/healthz`)).status).toBe(200);
        expect((await chat()).status).toBe(200);
        expect((await api()).status).toBe(200);
      }
    });
  });
}
