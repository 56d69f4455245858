// One customer at a time over HTTP, to see where a message's time goes outside the engine:
// sequential requests on one keep-alive connection (no load generator in the way) to
// GET /healthz (one SELECT 1: the HTTP floor plus one round trip), the web chat and the
// Telegram webhook, on PostgreSQL. For each: the median and p90 wall time, and the CPU time
// Tend's process spent per request (process.cpuUsage in the child, less sensitive to other
// load on the machine than wall time). Tend runs as `npm start` runs it (`node bin/tend.js start`,
// compiled dist/, the V8 flags `tend start` sets); the engine-direct line comes from a second Tend
// started in-process by the bench child afterwards. With --cpu-prof a V8 CPU profile of Tend is written.
// `npx tsx bench/inbound-http-probe.ts [requests] [--cpu-prof] [--only=healthz|web|telegram|engine]`
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { TelegramStandin } from "../test/support/telegram-standin.ts";
import { SECRET, TOKEN, startChild, telegramUpdate, texts } from "./support/http-load.ts";
import { startTendProcess } from "./support/tend-process.ts";
import { loadAverage } from "./support/inbound-setup.ts";
import { withScratchDatabase } from "./support/scratch.ts";

const requests = Number(process.argv[2] ?? 300) || 300;
const profile = process.argv.includes("--cpu-prof");
const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function send(port: number, method: "GET" | "POST", pathName: string, body?: unknown, headers: Record<string, string> = {}): Promise<number> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: "127.0.0.1", port, method, path: pathName, agent, headers: { ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}), ...headers } },
      (response) => {
        response.resume();
        response.on("end", () => (response.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`${pathName}: ${response.statusCode}`))));
      },
    );
    request.on("error", reject);
    request.end(payload);
  });
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function series(name: string, tend: { cpuUs(): Promise<number> }, one: (i: number) => Promise<number>) {
  for (let i = 0; i < 20; i++) await one(-1 - i); // warm-up: code paths compiled, customers known
  const cpuBefore = await tend.cpuUs();
  const times: number[] = [];
  for (let i = 0; i < requests; i++) times.push(await one(i));
  const cpuMs = ((await tend.cpuUs()) - cpuBefore) / 1000 / requests;
  times.sort((a, b) => a - b);
  console.log(`| ${name} | ${quantile(times, 0.5).toFixed(1)} | ${quantile(times, 0.9).toFixed(1)} | ${cpuMs.toFixed(2)} | ${loadAverage()} |`);
}

console.log(`inbound over HTTP, one request at a time, ${requests} per path, ${os.cpus().length} cores, Node ${process.version}`);
const profileDir = profile ? fs.mkdtempSync(path.join(os.tmpdir(), "tend-http-prof-")) : undefined;
await withScratchDatabase("inbound_probe", async (url) => {
  const standin = await TelegramStandin.start([TOKEN]);
  const tend = await startTendProcess(
    {
      DATABASE_URL: url,
      DATABASE_POOL_SIZE: "10",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "silent",
        OUTREACH_DEFAULT_QUIET_HOURS: "off",
        WEBCHAT_RATE_LIMIT_PER_MINUTE: "600",
        WEBCHAT_NEW_VISITORS_PER_MINUTE_PER_IP: "10000",
        WEBCHAT_NEW_VISITORS_PER_MINUTE: "100000",
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: standin.url,
        TELEGRAM_WEBHOOK_URL: "https://bench.example/telegram/webhook",
      TELEGRAM_WEBHOOK_SECRET: SECRET,
    },
    { nodeArgs: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [] },
  );
  console.log("| path | p50 ms | p90 ms | Tend CPU ms per request | load average |");
  console.log("| --- | ---: | ---: | ---: | --- |");
  if (!only || only === "healthz") await series("GET /healthz", tend, () => send(tend.port, "GET", "/healthz"));
  if (!only || only === "web") await series("web chat", tend, (i) => send(tend.port, "POST", "/webchat/api/messages", { visitorId: `probe-visitor-${Math.abs(i) % 20}`, messageId: `m${i}x`, text: texts[Math.abs(i) % texts.length] }));
  if (!only || only === "telegram") await series("Telegram webhook", tend, (i) =>
    send(tend.port, "POST", "/telegram/webhook", telegramUpdate(777, texts[Math.abs(i) % texts.length]!), { "x-telegram-bot-api-secret-token": SECRET }),
  );
  // What Tend spends with nothing to do (timers, the outbox dispatcher's polls): included in the CPU figures above.
  const idleBefore = await tend.cpuUs();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const idleMsPerSecond = ((await tend.cpuUs()) - idleBefore) / 1000 / 2;
  await tend.stop();
  await standin.close();
  if (!only || only === "engine") {
    const engine = await startChild(["tend", JSON.stringify({ DATABASE_URL: url, DATABASE_POOL_SIZE: "10", PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", OUTREACH_DEFAULT_QUIET_HOURS: "off" })]);
    const direct = await engine.engineDirect(requests);
    await engine.stop();
    console.log(`| engine directly (web chat messages, no HTTP; a second Tend, in-process) | ${direct.p50Ms.toFixed(1)} | | ${(direct.cpuUs / 1000 / requests).toFixed(2)} | ${loadAverage()} |`);
  }
  console.log(`(idle: Tend used ${idleMsPerSecond.toFixed(1)} ms of CPU a second doing nothing)`);
});
if (profileDir) console.log(`CPU profile of Tend: ${fs.readdirSync(profileDir).map((f) => path.join(profileDir, f)).join(", ")}`);
