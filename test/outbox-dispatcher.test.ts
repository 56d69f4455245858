import { describe, expect, it } from "vitest";
import { type ChannelAdapter, ChannelError, type OutboundMessage, type Platform, type SendReceipt } from "../src/core/channel.ts";
import { ManualClock } from "../src/core/clock.ts";
import { readInteractionMetadata } from "../src/core/interaction-metadata.ts";
import { CustomerRepository } from "../src/db/repositories/customer-repository.ts";
import { type OutboxDraft, OutboxRepository, enqueue } from "../src/db/repositories/outbox-repository.ts";
import { createLogger } from "../src/observability/logger.ts";
import { type ContactGate, Dispatcher, type DispatcherSettings, type SendPacing } from "../src/outreach/dispatcher.ts";
import { retryDelayMs } from "../src/outreach/outbox-retry.ts";
import { describeEachDatabase } from "./support/databases.ts";

const T0 = "2026-06-01T09:00:00.000Z";
const logger = createLogger("silent");

type Behaviour = (address: string, message: OutboundMessage) => Promise<SendReceipt> | SendReceipt;

/** A chat platform that records what it was asked to send and answers as `behaviour` says. */
let receipts = 0;

class FakeChannel implements ChannelAdapter {
  readonly sends: { address: string; text: string }[] = [];
  /** The platform message ids it answered with, in order. */
  readonly ids: string[] = [];
  constructor(
    readonly platform: Platform,
    public behaviour: Behaviour = () => {
      const id = `${this.platform}-${++receipts}`;
      this.ids.push(id);
      return { platformMessageId: id };
    },
  ) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(address: string, message: OutboundMessage): Promise<SendReceipt> {
    this.sends.push({ address, text: message.text });
    return this.behaviour(address, message);
  }
}

function channelsOf(...adapters: FakeChannel[]) {
  const byPlatform = new Map(adapters.map((a) => [a.platform, a]));
  return { channel: (p: Platform) => byPlatform.get(p), runningPlatforms: () => [...byPlatform.keys()] };
}

let users = 0;

describeEachDatabase("outbox and dispatcher", (db, target) => {
  const prisma = () => db().prisma;

  /** A customer on Telegram (used last) and Discord. */
  async function customerOnTwoChannels(clock: ManualClock) {
    const n = ++users;
    const customer = await prisma().customer.create({ data: { displayName: `c${n}` } });
    const seen = (minutes: number) => new Date(clock.now().getTime() - minutes * 60_000);
    await prisma().channelIdentity.create({ data: { customerId: customer.id, platform: "telegram", platformUserId: `tg${n}`, address: `tg:${n}`, lastSeenAt: seen(1) } });
    await prisma().channelIdentity.create({ data: { customerId: customer.id, platform: "discord", platformUserId: `dc${n}`, address: `dc:${n}`, lastSeenAt: seen(60) } });
    return { id: customer.id, telegram: `tg:${n}`, discord: `dc:${n}` };
  }

  function draft(customerId: string, key: string, clock: ManualClock, extra: Partial<OutboxDraft> = {}): OutboxDraft {
    return { customerId, topic: "care", kind: "check_in", message: { text: `hello ${key}` }, dedupeKey: `${key}:${customerId}`, notBefore: clock.now(), ...extra };
  }

  function dispatcher(clock: ManualClock, adapters: FakeChannel[], options: { gate?: ContactGate; pacer?: SendPacing; settings?: Partial<DispatcherSettings>; id?: string } = {}) {
    const outbox = new OutboxRepository(prisma());
    return new Dispatcher({
      outbox,
      channels: channelsOf(...adapters),
      clock,
      logger,
      instanceId: options.id ?? "test-instance",
      gate: options.gate,
      pacer: options.pacer,
      settings: { retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000 }, ...options.settings },
      random: () => 0.5,
    });
  }

  const row = (dedupeKey: string) => prisma().outboxMessage.findUniqueOrThrow({ where: { dedupeKey } });
  const outbound = (customerId: string) => prisma().interaction.findMany({ where: { customerId, direction: "out" }, orderBy: { occurredAt: "asc" } });

  it("queues a dedupe key once, counts only new rows, and queues nothing when the caller's transaction rolls back", async () => {
    const clock = new ManualClock(T0);
    const c = await customerOnTwoChannels(clock);
    expect(await enqueue(prisma(), [draft(c.id, "birthday:2027", clock), draft(c.id, "festival:mid-autumn:2027", clock)])).toBe(2);
    expect(await enqueue(prisma(), [draft(c.id, "birthday:2027", clock), draft(c.id, "anniversary:2027", clock)])).toBe(1);
    expect(await enqueue(prisma(), [draft(c.id, "birthday:2027", clock, { message: { text: "a second text" } })])).toBe(0);
    expect((await row(`birthday:2027:${c.id}`)).payload).toEqual({ text: "hello birthday:2027" });

    await expect(
      prisma().$transaction(async (tx) => {
        await enqueue(tx, [draft(c.id, "rolled-back", clock)]);
        throw new Error("the change that caused it failed");
      }),
    ).rejects.toThrow(/caused it failed/);
    expect(await prisma().outboxMessage.count({ where: { dedupeKey: `rolled-back:${c.id}` } })).toBe(0);
    await expect(enqueue(prisma(), [draft(c.id, "x", clock, { dedupeKey: "  " })])).rejects.toThrow(/dedupeKey/);
    // Leave nothing due for the tests that follow.
    await prisma().outboxMessage.deleteMany({ where: { customerId: c.id } });
  });

  it("sends on the channel used last and puts it on the timeline with the platform's message id", async () => {
    const clock = new ManualClock(T0);
    const telegram = new FakeChannel("telegram");
    const discord = new FakeChannel("discord");
    const c = await customerOnTwoChannels(clock);
    await enqueue(prisma(), [draft(c.id, "checkin", clock, { message: { text: "How was your order?", choices: [{ id: "survey:x:5", label: "5" }] } })]);
    clock.advance(1000);
    await dispatcher(clock, [telegram, discord]).runOnce();

    expect(telegram.sends).toEqual([{ address: c.telegram, text: "How was your order?" }]);
    expect(discord.sends).toEqual([]);
    const sent = await row(`checkin:${c.id}`);
    expect(sent).toMatchObject({ status: "sent", sentPlatform: "telegram", platformMessageId: telegram.ids[0], lockedBy: null });
    expect(sent.sentAt?.toISOString()).toBe(clock.now().toISOString());
    const [entry, ...more] = await outbound(c.id);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ platform: "telegram", kind: "care", text: "How was your order?", platformMessageId: telegram.ids[0] });
    expect(readInteractionMetadata(entry!.metadata)).toEqual({ proactive: true, outboxId: sent.id, choices: [{ id: "survey:x:5", label: "5" }] });
  });

  it("records a send whose platform message id another chat already had (Telegram's ids are per chat): sent, the id on the row, none on the timeline", async () => {
    const clock = new ManualClock(T0);
    const first = await customerOnTwoChannels(clock);
    const second = await customerOnTwoChannels(clock);
    const telegram = new FakeChannel("telegram", () => ({ platformMessageId: `per-chat-${second.id}` }));
    await enqueue(prisma(), [draft(first.id, "repeat", clock), draft(second.id, "repeat", clock)]);
    clock.advance(1000);
    await dispatcher(clock, [telegram]).runOnce();

    expect(telegram.sends).toHaveLength(2);
    for (const c of [first, second]) {
      const sent = await row(`repeat:${c.id}`);
      expect(sent).toMatchObject({ status: "sent", sentPlatform: "telegram", platformMessageId: `per-chat-${second.id}`, lockedBy: null });
      expect(sent.sentAt?.toISOString()).toBe(clock.now().toISOString());
    }
    const entries = [...(await outbound(first.id)), ...(await outbound(second.id))];
    expect(entries.map((entry) => entry.text)).toEqual(["hello repeat", "hello repeat"]);
    expect(entries.map((entry) => entry.platformMessageId ?? "none").sort()).toEqual(["none", `per-chat-${second.id}`]);
    for (const entry of entries) expect(entry.occurredAt.toISOString()).toBe(clock.now().toISOString());
  });

  it("waits for notBefore and sends only rows for platforms this instance runs", async () => {
    const clock = new ManualClock(T0);
    const telegram = new FakeChannel("telegram");
    const c = await customerOnTwoChannels(clock);
    const discordOnly = await prisma().customer.create({ data: {} });
    await prisma().channelIdentity.create({ data: { customerId: discordOnly.id, platform: "discord", platformUserId: `only-${discordOnly.id}`, address: "dc:only" } });
    await enqueue(prisma(), [
      draft(c.id, "later", clock, { notBefore: new Date(clock.now().getTime() + 60_000) }),
      draft(c.id, "for-discord", clock, { platform: "discord" }),
      draft(discordOnly.id, "anywhere", clock),
    ]);
    const telegramOnly = dispatcher(clock, [telegram]);
    expect(await telegramOnly.runOnce()).toBe(0);
    clock.advance(60_000);
    expect(await telegramOnly.runOnce()).toBe(1);
    expect(telegram.sends).toEqual([{ address: c.telegram, text: "hello later" }]);
    expect((await row(`for-discord:${c.id}`)).status).toBe("pending");
    expect((await row(`anywhere:${discordOnly.id}`)).status).toBe("pending");

    // An instance running Discord takes them.
    const discord = new FakeChannel("discord");
    expect(await dispatcher(clock, [discord], { id: "discord-instance" }).runOnce()).toBe(2);
    expect(discord.sends.map((s) => s.address).sort()).toEqual([c.discord, "dc:only"].sort());
  });

  it("marks an unreachable identity and sends through the customer's other linked channel", async () => {
    const clock = new ManualClock(T0);
    const telegram = new FakeChannel("telegram", () => {
      throw new ChannelError("telegram", "unreachable", "403: bot was blocked by the user");
    });
    const discord = new FakeChannel("discord");
    const c = await customerOnTwoChannels(clock);
    await enqueue(prisma(), [draft(c.id, "first", clock)]);
    const d = dispatcher(clock, [telegram, discord]);
    await d.runOnce();

    expect(telegram.sends).toHaveLength(1);
    expect(discord.sends).toEqual([{ address: c.discord, text: "hello first" }]);
    expect(await row(`first:${c.id}`), JSON.stringify(await row(`first:${c.id}`))).toMatchObject({ status: "sent", sentPlatform: "discord" });
    const identity = await prisma().channelIdentity.findFirstOrThrow({ where: { customerId: c.id, platform: "telegram" } });
    expect(identity.unreachableAt?.toISOString()).toBe(T0);
    expect((await outbound(c.id)).map((i) => i.platform)).toEqual(["discord"]);

    // The next message does not try Telegram again until the customer writes there.
    await enqueue(prisma(), [draft(c.id, "second", clock)]);
    await d.runOnce();
    expect(telegram.sends).toHaveLength(1);
    expect(discord.sends).toHaveLength(2);

    // Once they write on Telegram again (unblocked the bot), it is tried first again.
    const tgUser = identity.platformUserId;
    await new CustomerRepository(prisma()).resolveIdentity({ platform: "telegram", platformUserId: tgUser, address: c.telegram }, clock.now());
    expect((await prisma().channelIdentity.findUniqueOrThrow({ where: { id: identity.id } })).unreachableAt).toBeNull();
    telegram.behaviour = () => ({ platformMessageId: `tg-back-${c.id}` });
    await enqueue(prisma(), [draft(c.id, "third", clock)]);
    await d.runOnce();
    expect(telegram.sends.at(-1)).toEqual({ address: c.telegram, text: "hello third" });
    expect(discord.sends).toHaveLength(2);
  });

  it("fails a message visibly when every linked channel is unreachable", async () => {
    const clock = new ManualClock(T0);
    const blocked = (platform: Platform) =>
      new FakeChannel(platform, () => {
        throw new ChannelError(platform, "unreachable", "blocked");
      });
    const c = await customerOnTwoChannels(clock);
    await enqueue(prisma(), [draft(c.id, "nowhere", clock)]);
    await dispatcher(clock, [blocked("telegram"), blocked("discord")]).runOnce();
    const failed = await row(`nowhere:${c.id}`);
    expect(failed.status).toBe("failed");
    expect(failed.lastError).toMatch(/unreachable on every linked channel/);
    const [entry] = await outbound(c.id);
    expect(readInteractionMetadata(entry!.metadata)).toMatchObject({ delivery: "failed", deliveryError: expect.stringMatching(/unreachable/) });
  });

  it("waits out a rate limit for its retry-after and tells the pacer, without counting a failed try", async () => {
    const clock = new ManualClock(T0);
    let limited = true;
    const telegram = new FakeChannel("telegram", () => {
      if (limited) throw new ChannelError("telegram", "rate_limited", "429: Too Many Requests: retry after 7", { retryAfterMs: 7000 });
      return { platformMessageId: `tg-ok-${c.id}` };
    });
    const pauses: [Platform, number, string | undefined][] = [];
    const pacer: SendPacing = { acquire: async () => {}, pause: (platform, ms, chat) => void pauses.push([platform, ms, chat]) };
    const c = await customerOnTwoChannels(clock);
    await enqueue(prisma(), [draft(c.id, "limited", clock)]);
    const d = dispatcher(clock, [telegram], { pacer });
    await d.runOnce();

    expect(pauses).toEqual([["telegram", 7000, c.telegram]]);
    const waiting = await row(`limited:${c.id}`);
    expect(waiting).toMatchObject({ status: "pending", attempts: 0 });
    expect(waiting.notBefore.getTime()).toBe(clock.now().getTime() + 7000);
    limited = false;
    clock.advance(6999);
    expect(await d.runOnce()).toBe(0);
    clock.advance(1);
    await d.runOnce();
    expect(await row(`limited:${c.id}`)).toMatchObject({ status: "sent", platformMessageId: `tg-ok-${c.id}` });
    expect(telegram.sends).toHaveLength(2);
  });

  it("retries a transient failure with growing backoff, then dead-letters it with the reason, shown as failed on the timeline", async () => {
    const clock = new ManualClock(T0);
    const telegram = new FakeChannel("telegram", () => {
      throw new ChannelError("telegram", "transient", "502 Bad Gateway");
    });
    const c = await customerOnTwoChannels(clock);
    await enqueue(prisma(), [draft(c.id, "flaky", clock, { platform: "telegram" })]);
    const d = dispatcher(clock, [telegram]);
    const retry = { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000 };

    await d.runOnce();
    let state = await row(`flaky:${c.id}`);
    expect(state).toMatchObject({ status: "pending", attempts: 1, lastError: "telegram: 502 Bad Gateway" });
    // Equal jitter with random() = 0.5: three quarters of 1 s, then of 2 s.
    expect(retryDelayMs(1, retry, () => 0.5)).toBe(750);
    expect(retryDelayMs(2, retry, () => 0.5)).toBe(1500);
    expect(state.notBefore.getTime() - clock.now().getTime()).toBe(750);
    clock.advance(749);
    expect(await d.runOnce()).toBe(0);
    clock.advance(1);
    await d.runOnce();
    state = await row(`flaky:${c.id}`);
    expect(state).toMatchObject({ status: "pending", attempts: 2 });
    expect(state.notBefore.getTime() - clock.now().getTime()).toBe(1500);
    clock.advance(1500);
    await d.runOnce();

    state = await row(`flaky:${c.id}`);
    expect(state).toMatchObject({ status: "dead", attempts: 3, lastError: "gave up after 3 tries: telegram: 502 Bad Gateway" });
    expect(telegram.sends).toHaveLength(3);
    const entries = await outbound(c.id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ text: "hello flaky", platformMessageId: null });
    expect(readInteractionMetadata(entries[0]!.metadata)).toMatchObject({ proactive: true, delivery: "failed", deliveryError: expect.stringContaining("502") });
    clock.advance(3_600_000);
    expect(await d.runOnce()).toBe(0);

    // Requeued dead letters go again, with their tries counted afresh.
    expect(await new OutboxRepository(prisma()).requeueDead(clock.now())).toBeGreaterThanOrEqual(1);
    telegram.behaviour = () => ({ platformMessageId: `tg-at-last-${c.id}` });
    await d.runOnce();
    expect(await row(`flaky:${c.id}`)).toMatchObject({ status: "sent", platformMessageId: `tg-at-last-${c.id}` });
  });

  it("fails a message the platform rejects at once, without retrying", async () => {
    const clock = new ManualClock(T0);
    const telegram = new FakeChannel("telegram", () => {
      throw new ChannelError("telegram", "rejected", "400: message is too long");
    });
    const c = await customerOnTwoChannels(clock);
    await enqueue(prisma(), [draft(c.id, "too-long", clock)]);
    const d = dispatcher(clock, [telegram]);
    await d.runOnce();
    expect(await row(`too-long:${c.id}`)).toMatchObject({ status: "failed", attempts: 1, lastError: "telegram: 400: message is too long" });
    clock.advance(86_400_000);
    expect(await d.runOnce()).toBe(0);
    expect(telegram.sends).toHaveLength(1);
    const [entry] = await outbound(c.id);
    expect(readInteractionMetadata(entry!.metadata)).toMatchObject({ delivery: "failed", deliveryError: "telegram: 400: message is too long" });
  });

  it("asks the contact policy before each send: a defer moves the row, a skip ends it with the reason", async () => {
    const clock = new ManualClock(T0);
    const telegram = new FakeChannel("telegram");
    const c = await customerOnTwoChannels(clock);
    const asked: [string, string][] = [];
    const until = new Date(Date.parse(T0) + 3_600_000);
    const gate: ContactGate = async (topic, customerId) => {
      asked.push([topic, customerId]);
      if (topic === "care") return { action: "defer", until, reason: "quiet_hours" };
      if (topic === "marketing") return { action: "skip", reason: "no_consent:marketing" };
      return { action: "send" };
    };
    await enqueue(prisma(), [
      draft(c.id, "care", clock),
      draft(c.id, "promo", clock, { topic: "marketing" }),
      draft(c.id, "followup", clock, { topic: "case_followup" }),
    ]);
    await dispatcher(clock, [telegram], { gate }).runOnce();
    expect(asked.map(([topic]) => topic).sort()).toEqual(["care", "case_followup", "marketing"]);
    expect(telegram.sends.map((s) => s.text)).toEqual(["hello followup"]);
    const deferred = await row(`care:${c.id}`);
    expect(deferred).toMatchObject({ status: "pending", deferReason: "quiet_hours", attempts: 0 });
    expect(deferred.notBefore.toISOString()).toBe(until.toISOString());
    expect(await row(`promo:${c.id}`)).toMatchObject({ status: "skipped", lastError: "no_consent:marketing" });
  });

  it("takes over a row whose dispatcher died mid-send once its lease runs out", async () => {
    const clock = new ManualClock(T0);
    const c = await customerOnTwoChannels(clock);
    await enqueue(prisma(), [draft(c.id, "orphan", clock)]);
    const outbox = new OutboxRepository(prisma());
    const claimed = await outbox.claim({ instanceId: "died", platforms: ["telegram"], now: clock.now(), leaseUntil: new Date(clock.now().getTime() + 60_000), limit: 10 });
    expect(claimed.map((r) => r.dedupeKey)).toContain(`orphan:${c.id}`);
    const telegram = new FakeChannel("telegram");
    const survivor = dispatcher(clock, [telegram], { id: "survivor" });
    expect(await survivor.runOnce()).toBe(0);
    clock.advance(60_001);
    await survivor.runOnce();
    expect(await row(`orphan:${c.id}`)).toMatchObject({ status: "sent", lockedBy: null });
  });

  it("does not send a row whose lease ran out while it waited for the send pace and another instance took it", async () => {
    const clock = new ManualClock(T0);
    const c = await customerOnTwoChannels(clock);
    await enqueue(prisma(), [draft(c.id, "slow-pace", clock, { platform: "telegram" })]);
    const outbox = new OutboxRepository(prisma());
    const leaseMs = 60_000;
    let tookOver: string[] = [];
    const pacer: SendPacing = {
      acquire: async () => {
        // A long wait for the platform's pace: the lease runs out and another instance claims the row.
        clock.advance(leaseMs + 1);
        const claimed = await outbox.claim({ instanceId: "other", platforms: ["telegram"], now: clock.now(), leaseUntil: new Date(clock.now().getTime() + leaseMs), limit: 10 });
        tookOver = claimed.map((r) => r.dedupeKey);
      },
      pause: () => {},
    };
    const telegram = new FakeChannel("telegram");
    await dispatcher(clock, [telegram], { pacer, settings: { leaseMs } }).runOnce();
    expect(tookOver).toContain(`slow-pace:${c.id}`);
    expect(telegram.sends).toEqual([]);
    expect(await row(`slow-pace:${c.id}`)).toMatchObject({ status: "sending", lockedBy: "other" });
    // Give it back for the tests that follow.
    await outbox.release([(await row(`slow-pace:${c.id}`)).id], "other");
    await prisma().outboxMessage.deleteMany({ where: { customerId: c.id } });
  });

  it("renews its lease after a long wait for the send pace, so nobody takes the row it is about to send", async () => {
    const clock = new ManualClock(T0);
    const c = await customerOnTwoChannels(clock);
    await enqueue(prisma(), [draft(c.id, "renewed", clock, { platform: "telegram" })]);
    const leaseMs = 60_000;
    const pacer: SendPacing = { acquire: async () => clock.advance(leaseMs * 0.75), pause: () => {} };
    let lockedUntilAtSend: Date | null = null;
    const telegram = new FakeChannel("telegram", async () => {
      lockedUntilAtSend = (await row(`renewed:${c.id}`)).lockedUntil;
      return { platformMessageId: `renewed-${c.id}` };
    });
    await dispatcher(clock, [telegram], { pacer, settings: { leaseMs } }).runOnce();
    expect(lockedUntilAtSend!.getTime()).toBe(clock.now().getTime() + leaseMs);
    expect(await row(`renewed:${c.id}`)).toMatchObject({ status: "sent" });
  });

  it("on stop, finishes the send in flight and gives back the claimed rows it had not started", async () => {
    const clock = new ManualClock(T0);
    const telegram = new FakeChannel("telegram");
    let release!: () => void;
    const started = new Promise<void>((resolveStarted) => {
      const gate = new Promise<void>((resolve) => (release = resolve));
      telegram.behaviour = async () => {
        resolveStarted();
        await gate;
        return { platformMessageId: `in-flight-${c.id}` };
      };
    });
    const c = await customerOnTwoChannels(clock);
    await enqueue(prisma(), [draft(c.id, "a", clock), draft(c.id, "b", clock), draft(c.id, "c", clock)]);
    const d = dispatcher(clock, [telegram], { settings: { concurrency: 1 } });
    d.start();
    await started;
    const stopping = d.stop();
    release();
    await stopping;
    const rows = await prisma().outboxMessage.findMany({ where: { customerId: c.id }, orderBy: { dedupeKey: "asc" } });
    expect(rows.map((r) => [r.status, r.lockedBy])).toEqual([
      ["sent", null],
      ["pending", null],
      ["pending", null],
    ]);
    expect(telegram.sends).toHaveLength(1);
  });

  describe.skipIf(target.name !== "postgres")("several dispatchers on one PostgreSQL", () => {
    it("never sends a row twice: SKIP LOCKED claims split the rows between them", async () => {
      const clock = new ManualClock(T0);
      const delivered = new Map<string, number>();
      const slow = () =>
        new FakeChannel("telegram", async (_address, message) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          // Rows earlier tests left due (the stop test's given-back ones) go too; only these are counted.
          if (message.text.startsWith("bulk ")) delivered.set(message.text, (delivered.get(message.text) ?? 0) + 1);
          return {};
        });
      const customers = await Promise.all(Array.from({ length: 20 }, () => customerOnTwoChannels(clock)));
      const drafts = customers.flatMap((c) => Array.from({ length: 15 }, (_, i) => draft(c.id, `bulk-${i}`, clock, { message: { text: `bulk ${i} ${c.id}` } })));
      expect(await enqueue(prisma(), drafts)).toBe(300);
      const channels = [slow(), slow(), slow()];
      const dispatchers = channels.map((channel, i) => dispatcher(clock, [channel], { id: `instance-${i}`, settings: { batchSize: 10 } }));
      await Promise.all(dispatchers.map(async (d) => {
        while ((await d.runOnce()) > 0);
      }));

      expect(delivered.size).toBe(300);
      expect([...delivered.values()].every((times) => times === 1)).toBe(true);
      // Each took part: the claims really ran side by side.
      expect(channels.filter((channel) => channel.sends.length > 0).length).toBeGreaterThan(1);
      expect(await prisma().outboxMessage.count({ where: { customerId: { in: customers.map((c) => c.id) }, status: "sent" } })).toBe(300);
      expect(await prisma().interaction.count({ where: { customerId: { in: customers.map((c) => c.id) }, direction: "out" } })).toBe(300);
    });
  });
});
