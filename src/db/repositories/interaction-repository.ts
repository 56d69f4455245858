import { type InteractionMetadata, checkInteractionMetadata, readInteractionMetadata } from "../../core/interaction-metadata.ts";
import { randomUUID } from "node:crypto";
import { type Customer, type Direction, type Interaction, type InteractionKind, type Platform, Prisma, type PrismaClient } from "../generated/client.ts";
import { isUniqueViolation } from "../prisma-errors.ts";

export type { Interaction, InteractionMetadata };

export interface InteractionInput {
  customerId: string;
  platform: Platform;
  direction: Direction;
  kind: InteractionKind;
  text?: string | null | undefined;
  /** The platform's message id; a second record with the same id on the same platform is a duplicate. */
  platformMessageId?: string | null | undefined;
  metadata?: InteractionMetadata | undefined;
  occurredAt?: Date | undefined;
  /** Inbound messages about to be handled: when this instance took them on (see claimStale). */
  claimedAt?: Date | undefined;
}

export type RecordResult = { duplicate: false; interaction: Interaction } | { duplicate: true; interaction: null };

/** Where the handling of an inbound message stands. */
export interface InboundState {
  id: string;
  customerId: string;
  claimedAt: Date | null;
  /** Set once the replies are written: the message has its outcome. */
  handledAt: Date | null;
}

/** Who wrote, as the adapter saw them: refreshed on their identity with every message. */
export interface InboundIdentity {
  platform: Platform;
  platformUserId: string;
  address: string;
  displayName?: string | undefined;
}

/**
 * A returning customer's message, recorded: the customer as they are now, and the id of the new
 * inbound row, or null when the message was recorded before (a redelivery, another instance's copy).
 */
export interface RecordedInbound {
  customer: Customer;
  inboundId: string | null;
}

/** What became of a message's outcome write: the customer's erasure time as of its commit. */
export interface OutcomeWritten {
  erasedAt: Date | null;
}

export class InteractionRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Appends to the customer's timeline. Redelivered platform messages are detected by the unique
   * (platform, platformMessageId) index, so concurrent deliveries of one message record it once.
   */
  async record(input: InteractionInput): Promise<RecordResult> {
    try {
      const interaction = await this.prisma.interaction.create({ data: toData(input) });
      return { duplicate: false, interaction };
    } catch (error) {
      if (input.platformMessageId && isUniqueViolation(error)) return { duplicate: true, interaction: null };
      throw error;
    }
  }

  /**
   * Writes the replies to an inbound message and marks the message handled, together: a message
   * either has its outcome and all its replies, or neither (and a retry may handle it again).
   */
  async recordOutcome(inboundId: string, replies: InteractionInput[], handledAt: Date): Promise<void> {
    await this.prisma.$transaction([
      ...replies.map((reply) => this.prisma.interaction.create({ data: toData(reply) })),
      this.prisma.interaction.update({ where: { id: inboundId }, data: { handledAt }, select: { id: true } }),
    ]);
  }

  /**
   * The inbound path's first write, in one statement (one round trip, one implicit transaction):
   * refreshes the identity (last seen, address, name; clears "unreachable"), reads its customer and
   * records the inbound message, claimed now. Null when the identity is unknown (a first message, or
   * one whose customer was erased): then resolve it the long way and `record`. Plain SQL because
   * this runs for every message and Prisma's per-query cost would be most of it.
   */
  async recordInbound(identity: InboundIdentity, input: Omit<InteractionInput, "customerId" | "platform" | "direction">, now: Date): Promise<RecordedInbound | null> {
    const id = randomUUID();
    const displayName = identity.displayName ? identity.displayName : null;
    const metadata = input.metadata !== undefined ? JSON.stringify(toJson(input.metadata)) : null;
    const rows = await this.prisma.$queryRaw<(Customer & { inboundId: string | null })[]>`
      WITH identity AS (
        UPDATE "ChannelIdentity"
           SET "lastSeenAt" = ${now}, "unreachableAt" = NULL, "address" = ${identity.address},
               "displayName" = COALESCE(${displayName}, "displayName")
         WHERE "platform" = ${identity.platform}::"Platform" AND "platformUserId" = ${identity.platformUserId}
        RETURNING "customerId"
      ), inbound AS (
        INSERT INTO "Interaction" ("id", "customerId", "platform", "direction", "kind", "text", "platformMessageId", "metadata", "occurredAt", "claimedAt")
        SELECT ${id}::uuid, identity."customerId", ${identity.platform}::"Platform", 'in', ${input.kind}::"InteractionKind", ${input.text ?? null},
               ${input.platformMessageId ?? null}, ${metadata}::jsonb, ${input.occurredAt ?? now}, ${input.claimedAt ?? null}
          FROM identity
        ON CONFLICT ("platform", "platformMessageId") DO NOTHING
        RETURNING "id"
      )
      SELECT c.*, (SELECT "id" FROM inbound) AS "inboundId"
        FROM "Customer" c JOIN identity ON c."id" = identity."customerId"`;
    const row = rows[0];
    if (!row) return null;
    const { inboundId, ...customer } = row;
    return { customer, inboundId };
  }

  /**
   * Writes the replies to an inbound message and marks the message handled (optionally replacing
   * its metadata), in one statement: a message either has its outcome and all its replies, or
   * neither (and a retry may handle it again). It holds the customer's row (FOR SHARE) while it
   * writes, so an erasure (which locks that row first) either runs after and sees these rows, or ran
   * before and its time comes back here: the caller then erases again to sweep them up.
   */
  async writeOutcome(customerId: string, inboundId: string, replies: InteractionInput[], handledAt: Date, inboundMetadata?: InteractionMetadata): Promise<OutcomeWritten> {
    const values = replies.map(
      (reply) => Prisma.sql`(${randomUUID()}::uuid, ${reply.customerId}::uuid, ${reply.platform}::"Platform", ${reply.direction}::"Direction", ${reply.kind}::"InteractionKind",
        ${reply.text ?? null}, ${reply.platformMessageId ?? null}, ${reply.metadata !== undefined ? JSON.stringify(toJson(reply.metadata)) : null}::jsonb, ${reply.occurredAt ?? handledAt})`,
    );
    const insert = values.length
      ? Prisma.sql`, replies AS (
          INSERT INTO "Interaction" ("id", "customerId", "platform", "direction", "kind", "text", "platformMessageId", "metadata", "occurredAt")
          VALUES ${Prisma.join(values)})`
      : Prisma.empty;
    const metadata = inboundMetadata !== undefined ? Prisma.sql`, "metadata" = ${JSON.stringify(toJson(inboundMetadata))}::jsonb` : Prisma.empty;
    const rows = await this.prisma.$queryRaw<{ erasedAt: Date | null }[]>`
      WITH customer AS (SELECT "erasedAt" FROM "Customer" WHERE "id" = ${customerId}::uuid FOR SHARE)${insert},
      handled AS (UPDATE "Interaction" SET "handledAt" = ${handledAt}${metadata} WHERE "id" = ${inboundId}::uuid)
      SELECT "erasedAt" FROM customer`;
    return { erasedAt: rows[0]?.erasedAt ?? null };
  }

  /** The inbound row of a platform message and how far its handling got; null when unknown (or erased). */
  inboundState(platform: Platform, platformMessageId: string): Promise<InboundState | null> {
    return this.prisma.interaction.findUnique({
      where: { platform_platformMessageId: { platform, platformMessageId } },
      select: { id: true, customerId: true, claimedAt: true, handledAt: true },
    });
  }

  /**
   * Takes over a message whose handler died: it has no outcome and its claim is older than
   * `staleBefore` (or it was never claimed). One conditional UPDATE, so of several retries (on
   * several instances) exactly one gets true.
   */
  async claimStale(id: string, now: Date, staleBefore: Date): Promise<boolean> {
    const { count } = await this.prisma.interaction.updateMany({
      where: { id, handledAt: null, OR: [{ claimedAt: null }, { claimedAt: { lt: staleBefore } }] },
      data: { claimedAt: now },
    });
    return count === 1;
  }

  /** Newest first; with `platform`, only what happened on that platform (a channel's own history). */
  timeline(customerId: string, options: { limit?: number; before?: Date; platform?: Platform } = {}): Promise<Interaction[]> {
    return this.prisma.interaction.findMany({
      where: {
        customerId,
        ...(options.platform ? { platform: options.platform } : {}),
        ...(options.before ? { occurredAt: { lt: options.before } } : {}),
      },
      orderBy: [{ occurredAt: "desc" }, { id: "desc" }],
      take: options.limit ?? 50,
    });
  }

  /** The replies recorded for an inbound message (metadata.inReplyTo), oldest first: what a redelivery gets again. */
  repliesTo(customerId: string, inReplyTo: string): Promise<Interaction[]> {
    return this.prisma.interaction.findMany({
      where: { customerId, direction: "out", metadata: { path: ["inReplyTo"], equals: inReplyTo } },
      orderBy: [{ occurredAt: "asc" }, { id: "asc" }],
    });
  }

  /**
   * Records what became of a reply after the adapter tried to deliver it: the platform's message
   * id, or that it failed and why (metadata `delivery: "failed"`), keeping the rest of its metadata.
   */
  async recordReplyOutcome(id: string, outcome: { platformMessageId?: string | undefined } | { failed: string }): Promise<void> {
    if ("failed" in outcome) {
      const row = await this.prisma.interaction.findUnique({ where: { id }, select: { metadata: true } });
      if (!row) return;
      const metadata = { ...readInteractionMetadata(row.metadata), delivery: "failed" as const, deliveryError: outcome.failed };
      await this.prisma.interaction.update({ where: { id }, data: { metadata: toJson(metadata) }, select: { id: true } });
      return;
    }
    if (!outcome.platformMessageId) return;
    try {
      await this.prisma.interaction.update({ where: { id }, data: { platformMessageId: outcome.platformMessageId }, select: { id: true } });
    } catch (error) {
      // An id already on the timeline (a platform that reuses ids): the reply was delivered all the same.
      if (!isUniqueViolation(error)) throw error;
    }
  }

  /** Outbound messages on one platform after a moment, oldest first: what a polling client has not seen. */
  outboundSince(customerId: string, platform: Platform, after: Date, limit = 100): Promise<Interaction[]> {
    return this.prisma.interaction.findMany({
      where: { customerId, platform, direction: "out", occurredAt: { gt: after } },
      orderBy: [{ occurredAt: "asc" }, { id: "asc" }],
      take: limit,
    });
  }

  /** Replaces a row's metadata. */
  async annotate(id: string, metadata: InteractionMetadata): Promise<void> {
    await this.prisma.interaction.update({ where: { id }, data: { metadata: toJson(metadata) } });
  }

  count(customerId: string, since?: Date): Promise<number> {
    return this.prisma.interaction.count({ where: { customerId, ...(since ? { occurredAt: { gte: since } } : {}) } });
  }
}

function toData(input: InteractionInput): Prisma.InteractionUncheckedCreateInput {
  return {
    customerId: input.customerId,
    platform: input.platform,
    direction: input.direction,
    kind: input.kind,
    text: input.text ?? null,
    platformMessageId: input.platformMessageId ?? null,
    ...(input.metadata !== undefined ? { metadata: toJson(input.metadata) } : {}),
    ...(input.occurredAt ? { occurredAt: input.occurredAt } : {}),
    ...(input.claimedAt ? { claimedAt: input.claimedAt } : {}),
  };
}

function toJson(metadata: InteractionMetadata): Prisma.InputJsonObject {
  return checkInteractionMetadata(metadata) as Prisma.InputJsonObject;
}
