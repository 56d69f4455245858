import { type ChannelAdapter, ChannelError, type Platform, platforms as allPlatforms } from "../core/channel.ts";
import type { Clock } from "../core/clock.ts";
import type { ChannelIdentity, InteractionKind } from "../db/generated/client.ts";
import type { ClaimedOutbox, OutboxEnd, OutboxRepository, TimelineEntry } from "../db/repositories/outbox-repository.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../observability/logger.ts";
import { type RetrySettings, defaultRetrySettings, retryDelayMs } from "./outbox-retry.ts";
import { type OutreachTopic, isOutreachTopic } from "./topics.ts";

/** The contact policy's answer (src/outreach/contact-policy.ts PolicyVerdict has this shape). */
export type SendVerdict = { action: "send" } | { action: "defer"; until: Date; reason: string } | { action: "skip"; reason: string };

/** Asks the contact policy about one message at send time: decide(topic, await factsFor(customerId, now), settings). */
export type ContactGate = (topic: OutreachTopic, customerId: string, now: Date) => Promise<SendVerdict>;

/** What the dispatcher needs of the send pacer (src/outreach/send-pacer.ts SendPacer fits it). */
export interface SendPacing {
  /**
   * Resolves when one send to this chat is within the platform's limits, with what to call once the
   * platform answered (or the send was not made): the pace counts each send until its answer. Rejects when `signal` aborts.
   */
  acquire(platform: Platform, chatKey: string, signal?: AbortSignal): Promise<(() => void) | void>;
  /** A 429: nothing more to that platform and chat until `retryAfterMs` have passed. */
  pause(platform: Platform, retryAfterMs: number, chatKey?: string): void;
}

/** The channels this instance runs (the engine's registered adapters). */
export interface RunningChannels {
  channel(platform: Platform): ChannelAdapter | undefined;
  runningPlatforms(): Platform[];
}

/** Delivers one staff row (src/staff/staff-notifier.ts); throws ChannelError as a channel's send does. */
export type StaffDelivery = (row: ClaimedOutbox) => Promise<void>;

export type SendResult = "sent" | "unreachable" | "rate_limited" | "transient" | "rejected" | "dead" | "no_channel";

/** Told about every outcome, for /metrics. */
export interface DispatchObserver {
  send(platform: Platform | "none", result: SendResult): void;
  policy(action: "defer" | "skip", reason: string): void;
}

export interface DispatcherSettings {
  /** Rows claimed per round. */
  batchSize: number;
  /** How long a claim holds; a dispatcher that dies mid-send lets its rows go after this. */
  leaseMs: number;
  /** The wait between rounds when nothing was due (enqueueing here wakes it sooner). */
  idlePollMs: number;
  /** Customers served at once within a round; one customer's rows go one after another. */
  concurrency: number;
  retry: RetrySettings;
}

export const defaultDispatcherSettings: DispatcherSettings = {
  // 200 rather than 50: each round ends with a pause (the claim, then every worker's policy check)
  // in which the platform's budget goes unused; fewer rounds, fewer pauses.
  batchSize: 200,
  leaseMs: 60_000,
  idlePollMs: 1000,
  // 8 rather than 4: a send holds its place in the pace until the platform answered, and on a busy
  // machine the policy check and the record around each send took 4 workers longer than 30 a second allow.
  concurrency: 8,
  retry: defaultRetrySettings,
};

export interface DispatcherOptions {
  outbox: OutboxRepository;
  channels: RunningChannels;
  clock: Clock;
  logger: Logger;
  /** Names this instance's claims; unique per running process. */
  instanceId: string;
  gate?: ContactGate | undefined;
  pacer?: SendPacing | undefined;
  observer?: DispatchObserver | undefined;
  /** After a row was sent and recorded (e.g. a case follow-up stamps its case). */
  afterSent?: ((row: ClaimedOutbox, sentAt: Date) => Promise<void>) | undefined;
  /** After a row ended unsent (failed, dead, skipped), e.g. a relayed staff reply gets its ⚠️. */
  afterEnded?: ((row: ClaimedOutbox, end: OutboxEnd, reason: string) => Promise<void>) | undefined;
  /** Delivers staff rows (audience "staff") to the staff app; without it this instance claims none. See sendToStaff. */
  staff?: StaffDelivery | undefined;
  settings?: Partial<DispatcherSettings>;
  random?: () => number;
}

/**
 * Sends what the outbox holds. Every instance runs one: it claims due rows for the platforms it runs
 * under a lease, asks the contact policy, sends through the customer's most recently active reachable
 * channel, and records the outcome on the row and the customer's timeline. See README "Outbound messages".
 */
export class Dispatcher {
  private readonly settings: DispatcherSettings;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  /** Customers served at once, across a page and the next one claimed before it ended. */
  private readonly slots: Slots;
  private wakeUp: (() => void) | undefined;
  private woken = false;

  constructor(private readonly options: DispatcherOptions) {
    this.settings = { ...defaultDispatcherSettings, ...options.settings };
    this.slots = new Slots(this.settings.concurrency);
    this.log = options.logger.child({ component: "dispatcher" });
    this.random = options.random ?? Math.random;
  }

  /**
   * Runs rounds until stop(): as fast as rows are due, else every idlePollMs or when woken. After a
   * full page the next is claimed as soon as every row of this one has been taken up by a worker,
   * while its last sends are still in flight: waiting for them, then for the claim, left the
   * platform's budget unused at every page's end. Workers of both pages share `concurrency`.
   */
  start(): void {
    this.loop ??= (async () => {
      const rounds: Promise<void>[] = [];
      while (!this.stopping.signal.aborted) {
        let round: Round | undefined;
        try {
          round = await this.claimRound();
        } catch (error) {
          this.log.error({ err: describeError(error) }, "dispatch round failed");
        }
        if (round && round.claimed >= this.settings.batchSize) {
          rounds.push(round.done);
          if (rounds.length > 2) await rounds.shift();
          await round.drained;
          continue;
        }
        await round?.done;
        await this.idle();
      }
      await Promise.all(rounds);
    })();
  }

  /** Something was queued: look now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /**
   * Takes no new rows, lets the send in flight finish and be recorded, and gives back claimed rows
   * not yet started, so another instance can send them at once.
   */
  async stop(): Promise<void> {
    this.stopping.abort(new Error("the dispatcher is stopping"));
    this.wakeUp?.();
    await this.loop;
  }

  /** One round: claims due rows and handles them. Returns how many were claimed. */
  async runOnce(): Promise<number> {
    const round = await this.claimRound();
    await round.done;
    return round.claimed;
  }

  /** Claims a page and sets workers on it; `drained` once every customer's rows are taken up, `done` once handled. */
  private async claimRound(): Promise<Round> {
    const platforms = this.options.channels.runningPlatforms();
    const staff = this.options.staff !== undefined;
    if (this.stopping.signal.aborted || (!platforms.length && !staff)) return { claimed: 0, drained: Promise.resolve(), done: Promise.resolve() };
    const now = this.options.clock.now();
    const leaseUntil = new Date(now.getTime() + this.settings.leaseMs);
    const rows = await this.options.outbox.claim({ instanceId: this.options.instanceId, platforms, staff, now, leaseUntil, limit: this.settings.batchSize });
    const byCustomer = new Map<string, ClaimedOutbox[]>();
    for (const row of rows) {
      const queue = byCustomer.get(row.customerId);
      if (queue) queue.push(row);
      else byCustomer.set(row.customerId, [row]);
    }
    const queues = [...byCustomer.values()];
    byCustomer.clear();
    let drain!: () => void;
    const drained = new Promise<void>((resolve) => (drain = resolve));
    if (!queues.length) drain();
    const workers = Array.from({ length: Math.min(this.settings.concurrency, queues.length) }, async () => {
      for (;;) {
        await this.slots.acquire();
        const queue = queues.shift();
        if (!queues.length) drain();
        try {
          if (!queue) return;
          // Each row is let go once handled, so a page's rows are not all held until its last is sent.
          for (let row = queue.shift(); row; row = queue.shift()) await this.handleSafely(row, leaseUntil);
        } finally {
          this.slots.release();
        }
      }
    });
    return { claimed: rows.length, drained, done: Promise.all(workers).then(() => undefined) };
  }

  private async idle(): Promise<void> {
    if (this.woken || this.stopping.signal.aborted) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.settings.idlePollMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
    this.wakeUp = undefined;
    this.woken = false;
  }

  private async handleSafely(row: ClaimedOutbox, leaseUntil: Date): Promise<void> {
    const { outbox, instanceId } = this.options;
    if (this.stopping.signal.aborted) return outbox.release([row.id], instanceId);
    try {
      await this.handle(row, leaseUntil);
    } catch (error) {
      // A database hiccup while recording: the lease runs out and the row is tried again.
      this.log.error({ outboxId: row.id, err: describeError(error) }, "dispatching a message failed");
    }
  }

  private async handle(row: ClaimedOutbox, claimedUntil: Date): Promise<void> {
    let leaseUntil = claimedUntil.getTime();
    const { outbox, instanceId, clock } = this.options;
    if (row.audience === "staff") return this.sendToStaff(row);
    const topic: OutreachTopic = isOutreachTopic(row.topic) ? row.topic : "transactional";
    const verdict = this.options.gate ? await this.options.gate(topic, row.customerId, clock.now()) : ({ action: "send" } as const);
    if (verdict.action === "defer") {
      this.options.observer?.policy("defer", verdict.reason);
      return outbox.reschedule(row.id, instanceId, { notBefore: verdict.until, deferReason: verdict.reason });
    }
    if (verdict.action === "skip") {
      this.options.observer?.policy("skip", verdict.reason);
      return this.finish(row, "skipped", verdict.reason);
    }

    const running = this.options.channels.runningPlatforms();
    // A row for one platform goes there only; one without goes wherever the customer is reachable.
    const candidates = row.platform ? running.filter((platform) => platform === row.platform) : running;
    const identities = await outbox.reachableIdentities(row.customerId, candidates);
    let unreachable: { error: ChannelError; identity: ChannelIdentity } | undefined;
    for (const identity of identities) {
      const adapter = this.options.channels.channel(identity.platform);
      if (!adapter) continue;
      const answered = await this.paced(identity);
      if (!answered) return outbox.release([row.id], instanceId);
      let outcome: "done" | ChannelError;
      try {
        const renewed = await this.stillHeld(row, leaseUntil);
        if (renewed === null) return;
        leaseUntil = renewed;
        outcome = await this.send(adapter, identity, row, answered);
      } finally {
        answered();
      }
      if (outcome === "done") return;
      unreachable = { error: outcome, identity };
    }
    return this.noChannelLeft(row, unreachable);
  }

  /**
   * After a wait that used up half the lease (the send pace, a slow platform), the lease is renewed
   * before sending. Returns the lease's end, or null when it had run out and another instance took
   * the row: that one sends it.
   */
  private async stillHeld(row: ClaimedOutbox, leaseUntil: number): Promise<number | null> {
    const now = this.options.clock.now().getTime();
    if (now < leaseUntil - this.settings.leaseMs / 2) return leaseUntil;
    const renewed = now + this.settings.leaseMs;
    if (await this.options.outbox.renewLease(row.id, this.options.instanceId, new Date(renewed))) return renewed;
    this.log.warn({ outboxId: row.id }, "lease ran out while waiting to send; another instance has the message");
    return null;
  }

  /** Waits for the pacer: what to call once the platform answered, or null when shutdown interrupted the wait (the row is given back). */
  private async paced(identity: ChannelIdentity): Promise<(() => void) | null> {
    const nothing = () => {};
    if (!this.options.pacer) return this.stopping.signal.aborted ? null : nothing;
    try {
      return (await this.options.pacer.acquire(identity.platform, identity.address, this.stopping.signal)) ?? nothing;
    } catch (error) {
      if (this.stopping.signal.aborted) return null;
      throw error;
    }
  }

  /** One try on one identity: "done" when the row reached an end or a later time, else the unreachable error. */
  private async send(adapter: ChannelAdapter, identity: ChannelIdentity, row: ClaimedOutbox, answered: () => void): Promise<"done" | ChannelError> {
    const { outbox, instanceId, clock, observer } = this.options;
    const platform = identity.platform;
    let receipt;
    try {
      receipt = await adapter.send(identity.address, row.message).finally(answered);
    } catch (thrown) {
      const error = thrown instanceof ChannelError ? thrown : new ChannelError(platform, "transient", describeError(thrown), { cause: thrown });
      const now = clock.now();
      const reason = error.message;
      switch (error.kind) {
        case "unreachable":
          observer?.send(platform, "unreachable");
          await outbox.markUnreachable(identity.id, now);
          this.log.info({ outboxId: row.id, platform }, "customer unreachable on this channel; trying another");
          return error;
        case "rate_limited": {
          observer?.send(platform, "rate_limited");
          const waitMs = Math.max(1000, error.retryAfterMs ?? 1000);
          this.options.pacer?.pause(platform, waitMs, identity.address);
          await outbox.reschedule(row.id, instanceId, { notBefore: new Date(now.getTime() + waitMs), error: reason });
          return "done";
        }
        case "rejected":
          observer?.send(platform, "rejected");
          await this.finish(row, "failed", reason, { failedAttempt: true, timeline: { entry: timelineEntry(row), platform, at: now } });
          return "done";
        case "transient": {
          const failures = row.attempts + 1;
          if (failures >= this.settings.retry.maxAttempts) {
            observer?.send(platform, "dead");
            const why = `gave up after ${failures} tries: ${reason}`;
            await this.finish(row, "dead", why, { failedAttempt: true, timeline: { entry: timelineEntry(row), platform, at: now } });
            this.log.warn({ outboxId: row.id, platform, err: reason }, "message dead-lettered");
            return "done";
          }
          observer?.send(platform, "transient");
          const notBefore = new Date(now.getTime() + retryDelayMs(failures, this.settings.retry, this.random));
          await outbox.reschedule(row.id, instanceId, { notBefore, error: reason, failedAttempt: true });
          return "done";
        }
      }
    }
    const sentAt = clock.now();
    await outbox.markSent(row.id, instanceId, { platform, platformMessageId: receipt.platformMessageId ?? null, sentAt }, timelineEntry(row));
    observer?.send(platform, "sent");
    await this.options.afterSent?.(row, sentAt).catch((error: unknown) =>
      this.log.error({ outboxId: row.id, err: describeError(error) }, "bookkeeping after a send failed"),
    );
    return "done";
  }

  /** Nobody to send to here: another instance may reach the customer, or nobody can. */
  private async noChannelLeft(row: ClaimedOutbox, unreachable: { error: ChannelError; identity: ChannelIdentity } | undefined): Promise<void> {
    const { outbox, instanceId, clock, observer } = this.options;
    const elsewhere = row.platform ? [row.platform] : [...allPlatforms];
    const others = (await outbox.reachableIdentities(row.customerId, elsewhere)).filter(
      (identity) => !this.options.channels.runningPlatforms().includes(identity.platform),
    );
    if (others.length) {
      // Reachable on a platform another instance runs: this one's claims leave it to that one.
      return outbox.release([row.id], instanceId);
    }
    observer?.send(unreachable?.identity.platform ?? "none", "no_channel");
    const reason = unreachable
      ? `unreachable on every linked channel (last: ${unreachable.error.message})`
      : `no linked channel${row.platform ? ` on ${row.platform}` : ""} reaches this customer`;
    await this.finish(row, "failed", reason, {
      ...(unreachable ? { timeline: { entry: timelineEntry(row), platform: unreachable.identity.platform, at: clock.now() } } : {}),
    });
  }

  /** Ends a row unsent and tells `afterEnded` (a relayed staff reply's ⚠️). */
  private async finish(row: ClaimedOutbox, end: OutboxEnd, reason: string, options: Parameters<OutboxRepository["finish"]>[4] = {}): Promise<void> {
    await this.options.outbox.finish(row.id, this.options.instanceId, end, reason, options);
    await this.options.afterEnded?.(row, end, reason).catch((error: unknown) =>
      this.log.error({ outboxId: row.id, err: describeError(error) }, "bookkeeping after an unsent message failed"),
    );
  }

  // --- Staff rows (audience "staff"): alerts and takeover threads for the staff app ---

  /**
   * A staff row goes to the staff app, not to the customer: no contact policy (staff are not
   * customers), no customer timeline entry. Retries, rate limits and dead letters as above.
   */
  private async sendToStaff(row: ClaimedOutbox): Promise<void> {
    const { outbox, instanceId, clock } = this.options;
    try {
      await this.options.staff!(row);
    } catch (thrown) {
      const error = thrown instanceof ChannelError ? thrown : new ChannelError("slack", "transient", describeError(thrown), { cause: thrown });
      const now = clock.now();
      if (error.kind === "rate_limited") {
        const waitMs = Math.max(1000, error.retryAfterMs ?? 1000);
        return outbox.reschedule(row.id, instanceId, { notBefore: new Date(now.getTime() + waitMs), error: error.message });
      }
      if (error.kind === "transient") {
        const failures = row.attempts + 1;
        if (failures < this.settings.retry.maxAttempts) {
          const notBefore = new Date(now.getTime() + retryDelayMs(failures, this.settings.retry, this.random));
          return outbox.reschedule(row.id, instanceId, { notBefore, error: error.message, failedAttempt: true });
        }
        this.log.warn({ outboxId: row.id, err: error.message }, "staff message dead-lettered");
        return this.finish(row, "dead", `gave up after ${failures} tries: ${error.message}`, { failedAttempt: true });
      }
      this.log.warn({ outboxId: row.id, err: error.message }, "staff message refused");
      return this.finish(row, "failed", error.message, { failedAttempt: true });
    }
    await outbox.markStaffSent(row.id, instanceId, clock.now());
  }
}

/** A claimed page being handled. */
interface Round {
  claimed: number;
  drained: Promise<void>;
  done: Promise<void>;
}

/** A counting semaphore: at most `free` holders at once, the others wait in arrival order. */
class Slots {
  private readonly waiting: (() => void)[] = [];
  constructor(private free: number) {}

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

function timelineEntry(row: ClaimedOutbox): TimelineEntry {
  const metadata: TimelineEntry["metadata"] = { proactive: true, outboxId: row.id };
  // A message a staff member wrote (a takeover reply) carries their name onto the timeline.
  const author = row.details?.author as { id?: unknown; name?: unknown } | undefined;
  if (typeof author?.name === "string") Object.assign(metadata, { by: author.name, byId: author.id });
  if (row.message.choices?.length) metadata.choices = row.message.choices.map((c) => ({ id: c.id, label: c.label }));
  if (row.message.attachment) metadata.attachment = { fileName: row.message.attachment.fileName, contentType: row.message.attachment.contentType };
  return { customerId: row.customerId, kind: interactionKindOf(row.topic), text: row.message.text, metadata };
}

function interactionKindOf(topic: string): InteractionKind {
  if (topic === "survey") return "survey";
  if (topic === "care" || topic === "marketing") return "care";
  return "message";
}
