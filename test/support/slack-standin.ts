import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type Emulator, createEmulator } from "emulate";
import { type WebSocket, WebSocketServer } from "ws";

/**
 * A Slack Web API for tests: the third-party `emulate` (stateful auth.test, chat.*,
 * conversations.*, users.*, files.*) behind a small proxy that adds what it lacks: refusing
 * unknown tokens with invalid_auth (emulate lets any token in as its admin), failures on demand
 * (a 429 with Retry-After, a Slack error code, a 5xx), users' locales in users.info, a record of
 * every call, and a Socket Mode endpoint (apps.connections.open plus a WebSocket that sends
 * envelopes and collects their acknowledgements).
 *
 * For the staff app (a second Slack app with its own bot token, `staffBotToken`) it also answers
 * views.open / views.update / views.push itself (emulate's trigger ids last 3 s of wall-clock
 * time, too short for a busy test machine) and chat.postEphemeral (emulate wants the user to be
 * a channel member), records chat.update and reactions.add, and captures what apps POST to a
 * slash command's or a button's response_url (`responseUrl()`, `responses`).
 */

export interface StandinUser {
  name: string;
  displayName?: string;
  realName?: string;
  /** Returned by users.info with include_locale (emulate itself has no locales). */
  locale?: string;
}

export interface StandinOptions {
  botToken: string;
  /** The staff app's bot token: a second app in the same workspace, with its own bot user. */
  staffBotToken?: string;
  appToken?: string;
  users: StandinUser[];
}

export type Failure = { status: 429; retryAfter?: number } | { status: number } | { error: string };

export interface Call {
  method: string;
  token: string | undefined;
  params: Record<string, unknown>;
}

export interface Post {
  channel: string;
  /** The token that posted it: tells the customer app's posts from the staff app's. */
  token?: string | undefined;
  threadTs?: string | undefined;
  text: string;
  mrkdwn: unknown;
  blocks: { type: string; text?: { type: string; text: string }; elements?: { type: string; action_id: string; value: string; text: { text: string } }[] }[];
  ts: string;
}

export interface SharedFile {
  channel: string;
  name: string;
  urlPrivate: string;
}

export const BOT_USER_ID = "U0TENDBOT";
const BOT_ID = "B0TEND0001";
const SCOPES = ["chat:write", "im:write", "im:history", "users:read", "files:write", "files:read", "commands"];
export const STAFF_BOT_USER_ID = "U0STAFFBOT";
const STAFF_BOT_ID = "B0STAFF001";
const STAFF_SCOPES = ["chat:write", "im:write", "users:read", "commands", "reactions:write", "channels:history", "channels:read", "channels:manage", "groups:history"];

/** A modal an app opened or changed (views.open / views.update / views.push). */
export interface OpenedView {
  method: string;
  viewId: string;
  triggerId: string | undefined;
  view: { type: string; callback_id?: string; private_metadata?: string; title?: { text: string }; blocks: Record<string, unknown>[] };
}

/** What an app POSTed to a response_url. */
export interface Response {
  key: string;
  body: {
    response_type?: string;
    replace_original?: boolean;
    text?: string;
    blocks?: { type: string; block_id?: string; text?: { type: string; text: string }; elements?: Record<string, unknown>[]; accessory?: Record<string, unknown> }[];
  };
}

export interface Ephemeral {
  channel: string;
  user: string;
  text: string;
  blocks: unknown[];
}

function parseParams(raw: Buffer, contentType: string | undefined): Record<string, unknown> {
  const text = raw.toString("utf8");
  if (contentType?.includes("application/json")) return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (contentType?.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(text));
  return {};
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

export class SlackStandin {
  readonly calls: Call[] = [];
  readonly posts: Post[] = [];
  readonly files: SharedFile[] = [];
  readonly views: OpenedView[] = [];
  readonly responses: Response[] = [];
  readonly ephemerals: Ephemeral[] = [];
  readonly updates: Call[] = [];
  readonly reactions: { channel: string; timestamp: string; name: string }[] = [];
  private viewSequence = 0;
  private readonly failures = new Map<string, Failure[]>();
  private readonly userIds = new Map<string, string>();
  private readonly locales = new Map<string, string>();
  private readonly sockets = new Set<WebSocket>();
  private readonly acks = new Map<string, (payload: unknown) => void>();
  private socketWaiters: (() => void)[] = [];

  private constructor(
    private readonly options: StandinOptions,
    private readonly emulator: Emulator,
    private readonly server: http.Server,
    private readonly wss: WebSocketServer,
  ) {}

  static async start(options: StandinOptions): Promise<SlackStandin> {
    const emulator = await createEmulator({
      service: "slack",
      port: 0,
      seed: {
        slack: {
          team: { name: "Tend Test", domain: "tend-test" },
          users: options.users.map((u) => ({ name: u.name, real_name: u.realName ?? u.name, profile: { display_name: u.displayName ?? u.name } })),
          oauth_apps: [
            ...(options.staffBotToken
              ? [
                  {
                    client_id: "1000.3000",
                    client_secret: "test-staff-client-secret",
                    app_id: "A0STAFF001",
                    name: "Tend Staff",
                    bot_id: STAFF_BOT_ID,
                    bot_user_id: STAFF_BOT_USER_ID,
                    bot_name: "tend-staff",
                    redirect_uris: ["http://127.0.0.1/unused"],
                    scopes: STAFF_SCOPES,
                  },
                ]
              : []),
            {
              client_id: "1000.2000",
              client_secret: "test-client-secret",
              app_id: "A0TEND0001",
              name: "Tend",
              bot_id: BOT_ID,
              bot_user_id: BOT_USER_ID,
              bot_name: "tend",
              redirect_uris: ["http://127.0.0.1/unused"],
              scopes: SCOPES,
            },
          ],
          tokens: [
            { token: options.botToken, user: BOT_USER_ID, bot_id: BOT_ID, bot_user_id: BOT_USER_ID, type: "bot", scopes: SCOPES },
            ...(options.staffBotToken
              ? [{ token: options.staffBotToken, user: STAFF_BOT_USER_ID, bot_id: STAFF_BOT_ID, bot_user_id: STAFF_BOT_USER_ID, type: "bot", scopes: STAFF_SCOPES }]
              : []),
          ],
        },
      },
    });
    const server = http.createServer();
    const wss = new WebSocketServer({ server, path: "/socket" });
    const standin = new SlackStandin(options, emulator, server, wss);
    server.on("request", (request, response) => {
      standin.handle(request, response).catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
    wss.on("connection", (socket) => standin.connected(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

    const users = (await standin.emulate("users.list", {})) as { members: { id: string; name: string }[] };
    for (const user of options.users) {
      const found = users.members.find((m) => m.name === user.name);
      if (!found) throw new Error(`emulate did not seed ${user.name}`);
      standin.userIds.set(user.name, found.id);
      if (user.locale) standin.locales.set(found.id, user.locale);
    }
    return standin;
  }

  private get base(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** SLACK_API_URL for Tend. */
  get url(): string {
    return `${this.base}/api/`;
  }

  userId(name: string): string {
    const id = this.userIds.get(name);
    if (!id) throw new Error(`no stand-in user ${name}`);
    return id;
  }

  /** The bot's direct conversation with a user, as Slack would name it in that user's message events. */
  async dm(name: string): Promise<string> {
    const opened = (await this.emulate("conversations.open", { users: this.userId(name) })) as { channel: { id: string } };
    return opened.channel.id;
  }

  /** The next call of `method` fails this way instead of reaching emulate. */
  failNext(method: string, failure: Failure): void {
    const queue = this.failures.get(method) ?? [];
    queue.push(failure);
    this.failures.set(method, queue);
  }

  callsOf(method: string): Call[] {
    return this.calls.filter((c) => c.method === method);
  }

  postsTo(channel: string): Post[] {
    return this.posts.filter((p) => p.channel === channel);
  }

  /** A fresh response_url: what an app POSTs there lands in `responses` under `key`. */
  responseUrl(key: string = randomUUID()): string {
    return `${this.base}/response/${encodeURIComponent(key)}`;
  }

  responsesTo(key: string): Response[] {
    return this.responses.filter((r) => r.key === key);
  }

  /** A public channel made by the staff app (so it is a member), e.g. the staff alerts channel; its id. */
  async createChannel(name: string): Promise<string> {
    const token = this.options.staffBotToken ?? this.options.botToken;
    const response = await fetch(`${this.emulator.url}/api/conversations.create`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ name }).toString(),
    });
    const body = (await response.json()) as { ok: boolean; error?: string; channel?: { id: string } };
    if (!body.ok || !body.channel) throw new Error(`emulate conversations.create: ${body.error}`);
    return body.channel.id;
  }

  /** A file's bytes, fetched the way a Slack client would, with the bot token. */
  async download(file: SharedFile): Promise<string> {
    const response = await fetch(file.urlPrivate, { headers: { authorization: `Bearer ${this.options.botToken}` } });
    if (!response.ok) throw new Error(`download failed: ${response.status}`);
    return response.text();
  }

  /** Resolves once a Socket Mode client is connected (and was greeted with hello). */
  async socketConnected(): Promise<void> {
    if (this.sockets.size > 0) return;
    await new Promise<void>((resolve) => this.socketWaiters.push(resolve));
  }

  get socketCount(): number {
    return this.sockets.size;
  }

  /** Sends one Socket Mode envelope and resolves with the payload of the client's acknowledgement. */
  sendEnvelope(type: string, payload: unknown, retryAttempt = 0): Promise<unknown> {
    const socket = [...this.sockets][0];
    if (!socket) throw new Error("no Socket Mode client is connected");
    const envelopeId = randomUUID();
    const acked = new Promise<unknown>((resolve) => this.acks.set(envelopeId, resolve));
    socket.send(
      JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== "events_api", retry_attempt: retryAttempt, retry_reason: retryAttempt ? "timeout" : "" }),
    );
    return acked;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.emulator.close();
  }

  private connected(socket: WebSocket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
      const resolve = message.envelope_id ? this.acks.get(message.envelope_id) : undefined;
      if (message.envelope_id) this.acks.delete(message.envelope_id);
      resolve?.(message.payload);
    });
    socket.send(JSON.stringify({ type: "hello", num_connections: 1, connection_info: { app_id: "A0TEND0001" }, debug_info: { host: "standin" } }));
    const waiters = this.socketWaiters;
    this.socketWaiters = [];
    for (const wake of waiters) wake();
  }

  /** A Web API call straight to emulate, as the bot. */
  private async emulate(method: string, params: Record<string, string>): Promise<unknown> {
    const response = await fetch(`${this.emulator.url}/api/${method}`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.options.botToken}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(params).toString(),
    });
    const body = (await response.json()) as { ok: boolean; error?: string };
    if (!body.ok) throw new Error(`emulate ${method}: ${body.error}`);
    return body;
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const raw = await readBody(request);
    const url = new URL(request.url ?? "/", this.base);
    if (url.pathname.startsWith("/response/")) {
      this.responses.push({ key: decodeURIComponent(url.pathname.slice("/response/".length)), body: JSON.parse(raw.toString("utf8") || "{}") as Response["body"] });
      response.writeHead(200, { "content-type": "text/plain" }).end("ok");
      return;
    }
    const method = url.pathname.replace(/^\/api\//, "");
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
    const contentType = request.headers["content-type"];
    const params = parseParams(raw, contentType);
    this.calls.push({ method, token, params });
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers }).end(JSON.stringify(body));
    };

    if (method === "apps.connections.open") {
      if (!this.options.appToken || token !== this.options.appToken) return json(200, { ok: false, error: "invalid_auth" });
      return json(200, { ok: true, url: `${this.base.replace(/^http/, "ws")}/socket` });
    }
    if (token !== this.options.botToken && (this.options.staffBotToken === undefined || token !== this.options.staffBotToken)) {
      return json(200, { ok: false, error: "invalid_auth" });
    }

    const failure = this.failures.get(method)?.shift();
    if (failure) {
      if ("error" in failure) return json(200, { ok: false, error: failure.error });
      if (failure.status === 429) {
        const retryAfter: Record<string, string> = "retryAfter" in failure && failure.retryAfter !== undefined ? { "retry-after": String(failure.retryAfter) } : {};
        return json(429, { ok: false, error: "ratelimited" }, retryAfter);
      }
      response.writeHead(failure.status, { "content-type": "text/plain" }).end("stand-in failure");
      return;
    }

    const answered = this.answerItself(method, params);
    if (answered) return json(200, answered);

    const forwarded = await fetch(`${this.emulator.url}${url.pathname}${url.search}`, {
      method: request.method,
      headers: {
        authorization: request.headers.authorization ?? "",
        ...(contentType ? { "content-type": contentType } : {}),
      },
      body: request.method === "GET" || request.method === "HEAD" ? undefined : raw,
    });
    const text = await forwarded.text();
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    if (body?.ok === true) this.observe(method, params, body, token);
    response.writeHead(forwarded.status, { "content-type": forwarded.headers.get("content-type") ?? "application/json" });
    response.end(body ? JSON.stringify(body) : text);
  }

  /** Calls the stand-in answers without emulate (see the module comment); undefined: forward to emulate. */
  private answerItself(method: string, params: Record<string, unknown>): Record<string, unknown> | undefined {
    const parsed = <T>(value: unknown): T => (typeof value === "string" ? (JSON.parse(value) as T) : (value as T));
    if (method === "views.open" || method === "views.push" || method === "views.update") {
      if (method !== "views.update" && typeof params.trigger_id !== "string") return { ok: false, error: "invalid_trigger_id" };
      const view = parsed<OpenedView["view"] | undefined>(params.view);
      if (!view || !Array.isArray(view.blocks)) return { ok: false, error: "invalid_arguments" };
      const viewId = method === "views.update" ? String(params.view_id ?? "") : `V${String(++this.viewSequence).padStart(9, "0")}`;
      if (method === "views.update" && !this.views.some((v) => v.viewId === viewId)) return { ok: false, error: "not_found" };
      this.views.push({ method, viewId, triggerId: typeof params.trigger_id === "string" ? params.trigger_id : undefined, view });
      return { ok: true, view: { id: viewId, ...view, hash: `${Date.now()}.${this.viewSequence}` } };
    }
    if (method === "reactions.add") {
      // emulate knows only messages posted through it; in tests a person's message arrives as an event, so the stand-in answers.
      if (typeof params.channel !== "string" || typeof params.timestamp !== "string" || typeof params.name !== "string") return { ok: false, error: "invalid_arguments" };
      if (this.reactions.some((r) => r.channel === params.channel && r.timestamp === params.timestamp && r.name === params.name)) return { ok: false, error: "already_reacted" };
      this.reactions.push({ channel: params.channel, timestamp: params.timestamp, name: params.name });
      return { ok: true };
    }
    if (method === "chat.postEphemeral") {
      if (typeof params.channel !== "string" || typeof params.user !== "string") return { ok: false, error: "channel_not_found" };
      this.ephemerals.push({ channel: params.channel, user: params.user, text: String(params.text ?? ""), blocks: parsed<unknown[] | undefined>(params.blocks) ?? [] });
      return { ok: true, message_ts: `${Math.floor(Date.now() / 1000)}.${String(this.ephemerals.length).padStart(6, "0")}` };
    }
    return undefined;
  }

  /** Keeps what tests look at, and adds what emulate does not have. */
  private observe(method: string, params: Record<string, unknown>, body: Record<string, unknown>, token?: string): void {
    if (method === "chat.postMessage") {
      const blocks = typeof params.blocks === "string" ? (JSON.parse(params.blocks) as Post["blocks"]) : ((params.blocks as Post["blocks"]) ?? []);
      this.posts.push({
        channel: String(body.channel),
        token,
        threadTs: typeof params.thread_ts === "string" ? params.thread_ts : undefined,
        text: String(params.text ?? ""),
        mrkdwn: params.mrkdwn,
        blocks,
        ts: String(body.ts),
      });
    }
    if (method === "chat.update") this.updates.push({ method, token, params });
    if (method === "reactions.add") this.reactions.push({ channel: String(params.channel ?? ""), timestamp: String(params.timestamp ?? ""), name: String(params.name ?? "") });
    if (method === "users.info") {
      const user = body.user as { id: string; locale?: string };
      const locale = this.locales.get(user.id);
      if (locale && (params.include_locale === "true" || params.include_locale === true)) user.locale = locale;
    }
    if (method === "files.completeUploadExternal") {
      const channel = String(params.channel_id ?? "");
      for (const file of body.files as { name: string; url_private: string }[]) {
        this.files.push({ channel, name: file.name, urlPrivate: file.url_private });
      }
    }
  }
}
