// A child process of bench/inbound-http.ts, so that its peak RSS is its own:
//   tend <env-json>           a whole Tend (startTend) with that environment
//   raw postgres <url>        the raw ceiling behind a bare node:http server, on PostgreSQL
//   raw pglite <dir>          the same on a file-backed PGlite (migrated here)
// Prints {"port"} once listening; on stdin's end stops and prints {"peakRssMb"}.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { newPGlite } from "../../src/db/pglite.ts";
import pg from "pg";
import { startTend } from "../../src/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { openDatabase } from "../../src/db/database.ts";
import { applyMigrations } from "../../src/db/migrations.ts";
import { type RawSend, rawPg, rawPglite } from "./raw-ceiling.ts";

const [mode, kind, where] = process.argv.slice(2);

async function rawServer(send: RawSend): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { visitorId?: string; text?: string; message?: { from: { id: number }; text: string } };
      const user = body.visitorId ?? `tg-${body.message?.from.id}`;
      send(user, body.text ?? body.message?.text ?? "").then(
        () => {
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify({ replies: [{ text: "answer" }] }));
        },
        (error: unknown) => {
          response.writeHead(500);
          response.end(String(error));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let stop: () => Promise<void>;
if (mode === "tend") {
  const tend = await startTend({ config: loadConfig(JSON.parse(kind!) as Record<string, string>) });
  console.log(JSON.stringify({ port: Number(new URL(tend.url).port) }));
  stop = () => tend.stop();
} else if (kind === "postgres") {
  const pool = new pg.Pool({ connectionString: where, max: 10 });
  const server = await rawServer(rawPg(pool));
  console.log(JSON.stringify({ port: server.port }));
  stop = async () => {
    await server.close();
    await pool.end();
  };
} else {
  const pglite = newPGlite(where);
  await pglite.waitReady;
  const db = await openDatabase({ kind: "pglite-instance", pglite });
  await applyMigrations(db.sql);
  const server = await rawServer(rawPglite(pglite));
  console.log(JSON.stringify({ port: server.port }));
  stop = async () => {
    await server.close();
    await db.close();
  };
}
process.stdin.resume();
process.stdin.on("end", () => {
  void stop().then(() => {
    console.log(JSON.stringify({ peakRssMb: process.resourceUsage().maxRSS / 1024 }));
    process.exit(0);
  });
});
