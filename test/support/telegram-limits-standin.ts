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

  private readonly server: http.Server;
  private readonly overall = new SlidingWindow();
  private readonly chats = new Map<number, SlidingWindow>();
  private readonly polls = new Set<http.ServerResponse>();
  private port = 0;

  private constructor(
    private readonly token: string,
    readonly limits: StandinLimits,
  ) {
    this.server = http.createServer((request, response) => {
      let body = "";
      request.setEncoding("utf8");
      request.on("data", (chunk: string) => (body += chunk));
      request.on("end", () => this.serve(request.url ?? "", body, response));
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

  private serve(path: string, body: string, response: http.ServerResponse): void {
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
        return this.sendMessage(Number(payload.chat_id), response);
      default:
        return this.reply(response, 404, { ok: false, error_code: 404, description: "Not Found: method not found" });
    }
  }

  private sendMessage(chatId: number, response: http.ServerResponse): void {
    const now = performance.now();
    const { overall, perChat, windowMs } = this.limits;
    let chat = this.chats.get(chatId);
    if (!chat) this.chats.set(chatId, (chat = new SlidingWindow()));
    if (this.overall.count(now, windowMs) >= overall || chat.count(now, windowMs) >= perChat) {
      this.tooMany += 1;
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
