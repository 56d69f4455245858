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
  /** CPU time (user + system) the child has used so far, in microseconds. */
  cpuUs(): Promise<number>;
  /** Tend only: `messages` web chat messages handed to its engine directly, one at a time (no HTTP). */
  engineDirect(messages: number): Promise<{ p50Ms: number; cpuUs: number }>;
  stop(): Promise<number>;
}

/** `nodeArgs`: e.g. ["--cpu-prof", "--cpu-prof-dir=…"] to profile the child. */
export async function startChild(args: string[], nodeArgs: string[] = []): Promise<Child> {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, "--import", "tsx", childScript, ...args], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const json: Record<string, number>[] = [];
  const waiters: ((line: Record<string, number>) => void)[] = [];
  lines.on("line", (line) => {
    if (!line.startsWith("{")) return;
    const parsed = JSON.parse(line) as Record<string, number>;
    // A log line of the child's (when it runs with a LOG_LEVEL other than silent) is shown, not taken as an answer.
    if ("level" in parsed || "msg" in parsed) return void process.stderr.write(`${line}\n`);
    const waiter = waiters.shift();
    if (waiter) waiter(parsed);
    else json.push(parsed);
  });
  const next = () => new Promise<Record<string, number>>((resolve) => (json.length ? resolve(json.shift()!) : waiters.push(resolve)));
  const { port } = await next();
  return {
    port: port!,
    async cpuUs() {
      child.stdin!.write("cpu\n");
      return (await next()).cpuUs!;
    },
    async engineDirect(messages: number) {
      child.stdin!.write(`engine ${messages}\n`);
      const { p50Ms, cpuUs } = await next();
      return { p50Ms: p50Ms!, cpuUs: cpuUs! };
    },
    async stop() {
      child.stdin!.end();
      return (await next()).peakRssMb!;
    },
  };
}

/** Visitors per connection, so that none passes the web chat's per-visitor rate limit (600 a minute). */
export const visitorsPer = (connections: number) => Math.max(2, Math.ceil(64 / connections));

/**
 * The customers a level writes as (all warmed first, so every timed message is a returning
 * customer's, like the engine benchmark's), taken in turn: with at least as many customers as
 * connections, no two requests in flight are the same customer's.
 *
 * Not autocannon's per-connection `context`: with one request in the list autocannon clears that
 * context before every request, so anything kept there (a connection number, a count) starts
 * afresh each time. Kept there until 2026-12-02 07:50 UTC, it made every timed request a new
 * visitor (or Telegram chat), so the HTTP figures before then are a first message's: a customer
 * created per request, and the web chat's new-visitor look-up, on top of the returning path.
 */
export const customersAt = (connections: number) => connections * visitorsPer(connections);

export function webchatRequest(label: string, connections: number) {
  let sent = 0;
  return {
    method: "POST" as const,
    path: "/webchat/api/messages",
    headers: { "content-type": "application/json" },
    setupRequest: (request: { body?: unknown }) => {
      const n = sent++;
      const visitor = webVisitor(label, connections, n % customersAt(connections));
      request.body = JSON.stringify({ visitorId: visitor, messageId: `m${n}-${Math.random().toString(36).slice(2)}`, text: texts[n % texts.length] });
      return request;
    },
  };
}

const webVisitor = (label: string, connections: number, index: number) => `${label}-c${connections}-v${index}`;

let updateId = 1;
/**
 * In a Telegram chat the customer's and the bot's messages share one message_id sequence, so an
 * inbound id never equals a reply's. The stand-in numbers the bot's messages from 1: inbound ids
 * start far above, or every reply's delivery record would collide with an inbound row's
 * (chat:message_id) and the benchmark would time Tend's fallback for that instead of its path.
 */
const INBOUND_MESSAGE_IDS_FROM = 1_000_000_000;
export function telegramUpdate(chat: number, text: string) {
  const id = updateId++;
  return {
    update_id: id,
    message: { message_id: INBOUND_MESSAGE_IDS_FROM + id, date: Math.floor(Date.now() / 1000), chat: { id: chat, type: "private", first_name: "Bench" }, from: { id: chat, is_bot: false, first_name: "Bench" }, text },
  };
}

/** `base`: the first chat id of the level; its customers are the chats base … base + customersAt(connections) - 1. */
export function telegramRequest(base: number, connections: number) {
  let sent = 0;
  return {
    method: "POST" as const,
    path: "/telegram/webhook",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
    setupRequest: (request: { body?: unknown }) => {
      const n = sent++;
      request.body = JSON.stringify(telegramUpdate(base + (n % customersAt(connections)), texts[n % texts.length]!));
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
  /**
   * CPU time of this process (autocannon, and the Telegram stand-in when it runs here) over the
   * run, as a share of one core: near 1 means the load generator, not Tend, set the pace.
   */
  benchCpuShare?: number;
  /** CPU time the server's process spent per answered request (user + system), when measured. */
  cpuMsPerRequest?: number;
}

/** `server`: the child serving the requests, to measure its CPU time per request (less load-sensitive than wall time). */
export async function load(
  port: number,
  connections: number,
  request: ReturnType<typeof webchatRequest> | ReturnType<typeof telegramRequest>,
  seconds: number,
  server?: Pick<Child, "cpuUs">,
): Promise<Run> {
  const cpuBefore = await server?.cpuUs();
  const own = process.cpuUsage();
  const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections, duration: seconds, requests: [request] });
  const ownUsed = process.cpuUsage(own);
  const cpuAfter = await server?.cpuUs();
  const answered = result.requests.total;
  return {
    perSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    benchCpuShare: (ownUsed.user + ownUsed.system) / 1e6 / seconds,
    ...(cpuBefore !== undefined && cpuAfter !== undefined && answered > 0 ? { cpuMsPerRequest: (cpuAfter - cpuBefore) / 1000 / answered } : {}),
  };
}

export async function post(port: number, pathName: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${pathName}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  if (response.status !== 200) throw new Error(`${pathName}: ${response.status} ${await response.text()}`);
}

/** Every customer of a level writes once before it is timed: returning customers, warm code. `telegram`: the chats from `connections * 1000` too. */
export async function warm(port: number, label: string, connections: number, telegram: boolean) {
  for (let i = 0; i < customersAt(connections); i++) {
    await post(port, "/webchat/api/messages", { visitorId: webVisitor(label, connections, i), text: "help" });
    if (telegram) await post(port, "/telegram/webhook", telegramUpdate(connections * 1000 + i, "help"), { "x-telegram-bot-api-secret-token": SECRET });
  }
}
