import { type InteractionMetadata, checkInteractionMetadata, readInteractionMetadata } from "../../core/interaction-metadata.ts";
import { randomUUID } from "node:crypto";
import { type Customer, type Direction, type Interaction, type InteractionKind, type Platform, Prisma, type PrismaClient } from "../generated/client.ts";
import { type PlainSql, plainSql } from "../plain-sql.ts";
import { isUniqueViolation } from "../prisma-errors.ts";
import { LoyaltyLedger, type LoyaltyLedgerEntry } from "./loyalty-repository.ts";

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

/** A returning customer's message before anything is written: who they are, and whether it was recorded before. */
export interface InboundLookup {
  customer: Customer;
  /** The message (platform, platformMessageId) is on the timeline already: a copy. */
  seen: boolean;
  /**
   * The customer has pending actions (a confirmation or a survey's "why?" awaiting an answer),
   * live or expired: when false, a handler need not look for one.
   */
  pendingActions: boolean;
  /**
   * Refreshing the identity would change nothing that matters: it is reachable, its address and
   * name are the message's, it is the customer's most recently seen channel and was seen less
   * than IDENTITY_SEEN_PRECISION_MS ago. The outcome write then leaves the identity alone.
   */
  identityCurrent: boolean;
  /** The customer's loyalty ledger (LoyaltyLedger.entries), when asked for: a points or rewards question. */
  ledger?: LoyaltyLedgerEntry[];
}

/**
 * How stale an identity's lastSeenAt may get while a conversation goes on: refreshing it with every
 * message rewrote the identity row and all its indexes (a last-seen index among them) for a
 * timestamp nobody reads to the second. Which of a customer's channels was used last stays exact:
 * an identity that is not the latest is always refreshed.
 */
export const IDENTITY_SEEN_PRECISION_MS = 60_000;

/** The inbound row to write with the outcome, when nothing was written before handling. */
export interface InboundToWrite {
  /** The identity to refresh; null when the inbound read found it current (InboundLookup.identityCurrent). */
  identity: InboundIdentity | null;
  row: InteractionInput;
}

/** What became of a message's outcome write. */
export interface OutcomeWritten {
  /** The customer's erasure time as of the write's commit. */
  erasedAt: Date | null;
  /** False when the inbound row to write was there already (another copy won): nothing was written. */
  written: boolean;
  /** The replies' row ids, in the order given. */
  replyIds: string[];
}

export class InteractionRepository {
  /** The inbound path's statements run here, past Prisma's query engine (see src/db/plain-sql.ts). */
  private readonly sql: PlainSql;

  constructor(private readonly prisma: PrismaClient) {
    this.sql = plainSql(prisma);
  }

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
   * The inbound path's first statement, a read: the customer behind a platform user and whether
   * this message was recorded before. Null when the identity is unknown (a first message, or one
   * whose customer was erased): resolve it the long way. Plain SQL through the driver, like the
   * two writes below, because they run for every message and Prisma's per-query cost would be
   * most of it.
   */
  async lookupInbound(
    identity: InboundIdentity,
    platformMessageId: string | undefined,
    now: Date,
    options: { ledger?: boolean } = {},
  ): Promise<InboundLookup | null> {
    const { platform, platformUserId } = identity;
    const displayName = identity.displayName ? identity.displayName : null;
    const seen = platformMessageId
      ? Prisma.sql`EXISTS (SELECT 1 FROM "Interaction" i WHERE i."platform" = ${platform}::"Platform" AND i."platformMessageId" = ${platformMessageId})`
      : Prisma.sql`false`;
    const ledger = options.ledger ? Prisma.sql`, ${LoyaltyLedger.entriesJson(Prisma.sql`c."id"`)} AS "ledger"` : Prisma.empty;
    const rows = await this.sql.query<Customer & { seen: boolean; pendingActions: boolean; identityCurrent: boolean; ledger?: unknown }>(Prisma.sql`
      SELECT ${customerColumns}${ledger}, ${seen} AS "seen", EXISTS (SELECT 1 FROM "PendingAction" p WHERE p."customerId" = c."id") AS "pendingActions",
             (ci."unreachableAt" IS NULL AND ci."address" = ${identity.address} AND (${displayName}::text IS NULL OR ci."displayName" = ${displayName}::text)
              AND ci."lastSeenAt" >= ${new Date(now.getTime() - IDENTITY_SEEN_PRECISION_MS)}::timestamp
              AND NOT EXISTS (SELECT 1 FROM "ChannelIdentity" o WHERE o."customerId" = ci."customerId" AND o."id" <> ci."id" AND o."lastSeenAt" >= ci."lastSeenAt")) AS "identityCurrent"
        FROM "ChannelIdentity" ci JOIN "Customer" c ON c."id" = ci."customerId"
       WHERE ci."platform" = ${platform}::"Platform" AND ci."platformUserId" = ${platformUserId}`);
    const row = rows[0];
    if (!row) return null;
    const { seen: wasSeen, pendingActions, identityCurrent, ledger: ledgerJson, ...customer } = row;
    return { customer, seen: wasSeen, pendingActions, identityCurrent, ...(options.ledger ? { ledger: LoyaltyLedger.entriesFromJson(ledgerJson) } : {}) };
  }

  /**
   * Records an inbound message as claimed now, before a handler that writes runs (so a copy finds
   * it and waits, and a crash leaves it to be taken over), and refreshes the identity, in one
   * statement. Null when the message was recorded before (a copy).
   */
  async claimInbound(identity: InboundIdentity, row: InteractionInput): Promise<string | null> {
    const id = randomUUID();
    const rows = await this.sql.query<{ id: string }>(Prisma.sql`
      WITH ${touchIdentity(identity, row.claimedAt ?? new Date())}
      INSERT INTO "Interaction" ("id", "customerId", "platform", "direction", "kind", "text", "platformMessageId", "metadata", "occurredAt", "claimedAt")
      VALUES ${interactionValues(id, row, row.claimedAt ?? new Date())}
      ON CONFLICT ("platform", "platformMessageId") DO NOTHING
      RETURNING "id"`);
    return rows[0]?.id ?? null;
  }

  /**
   * Writes a message's outcome in one statement: its replies and its handled mark (optionally its
   * metadata), so a message either has its outcome and all its replies, or neither (a retry may
   * handle it again). `inbound` is either the id of the row claimed before handling, or the row
   * itself, written here together with the replies (handlers that only read write nothing before):
   * then a copy that got there first means nothing is written (`written` false).
   * It holds the customer's row (FOR SHARE) while it writes, so an erasure (which locks that row
   * first) either runs after and sees these rows, or ran before and its time comes back here: the
   * caller then erases again to sweep them up.
   */
  async writeOutcome(
    customerId: string,
    inbound: { id: string; metadata?: InteractionMetadata | undefined } | InboundToWrite,
    replies: InteractionInput[],
    handledAt: Date,
  ): Promise<OutcomeWritten> {
    const replyIds = replies.map(() => randomUUID());
    const replyValues = () => Prisma.join(replies.map((reply, index) => interactionValues(replyIds[index]!, reply, handledAt, false)));
    if ("id" in inbound) {
      const metadata = inbound.metadata !== undefined ? Prisma.sql`, "metadata" = ${JSON.stringify(toJson(inbound.metadata))}::jsonb` : Prisma.empty;
      const insert = replies.length
        ? Prisma.sql`, replies AS (
            INSERT INTO "Interaction" ("id", "customerId", "platform", "direction", "kind", "text", "platformMessageId", "metadata", "occurredAt")
            VALUES ${replyValues()})`
        : Prisma.empty;
      const rows = await this.sql.query<{ erasedAt: Date | null }>(Prisma.sql`
        WITH customer AS (SELECT "erasedAt" FROM "Customer" WHERE "id" = ${customerId}::uuid FOR SHARE)${insert},
        handled AS (UPDATE "Interaction" SET "handledAt" = ${handledAt}::timestamp${metadata} WHERE "id" = ${inbound.id}::uuid)
        SELECT "erasedAt" FROM customer`);
      return { erasedAt: rows[0]?.erasedAt ?? null, written: true, replyIds };
    }
    const inboundId = randomUUID();
    // The replies are written only when the inbound row is (they select from its RETURNING).
    const insert = replies.length
      ? Prisma.sql`, replies AS (
          INSERT INTO "Interaction" ("id", "customerId", "platform", "direction", "kind", "text", "platformMessageId", "metadata", "occurredAt")
          SELECT v.* FROM (VALUES ${replyValues()}) AS v, inbound)`
      : Prisma.empty;
    const rows = await this.sql.query<{ erasedAt: Date | null; written: boolean }>(Prisma.sql`
      WITH customer AS (SELECT "erasedAt" FROM "Customer" WHERE "id" = ${customerId}::uuid FOR SHARE),
      ${inbound.identity ? Prisma.sql`${touchIdentity(inbound.identity, handledAt)},` : Prisma.empty}
      inbound AS (
        INSERT INTO "Interaction" ("id", "customerId", "platform", "direction", "kind", "text", "platformMessageId", "metadata", "occurredAt", "claimedAt", "handledAt")
        VALUES ${interactionValues(inboundId, inbound.row, handledAt, true, handledAt)}
        ON CONFLICT ("platform", "platformMessageId") DO NOTHING
        RETURNING "id"
      )${insert}
      SELECT (SELECT "erasedAt" FROM customer) AS "erasedAt", EXISTS (SELECT 1 FROM inbound) AS "written"`);
    return { erasedAt: rows[0]?.erasedAt ?? null, written: rows[0]?.written ?? false, replyIds };
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

  /**
   * recordReplyOutcome for several replies in one statement (the adapters report every reply of a
   * message at once). Throws on an id already on the timeline (a platform that reuses ids): the
   * caller then records them one by one, which tolerates that.
   */
  async recordReplyOutcomes(outcomes: ({ id: string; platformMessageId?: string | undefined } | { id: string; failed: string })[]): Promise<void> {
    const rows = outcomes
      .map((o) => ("failed" in o ? { id: o.id, platformMessageId: null, failed: o.failed } : { id: o.id, platformMessageId: o.platformMessageId ?? null, failed: null }))
      .filter((o) => o.platformMessageId !== null || o.failed !== null);
    if (!rows.length) return;
    const values = Prisma.join(rows.map((o) => Prisma.sql`(${o.id}::uuid, ${o.platformMessageId}::text, ${o.failed}::text)`));
    // Through the driver like the inbound path's statements: every Telegram, Discord and Slack reply comes here.
    await this.sql.query(Prisma.sql`
      UPDATE "Interaction" i
         SET "platformMessageId" = COALESCE(v.pmid, i."platformMessageId"),
             "metadata" = CASE WHEN v.failed IS NULL THEN i."metadata"
                          ELSE COALESCE(i."metadata", '{}'::jsonb) || jsonb_build_object('delivery', 'failed', 'deliveryError', v.failed) END
        FROM (VALUES ${values}) AS v(id, pmid, failed)
       WHERE i."id" = v.id`);
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

/**
 * The customer's columns by name, not `c.*`: the inbound read is a prepared statement (src/db/plain-sql.ts),
 * and a prepared `SELECT c.*` stops working when another instance's migration adds a column.
 */
const customerColumns = Prisma.raw(Object.values(Prisma.CustomerScalarFieldEnum).map((column) => `c."${column}"`).join(", "));

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

/**
 * A CTE named "identity" that refreshes the identity a message came from: last seen, address,
 * name; writing again makes an identity a send found unreachable worth trying once more.
 */
function touchIdentity(identity: InboundIdentity, now: Date): Prisma.Sql {
  const displayName = identity.displayName ? identity.displayName : null;
  return Prisma.sql`identity AS (
    UPDATE "ChannelIdentity"
       SET "lastSeenAt" = ${now}::timestamp, "unreachableAt" = NULL, "address" = ${identity.address}, "displayName" = COALESCE(${displayName}, "displayName")
     WHERE "platform" = ${identity.platform}::"Platform" AND "platformUserId" = ${identity.platformUserId}
    RETURNING "customerId")`;
}

/** One row's values, in the column order of the INSERTs above (claimedAt/handledAt only for inbound rows). */
function interactionValues(id: string, input: InteractionInput, now: Date, inbound = true, handledAt?: Date): Prisma.Sql {
  const metadata = input.metadata !== undefined ? JSON.stringify(toJson(input.metadata)) : null;
  const common = Prisma.sql`${id}::uuid, ${input.customerId}::uuid, ${input.platform}::"Platform", ${input.direction}::"Direction", ${input.kind}::"InteractionKind",
    ${input.text ?? null}, ${input.platformMessageId ?? null}, ${metadata}::jsonb, ${input.occurredAt ?? now}::timestamp`;
  if (!inbound) return Prisma.sql`(${common})`;
  if (handledAt) return Prisma.sql`(${common}, ${input.claimedAt ?? now}::timestamp, ${handledAt}::timestamp)`;
  return Prisma.sql`(${common}, ${input.claimedAt ?? now}::timestamp)`;
}

function toJson(metadata: InteractionMetadata): Prisma.InputJsonObject {
  return checkInteractionMetadata(metadata) as Prisma.InputJsonObject;
}
