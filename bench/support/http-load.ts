// Shared by the HTTP inbound benchmarks: child processes (Tend or the raw server), autocannon
// requests for the web chat and the Telegram webhook, warming customers up.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import autocannon from "autocannon";

export const texts = ["help", "points", "rewards", "what is this?"];
export const TOKEN = "123456:BENCH-token-abcdefghijklmnopqrstu";
export const SECRET = "bench-webhook-secret";

const childScript = path.join(path.dirname(new URL(import.meta.url).pathname), "inbound-http-child.ts");

export interface Child {
  port: number;
  stop(): Promise<number>;
}

export async function startChild(args: string[]): Promise<Child> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", childScript, ...args], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const json: Record<string, number>[] = [];
  const waiters: ((line: Record<string, number>) => void)[] = [];
  lines.on("line", (line) => {
    if (!line.startsWith("{")) return;
    const parsed = JSON.parse(line) as Record<string, number>;
    const waiter = waiters.shift();
    if (waiter) waiter(parsed);
    else json.push(parsed);
  });
  const next = () => new Promise<Record<string, number>>((resolve) => (json.length ? resolve(json.shift()!) : waiters.push(resolve)));
  const { port } = await next();
  return {
    port: port!,
    async stop() {
      child.stdin!.end();
      return (await next()).peakRssMb!;
    },
  };
}

/** Visitors per connection, so that none passes the web chat's per-visitor rate limit (600 a minute). */
export const visitorsPer = (connections: number) => Math.max(2, Math.ceil(64 / connections));

export function webchatRequest(label: string, connections: number) {
  let connection = 0;
  return {
    method: "POST" as const,
    path: "/webchat/api/messages",
    headers: { "content-type": "application/json" },
    setupRequest: (request: { body?: unknown }, context: Record<string, number>) => {
      context.connection ??= connection++;
      context.sent = (context.sent ?? 0) + 1;
      const visitor = `${label}-c${connections}-${context.connection}-${context.sent % visitorsPer(connections)}`;
      request.body = JSON.stringify({ visitorId: visitor, messageId: `m${context.sent}-${Math.random().toString(36).slice(2)}`, text: texts[context.sent % texts.length] });
      return request;
    },
  };
}

let updateId = 1;
export function telegramUpdate(chat: number, text: string) {
  const id = updateId++;
  return {
    update_id: id,
    message: { message_id: id, date: Math.floor(Date.now() / 1000), chat: { id: chat, type: "private", first_name: "Bench" }, from: { id: chat, is_bot: false, first_name: "Bench" }, text },
  };
}

export function telegramRequest(base: number) {
  let connection = 0;
  return {
    method: "POST" as const,
    path: "/telegram/webhook",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
    setupRequest: (request: { body?: unknown }, context: Record<string, number>) => {
      context.connection ??= connection++;
      context.sent = (context.sent ?? 0) + 1;
      request.body = JSON.stringify(telegramUpdate(base + context.connection, texts[context.sent % texts.length]!));
      return request;
    },
  };
}

export interface Run {
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

export async function load(port: number, connections: number, request: ReturnType<typeof webchatRequest> | ReturnType<typeof telegramRequest>, seconds: number): Promise<Run> {
  const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections, duration: seconds, requests: [request] });
  return { perSecond: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors };
}

export async function post(port: number, pathName: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${pathName}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  if (response.status !== 200) throw new Error(`${pathName}: ${response.status} ${await response.text()}`);
}

/** Every customer of a level writes once before it is timed: returning customers, warm code. */
export async function warm(port: number, label: string, connections: number, telegram: boolean) {
  for (let c = 0; c < connections; c++) {
    for (let v = 0; v < visitorsPer(connections); v++) await post(port, "/webchat/api/messages", { visitorId: `${label}-c${connections}-${c}-${v}`, text: "help" });
    if (telegram) await post(port, "/telegram/webhook", telegramUpdate(connections * 1000 + c, "help"), { "x-telegram-bot-api-secret-token": SECRET });
  }
}

