import type { OutboundMessage, Platform } from "../../core/channel.ts";
import type { OutreachTopic } from "../../outreach/topics.ts";
import { type InteractionMetadata, checkInteractionMetadata } from "../../core/interaction-metadata.ts";
import { type ChannelIdentity, type InteractionKind, type OutboxMessage, Prisma, type PrismaClient } from "../generated/client.ts";
import { OutboxStatus as OutboxStatusValues } from "../generated/enums.ts";
import { isUniqueViolation } from "../prisma-errors.ts";

type OutboxStatus = (typeof OutboxStatusValues)[keyof typeof OutboxStatusValues];

export type { OutboxMessage, OutboxStatus };

/** Works on the client or inside the caller's transaction (enqueue with the change that caused it). */
type Db = PrismaClient | Prisma.TransactionClient;

/** One message to queue. */
export interface OutboxDraft {
  customerId: string;
  topic: OutreachTopic;
  /** The plan or source that made it, e.g. "birthday", "case_followup", "survey_invitation". */
  kind: string;
  message: OutboundMessage;
  /** One per customer, plan and occurrence ("birthday:<customer>:2027"): the same one is never queued twice. */
  dedupeKey: string;
  /** Not sent before then (the policy may move it later still). */
  notBefore: Date;
  /** Only on this platform; omitted: the customer's most recently active reachable channel. */
  platform?: Platform | undefined;
  /** "staff": for the staff app (src/staff/staff-notifier.ts), not the customer; customerId is the customer concerned. */
  audience?: OutboxAudience | undefined;
  /** What the row's sender needs besides the message (a staff notice, who wrote it); kept in the payload. */
  details?: Prisma.InputJsonObject | undefined;
}

export type OutboxAudience = "customer" | "staff";

/** A row the dispatcher holds a lease on. */
export interface ClaimedOutbox {
  id: string;
  customerId: string;
  platform: Platform | null;
  topic: string;
  kind: string;
  message: OutboundMessage;
  dedupeKey: string;
  attempts: number;
  notBefore: Date;
  audience: OutboxAudience;
  /** The draft's `details`, as stored. */
  details: Record<string, unknown> | undefined;
}

/** What the customer's timeline records for a sent (or failed) outbox message. */
export interface TimelineEntry {
  customerId: string;
  kind: InteractionKind;
  text: string;
  metadata: InteractionMetadata;
}

/** A row's end when it will not be sent: refused by the platform, out of retries, or refused by the policy. */
export type OutboxEnd = "failed" | "dead" | "skipped";

/**
 * Queues messages; a draft whose dedupeKey is already queued (or was sent) is left out.
 * Returns how many were new. Pass the transaction of the change that caused them, so the
 * change and its messages are written together or not at all.
 */
export async function enqueue(db: Db, drafts: readonly OutboxDraft[]): Promise<number> {
  if (!drafts.length) return 0;
  for (const draft of drafts) {
    if (!draft.dedupeKey.trim()) throw new Error(`an outbox message (${draft.kind} for ${draft.customerId}) needs a dedupeKey`);
  }
  // skipDuplicates is INSERT … ON CONFLICT DO NOTHING; dedupeKey is the only unique key a draft sets.
  const { count } = await db.outboxMessage.createMany({
    data: drafts.map((draft) => ({
      customerId: draft.customerId,
      topic: draft.topic,
      kind: draft.kind,
      payload: draft.details ? { ...payloadOf(draft.message), details: draft.details } : payloadOf(draft.message),
      dedupeKey: draft.dedupeKey,
      notBefore: draft.notBefore,
      platform: draft.platform ?? null,
      audience: draft.audience ?? "customer",
    })),
    skipDuplicates: true,
  });
  return count;
}

export class OutboxRepository {
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly prisma: PrismaClient) {}

  /** See the module's `enqueue`: inside `db`'s transaction when it is one. Call `queued()` after it commits. */
  enqueue(db: Db, drafts: readonly OutboxDraft[]): Promise<number> {
    return enqueue(db, drafts);
  }

  /** Queues on its own (no change to write with it), and tells the dispatcher. */
  async enqueueNow(drafts: readonly OutboxDraft[]): Promise<number> {
    const added = await enqueue(this.prisma, drafts);
    if (added) this.queued();
    return added;
  }

  /** Something was committed to the outbox: the dispatcher here looks now rather than at its next poll. */
  queued(): void {
    for (const listener of this.listeners) listener();
  }

  onQueued(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Takes up to `limit` due rows for this instance until `leaseUntil`: pending ones whose time has
   * come and rows whose sender's lease ran out (it died mid-send). Only rows this instance can
   * send: on one of `platforms`, or with no platform and a customer reachable on one of them.
   * SKIP LOCKED lets several dispatchers claim at once without waiting on or taking each other's rows.
   * Staff rows (audience staff) only with `staff`: this instance runs the staff app.
   */
  async claim(input: { instanceId: string; platforms: readonly Platform[]; staff?: boolean; now: Date; leaseUntil: Date; limit: number }): Promise<ClaimedOutbox[]> {
    if ((!input.platforms.length && !input.staff) || input.limit <= 0) return [];
    const now = input.now.toISOString();
    const platforms = [...input.platforms];
    const staff = input.staff === true;
    // Due pending rows and rows whose sender's lease ran out are looked up apart, each walking the
    // (status, notBefore) index in order and stopping at the limit: one query with an OR between the
    // two read and sorted every due row (and checked each one's identities) for every page, which
    // at 80,000 queued birthday greetings took 2 s a claim on PostgreSQL and stalled the sends
    // between pages. The rows come back with the claim (RETURNING), not from a second query.
    const sendable = Prisma.sql`((o."audience" = 'customer'
               AND (o."platform"::text = ANY(${platforms}::text[])
               OR (o."platform" IS NULL AND EXISTS (
                    SELECT 1 FROM "ChannelIdentity" c
                    WHERE c."customerId" = o."customerId" AND c."unreachableAt" IS NULL
                      AND c."platform"::text = ANY(${platforms}::text[])))))
            OR (o."audience" = 'staff' AND ${staff}::boolean))`;
    const claimed = await this.prisma.$transaction([
      // A short OLTP statement never gains from JIT compilation, and on tables whose statistics lag
      // (a large batch just queued) the planner's cost estimate can switch it on: a second per claim.
      this.prisma.$executeRaw`SET LOCAL jit = off`,
      this.prisma.$queryRaw<ClaimedRow[]>`
      WITH pending AS (
        SELECT o."id", o."notBefore" FROM "OutboxMessage" o
         WHERE o."status" = 'pending' AND o."notBefore" <= ${now}::timestamp(3) AND ${sendable}
         ORDER BY o."notBefore"
         LIMIT ${input.limit}
         FOR UPDATE OF o SKIP LOCKED
      ), expired AS (
        SELECT o."id", o."notBefore" FROM "OutboxMessage" o
         WHERE o."status" = 'sending' AND o."lockedUntil" < ${now}::timestamp(3) AND ${sendable}
         ORDER BY o."notBefore"
         LIMIT ${input.limit}
         FOR UPDATE OF o SKIP LOCKED
      ), due AS (
        SELECT "id" FROM (SELECT * FROM expired UNION ALL SELECT * FROM pending) d ORDER BY "notBefore" LIMIT ${input.limit}
      )
      UPDATE "OutboxMessage" m
         SET "status" = 'sending', "lockedBy" = ${input.instanceId}, "lockedUntil" = ${input.leaseUntil.toISOString()}::timestamp(3)
        FROM due WHERE m."id" = due."id"
      RETURNING m."id"::text AS "id", m."customerId"::text AS "customerId", m."platform"::text AS "platform", m."topic", m."kind",
                m."payload", m."dedupeKey", m."attempts", m."notBefore", m."audience"::text AS "audience"`,
    ]);
    const rows = claimed[1].map(toClaimed);
    return rows.sort((a, b) => a.notBefore.getTime() - b.notBefore.getTime());
  }

  /**
   * The platform took it: the row is done, with the platform's receipt, and the message is on the
   * customer's timeline, both in one transaction (the timeline shows what was delivered).
   */
  async markSent(id: string, instanceId: string, receipt: { platform: Platform; platformMessageId: string | null; sentAt: Date }, timeline: TimelineEntry): Promise<void> {
    // One statement, not a transaction of two Prisma calls: the busiest write of a dispatch (every
    // message sent), so one round trip and no query building instead of four round trips (BEGIN,
    // two statements, COMMIT). A data-modifying WITH runs whether or not the INSERT uses it, and the
    // statement is atomic: the row is marked sent and the timeline gets its entry together or not at all.
    // The timeline entry is written even when the lease was lost meanwhile: the message was delivered.
    const sentAt = receipt.sentAt.toISOString();
    const metadata = JSON.stringify(checkInteractionMetadata(timeline.metadata));
    const write = (timelineMessageId: string | null) => this.prisma.$executeRaw`
      WITH sent AS (
        UPDATE "OutboxMessage"
           SET "status" = 'sent', "sentAt" = ${sentAt}::timestamp(3), "sentPlatform" = ${receipt.platform}::"Platform",
               "platformMessageId" = ${receipt.platformMessageId}, "deferReason" = NULL, "lockedBy" = NULL, "lockedUntil" = NULL
         WHERE "id" = ${id}::uuid AND "lockedBy" = ${instanceId}
      )
      INSERT INTO "Interaction" ("id", "customerId", "platform", "direction", "kind", "text", "platformMessageId", "metadata", "occurredAt")
      VALUES (gen_random_uuid(), ${timeline.customerId}::uuid, ${receipt.platform}::"Platform", 'out', ${timeline.kind}::"InteractionKind",
              ${timeline.text}, ${timelineMessageId}, ${metadata}::jsonb, ${sentAt}::timestamp(3))`;
    try {
      await write(receipt.platformMessageId);
    } catch (error) {
      // A platform whose ids repeat across chats (Telegram's per-chat message ids) can meet the
      // timeline's unique (platform, id): the message was delivered all the same, so it is recorded
      // without the id there (the outbox row keeps it) rather than left to be sent again.
      if (!receipt.platformMessageId || !isRawUniqueViolation(error)) throw error;
      await write(null);
    }
  }

  /** A staff row reached the staff app: done, with no customer timeline entry (staff saw it, not the customer). */
  async markStaffSent(id: string, instanceId: string, sentAt: Date): Promise<void> {
    await this.prisma.outboxMessage.updateMany({
      where: { id, lockedBy: instanceId },
      data: { status: "sent", sentAt, deferReason: null, lockedBy: null, lockedUntil: null },
    });
  }

  /**
   * Puts a held row back to wait until `notBefore`: a policy defer (`deferReason`), a rate limit,
   * or a transient failure (`failedAttempt`: counted towards dead-lettering, `error` kept).
   */
  async reschedule(
    id: string,
    instanceId: string,
    change: { notBefore: Date; deferReason?: string | undefined; error?: string | undefined; failedAttempt?: boolean | undefined },
  ): Promise<void> {
    await this.prisma.outboxMessage.updateMany({
      where: { id, lockedBy: instanceId },
      data: {
        status: "pending",
        notBefore: change.notBefore,
        ...(change.deferReason !== undefined ? { deferReason: change.deferReason } : {}),
        ...(change.error !== undefined ? { lastError: change.error } : {}),
        ...(change.failedAttempt ? { attempts: { increment: 1 } } : {}),
        lockedBy: null,
        lockedUntil: null,
      },
    });
  }

  /**
   * The row will not be sent; `reason` says why (kept in lastError). With `timeline` (a message that
   * was tried and failed), the customer's timeline shows it as failed, in the same transaction.
   */
  async finish(
    id: string,
    instanceId: string,
    end: OutboxEnd,
    reason: string,
    options: { failedAttempt?: boolean; timeline?: { entry: TimelineEntry; platform: Platform; at: Date } } = {},
  ): Promise<void> {
    const update = this.prisma.outboxMessage.updateMany({
      where: { id, lockedBy: instanceId },
      data: { status: end, lastError: reason, ...(options.failedAttempt ? { attempts: { increment: 1 } } : {}), lockedBy: null, lockedUntil: null },
    });
    const timeline = options.timeline;
    if (!timeline) {
      await update;
      return;
    }
    const failed = { ...timeline.entry, metadata: { ...timeline.entry.metadata, delivery: "failed" as const, deliveryError: reason } };
    await this.prisma.$transaction([update, this.prisma.interaction.create({ data: timelineData(failed, timeline.platform, null, timeline.at) })]);
  }

  /** Puts a closed case's follow-up (or any row) that failed or died back in the queue, due now. */
  async requeue(dedupeKey: string, now: Date): Promise<boolean> {
    const { count } = await this.prisma.outboxMessage.updateMany({
      where: { dedupeKey, status: { in: ["failed", "dead"] } },
      data: { status: "pending", notBefore: now, attempts: 0 },
    });
    return count === 1;
  }

  /**
   * Extends this instance's lease on a row it is about to send after a long wait (the send pace).
   * False when the lease was lost meanwhile: another instance took the row over and sends it.
   */
  async renewLease(id: string, instanceId: string, leaseUntil: Date): Promise<boolean> {
    const { count } = await this.prisma.outboxMessage.updateMany({
      where: { id, lockedBy: instanceId, status: "sending" },
      data: { lockedUntil: leaseUntil },
    });
    return count === 1;
  }

  /** Gives back rows this instance holds and did not start sending (shutdown), due at once elsewhere. */
  async release(ids: readonly string[], instanceId: string): Promise<void> {
    if (!ids.length) return;
    await this.prisma.outboxMessage.updateMany({
      where: { id: { in: [...ids] }, lockedBy: instanceId, status: "sending" },
      data: { status: "pending", lockedBy: null, lockedUntil: null },
    });
  }

  /** Dead letters back in the queue, due now, with their retries counted afresh. Returns how many. */
  async requeueDead(now: Date): Promise<number> {
    const { count } = await this.prisma.outboxMessage.updateMany({
      where: { status: "dead" },
      data: { status: "pending", notBefore: now, attempts: 0 },
    });
    return count;
  }

  /** How many rows are in each status (every status listed, zero included). */
  async depthByStatus(): Promise<Record<OutboxStatus, number>> {
    const groups = await this.prisma.outboxMessage.groupBy({ by: ["status"], _count: { _all: true } });
    const depth = Object.fromEntries(Object.values(OutboxStatusValues).map((status) => [status, 0])) as Record<OutboxStatus, number>;
    for (const group of groups) depth[group.status] = group._count._all;
    return depth;
  }

  /** A customer's identities a send may try, on these platforms, the most recently active first. */
  reachableIdentities(customerId: string, platforms: readonly Platform[]): Promise<ChannelIdentity[]> {
    return this.prisma.channelIdentity.findMany({
      where: { customerId, unreachableAt: null, platform: { in: [...platforms] } },
      orderBy: { lastSeenAt: "desc" },
    });
  }

  /** A send found this identity unreachable: no more tries there until the person writes again. */
  async markUnreachable(identityId: string, at: Date): Promise<void> {
    await this.prisma.channelIdentity.updateMany({ where: { id: identityId }, data: { unreachableAt: at } });
  }

  findById(id: string): Promise<OutboxMessage | null> {
    return this.prisma.outboxMessage.findUnique({ where: { id } });
  }

  listByCustomer(customerId: string): Promise<OutboxMessage[]> {
    return this.prisma.outboxMessage.findMany({ where: { customerId }, orderBy: { createdAt: "asc" } });
  }
}

/** A unique violation from a raw statement: Prisma wraps the driver's error (P2010, meta.driverAdapterError). */
function isRawUniqueViolation(error: unknown): boolean {
  return isUniqueViolation(error) || isUniqueViolation((error as { meta?: { driverAdapterError?: unknown } } | null)?.meta?.driverAdapterError);
}

function timelineData(entry: TimelineEntry, platform: Platform, platformMessageId: string | null, at: Date): Prisma.InteractionUncheckedCreateInput {
  return {
    customerId: entry.customerId,
    platform,
    direction: "out",
    kind: entry.kind,
    text: entry.text,
    platformMessageId,
    metadata: checkInteractionMetadata(entry.metadata) as Prisma.InputJsonObject,
    occurredAt: at,
  };
}

/** The stored form of a message: what the adapter needs again, nothing else. */
function payloadOf(message: OutboundMessage): Prisma.InputJsonObject {
  return {
    text: message.text,
    ...(message.choices?.length ? { choices: message.choices.map((c) => ({ id: c.id, label: c.label })) } : {}),
    ...(message.attachment ? { attachment: { ...message.attachment } } : {}),
  };
}

function messageOf(payload: unknown): OutboundMessage {
  const stored = (payload ?? {}) as { text?: unknown; choices?: unknown; attachment?: unknown };
  return {
    text: typeof stored.text === "string" ? stored.text : "",
    ...(Array.isArray(stored.choices) ? { choices: stored.choices as OutboundMessage["choices"] } : {}),
    ...(stored.attachment && typeof stored.attachment === "object" ? { attachment: stored.attachment as OutboundMessage["attachment"] } : {}),
  };
}

/** The columns a claim returns (RETURNING): enums as text, the payload as stored. */
interface ClaimedRow {
  id: string;
  customerId: string;
  platform: string | null;
  topic: string;
  kind: string;
  payload: unknown;
  dedupeKey: string;
  attempts: number;
  notBefore: Date | string;
  audience: string;
}

function toClaimed(row: ClaimedRow): ClaimedOutbox {
  const payload = typeof row.payload === "string" ? (JSON.parse(row.payload) as unknown) : row.payload;
  return {
    id: row.id,
    customerId: row.customerId,
    platform: row.platform as Platform | null,
    topic: row.topic,
    kind: row.kind,
    message: messageOf(payload),
    dedupeKey: row.dedupeKey,
    attempts: Number(row.attempts),
    notBefore: row.notBefore instanceof Date ? row.notBefore : new Date(`${row.notBefore.replace(" ", "T")}${/Z|[+-]\d\d:?\d\d$/.test(row.notBefore) ? "" : "Z"}`),
    audience: row.audience as OutboxAudience,
    details: detailsOf(payload),
  };
}

function detailsOf(payload: unknown): Record<string, unknown> | undefined {
  const details = (payload as { details?: unknown } | null)?.details;
  return details && typeof details === "object" && !Array.isArray(details) ? (details as Record<string, unknown>) : undefined;
}
