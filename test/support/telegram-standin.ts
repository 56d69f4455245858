import { EventEmitter } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small Telegram Bot API stand-in on loopback, speaking the documented wire protocol
 * (https://core.telegram.org/bots/api): `POST /bot<token>/<method>` with a JSON, urlencoded or
 * multipart body, answered `{ ok: true, result }` or `{ ok: false, error_code, description, parameters }`.
 * It serves only what Tend uses: getMe, getUpdates (offset confirms, timeout long-polls),
 * sendMessage (HTML parsed like Telegram: unknown tags refused, 4096 visible characters at most,
 * callback_data 1–64 bytes), sendDocument, answerCallbackQuery, setWebhook, deleteWebhook
 * (getUpdates answers 409 while a webhook is set, as Telegram does).
 * Tests enqueue updates, read what the bot sent, block a chat, or make the next call fail.
 */

export interface StandinUser {
  id: number;
  is_bot: false;
  first_name: string;
  last_name?: string;
  language_code?: string;
}

export interface StandinUpdate {
  update_id: number;
  [key: string]: unknown;
}

export interface SentMessage {
  method: "sendMessage" | "sendDocument";
  chatId: number;
  messageId: number;
  /** As sent (escaped HTML for parse_mode HTML). */
  text?: string;
  parseMode?: string;
  /** What the customer sees: tags stripped, entities decoded. */
  visibleText?: string;
  replyMarkup?: { inline_keyboard: { text: string; callback_data?: string }[][] };
  document?: { fileName: string; content: string };
}

export interface ApiFailure {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

export interface ApiCall {
  method: string;
  payload: Record<string, unknown>;
}

export const standinBot = { id: 4242, is_bot: true, first_name: "Tend Test", username: "tend_test_bot" };

const ALLOWED_TAGS = new Set(["b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre", "blockquote", "tg-emoji"]);
const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

/** Telegram's HTML parse mode: the visible text, or the error Telegram gives. */
export function parseTelegramHtml(html: string): { text: string } | { error: string } {
  let text = "";
  const open: string[] = [];
  for (let i = 0; i < html.length; ) {
    const char = html[i]!;
    if (char === "<") {
      const match = /^<(\/?)([a-z-]+)(\s[^<>]*)?>/i.exec(html.slice(i));
      if (!match) return { error: `Bad Request: can't parse entities: Unexpected character at byte offset ${i}` };
      const [whole, closing, tag] = match as unknown as [string, string, string];
      const name = tag.toLowerCase();
      if (!ALLOWED_TAGS.has(name)) return { error: `Bad Request: can't parse entities: Unsupported start tag "${name}" at byte offset ${i}` };
      if (closing) {
        if (open.pop() !== name) return { error: `Bad Request: can't parse entities: Unmatched end tag at byte offset ${i}, expected "</${open.at(-1) ?? ""}>", found "</${name}>"` };
      } else open.push(name);
      i += whole.length;
    } else if (char === "&") {
      const match = /^&(#x[0-9a-f]+|#\d+|[a-z]+);/i.exec(html.slice(i));
      const name = match?.[1];
      if (name && (ENTITIES[name] !== undefined || name.startsWith("#"))) {
        text += ENTITIES[name] ?? String.fromCodePoint(name.startsWith("#x") ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1)));
        i += match[0].length;
      } else {
        text += "&";
        i++;
      }
    } else if (char === ">") {
      return { error: `Bad Request: can't parse entities: Unexpected end tag at byte offset ${i}` };
    } else {
      text += char;
      i++;
    }
  }
  if (open.length) return { error: `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "${open.at(-1)}"` };
  return { text };
}

interface FilePart {
  fileName: string;
  content: Buffer;
}

function parseMultipart(body: Buffer, boundary: string): { fields: Record<string, string>; files: Record<string, FilePart> } {
  const fields: Record<string, string> = {};
  const files: Record<string, FilePart> = {};
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    let start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === "--") break;
    if (body.subarray(start, start + 2).toString() === "\r\n") start += 2;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next - 2); // the CRLF before the next delimiter belongs to it
    const split = part.indexOf("\r\n\r\n");
    const headers = part.subarray(0, split).toString("utf8");
    const content = part.subarray(split + 4);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    const fileName = /filename="([^"]*)"/i.exec(headers)?.[1];
    if (name !== undefined) {
      if (fileName !== undefined) files[name] = { fileName, content };
      else fields[name] = content.toString("utf8");
    }
    at = next;
  }
  return { fields, files };
}

interface Waiter {
  limit: number;
  respond: (updates: StandinUpdate[]) => void;
}

export class TelegramStandin {
  readonly calls: ApiCall[] = [];
  readonly sent: SentMessage[] = [];
  readonly answeredCallbacks: string[] = [];
  webhook: { url: string; secretToken?: string } | null = null;

  private readonly server: http.Server;
  private readonly events = new EventEmitter();
  private readonly queue: StandinUpdate[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly failures = new Map<string, ApiFailure[]>();
  private readonly blocked = new Set<number>();
  private nextUpdateId = 1000;
  private nextMessageId = 1;
  private nextCallbackId = 1;
  private port = 0;

  constructor(private readonly tokens: string[]) {
    this.events.setMaxListeners(100);
    this.server = http.createServer((request, response) => {
      void this.serve(request, response).catch((error: unknown) => {
        this.reply(response, 500, { ok: false, error_code: 500, description: `stand-in failure: ${String(error)}` });
      });
    });
  }

  static async start(tokens: string[]): Promise<TelegramStandin> {
    const standin = new TelegramStandin(tokens);
    await new Promise<void>((resolve) => standin.server.listen(0, "127.0.0.1", resolve));
    standin.port = (standin.server.address() as AddressInfo).port;
    return standin;
  }

  /** The TELEGRAM_API_ROOT to give the bot. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const waiter of this.waiters) waiter.respond([]);
    this.waiters.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // --- what tests do ---

  user(id: number, names: { first_name: string; last_name?: string; language_code?: string }): StandinUser {
    return { id, is_bot: false, ...names };
  }

  /** The next update_id: Telegram's ids only grow, and getUpdates' offset relies on it. */
  newUpdateId(): number {
    return this.nextUpdateId++;
  }

  /** Updates not yet confirmed by a getUpdates with a higher offset. */
  get pending(): number {
    return this.queue.length;
  }

  /** A private-chat text message update (not yet delivered). */
  textUpdate(from: StandinUser, text: string): StandinUpdate {
    return {
      update_id: this.nextUpdateId++,
      message: { message_id: this.nextMessageId++, date: Math.floor(Date.now() / 1000), chat: this.privateChat(from), from, text },
    };
  }

  /** A press of an inline button with this callback_data, on a message the bot sent in `from`'s chat. */
  callbackUpdate(from: StandinUser, data: string): StandinUpdate {
    const message = [...this.sent].reverse().find((m) => m.chatId === from.id);
    return {
      update_id: this.nextUpdateId++,
      callback_query: {
        id: `cb${this.nextCallbackId++}`,
        from,
        chat_instance: `ci${from.id}`,
        data,
        message: { message_id: message?.messageId ?? 1, date: Math.floor(Date.now() / 1000), chat: this.privateChat(from), text: message?.visibleText ?? "" },
      },
    };
  }

  /** Makes updates available to getUpdates, all in one batch for a poll that is waiting. */
  enqueue(...updates: StandinUpdate[]): void {
    this.queue.push(...updates);
    for (const waiter of [...this.waiters]) {
      this.waiters.delete(waiter);
      waiter.respond(this.queue.slice(0, waiter.limit));
    }
  }

  sendText(from: StandinUser, text: string): StandinUpdate {
    const update = this.textUpdate(from, text);
    this.enqueue(update);
    return update;
  }

  press(from: StandinUser, data: string): StandinUpdate {
    const update = this.callbackUpdate(from, data);
    this.enqueue(update);
    return update;
  }

  /** The next call of `method` fails with this Bot API error. */
  failNext(method: string, failure: ApiFailure): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), failure]);
  }

  /** From now on, sending to this chat fails as when the user blocked the bot. */
  block(chatId: number): void {
    this.blocked.add(chatId);
  }

  messagesTo(chatId: number): SentMessage[] {
    return this.sent.filter((m) => m.chatId === chatId);
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Resolves with the condition's value once it holds (checked after every API call), or fails after `timeoutMs`. */
  waitFor<T>(condition: () => T | undefined | null | false, what: string, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = condition();
        if (value === undefined || value === null || value === false) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.events.off("call", check);
      };
      this.events.on("call", check);
      check();
    });
  }

  /** Waits until the bot has sent `count` messages (or documents) to the chat, and returns the newest ones. */
  async waitForMessages(chatId: number, count: number, after = 0): Promise<SentMessage[]> {
    return this.waitFor(() => {
      const messages = this.messagesTo(chatId).slice(after);
      return messages.length >= count ? messages : undefined;
    }, `${count} message(s) to chat ${chatId}`);
  }

  // --- the API ---

  private privateChat(user: StandinUser) {
    return { id: user.id, type: "private", first_name: user.first_name, ...(user.last_name ? { last_name: user.last_name } : {}) };
  }

  private reply(response: http.ServerResponse, status: number, body: unknown): void {
    if (response.headersSent || response.destroyed) return;
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  }

  private fail(response: http.ServerResponse, failure: ApiFailure): void {
    this.reply(response, failure.error_code, { ok: false, ...failure });
  }

  private async readPayload(request: http.IncomingMessage): Promise<{ payload: Record<string, unknown>; files: Record<string, FilePart> }> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const type = request.headers["content-type"] ?? "";
    if (type.startsWith("multipart/form-data")) {
      const boundary = /boundary=([^;]+)/.exec(type)?.[1] ?? "";
      const { fields, files } = parseMultipart(body, boundary);
      const payload: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(fields)) {
        payload[key] = key === "reply_markup" ? JSON.parse(value) : value;
      }
      return { payload, files };
    }
    if (type.startsWith("application/x-www-form-urlencoded")) {
      return { payload: Object.fromEntries(new URLSearchParams(body.toString("utf8"))), files: {} };
    }
    const text = body.toString("utf8");
    return { payload: text ? (JSON.parse(text) as Record<string, unknown>) : {}, files: {} };
  }

  private async serve(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(new URL(request.url ?? "/", this.url).pathname);
    if (!match) return this.fail(response, { error_code: 404, description: "Not Found" });
    const [, token, method] = match as unknown as [string, string, string];
    if (!this.tokens.includes(decodeURIComponent(token))) return this.fail(response, { error_code: 401, description: "Unauthorized" });
    const { payload, files } = await this.readPayload(request);
    this.calls.push({ method, payload });
    try {
      const failure = this.failures.get(method)?.shift();
      if (failure) return this.fail(response, failure);
      return await this.call(method, payload, files, response);
    } finally {
      this.events.emit("call");
    }
  }

  private async call(method: string, payload: Record<string, unknown>, files: Record<string, FilePart>, response: http.ServerResponse): Promise<void> {
    const ok = (result: unknown) => this.reply(response, 200, { ok: true, result });
    const badRequest = (description: string) => this.fail(response, { error_code: 400, description });
    switch (method) {
      case "getMe":
        return ok(standinBot);
      case "setWebhook":
        if (typeof payload.url !== "string" || !payload.url) return badRequest("Bad Request: bad webhook: An HTTPS URL must be provided for webhook");
        this.webhook = { url: payload.url, ...(typeof payload.secret_token === "string" ? { secretToken: payload.secret_token } : {}) };
        return ok(true);
      case "deleteWebhook":
        this.webhook = null;
        return ok(true);
      case "answerCallbackQuery":
        this.answeredCallbacks.push(String(payload.callback_query_id));
        return ok(true);
      case "getUpdates":
        return this.getUpdates(payload, response);
      case "sendMessage":
        return this.sendMessage(payload, response);
      case "sendDocument": {
        const chatId = Number(payload.chat_id);
        if (this.blocked.has(chatId)) return this.fail(response, { error_code: 403, description: "Forbidden: bot was blocked by the user" });
        const file = files.document;
        if (!file) return badRequest("Bad Request: there is no document in the request");
        const messageId = this.nextMessageId++;
        this.sent.push({ method: "sendDocument", chatId, messageId, document: { fileName: file.fileName, content: file.content.toString("utf8") } });
        return ok({ message_id: messageId, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: "private" }, document: { file_name: file.fileName, file_id: `f${messageId}`, file_unique_id: `u${messageId}` } });
      }
      default:
        return this.fail(response, { error_code: 404, description: "Not Found: method not found" });
    }
  }

  private getUpdates(payload: Record<string, unknown>, response: http.ServerResponse): void {
    if (this.webhook) {
      return this.fail(response, { error_code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" });
    }
    const offset = Number(payload.offset ?? 0);
    const limit = Math.min(100, Math.max(1, Number(payload.limit ?? 100)));
    const timeout = Number(payload.timeout ?? 0);
    // Asking for offset N confirms every update before N: Telegram forgets them.
    if (offset > 0) {
      while (this.queue.length && this.queue[0]!.update_id < offset) this.queue.shift();
    }
    if (this.queue.length || timeout <= 0) {
      return this.reply(response, 200, { ok: true, result: this.queue.slice(0, limit) });
    }
    let timer: NodeJS.Timeout | undefined;
    const waiter: Waiter = {
      limit,
      respond: (updates) => {
        clearTimeout(timer);
        this.reply(response, 200, { ok: true, result: updates });
      },
    };
    timer = setTimeout(() => {
      this.waiters.delete(waiter);
      waiter.respond([]);
    }, timeout * 1000);
    this.waiters.add(waiter);
    // The bot gave up waiting (it is stopping): nothing to answer.
    response.on("close", () => {
      clearTimeout(timer);
      this.waiters.delete(waiter);
    });
  }

  private sendMessage(payload: Record<string, unknown>, response: http.ServerResponse): void {
    const chatId = Number(payload.chat_id);
    if (this.blocked.has(chatId)) return this.fail(response, { error_code: 403, description: "Forbidden: bot was blocked by the user" });
    const text = typeof payload.text === "string" ? payload.text : "";
    const parseMode = typeof payload.parse_mode === "string" ? payload.parse_mode : undefined;
    let visibleText = text;
    if (parseMode === "HTML") {
      const parsed = parseTelegramHtml(text);
      if ("error" in parsed) return this.fail(response, { error_code: 400, description: parsed.error });
      visibleText = parsed.text;
    }
    if (!visibleText.trim()) return this.fail(response, { error_code: 400, description: "Bad Request: message text is empty" });
    if (visibleText.length > 4096) return this.fail(response, { error_code: 400, description: "Bad Request: message is too long" });
    const replyMarkup = (typeof payload.reply_markup === "string" ? JSON.parse(payload.reply_markup) : payload.reply_markup) as SentMessage["replyMarkup"];
    for (const row of replyMarkup?.inline_keyboard ?? []) {
      for (const button of row) {
        const size = Buffer.byteLength(button.callback_data ?? "", "utf8");
        if (size < 1 || size > 64) return this.fail(response, { error_code: 400, description: "Bad Request: BUTTON_DATA_INVALID" });
      }
    }
    const messageId = this.nextMessageId++;
    this.sent.push({ method: "sendMessage", chatId, messageId, text, ...(parseMode ? { parseMode } : {}), visibleText, ...(replyMarkup ? { replyMarkup } : {}) });
    this.reply(response, 200, {
      ok: true,
      result: { message_id: messageId, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: "private" }, from: standinBot, text: visibleText },
    });
  }
}
