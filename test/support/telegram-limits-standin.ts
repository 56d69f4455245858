import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A Telegram Bot API stand-in for benchmarks that enforces Telegram's sending limits: sendMessage
 * requests are counted per sliding window overall and per chat, and one over either limit is answered
 * 429 with `parameters.retry_after` (whole seconds, as Telegram gives it) and not delivered.
 * It serves only what the Telegram adapter needs to start in long polling (getMe, deleteWebhook,
 * getUpdates, which waits out its timeout and returns nothing) and sendMessage; it keeps counts, not messages.
 */
export interface StandinLimits {
  overall: number;
  perChat: number;
  windowMs: number;
}

/**
 * One 429, kept to find out why it happened: which limit, the chat, and the accepted sends' stamps in the
 * window that refused it (ms before the refused one, oldest first; only the overall window's, for "overall").
 */
export interface TooManyRecord {
  limit: "overall" | "chat";
  chatId: number;
  /** performance.now() when it was handled, and when its request's headers arrived. */
  at: number;
  arrivedAt: number;
  /** Ms before `at` of each send accepted in the window, oldest first. */
  windowAgoMs: number[];
  /** Date.now() - (performance.timeOrigin + performance.now()) at the time: shifts when the wall clock is stepped. */
  wallMinusMonotonicMs: number;
  /** Requests this one's connection had carried before it (0: a new connection). */
  onSocketBefore: number;
}

/** What became of the 429s, for the benchmark's line. */
export interface TooManySummary {
  overall: number;
  chat: number;
  /** Chats refused once and accepted later (a 429 must lead to the message being sent again). */
  laterAccepted: number;
  records: TooManyRecord[];
  /** Range of Date.now() - monotonic over the accepted sends: a wide range means the wall clock moved against the monotonic one. */
  wallMinusMonotonicRangeMs: [number, number];
}

/** Timestamps of accepted sends, oldest first, trimmed to one window. */
class SlidingWindow {
  private readonly times: number[] = [];
  private head = 0;

  count(now: number, windowMs: number): number {
    while (this.head < this.times.length && this.times[this.head]! <= now - windowMs) this.head += 1;
    if (this.head > 4096) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }

  /** The stamps still in the window (call count() first). */
  inWindow(): number[] {
    return this.times.slice(this.head);
  }

  add(now: number): void {
    this.times.push(now);
  }
}

export class TelegramLimitsStandin {
  accepted = 0;
  tooMany = 0;
  firstAcceptedAt: number | undefined;
  lastAcceptedAt: number | undefined;
  /** Most sends accepted to one chat, to show that no chat got more than one message. */
  readonly perChatCounts = new Map<number, number>();
  /** Every 429, in order. */
  readonly tooManyRecords: TooManyRecord[] = [];
  private wallMinusMonotonic: [number, number] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

  private readonly server: http.Server;
  private readonly overall = new SlidingWindow();
  private readonly chats = new Map<number, SlidingWindow>();
  private readonly polls = new Set<http.ServerResponse>();
  private port = 0;

  private constructor(
    private readonly token: string,
    readonly limits: StandinLimits,
  ) {
    const perSocket = new WeakMap<object, number>();
    this.server = http.createServer((request, response) => {
      const arrivedAt = performance.now();
      const onSocketBefore = perSocket.get(request.socket) ?? 0;
      perSocket.set(request.socket, onSocketBefore + 1);
      let body = "";
      request.setEncoding("utf8");
      request.on("data", (chunk: string) => (body += chunk));
      request.on("end", () => this.serve(request.url ?? "", body, response, { arrivedAt, onSocketBefore }));
    });
  }

  static async start(token: string, limits: StandinLimits): Promise<TelegramLimitsStandin> {
    const standin = new TelegramLimitsStandin(token, limits);
    await new Promise<void>((resolve) => standin.server.listen(0, "127.0.0.1", resolve));
    standin.port = (standin.server.address() as AddressInfo).port;
    return standin;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const poll of this.polls) this.reply(poll, 200, { ok: true, result: [] });
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** The 429s: how many for each limit, and how many of their chats were accepted afterwards. */
  tooManySummary(): TooManySummary {
    const chats = new Set(this.tooManyRecords.map((r) => r.chatId));
    let laterAccepted = 0;
    for (const chat of chats) if ((this.perChatCounts.get(chat) ?? 0) > 0) laterAccepted += 1;
    return {
      overall: this.tooManyRecords.filter((r) => r.limit === "overall").length,
      chat: this.tooManyRecords.filter((r) => r.limit === "chat").length,
      laterAccepted,
      records: this.tooManyRecords,
      wallMinusMonotonicRangeMs: this.wallMinusMonotonic,
    };
  }

  private serve(path: string, body: string, response: http.ServerResponse, request: { arrivedAt: number; onSocketBefore: number }): void {
    const match = /^\/bot([^/]+)\/(\w+)/.exec(path);
    if (!match || match[1] !== this.token) return this.reply(response, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    const payload = parseBody(body);
    switch (match[2]) {
      case "getMe":
        return this.reply(response, 200, { ok: true, result: { id: 4242, is_bot: true, first_name: "Tend Bench", username: "tend_bench_bot" } });
      case "deleteWebhook":
      case "setWebhook":
        return this.reply(response, 200, { ok: true, result: true });
      case "getUpdates": {
        const seconds = Number(payload.timeout ?? 0);
        this.polls.add(response);
        const timer = setTimeout(() => {
          this.polls.delete(response);
          this.reply(response, 200, { ok: true, result: [] });
        }, seconds * 1000);
        response.on("close", () => {
          clearTimeout(timer);
          this.polls.delete(response);
        });
        return;
      }
      case "sendMessage":
        return this.sendMessage(Number(payload.chat_id), response, request);
      default:
        return this.reply(response, 404, { ok: false, error_code: 404, description: "Not Found: method not found" });
    }
  }

  private sendMessage(chatId: number, response: http.ServerResponse, request: { arrivedAt: number; onSocketBefore: number }): void {
    const now = performance.now();
    const wallMinusMonotonicMs = Date.now() - (performance.timeOrigin + now);
    const { overall, perChat, windowMs } = this.limits;
    let chat = this.chats.get(chatId);
    if (!chat) this.chats.set(chatId, (chat = new SlidingWindow()));
    const overFull = this.overall.count(now, windowMs) >= overall;
    if (overFull || chat.count(now, windowMs) >= perChat) {
      this.tooMany += 1;
      this.tooManyRecords.push({
        limit: overFull ? "overall" : "chat",
        chatId,
        at: now,
        arrivedAt: request.arrivedAt,
        windowAgoMs: (overFull ? this.overall : chat).inWindow().map((t) => now - t),
        wallMinusMonotonicMs,
        onSocketBefore: request.onSocketBefore,
      });
      const retryAfter = Math.max(1, Math.ceil(windowMs / 1000));
      return this.reply(response, 429, {
        ok: false,
        error_code: 429,
        description: `Too Many Requests: retry after ${retryAfter}`,
        parameters: { retry_after: retryAfter },
      });
    }
    this.overall.add(now);
    chat.add(now);
    this.wallMinusMonotonic = [Math.min(this.wallMinusMonotonic[0], wallMinusMonotonicMs), Math.max(this.wallMinusMonotonic[1], wallMinusMonotonicMs)];
    this.accepted += 1;
    this.firstAcceptedAt ??= now;
    this.lastAcceptedAt = now;
    this.perChatCounts.set(chatId, (this.perChatCounts.get(chatId) ?? 0) + 1);
    this.reply(response, 200, {
      ok: true,
      result: { message_id: this.accepted, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: "private" }, text: "" },
    });
  }

  private reply(response: http.ServerResponse, status: number, body: unknown): void {
    if (response.writableEnded) return;
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  }
}

function parseBody(body: string): Record<string, unknown> {
  if (!body) return {};
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    return Object.fromEntries(new URLSearchParams(body));
  }
}
