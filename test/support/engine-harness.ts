import { expect } from "vitest";
import { type Config, loadConfig } from "../../src/config/env.ts";
import type { ChannelAdapter, InboundMessage, OutboundMessage, Platform } from "../../src/core/channel.ts";
import { ManualClock } from "../../src/core/clock.ts";
import type { Database } from "../../src/db/database.ts";
import type { Customer } from "../../src/db/repositories/customer-repository.ts";
import type { Interaction } from "../../src/db/generated/client.ts";
import { type BuiltServices, buildServices } from "../../src/engine/build-services.ts";
import { Engine } from "../../src/engine/engine.ts";
import { Dispatcher } from "../../src/outreach/dispatcher.ts";
import { type Logger, createLogger } from "../../src/observability/logger.ts";

export interface SayOptions {
  platform?: Platform;
  /** The platform's language hint, e.g. "zh-CN" or "en-US". */
  locale?: string;
  /** Defaults to a fresh id; pass the same one twice to simulate a redelivery. */
  messageId?: string;
  displayName?: string;
}

/** Plain text, or a button press. */
export type Said = string | { action: string; text?: string };

/** One message handed to the engine and what came back. */
export interface Exchange {
  platform: Platform;
  user: string;
  messageId: string;
  text: string | undefined;
  action: string | undefined;
  replies: OutboundMessage[];
}

export interface EngineHarness {
  engine: Engine;
  services: BuiltServices;
  clock: ManualClock;
  config: Config;
  db: Database;
  /** Everything said through `say`, in order. */
  exchanges: Exchange[];
  /** Proactive messages the dispatcher sent through the fake channels (see `dispatch`). */
  sent: { platform: Platform; address: string; message: OutboundMessage }[];
  /** Sends what the outbox holds that is due at the clock's time; returns how many rows were handled. */
  dispatch(): Promise<number>;
  say(user: string, said: Said, options?: SayOptions): Promise<OutboundMessage[]>;
  /** The customer behind a platform user, or null (never seen, or erased). */
  customerOf(user: string, platform?: Platform): Promise<Customer | null>;
  requireCustomer(user: string, platform?: Platform): Promise<Customer>;
  /** The customer's timeline, oldest first. */
  timeline(customerId: string): Promise<Interaction[]>;
  /** Gives `points` to the customer behind `user` (they must have written before). */
  givePoints(user: string, points: number, platform?: Platform): Promise<void>;
  /** Asserts that each exchange's inbound message and every reply to it are on the timeline. */
  expectOnTimeline(exchanges?: Exchange[]): Promise<void>;
  /** The timeline rows of an exchange (default: the last one): its inbound row and its replies. */
  rowsOf(exchange?: Exchange): Promise<{ inbound: Interaction | null; replies: Interaction[] }>;
}

export interface HarnessOptions {
  /** Where the ManualClock starts. */
  start?: string;
  /** Environment-style overrides for loadConfig. */
  env?: Record<string, string>;
  logger?: Logger;
}

let harnesses = 0;

/**
 * The engine over a real database with a ManualClock and fake channels, driven like a chat
 * platform would drive it. Cheap to make: several harnesses may share one database as long as
 * their users differ (use `user()` names from `uniqueUser`).
 */
export async function createEngineHarness(db: Database, options: HarnessOptions = {}): Promise<EngineHarness> {
  const config = loadConfig(options.env ?? {});
  const clock = new ManualClock(options.start ?? "2026-03-02T09:00:00.000Z");
  const logger = options.logger ?? createLogger("silent");
  const sent: EngineHarness["sent"] = [];
  const services = buildServices(db, config, clock, logger);
  const engine = new Engine({ services, logger, clock });
  for (const platform of ["telegram", "discord", "slack", "web"] as const) {
    const adapter: ChannelAdapter = {
      platform,
      start: async () => {},
      stop: async () => {},
      send: async (address, message) => {
        sent.push({ platform, address, message });
        return { platformMessageId: `sent-${sent.length}` };
      },
    };
    engine.registerChannel(adapter);
  }
  await services.loyalty.syncRewardCatalogue();
  const dispatcher = new Dispatcher({ outbox: services.outbox, channels: engine, clock, logger, instanceId: `harness-${harnesses + 1}` });

  const exchanges: Exchange[] = [];
  const run = ++harnesses;
  let sequence = 0;

  const harness: EngineHarness = {
    engine,
    services,
    clock,
    config,
    db,
    exchanges,
    sent,
    async dispatch() {
      let handled = 0;
      for (let round = await dispatcher.runOnce(); round > 0; round = await dispatcher.runOnce()) handled += round;
      return handled;
    },
    async say(user, said, sayOptions = {}) {
      const platform = sayOptions.platform ?? "telegram";
      const messageId = sayOptions.messageId ?? `h${run}-m${++sequence}`;
      const text = typeof said === "string" ? said : said.text;
      const action = typeof said === "string" ? undefined : said.action;
      // Each message a second later, so the timeline reads in order.
      clock.advance(1000);
      const message: InboundMessage = {
        platform,
        platformUserId: user,
        address: `${platform}:chat:${user}`,
        platformMessageId: messageId,
        text,
        action,
        displayName: sayOptions.displayName,
        locale: sayOptions.locale,
        receivedAt: clock.now(),
        raw: null,
      };
      const replies = await engine.handleInbound(message);
      exchanges.push({ platform, user, messageId, text, action, replies });
      return replies;
    },
    customerOf(user, platform = "telegram") {
      return services.customers.findByIdentity(platform, user);
    },
    async requireCustomer(user, platform = "telegram") {
      const customer = await services.customers.findByIdentity(platform, user);
      if (!customer) throw new Error(`no customer for ${platform}:${user}`);
      return customer;
    },
    timeline(customerId) {
      return db.prisma.interaction.findMany({ where: { customerId }, orderBy: [{ occurredAt: "asc" }, { direction: "asc" }, { id: "asc" }] });
    },
    async givePoints(user, points, platform = "telegram") {
      const customer = await harness.requireCustomer(user, platform);
      await services.loyalty.adjust({ customerId: customer.id, points, reason: "test setup" });
    },
    async rowsOf(exchange = exchanges[exchanges.length - 1]) {
      if (!exchange) throw new Error("nothing was said yet");
      const inbound = await db.prisma.interaction.findFirst({ where: { platform: exchange.platform, platformMessageId: exchange.messageId } });
      const replies = await db.prisma.interaction.findMany({
        where: { direction: "out", metadata: { path: ["inReplyTo"], equals: `${exchange.platform}:${exchange.messageId}` } },
        orderBy: [{ occurredAt: "asc" }, { id: "asc" }],
      });
      return { inbound, replies };
    },
    async expectOnTimeline(list = exchanges) {
      const seen = new Set<string>();
      for (const exchange of list) {
        const key = `${exchange.platform}:${exchange.messageId}`;
        // A redelivery is recorded once, with the first delivery.
        if (seen.has(key)) continue;
        seen.add(key);
        const inbound = await db.prisma.interaction.findMany({ where: { platform: exchange.platform, platformMessageId: exchange.messageId } });
        expect(inbound, `inbound ${key} on the timeline`).toHaveLength(1);
        const row = inbound[0]!;
        expect(row.direction).toBe("in");
        expect(row.kind).toBe(exchange.action?.startsWith("survey:") ? "survey" : "message");
        expect(row.text).toBe(exchange.text ?? null);
        if (exchange.action) expect((row.metadata as { action?: string } | null)?.action).toBe(exchange.action);
        const outbound = await db.prisma.interaction.findMany({
          where: { direction: "out", metadata: { path: ["inReplyTo"], equals: key } },
          orderBy: [{ occurredAt: "asc" }, { id: "asc" }],
        });
        expect(
          outbound.map((o) => ({ customerId: o.customerId, platform: o.platform, text: o.text })),
          `replies to ${key} on the timeline`,
        ).toEqual(exchange.replies.map((r) => ({ customerId: row.customerId, platform: exchange.platform, text: r.text })));
        for (const [index, out] of outbound.entries()) {
          const choices = (out.metadata as { choices?: unknown } | null)?.choices;
          expect(choices ?? undefined).toEqual(exchange.replies[index]?.choices?.map((c) => ({ id: c.id, label: c.label })));
        }
      }
    },
  };
  return harness;
}

let users = 0;

/** A platform user id no other test in this process uses. */
export function uniqueUser(prefix = "user"): string {
  return `${prefix}-${process.pid}-${++users}`;
}

/** The ids of a reply's buttons. */
export function choiceIds(reply: OutboundMessage | undefined): string[] {
  return reply?.choices?.map((c) => c.id) ?? [];
}

/** The button whose id starts with `prefix`; fails the test when there is none. */
export function choice(reply: OutboundMessage | undefined, prefix: string): string {
  const found = reply?.choices?.find((c) => c.id.startsWith(prefix));
  expect(found, `a button starting with ${prefix} in ${JSON.stringify(reply)}`).toBeDefined();
  return found!.id;
}

/** The one reply's text; fails when there is not exactly one reply. */
export function only(replies: OutboundMessage[]): OutboundMessage {
  expect(replies, JSON.stringify(replies)).toHaveLength(1);
  return replies[0]!;
}

export const MENU = ["menu:points", "menu:rewards", "menu:rate", "menu:agent"];
