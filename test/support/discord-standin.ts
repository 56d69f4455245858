import http from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

/**
 * A minimal stand-in for Discord's REST API and Gateway, enough for discord.js 14 to log in as a
 * bot and talk to customers in direct messages. discord-digital-twin models guilds only (no DM
 * channels, no POST /users/@me/channels, no multipart uploads, interactions always carry a
 * guild), so the DM flows, uploads and the failures under test (429, 50007) are served here,
 * following the documented wire protocol:
 * - REST under /api/v10 with `Authorization: Bot <token>` (401 for another token);
 * - Gateway: HELLO, IDENTIFY (close 4004 for another token), READY, HEARTBEAT/ACK, dispatches.
 */

const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;

export function snowflake(): string {
  increment = (increment + 1n) % 4096n;
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | increment).toString();
}

export interface StandInUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: null;
  bot?: boolean;
}

export interface StandInFile {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** A message as the stand-in stores it (in the API's shape) plus the files uploaded with it. */
export interface StandInMessage {
  id: string;
  channel_id: string;
  author: StandInUser;
  content: string;
  components: { type: number; components: { type: number; custom_id?: string; label?: string; style?: number }[] }[];
  attachments: { id: string; filename: string; size: number; url: string; proxy_url: string; content_type?: string }[];
  files: StandInFile[];
  /** How the bot posted it: to the channel, as an interaction's reply, or as a follow-up. */
  via: "channel" | "interaction" | "followup";
  interactionId?: string;
  timestamp: string;
  flags: number;
  allowed_mentions?: unknown;
}

export interface CannedResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface PlannedFailure {
  method: string;
  path: RegExp;
  response: CannedResponse;
}

interface InteractionState {
  id: string;
  token: string;
  channelId: string;
  callbackType?: number;
  original?: StandInMessage;
}

export interface StandInOptions {
  token?: string;
  /** Accept any token on REST but close the gateway with 4004: a token revoked between the two. */
  gatewayRejectsToken?: boolean;
}

export class DiscordStandIn {
  readonly token: string;
  readonly bot: StandInUser;
  readonly applicationId: string;
  readonly users = new Map<string, StandInUser>();
  /** Direct-message channels by id, each with the user at the other end. */
  readonly dmChannels = new Map<string, string>();
  readonly messages: StandInMessage[] = [];
  readonly interactions = new Map<string, InteractionState>();
  /** Global application commands as last PUT. */
  commands: { name: string; description: string; [key: string]: unknown }[] = [];
  /** Every REST request, method and path, in order. */
  readonly requests: { method: string; path: string }[] = [];
  gatewayIdentifies = 0;

  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly sessions = new Map<WebSocket, { sequence: number; identified: boolean }>();
  private readonly blocked = new Set<string>();
  private readonly failures: PlannedFailure[] = [];
  private readonly cursors = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private port = 0;

  constructor(private readonly options: StandInOptions = {}) {
    this.token = options.token ?? "standin-bot-token-0123456789";
    this.applicationId = snowflake();
    this.bot = { id: this.applicationId, username: "TendBot", global_name: null, discriminator: "0", avatar: null, bot: true };
    this.users.set(this.bot.id, this.bot);
    this.server = http.createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(JSON.stringify({ message: String(error), code: 0 }));
      });
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on("upgrade", (request, socket, head) => {
      if (!request.url?.startsWith("/gateway")) return socket.destroy();
      this.wss.handleUpgrade(request, socket, head, (ws) => this.onGatewayConnection(ws));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** What DISCORD_API_URL is set to. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get openGatewayConnections(): number {
    return this.sockets.size;
  }

  // --- Customers' side ---

  addUser(username: string, globalName: string | null = null): StandInUser {
    const user: StandInUser = { id: snowflake(), username, global_name: globalName, discriminator: "0", avatar: null };
    this.users.set(user.id, user);
    return user;
  }

  /** The DM channel between the bot and a user, made on first use as Discord does. */
  dmChannelOf(userId: string): string {
    for (const [channelId, recipient] of this.dmChannels) if (recipient === userId) return channelId;
    const channelId = snowflake();
    this.dmChannels.set(channelId, userId);
    return channelId;
  }

  /** The user blocks the bot (or closes DMs): posting to them gives 50007 from now on. */
  block(userId: string): void {
    this.blocked.add(userId);
  }

  /** The user writes to the bot; returns the MESSAGE_CREATE payload (to redeliver it). */
  userWrites(userId: string, content: string): Record<string, unknown> {
    const channelId = this.dmChannelOf(userId);
    const payload = {
      id: snowflake(),
      channel_id: channelId,
      // Discord says which kind of channel a message is in; DMs are type 1.
      channel_type: 1,
      author: this.user(userId),
      content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: 0,
      flags: 0,
      components: [],
    };
    this.dispatch("MESSAGE_CREATE", payload);
    return payload;
  }

  /** The user runs a slash command in the DM with the bot. */
  userRunsCommand(userId: string, name: string, options: { locale?: string } = {}): Record<string, unknown> {
    const command = this.commands.find((c) => c.name === name);
    return this.interaction(userId, 2, { id: (command?.id as string | undefined) ?? snowflake(), name, type: 1 }, options.locale);
  }

  /** The user presses a button on one of the bot's messages. */
  userPresses(userId: string, message: StandInMessage, customId: string, options: { locale?: string } = {}): Record<string, unknown> {
    const exists = message.components.some((row) => row.components.some((c) => c.custom_id === customId));
    if (!exists) throw new Error(`no button ${customId} on message ${message.id}`);
    return this.interaction(userId, 3, { custom_id: customId, component_type: 2 }, options.locale, message);
  }

  /** Sends a gateway dispatch again, as Discord may after a resume. */
  redeliver(type: "MESSAGE_CREATE" | "INTERACTION_CREATE", payload: Record<string, unknown>): void {
    this.dispatch(type, payload);
  }

  // --- Assertions ---

  /**
   * The next `count` messages the bot posted to a channel that this call has not returned yet,
   * waiting for them up to `timeoutMs`.
   */
  async nextMessages(channelId: string, count = 1, timeoutMs = 10_000): Promise<StandInMessage[]> {
    const from = this.cursors.get(channelId) ?? 0;
    const take = () => this.messages.filter((m) => m.channel_id === channelId && m.author.bot);
    await this.waitFor(() => take().length >= from + count, timeoutMs, `${count} message(s) from the bot in ${channelId}`);
    this.cursors.set(channelId, from + count);
    return take().slice(from, from + count);
  }

  async nextMessage(channelId: string, timeoutMs?: number): Promise<StandInMessage> {
    return (await this.nextMessages(channelId, 1, timeoutMs))[0]!;
  }

  /** Messages the bot posted to a channel that nextMessages has not returned yet. */
  unread(channelId: string): StandInMessage[] {
    return this.messages.filter((m) => m.channel_id === channelId && m.author.bot).slice(this.cursors.get(channelId) ?? 0);
  }

  async waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`stand-in: gave up waiting for ${what} after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Answers the next matching REST request with this response instead of serving it. */
  failNext(method: string, path: RegExp, response: CannedResponse): void {
    this.failures.push({ method, path, response });
  }

  // --- Internals ---

  private user(userId: string): StandInUser {
    const user = this.users.get(userId);
    if (!user) throw new Error(`unknown user ${userId}`);
    return user;
  }

  private changed(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private interaction(
    userId: string,
    type: number,
    data: Record<string, unknown>,
    locale = "en-US",
    message?: StandInMessage,
  ): Record<string, unknown> {
    const channelId = this.dmChannelOf(userId);
    const id = snowflake();
    const token = `interaction-token-${id}`;
    this.interactions.set(id, { id, token, channelId });
    const payload = {
      id,
      application_id: this.applicationId,
      type,
      data,
      channel_id: channelId,
      channel: { id: channelId, type: 1, last_message_id: null, flags: 0, recipients: [this.user(userId)] },
      user: this.user(userId),
      token,
      version: 1,
      locale,
      app_permissions: "0",
      entitlements: [],
      authorizing_integration_owners: { "0": this.applicationId },
      context: 1,
      attachment_size_limit: 10_485_760,
      ...(message ? { message: toApi(message) } : {}),
    };
    this.dispatch("INTERACTION_CREATE", payload);
    return payload;
  }

  private dispatch(type: string, data: unknown): void {
    for (const [socket, session] of this.sessions) {
      if (!session.identified) continue;
      session.sequence += 1;
      socket.send(JSON.stringify({ op: 0, t: type, s: session.sequence, d: data }));
    }
  }

  private onGatewayConnection(ws: WebSocket): void {
    this.sockets.add(ws);
    const session = { sequence: 0, identified: false };
    this.sessions.set(ws, session);
    ws.on("close", () => {
      this.sockets.delete(ws);
      this.sessions.delete(ws);
      this.changed();
    });
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41_250 }, s: null, t: null }));
    ws.on("message", (raw) => {
      const payload = JSON.parse(String(raw)) as { op: number; d: { token?: string } };
      if (payload.op === 1) ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
      if (payload.op === 2) {
        this.gatewayIdentifies += 1;
        if (this.options.gatewayRejectsToken || payload.d.token?.replace(/^Bot\s+/i, "") !== this.token) {
          ws.close(4004, "Authentication failed.");
          return;
        }
        session.identified = true;
        session.sequence += 1;
        ws.send(
          JSON.stringify({
            op: 0,
            t: "READY",
            s: session.sequence,
            d: {
              v: 10,
              user: this.bot,
              guilds: [],
              session_id: snowflake(),
              resume_gateway_url: `ws://127.0.0.1:${this.port}/gateway`,
              application: { id: this.applicationId, flags: 0 },
            },
          }),
        );
        this.changed();
      }
    });
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", `http://127.0.0.1:${this.port}`);
    const method = request.method ?? "GET";
    const path = url.pathname.replace(/^\/api\/v\d+/, "");
    this.requests.push({ method, path });
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);

    const send = ({ status, body, headers = {} }: CannedResponse) => {
      response.writeHead(status, body === undefined ? headers : { "content-type": "application/json", ...headers });
      response.end(body === undefined ? undefined : JSON.stringify(body));
      this.changed();
    };
    const error = (status: number, code: number, message: string) => send({ status, body: { code, message } });

    const planned = this.failures.findIndex((f) => f.method === method && f.path.test(path));
    if (planned >= 0) return send(this.failures.splice(planned, 1)[0]!.response);

    // Interaction webhooks are authorised by their token, everything else by the bot token.
    if (!path.startsWith("/webhooks/") && !path.startsWith("/interactions/")) {
      const auth = request.headers.authorization ?? "";
      if (this.options.gatewayRejectsToken ? !auth.startsWith("Bot ") : auth !== `Bot ${this.token}`) {
        return error(401, 0, "401: Unauthorized");
      }
    }

    let match: RegExpExecArray | null;
    if (method === "GET" && path === "/gateway/bot") {
      return send({
        status: 200,
        body: {
          url: `ws://127.0.0.1:${this.port}/gateway`,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
        },
      });
    }
    if (method === "GET" && path === "/users/@me") return send({ status: 200, body: this.bot });
    if (method === "PUT" && (match = /^\/applications\/(\d+)\/commands$/.exec(path))) {
      if (match[1] !== this.applicationId) return error(403, 50001, "Missing Access");
      const body = JSON.parse(raw.toString()) as { name: string; description: string }[];
      this.commands = body.map((c) => ({ ...c, id: snowflake(), application_id: this.applicationId, version: snowflake(), type: 1 }));
      return send({ status: 200, body: this.commands });
    }
    if (method === "POST" && path === "/users/@me/channels") {
      const { recipient_id: recipient } = JSON.parse(raw.toString()) as { recipient_id: string };
      if (!this.users.has(recipient)) return error(400, 50033, "Invalid Recipient(s)");
      return send({ status: 200, body: this.channelBody(this.dmChannelOf(recipient)) });
    }
    if (method === "GET" && (match = /^\/channels\/(\d+)$/.exec(path))) {
      if (!this.dmChannels.has(match[1]!)) return error(404, 10003, "Unknown Channel");
      return send({ status: 200, body: this.channelBody(match[1]!) });
    }
    if (method === "POST" && (match = /^\/channels\/(\d+)\/messages$/.exec(path))) {
      const channelId = match[1]!;
      const recipient = this.dmChannels.get(channelId);
      if (!recipient) return error(404, 10003, "Unknown Channel");
      if (this.blocked.has(recipient)) return error(403, 50007, "Cannot send messages to this user");
      const message = await this.store(channelId, request, raw, "channel");
      if (typeof message === "string") return error(400, 50035, message);
      return send({ status: 200, body: toApi(message) });
    }
    if (method === "POST" && (match = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path))) {
      const state = this.interactions.get(match[1]!);
      if (!state || state.token !== match[2]) return error(404, 10062, "Unknown interaction");
      if (state.callbackType !== undefined) return error(400, 40060, "Interaction has already been acknowledged.");
      const { type, data } = (await parseBody(request, raw)).json as { type: number; data?: unknown };
      state.callbackType = type;
      if (type === 4) {
        const message = await this.store(state.channelId, request, raw, "interaction", state.id, data);
        if (typeof message === "string") return error(400, 50035, message);
        state.original = message;
      }
      return send({ status: 204 });
    }
    if ((match = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(.+))?$/.exec(path))) {
      const state = [...this.interactions.values()].find((i) => i.token === match![2]);
      if (!state || match[1] !== this.applicationId) return error(404, 10015, "Unknown Webhook");
      if (state.callbackType === undefined) return error(404, 10015, "Unknown Webhook");
      const target = match[3] ? decodeURIComponent(match[3]) : undefined;
      if (method === "POST" && !target) {
        const message = await this.store(state.channelId, request, raw, "followup", state.id);
        if (typeof message === "string") return error(400, 50035, message);
        return send({ status: 200, body: toApi(message) });
      }
      if (target === "@original" && method === "PATCH") {
        if (state.callbackType !== 5 && !state.original) return error(404, 10008, "Unknown Message");
        const message = await this.store(state.channelId, request, raw, "interaction", state.id, undefined, state.original);
        if (typeof message === "string") return error(400, 50035, message);
        state.original = message;
        return send({ status: 200, body: toApi(message) });
      }
      if (target === "@original" && method === "DELETE") {
        if (state.original) this.messages.splice(this.messages.indexOf(state.original), 1);
        state.original = undefined;
        return send({ status: 204 });
      }
    }
    return error(404, 0, `404: Not Found (${method} ${path})`);
  }

  private channelBody(channelId: string) {
    return { id: channelId, type: 1, last_message_id: null, flags: 0, recipients: [this.user(this.dmChannels.get(channelId)!)] };
  }

  /** Stores (or edits) a bot message from a JSON or multipart body; a string is a validation error. */
  private async store(
    channelId: string,
    request: http.IncomingMessage,
    raw: Buffer,
    via: StandInMessage["via"],
    interactionId?: string,
    inner?: unknown,
    existing?: StandInMessage,
  ): Promise<StandInMessage | string> {
    const parsed = await parseBody(request, raw);
    const body = (inner ?? (parsed.json as { data?: unknown }).data ?? parsed.json) as {
      content?: string;
      components?: StandInMessage["components"];
      allowed_mentions?: unknown;
      flags?: number;
    };
    const content = body.content ?? existing?.content ?? "";
    if (content.length > 2000) return "Invalid Form Body: content: Must be 2000 or fewer in length.";
    const components = body.components ?? existing?.components ?? [];
    if (components.length > 5 || components.some((row) => row.components.length > 5)) return "Invalid Form Body: components";
    const ids = components.flatMap((row) => row.components.map((c) => c.custom_id ?? ""));
    if (ids.some((id) => id.length === 0 || id.length > 100) || new Set(ids).size !== ids.length) return "Invalid Form Body: custom_id";
    if (!content && parsed.files.length === 0 && components.length === 0) return "Cannot send an empty message";
    const message: StandInMessage = existing ?? {
      id: snowflake(),
      channel_id: channelId,
      author: this.bot,
      content: "",
      components: [],
      attachments: [],
      files: [],
      via,
      ...(interactionId ? { interactionId } : {}),
      timestamp: new Date().toISOString(),
      flags: 0,
    };
    message.content = content;
    message.components = components;
    message.allowed_mentions = body.allowed_mentions;
    if (parsed.files.length) {
      message.files = parsed.files;
      message.attachments = parsed.files.map((f) => ({
        id: snowflake(),
        filename: f.filename,
        size: f.content.length,
        url: `http://127.0.0.1:${this.port}/attachments/${f.filename}`,
        proxy_url: `http://127.0.0.1:${this.port}/attachments/${f.filename}`,
        content_type: f.contentType,
      }));
    }
    if (!existing) this.messages.push(message);
    return message;
  }
}

async function parseBody(request: http.IncomingMessage, raw: Buffer): Promise<{ json: unknown; files: StandInFile[] }> {
  const type = request.headers["content-type"] ?? "";
  if (type.startsWith("multipart/form-data")) {
    const form = await new Request("http://standin/", { method: "POST", headers: { "content-type": type }, body: raw }).formData();
    const files: StandInFile[] = [];
    for (const [key, value] of form.entries()) {
      if (key.startsWith("files[") && typeof value !== "string") {
        files.push({ filename: value.name, contentType: value.type, content: Buffer.from(await value.arrayBuffer()) });
      }
    }
    const json = form.get("payload_json");
    return { json: typeof json === "string" ? JSON.parse(json) : {}, files };
  }
  return { json: raw.length ? JSON.parse(raw.toString()) : {}, files: [] };
}

function toApi(message: StandInMessage) {
  const { files: _files, via: _via, interactionId: _interaction, allowed_mentions: _mentions, ...api } = message;
  return {
    ...api,
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    embeds: [],
    pinned: false,
    type: 0,
  };
}
