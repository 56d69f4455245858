// A child process of bench/inbound-http.ts, so that its peak RSS is its own:
//   tend <env-json>           a whole Tend (startTend) with that environment
//   raw postgres <url>        the raw ceiling behind a bare node:http server, on PostgreSQL
//   raw pglite <dir>          the same on a file-backed PGlite (migrated here)
// Prints {"port"} once listening; a line "cpu" on stdin prints {"cpuUs"} (user + system CPU time
// used so far, for CPU per message); in Tend, a line "engine <n>" hands n web chat messages to the
// engine directly, one at a time, and prints {"p50Ms", "cpuUs"} (the same work without HTTP, in the
// same process at the same moment); on stdin's end stops and prints {"peakRssMb"}.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { newPGlite } from "../../src/db/pglite.ts";
import pg from "pg";
import { startTend } from "../../src/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { openDatabase } from "../../src/db/database.ts";
import { applyMigrations } from "../../src/db/migrations.ts";
import { texts } from "./http-load.ts";
import { inbound, percentile } from "./inbound-setup.ts";
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
let engineDirect: ((messages: number) => Promise<{ p50Ms: number; cpuUs: number }>) | undefined;
if (mode === "tend") {
  const tend = await startTend({ config: loadConfig(JSON.parse(kind!) as Record<string, string>) });
  console.log(JSON.stringify({ port: Number(new URL(tend.url).port) }));
  stop = () => tend.stop();
  engineDirect = async (messages) => {
    const send = (i: number) => tend.engine.handleInbound(inbound(`engine-direct-${i % 20}`, texts[i % texts.length]!));
    for (let i = 0; i < 20; i++) await send(i);
    const cpu = process.cpuUsage();
    const times: number[] = [];
    for (let i = 0; i < messages; i++) {
      const started = performance.now();
      await send(i);
      times.push(performance.now() - started);
    }
    const used = process.cpuUsage(cpu);
    return { p50Ms: percentile(times.sort((a, b) => a - b), 0.5), cpuUs: used.user + used.system };
  };
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
const commands = createInterface({ input: process.stdin });
commands.on("line", (line) => {
  const [command, count] = line.trim().split(/\s+/);
  if (command === "cpu") {
    const { user, system } = process.cpuUsage();
    console.log(JSON.stringify({ cpuUs: user + system }));
  } else if (command === "engine" && engineDirect) {
    void engineDirect(Number(count) || 100).then((result) => console.log(JSON.stringify(result)));
  }
});
commands.on("close", () => {
  void stop().then(() => {
    console.log(JSON.stringify({ peakRssMb: process.resourceUsage().maxRSS / 1024 }));
    process.exit(0);
  });
});
