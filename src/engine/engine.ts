import { randomUUID } from "node:crypto";
import { claimsSurveyAnswer } from "../core/action-ids.ts";
import type { ChannelAdapter, InboundMessage, OutboundMessage, Platform, ReplyReporter } from "../core/channel.ts";
import { type Clock, systemClock } from "../core/clock.ts";
import { type InteractionMetadata, readInteractionMetadata } from "../core/interaction-metadata.ts";
import type { ChannelIdentity, Customer } from "../db/repositories/customer-repository.ts";
import type { InviteResult } from "../surveys/survey-service.ts";
import type { Interaction } from "../db/repositories/interaction-repository.ts";
import type { LoyaltyLedgerEntry } from "../db/repositories/loyalty-repository.ts";
import type { Prisma } from "../db/generated/client.ts";
import type { OutboxDraft } from "../db/repositories/outbox-repository.ts";
import type { OutreachTopic } from "../outreach/topics.ts";
import { TendError, describeError } from "../errors.ts";
import type { Logger } from "../observability/logger.ts";
import { ConversationContext, type Reply } from "./context.ts";
import { DuplicateCopies } from "./duplicate-copies.ts";
import { looksChinese } from "./intents.ts";
import { readsLedger, route } from "./router.ts";
import type { EngineServices } from "./services.ts";
import { textsFor } from "./texts.ts";
import { customerLanguage } from "../feedback/locale.ts";

export interface NotifyOptions {
  /** What the message is about, for the contact policy; "staff" (a message staff wrote) by default. */
  topic?: OutreachTopic | undefined;
  /** Which plan or source made it, e.g. "staff_message". */
  kind?: string | undefined;
  /** Names the occurrence, so queueing it again does nothing; one per call when omitted. */
  dedupeKey?: string | undefined;
  notBefore?: Date | undefined;
  /** Only on this platform; by default the customer's most recently active reachable channel. */
  platform?: Platform | undefined;
  /** The transaction of the change that caused it. */
  db?: Prisma.TransactionClient | undefined;
}

export interface EngineOptions {
  services: EngineServices;
  logger: Logger;
  clock?: Clock;
  /** How long a message may go without an outcome before a copy takes it over (its handler died). */
  claimLeaseMs?: number;
  /** How long previousReplies waits for a message still being handled. */
  duplicateWaitMs?: number;
  /** Staff alerts and the takeover relay (src/staff), when the staff app is configured. */
  staff?: EngineStaffHooks | undefined;
  /** Told how long each inbound message took to answer, in seconds (the /metrics histogram). */
  observeInbound?: ((platform: Platform, seconds: number) => void) | undefined;
}

/** What the engine tells staff about inbound messages (src/staff/takeover.ts, src/staff/alerts.ts). */
export interface EngineStaffHooks {
  /** A handed-over customer wrote: shown in their takeover thread (once per inbound message). */
  customerWrote(customerId: string, inboundId: string, text: string): Promise<void>;
  /** Tend did not understand the message: a high-value customer's alerts staff. */
  unrecognised(customerId: string, text: string): Promise<unknown>;
}

/**
 * The relationship engine's front door: every channel hands it inbound messages and gets the
 * replies back; everything proactive (follow-ups, care messages) is queued in the outbox
 * (`notify`) and sent by the dispatcher.
 * Every message in and out lands on the customer's timeline.
 */
export class Engine {
  private readonly channels = new Map<Platform, ChannelAdapter>();
  private readonly services: EngineServices;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly copies: DuplicateCopies;
  private readonly staffHooks: EngineStaffHooks | undefined;
  private readonly observeInbound: EngineOptions["observeInbound"];
  /** The timeline row of each reply handed to an adapter, so its delivery is recorded without reading them back. */
  private readonly replyRowIds = new WeakMap<OutboundMessage, string>();

  constructor(options: EngineOptions) {
    this.services = options.services;
    this.log = options.logger.child({ component: "engine" });
    this.clock = options.clock ?? systemClock;
    this.staffHooks = options.staff;
    this.observeInbound = options.observeInbound;
    this.copies = new DuplicateCopies({
      interactions: this.services.interactions,
      clock: this.clock,
      claimLeaseMs: options.claimLeaseMs,
      waitMs: options.duplicateWaitMs,
    });
  }

  registerChannel(adapter: ChannelAdapter): void {
    this.channels.set(adapter.platform, adapter);
  }

  /**
   * For adapters: handles one inbound message and returns what to answer. A copy of a message
   * already received gets [] (a push platform must not send the answer twice; a client that
   * retries for the answer asks previousReplies), unless the original's handler died before it
   * had an outcome: then one copy (across instances) handles it and gets the answer.
   */
  readonly handleInbound = async (received: InboundMessage): Promise<OutboundMessage[]> => {
    const message = storable(received);
    const startedAt = performance.now();
    try {
      // A copy of a message this instance is handling right now: the handling answers it (a
      // retrying client gets its answers through previousReplies, which waits for it).
      if (this.copies.isHandlingHere(message.platform, message.platformMessageId)) return [];
      return await this.copies.track(message.platform, message.platformMessageId, () => this.receive(message));
    } finally {
      this.observeInbound?.(message.platform, (performance.now() - startedAt) / 1000);
    }
  };

  /**
   * A returning customer costs one read before handling and one write after: handlers that only
   * read (help, points, rewards, the fallback) have the inbound row written with their replies,
   * in one statement. A handler that writes claims the message first (ctx.claim), so a copy
   * waits for it and a crash leaves it to be taken over. A first message makes the customer the
   * long way and is claimed at once.
   */
  private async receive(message: InboundMessage): Promise<OutboundMessage[]> {
    const { services } = this;
    const found = await services.interactions.lookupInbound(identityOf(message), message.platformMessageId, this.clock.now(), { ledger: readsLedger(message) });
    if (found?.seen) return this.handleCopy(message);
    if (found) return this.handle(message, found.customer, null, found);
    // A new customer gets the language the platform or their first message suggests.
    const text = message.text ?? "";
    const { customer } = await services.customers.resolveIdentity(
      { ...identityOf(message), locale: customerLanguage(message.locale) === "zh-CN" || looksChinese(text) ? "zh-CN" : "en" },
      this.clock.now(),
    );
    const recorded = await services.interactions.record(this.inboundRow(message, customer.id));
    if (recorded.duplicate) return this.handleCopy(message);
    return this.handle(message, customer, recorded.interaction.id);
  }

  /** A copy of a message recorded before: nothing, unless the original's handler died; then this copy handles it. */
  private async handleCopy(message: InboundMessage): Promise<OutboundMessage[]> {
    const abandoned = await this.takeOverAbandoned(message);
    if (!abandoned) return [];
    const customer = await this.services.customers.findByIdentity(message.platform, message.platformUserId);
    if (!customer) return [];
    return this.handle(message, customer, abandoned);
  }

  private async takeOverAbandoned(message: InboundMessage): Promise<string | null> {
    // Seen before (a platform's redelivery, another instance's copy): handled once, answered once.
    const abandoned = message.platformMessageId ? await this.copies.takeOverIfAbandoned(message.platform, message.platformMessageId) : null;
    if (!abandoned) this.log.debug({ platform: message.platform }, "duplicate inbound message");
    else this.log.info({ platform: message.platform }, "handling a message whose first handling was cut off");
    return abandoned;
  }

  private inboundRow(message: InboundMessage, customerId: string) {
    return {
      customerId,
      platform: message.platform,
      direction: "in" as const,
      kind: message.action && claimsSurveyAnswer(message.action) ? ("survey" as const) : ("message" as const),
      text: message.text ?? null,
      platformMessageId: message.platformMessageId,
      metadata: message.action ? { action: message.action } : undefined,
      occurredAt: message.receivedAt,
      claimedAt: this.clock.now(),
    };
  }

  /** `claimedId`: the inbound row already written and claimed by this handling, or null (written with the outcome). */
  /** `lookup`: what the inbound read found besides the customer (null: assume the worst, e.g. for a first message). */
  private async handle(
    message: InboundMessage,
    customer: Customer,
    claimedId: string | null,
    lookup: { pendingActions: boolean; identityCurrent: boolean; ledger?: readonly LoyaltyLedgerEntry[] | undefined } | null = null,
  ): Promise<OutboundMessage[]> {
    const { services } = this;
    let inboundId = claimedId;
    const claim = async () => {
      if (inboundId) return;
      inboundId = await services.interactions.claimInbound(identityOf(message), this.inboundRow(message, customer.id));
      inboundId ??= await this.takeOverAbandoned(message);
      if (!inboundId) throw new CopyOfMessage();
    };
    const ctx = new ConversationContext(message, customer, services, this.clock, claim, lookup?.pendingActions ?? true, lookup?.ledger);
    let unrecognised = false;
    try {
      // Staff see a handed-over customer's messages in their thread, keyed by the inbound row.
      if (customer.handedOverAt && this.staffHooks) await claim();
      const outcome = await route(ctx);
      // Kept for staff: what customers ask that Tend does not understand yet.
      unrecognised = outcome === "unrecognised" && Boolean(message.text);
    } catch (error) {
      if (error instanceof CopyOfMessage) return [];
      this.log.error({ err: describeError(error), platform: message.platform }, "handling a message failed");
      ctx.replies.length = 0;
      ctx.reply(textsFor(ctx.language).failure, { kind: "system" });
    }
    await this.tellStaff(message, customer, inboundId, unrecognised);
    const metadata: InteractionMetadata | undefined = unrecognised
      ? { ...(message.action ? { action: message.action } : {}), unrecognised: true }
      : message.action
        ? { action: message.action }
        : undefined;
    const rows = this.replyRows(ctx.customer, message, ctx.replies);
    const now = this.clock.now();
    let written = inboundId
      ? await services.interactions.writeOutcome(ctx.customer.id, { id: inboundId, ...(unrecognised ? { metadata } : {}) }, rows, now)
      : await services.interactions.writeOutcome(
          ctx.customer.id,
          { identity: lookup?.identityCurrent ? null : identityOf(message), row: { ...this.inboundRow(message, customer.id), metadata } },
          rows,
          now,
        );
    if (!written.written) {
      // Another copy of this message got there first with its own outcome (or is handling it).
      const abandoned = await this.takeOverAbandoned(message);
      if (!abandoned) return [];
      written = await services.interactions.writeOutcome(ctx.customer.id, { id: abandoned, ...(unrecognised ? { metadata } : {}) }, rows, now);
    }
    await this.sweepIfErasedMeanwhile(ctx.customer, written.erasedAt);
    return ctx.replies.map(({ kind: _kind, ...outbound }, index) => {
      const rowId = written.replyIds[index];
      if (rowId) this.replyRowIds.set(outbound, rowId);
      return outbound;
    });
  }

  /**
   * Before the message's outcome is written, so a copy that takes over a cut-off handling tells
   * staff too (the thread line is keyed by the inbound message: shown once). Never fails the message.
   */
  private async tellStaff(message: InboundMessage, customer: Customer, inboundId: string | null, unrecognised: boolean): Promise<void> {
    const staff = this.staffHooks;
    if (!staff) return;
    try {
      // `customer` as the message found it: the message that asks for a person is not relayed.
      if (customer.handedOverAt && inboundId) await staff.customerWrote(customer.id, inboundId, message.text || (message.action ? `(pressed ${message.action})` : "(no text)"));
      else if (unrecognised && message.text) await staff.unrecognised(customer.id, message.text);
    } catch (error) {
      this.log.error({ err: describeError(error), platform: message.platform }, "telling staff about a message failed");
    }
  }

  /**
   * The answers given to a message, for a client that retries a request it lost the response to
   * (the web chat). A message still being handled (here or on another instance) is waited for,
   * up to duplicateWaitMs, so a retry right behind the original gets its answers too.
   */
  async previousReplies(platform: Platform, platformUserId: string, platformMessageId: string): Promise<OutboundMessage[]> {
    const customer = await this.services.customers.findByIdentity(platform, platformUserId);
    if (!customer) return [];
    // Someone else's message id (or one erased meanwhile) reveals nothing, and is not waited for.
    let seen = await this.services.interactions.inboundState(platform, platformMessageId);
    // Handled here right now by a handler that only reads: its row is written with its replies.
    if (!seen && this.copies.isHandlingHere(platform, platformMessageId)) seen = await this.copies.outcomeOf(platform, platformMessageId);
    if (!seen || seen.customerId !== customer.id) return [];
    const state = seen.handledAt ? seen : await this.copies.outcomeOf(platform, platformMessageId);
    if (!state || state.customerId !== customer.id) return [];
    const replies = await this.services.interactions.repliesTo(customer.id, `${platform}:${platformMessageId}`);
    return replies.map(toOutbound);
  }

  /**
   * For push platforms' adapters: what became of the replies to `message` once they tried to send
   * them. Replies are written with the message's outcome before they go (a redelivery must find
   * them); this adds the platform's id to those that arrived and marks those that did not as failed.
   */
  readonly recordReplyDelivery: ReplyReporter = async (message, outcomes) => {
    if (!message.platformMessageId || !outcomes.length) return;
    const known = outcomes.map((outcome) => ({ outcome, id: this.replyRowIds.get(outcome.reply) }));
    if (known.every((k) => k.id)) {
      const rows = known.map(({ outcome, id }) => (outcome.sent ? { id: id!, platformMessageId: outcome.platformMessageId } : { id: id!, failed: outcome.error }));
      // One statement for all; an id the platform reused is the rare case the row-by-row path below handles.
      const recorded = await this.services.interactions.recordReplyOutcomes(rows).then(
        () => true,
        () => false,
      );
      if (recorded) return;
    }
    const customer = await this.services.customers.findByIdentity(message.platform, message.platformUserId);
    if (!customer) return;
    const unmatched = await this.services.interactions.repliesTo(customer.id, `${message.platform}:${message.platformMessageId}`);
    for (const outcome of outcomes) {
      // Matched by text, in order: the stored rows of one outcome share their time, so order alone cannot tell them apart.
      const index = unmatched.findIndex((row) => row.text === outcome.reply.text);
      if (index < 0) continue;
      const [row] = unmatched.splice(index, 1);
      await this.services.interactions.recordReplyOutcome(row!.id, outcome.sent ? { platformMessageId: outcome.platformMessageId } : { failed: outcome.error });
    }
  };

  /**
   * An erasure that finished while this message was being handled (a second tap on the confirm
   * button, a message racing the erasure) did not see what this message wrote; erasing again
   * sweeps it up. The outcome's write tells the erasure time as of its commit (no extra read);
   * the sweep itself only runs after such a race.
   */
  private async sweepIfErasedMeanwhile(customer: Customer, erasedAt: Date | null): Promise<void> {
    if (customer.erasedAt || !erasedAt) return;
    await this.services.privacy.eraseCustomer(customer.id, { requestedVia: "chat" });
  }

  /** The timeline rows of a message's replies. */
  private replyRows(customer: Customer, message: InboundMessage, replies: Reply[]) {
    const erased = customer.erasedAt !== null;
    const inReplyTo = message.platformMessageId ? `${message.platform}:${message.platformMessageId}` : undefined;
    return replies.map((reply) => ({
      customerId: customer.id,
      platform: message.platform,
      direction: "out" as const,
      kind: reply.kind,
      // After an erasure nothing personal is written again, not even our own words to them, nor
      // the platform message id they answer (the erasure has just scrubbed it from the inbound row).
      text: erased ? null : reply.text,
      metadata: erased ? undefined : outboundMetadata(reply, inReplyTo),
      occurredAt: this.clock.now(),
    }));
  }

  /**
   * Queues a message the customer did not just ask for; the dispatcher sends it on the channel
   * they used last (or `platform`) and puts it on their timeline once the platform took it. Pass
   * `db` (a transaction) to queue it together with the change that caused it; then call
   * `services.outbox.queued()` after that transaction commits.
   */
  async notify(customerId: string, message: OutboundMessage, options: NotifyOptions = {}): Promise<void> {
    const draft: OutboxDraft = {
      customerId,
      topic: options.topic ?? "staff",
      kind: options.kind ?? "staff_message",
      message,
      // A staff message is one per call unless the caller names its occurrence.
      dedupeKey: options.dedupeKey ?? `${options.kind ?? "staff_message"}:${randomUUID()}`,
      notBefore: options.notBefore ?? this.clock.now(),
      platform: options.platform,
    };
    if (options.db) await this.services.outbox.enqueue(options.db, [draft]);
    else await this.services.outbox.enqueueNow([draft]);
  }

  /**
   * Invites a customer to a CSAT or NPS survey on the channel they used last (staff or outreach
   * asked): the invitation and the message carrying it are written together, and the dispatcher
   * sends it (the contact policy may defer it to the end of quiet hours).
   */
  async inviteToSurvey(customerId: string, kind: "csat" | "nps"): Promise<InviteResult> {
    const identity = await this.reachableIdentity(customerId);
    const result = await this.services.surveys.invite(customerId, kind, identity.platform, "staff", (tx, invited) =>
      this.services.outbox
        .enqueue(tx, [
          {
            customerId,
            topic: "survey",
            kind: "survey_invitation",
            message: { text: invited.question, choices: invited.choices },
            dedupeKey: `survey_invitation:${invited.invitation.id}`,
            notBefore: this.clock.now(),
            platform: identity.platform,
          },
        ])
        .then(() => undefined),
    );
    if (result.status === "invited") this.services.outbox.queued();
    return result;
  }

  /** The adapter running for a platform here, if any (the dispatcher sends through it). */
  channel(platform: Platform): ChannelAdapter | undefined {
    return this.channels.get(platform);
  }

  /** The platforms this instance runs: the dispatcher claims only their messages. */
  runningPlatforms(): Platform[] {
    return [...this.channels.keys()];
  }

  private async reachableIdentity(customerId: string): Promise<ChannelIdentity> {
    const identities = await this.services.customers.identities(customerId);
    const reachable = identities
      .filter((identity) => this.channels.has(identity.platform) && identity.unreachableAt === null)
      .sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime());
    const identity = reachable[0];
    if (!identity) {
      throw new TendError("CUSTOMER_UNREACHABLE", `customer ${customerId} has no identity on a running channel`);
    }
    return identity;
  }

}

/** Thrown out of a handler's claim when the message turns out to be a copy another handling has. */
class CopyOfMessage extends Error {}

function identityOf(message: InboundMessage) {
  return { platform: message.platform, platformUserId: message.platformUserId, address: message.address, displayName: message.displayName };
}

/**
 * What a person typed, made safe to store: PostgreSQL text cannot hold NUL, and a lone surrogate
 * is no character. Either used to make the whole message fail before anything was recorded.
 */
function storable(message: InboundMessage): InboundMessage {
  const clean = (value: string | undefined) =>
    value === undefined ? undefined : value.replace(/\u0000/g, "").replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
  return { ...message, text: clean(message.text), action: clean(message.action), displayName: clean(message.displayName) };
}

function outboundMetadata(reply: OutboundMessage, inReplyTo: string | undefined, proactive = false): InteractionMetadata | undefined {
  const metadata: InteractionMetadata = {};
  if (reply.choices?.length) metadata.choices = reply.choices.map((c) => ({ id: c.id, label: c.label }));
  if (reply.attachment) metadata.attachment = { fileName: reply.attachment.fileName, contentType: reply.attachment.contentType };
  if (inReplyTo) metadata.inReplyTo = inReplyTo;
  if (proactive) metadata.proactive = true;
  return Object.keys(metadata).length ? metadata : undefined;
}

/** An outbound timeline entry as a message again (attachments are not kept: they are made on request). */
export function toOutbound(interaction: Interaction): OutboundMessage {
  const metadata = readInteractionMetadata(interaction.metadata);
  return { text: interaction.text ?? "", ...(metadata.choices ? { choices: metadata.choices } : {}) };
}

