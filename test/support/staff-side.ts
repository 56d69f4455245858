import { type ChannelAdapter, ChannelError, type OutboundMessage, type Platform, type SendReceipt } from "../../src/core/channel.ts";
import type { ManualClock } from "../../src/core/clock.ts";
import type { AlertView, StaffMessageRef, StaffNotifier, StaffReaction } from "../../src/core/staff-notifier.ts";
import type { Database } from "../../src/db/database.ts";
import { loadConfig } from "../../src/config/env.ts";
import { buildServices } from "../../src/engine/build-services.ts";
import { caseOfFollowUp } from "../../src/feedback/feedback-service.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { Dispatcher } from "../../src/outreach/dispatcher.ts";
import type { Actor } from "../../src/staff/actor.ts";
import { type StaffSide, setUpStaffSide, staffAlertSettingsFromConfig } from "../../src/staff/takeover-setup.ts";

export const logger = createLogger("silent");

export const alice: Actor = { kind: "staff", id: "slack:U0ALICE01", name: "Alice", via: "slack" };
export const bob: Actor = { kind: "staff", id: "slack:U0BOB0001", name: "Bob", via: "slack" };

let fakeTs = 0;

/** A staff app that records what it was asked and fails on demand (a Slack outage). */
export class FakeNotifier implements StaffNotifier {
  readonly posted: { ts: string; alert: AlertView }[] = [];
  readonly updates: { at: StaffMessageRef; alert: AlertView }[] = [];
  readonly threadPosts: { thread: StaffMessageRef; text: string; ts: string }[] = [];
  readonly reactions: { message: StaffMessageRef; reaction: StaffReaction }[] = [];
  /** Calls fail this way while set. */
  down: ChannelError | undefined;

  private check(): void {
    if (this.down) throw this.down;
  }
  private ts(): string {
    // Unique across notifiers: the alerts of one database share one channel's timestamps.
    return `1700000000.${String(++fakeTs).padStart(6, "0")}`;
  }
  async postAlert(alert: AlertView): Promise<StaffMessageRef> {
    this.check();
    const ts = this.ts();
    this.posted.push({ ts, alert });
    return { channel: "C0STAFF01", ts };
  }
  async updateAlert(at: StaffMessageRef, alert: AlertView): Promise<void> {
    this.check();
    this.updates.push({ at, alert });
  }
  async postInThread(thread: StaffMessageRef, text: string): Promise<StaffMessageRef> {
    this.check();
    const ts = this.ts();
    this.threadPosts.push({ thread, text, ts });
    return { channel: thread.channel, ts };
  }
  async addReaction(message: StaffMessageRef, reaction: StaffReaction): Promise<void> {
    this.check();
    this.reactions.push({ message, reaction });
  }
}

/** A customer channel that records sends and refuses on demand. */
export class FakeChannel implements ChannelAdapter {
  readonly sends: { address: string; text: string }[] = [];
  refuse: ChannelError | undefined;
  private ids = 0;
  constructor(readonly platform: Platform) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(address: string, message: OutboundMessage): Promise<SendReceipt> {
    if (this.refuse) throw this.refuse;
    this.sends.push({ address, text: message.text });
    return { platformMessageId: `${this.platform}-${++this.ids}` };
  }
}

export interface StaffRig {
  services: ReturnType<typeof buildServices>;
  side: StaffSide;
  notifier: FakeNotifier;
  telegram: FakeChannel;
  /** Runs dispatch rounds; `staffUp: false` is an instance without the staff app. */
  dispatch(options?: { staffUp?: boolean }): Promise<number>;
}

/** Tend's services over `db` with alerts and the takeover relay wired as src/app.ts wires them. */
export function staffRig(db: Database, clock: ManualClock, env: Record<string, string> = {}): StaffRig {
  const config = loadConfig({ LOG_LEVEL: "silent", OUTREACH_DEFAULT_QUIET_HOURS: "off", TEND_STAFF_SLACK_USERS: "U0ALICE01:Alice,U0BOB0001:Bob", ...env });
  const services = buildServices(db, config, clock, logger);
  const side = setUpStaffSide({ prisma: db.prisma, services, clock, settings: staffAlertSettingsFromConfig(config) });
  const notifier = new FakeNotifier();
  const telegram = new FakeChannel("telegram");
  const channels = { channel: (p: Platform) => (p === "telegram" ? telegram : undefined), runningPlatforms: (): Platform[] => ["telegram"] };
  const make = (staffUp: boolean) =>
    new Dispatcher({
      outbox: services.outbox,
      channels,
      clock,
      logger,
      instanceId: "staff-test",
      settings: { retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000 } },
      random: () => 0.5,
      ...(staffUp ? { staff: side.delivery(notifier) } : {}),
      afterSent: async (row, sentAt) => {
        const caseId = caseOfFollowUp(row.dedupeKey);
        if (caseId) await services.feedback.followUpSent(caseId, sentAt);
        await side.afterSent(row);
      },
      afterEnded: (row, end, reason) => side.afterEnded(row, end, reason),
    });
  return {
    services,
    side,
    notifier,
    telegram,
    async dispatch(options = {}) {
      const dispatcher = make(options.staffUp ?? true);
      let total = 0;
      // Until nothing is due: a relay's ✅ is queued by the round that sent the relay.
      for (let round = 0; round < 10; round++) {
        const handled = await dispatcher.runOnce();
        total += handled;
        if (!handled) break;
      }
      return total;
    },
  };
}

let customers = 0;

/** A customer on Telegram. */
export async function telegramCustomer(db: Database, clock: ManualClock, name = "Ann") {
  const n = ++customers;
  const customer = await db.prisma.customer.create({ data: { displayName: `${name} ${n}`, locale: "en" } });
  await db.prisma.channelIdentity.create({
    data: { customerId: customer.id, platform: "telegram", platformUserId: `tg-staff-${n}-${customer.id.slice(0, 6)}`, address: `tg:${n}`, lastSeenAt: clock.now() },
  });
  return { id: customer.id, address: `tg:${n}` };
}

export function transient(message = "Slack is down"): ChannelError {
  return new ChannelError("slack", "transient", message);
}
