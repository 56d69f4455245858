import { expect, it } from "vitest";
import { type ChannelAdapter, ChannelError, type OutboundMessage, type Platform, type SendReceipt } from "../src/core/channel.ts";
import { ManualClock } from "../src/core/clock.ts";
import { OutboxRepository, enqueue } from "../src/db/repositories/outbox-repository.ts";
import { createLogger } from "../src/observability/logger.ts";
import { Dispatcher, type SendPacing } from "../src/outreach/dispatcher.ts";
import { describeEachDatabase } from "./support/databases.ts";

const T0 = "2026-06-01T09:00:00.000Z";
let customers = 0;

/** A platform whose sends record when they started and ended in one shared log, answering as told. */
class LoggingChannel implements ChannelAdapter {
  readonly platform: Platform = "telegram";
  constructor(
    private readonly log: string[],
    private readonly answer: (address: string) => SendReceipt,
  ) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(address: string, _message: OutboundMessage): Promise<SendReceipt> {
    this.log.push(`send ${address}`);
    await new Promise((resolve) => setImmediate(resolve));
    this.log.push(`answer ${address}`);
    return this.answer(address);
  }
}

/** A pacer that logs each grant and each report that the platform answered. */
function loggingPacer(log: string[], beforeGrant: () => Promise<void> = async () => {}): SendPacing & { open: number } {
  const pacer = {
    open: 0,
    async acquire(_platform: Platform, chat: string) {
      await beforeGrant();
      log.push(`granted ${chat}`);
      pacer.open += 1;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        pacer.open -= 1;
        log.push(`finished ${chat}`);
      };
    },
    pause() {},
  };
  return pacer;
}

describeEachDatabase("dispatcher and the send pace", (db) => {
  async function queuedFor(clock: ManualClock, key: string) {
    const n = ++customers;
    const customer = await db().prisma.customer.create({ data: { displayName: `p${n}` } });
    await db().prisma.channelIdentity.create({ data: { customerId: customer.id, platform: "telegram", platformUserId: `pace${n}`, address: `tg:pace${n}` } });
    await enqueue(db().prisma, [{ customerId: customer.id, topic: "care", kind: "pace", message: { text: "hi" }, dedupeKey: `${key}:${n}`, notBefore: clock.now(), platform: "telegram" }]);
    return { address: `tg:pace${n}`, key: `${key}:${n}` };
  }

  function dispatcher(clock: ManualClock, channel: ChannelAdapter, pacer: SendPacing, leaseMs = 60_000) {
    return new Dispatcher({
      outbox: new OutboxRepository(db().prisma),
      channels: { channel: () => channel, runningPlatforms: () => ["telegram"] },
      clock,
      logger: createLogger("silent"),
      instanceId: "pace-test",
      pacer,
      settings: { leaseMs, retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000 } },
      random: () => 0.5,
    });
  }

  it("tells the pacer when the platform answered, after the send and once, whether it was taken or refused", async () => {
    const clock = new ManualClock(T0);
    const log: string[] = [];
    const ok = await queuedFor(clock, "answered");
    const refused = await queuedFor(clock, "refused");
    const channel = new LoggingChannel(log, (address) => {
      if (address === refused.address) throw new ChannelError("telegram", "transient", "502 Bad Gateway");
      return { platformMessageId: `m-${address}` };
    });
    const pacer = loggingPacer(log);
    await dispatcher(clock, channel, pacer).runOnce();
    for (const { address } of [ok, refused]) {
      const at = (what: string) => log.indexOf(`${what} ${address}`);
      expect(at("granted")).toBeGreaterThanOrEqual(0);
      expect(at("granted")).toBeLessThan(at("send"));
      expect(at("send")).toBeLessThan(at("answer"));
      expect(at("answer")).toBeLessThan(at("finished"));
      expect(log.filter((line) => line === `finished ${address}`)).toHaveLength(1);
    }
    expect(pacer.open).toBe(0);
    expect(await db().prisma.outboxMessage.findUniqueOrThrow({ where: { dedupeKey: ok.key } })).toMatchObject({ status: "sent" });
    await db().prisma.outboxMessage.deleteMany({ where: { kind: "pace" } });
  });

  it("gives the pace back when a granted send is not made (its lease ran out and another instance has it)", async () => {
    const clock = new ManualClock(T0);
    const log: string[] = [];
    const leaseMs = 60_000;
    const lost = await queuedFor(clock, "lost");
    const outbox = new OutboxRepository(db().prisma);
    // A long wait for the pace: the lease runs out and another instance claims the row.
    const pacer = loggingPacer(log, async () => {
      clock.advance(leaseMs + 1);
      await outbox.claim({ instanceId: "other", platforms: ["telegram"], now: clock.now(), leaseUntil: new Date(clock.now().getTime() + leaseMs), limit: 10 });
    });
    await dispatcher(clock, new LoggingChannel(log, () => ({ platformMessageId: "never" })), pacer, leaseMs).runOnce();
    expect(log).toEqual([`granted ${lost.address}`, `finished ${lost.address}`]);
    expect(pacer.open).toBe(0);
    const row = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { dedupeKey: lost.key } });
    await outbox.release([row.id], "other");
    await db().prisma.outboxMessage.deleteMany({ where: { kind: "pace" } });
  });
});
