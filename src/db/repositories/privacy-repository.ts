import type { ConsentTopic, PendingAction, Platform, Prisma, PrismaClient } from "../generated/client.ts";
import type { CustomerTable } from "./customer-tables.ts";

export type { PendingAction };

type Client = PrismaClient | Prisma.TransactionClient;

/** What replaces free-text fields that must keep a value (FeedbackCase.summary is required). */
export const ERASED_TEXT = "[erased]";
/** Orders keep their amounts; their shop id (and an outbox message's dedupe key) becomes this prefix plus the row's own id. */
export const ERASED_ORDER_PREFIX = "erased:";

const exportInclude = {
  identities: { orderBy: { createdAt: "asc" } },
  consentChanges: { orderBy: [{ changedAt: "asc" }, { id: "asc" }] },
  interactions: { orderBy: [{ occurredAt: "asc" }, { id: "asc" }] },
  orders: { orderBy: [{ placedAt: "asc" }, { id: "asc" }] },
  loyaltyEntries: { orderBy: [{ createdAt: "asc" }, { id: "asc" }], include: { reward: { select: { code: true, name: true } } } },
  surveyInvitations: { orderBy: [{ sentAt: "asc" }, { id: "asc" }] },
  surveyResponses: { orderBy: [{ respondedAt: "asc" }, { id: "asc" }] },
  feedbackCases: { orderBy: [{ openedAt: "asc" }, { id: "asc" }] },
  // Sent messages are on the timeline already; these are the ones still to go (or stuck).
  outboxMessages: { where: { status: { in: ["pending", "sending", "failed"] } }, orderBy: [{ notBefore: "asc" }, { id: "asc" }] },
  pendingActions: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
  linkCodes: { orderBy: { createdAt: "asc" }, select: { createdAt: true, expiresAt: true } },
  score: true,
} as const satisfies Prisma.CustomerInclude;

/** Everything stored about one customer, as loaded for an export. */
export type CustomerExportData = Prisma.CustomerGetPayload<{ include: typeof exportInclude }>;

export interface ErasureCounts {
  /** Profile fields that held a value (name, email, phone, birthday, lunar birthday, shop id, tags, time zone, quiet hours). */
  profileFieldsCleared: number;
  consentsWithdrawn: number;
  interactionsScrubbed: number;
  surveyReasonsErased: number;
  surveyContextsCleared: number;
  feedbackCasesScrubbed: number;
  identitiesDeleted: number;
  pendingActionsDeleted: number;
  linkCodesDeleted: number;
  outboxCancelled: number;
  ordersUnlinked: number;
  ledgerEntriesScrubbed: number;
  scoresDeleted: number;
}

export interface ErasureInput {
  at: Date;
  /** Who or what asked: "chat", "api", "staff"; stored on the erasure event, so no personal data. */
  requestedVia: string;
  /** Platform for the erasure event on the timeline; defaults to the one the customer was last seen on. */
  platform?: Platform | undefined;
  consentSource: string;
}

export interface ErasureOutcome {
  /** True when the customer had been erased before; the counts then show only leftovers. */
  alreadyErased: boolean;
  counts: ErasureCounts;
}

const consentColumns = [
  ["care", "careConsent", "careConsentAt"],
  ["marketing", "marketingConsent", "marketingConsentAt"],
  ["surveys", "surveyConsent", "surveyConsentAt"],
] as const;

/**
 * Reads all of a customer's data for export and removes their personal data on request.
 * `transaction` hands out a copy bound to one database transaction.
 */
export class PrivacyRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly db: Client = prisma,
  ) {}

  /**
   * Runs `work` in one transaction. Inside, only the repository passed in may be used: PGlite
   * has a single connection, so a query on the outer client would wait for the transaction forever.
   */
  transaction<T>(work: (repo: PrivacyRepository) => Promise<T>): Promise<T> {
    if (this.db !== this.prisma) return work(this);
    return this.prisma.$transaction((tx) => work(new PrivacyRepository(this.prisma, tx)), {
      maxWait: 30_000,
      timeout: 60_000,
    });
  }

  /** Row-locks the customer for the rest of the transaction; false when there is no such customer. */
  async lockCustomer(id: string): Promise<boolean> {
    const rows = await this.db.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM "Customer" WHERE id = ${id}::uuid FOR UPDATE`;
    return rows.length > 0;
  }

  /**
   * Everything held about the customer; null when there is none. Not in a transaction on purpose:
   * Prisma loads the relations with parallel queries, which one transaction connection cannot take.
   */
  loadExportData(customerId: string): Promise<CustomerExportData | null> {
    return this.db.customer.findUnique({ where: { id: customerId }, include: exportInclude });
  }

  /** Stores a pending action of `kind`, replacing the customer's earlier ones of that kind. */
  async replacePendingAction(customerId: string, kind: string, payload: Prisma.InputJsonValue, createdAt: Date, expiresAt: Date): Promise<PendingAction> {
    await this.db.pendingAction.deleteMany({ where: { customerId, kind } });
    return this.db.pendingAction.create({ data: { customerId, kind, payload, createdAt, expiresAt } });
  }

  pendingActions(customerId: string, kind: string): Promise<PendingAction[]> {
    return this.db.pendingAction.findMany({ where: { customerId, kind }, orderBy: { createdAt: "asc" } });
  }

  /** Deletes the action; true for exactly one of several concurrent callers. */
  async consumePendingAction(id: string): Promise<boolean> {
    const { count } = await this.db.pendingAction.deleteMany({ where: { id } });
    return count === 1;
  }

  /**
   * Removes the customer's personal data and message texts and keeps what anonymous reports need:
   * the Customer row, interaction rows (kind, direction, platform, time), orders and ledger
   * amounts, survey scores, feedback case rows. Channel identities are deleted, so a message from
   * the same platform account later makes a new, unrelated customer. Each table tied to the
   * customer is handled by its entry in ERASURE_OF_TABLE. Safe to run again: a second run finds
   * nothing left and counts zeros. Call inside a transaction; null when there is no customer.
   */
  async erasePersonalData(customerId: string, input: ErasureInput): Promise<ErasureOutcome | null> {
    const customer = await this.db.customer.findUnique({ where: { id: customerId } });
    if (!customer) return null;
    const { at } = input;
    const where = { customerId };

    const lastSeen = await this.db.channelIdentity.findFirst({ where, orderBy: { lastSeenAt: "desc" }, select: { platform: true } });
    const lastInteraction = await this.db.interaction.findFirst({ where, orderBy: { occurredAt: "desc" }, select: { platform: true } });
    const markerPlatform = input.platform ?? lastSeen?.platform ?? lastInteraction?.platform ?? "web";
    const marker = await this.db.interaction.findFirst({
      where: { customerId, kind: "system", metadata: { path: ["event"], equals: "erased" } },
      select: { id: true },
    });

    const counts: ErasureCounts = { ...NO_ERASURE_COUNTS };
    const step: ErasureStepInput = { db: this.db, customerId, keepInteractionId: marker?.id ?? null };
    for (const handling of Object.values(ERASURE_OF_TABLE)) Object.assign(counts, await handling.erase(step));

    const withdrawn: { topic: ConsentTopic; granted: boolean; changedAt: Date; source: string; customerId: string }[] = [];
    const consentPatch: Prisma.CustomerUpdateInput = {};
    for (const [topic, flag, stamp] of consentColumns) {
      if (!customer[flag]) continue;
      withdrawn.push({ customerId, topic, granted: false, changedAt: at, source: input.consentSource });
      consentPatch[flag] = false;
      consentPatch[stamp] = at;
    }
    if (withdrawn.length > 0) await this.db.consentChange.createMany({ data: withdrawn });

    const profileFieldsCleared =
      [customer.displayName, customer.email, customer.phone, customer.birthday, customer.lunarBirthMonth, customer.externalId, customer.quietHoursStart, customer.handedOverAt].filter(
        (value) => value !== null,
      ).length +
      (customer.tags.length > 0 ? 1 : 0) +
      (customer.timeZone !== "UTC" ? 1 : 0);
    await this.db.customer.update({
      where: { id: customerId },
      data: {
        ...consentPatch,
        displayName: null,
        email: null,
        phone: null,
        birthday: null,
        lunarBirthMonth: null,
        lunarBirthDay: null,
        externalId: null,
        tags: [],
        // Where someone lives and sleeps is personal too.
        timeZone: "UTC",
        quietHoursStart: null,
        quietHoursEnd: null,
        handedOverAt: null,
        erasedAt: customer.erasedAt ?? at,
      },
    });

    if (!marker) {
      await this.db.interaction.create({
        data: {
          customerId,
          platform: markerPlatform,
          direction: "in",
          kind: "system",
          text: null,
          metadata: { event: "erased", requestedVia: input.requestedVia },
          occurredAt: at,
        },
      });
    }

    return {
      alreadyErased: customer.erasedAt !== null,
      counts: { ...counts, profileFieldsCleared, consentsWithdrawn: withdrawn.length },
    };
  }
}

interface ErasureStepInput {
  db: Client;
  customerId: string;
  /** The erasure's own timeline entry, left as it is. */
  keepInteractionId: string | null;
}

export interface TableErasure {
  /** What happens to the customer's rows: deleted, scrubbed of personal text, or kept as they are. */
  action: "delete" | "scrub" | "keep";
  /** Why the rows may stay (scrub, keep). */
  why?: string;
  erase(input: ErasureStepInput): Promise<Partial<ErasureCounts>>;
}

const NO_ERASURE_COUNTS: ErasureCounts = {
  profileFieldsCleared: 0,
  consentsWithdrawn: 0,
  interactionsScrubbed: 0,
  surveyReasonsErased: 0,
  surveyContextsCleared: 0,
  feedbackCasesScrubbed: 0,
  identitiesDeleted: 0,
  pendingActionsDeleted: 0,
  linkCodesDeleted: 0,
  outboxCancelled: 0,
  ordersUnlinked: 0,
  ledgerEntriesScrubbed: 0,
  scoresDeleted: 0,
};

/**
 * How an erasure treats each table tied to a customer, run in this order before the Customer row
 * itself is cleared. test/customer-tables.test.ts checks that every foreign key to "Customer" has
 * an entry and that no seeded personal text survives.
 */
export const ERASURE_OF_TABLE: Record<CustomerTable, TableErasure> = {
  ChannelIdentity: {
    action: "delete",
    erase: async ({ db, customerId }) => ({ identitiesDeleted: (await db.channelIdentity.deleteMany({ where: { customerId } })).count }),
  },
  PendingAction: {
    action: "delete",
    erase: async ({ db, customerId }) => ({ pendingActionsDeleted: (await db.pendingAction.deleteMany({ where: { customerId } })).count }),
  },
  LinkCode: {
    action: "delete",
    erase: async ({ db, customerId }) => ({ linkCodesDeleted: (await db.linkCode.deleteMany({ where: { customerId } })).count }),
  },
  OutboxMessage: {
    action: "scrub",
    why: "delivery bookkeeping; unsent messages are cancelled, payloads emptied and dedupe keys (which may name an order) replaced",
    erase: async ({ db, customerId }) => {
      const outbox = await db.outboxMessage.updateMany({
        where: { customerId, status: { in: ["pending", "failed", "dead"] } },
        data: { status: "cancelled", payload: {}, lastError: null },
      });
      // Payloads of messages already sent (and of control rows, planned but held out) hold their texts too. One being sent right now keeps its
      // payload until the dispatcher is done; a later erasure run (or its failure) clears it.
      await db.outboxMessage.updateMany({ where: { customerId, status: { not: "sending" } }, data: { payload: {}, lastError: null } });
      await db.$executeRaw`
        UPDATE "OutboxMessage" SET "dedupeKey" = ${ERASED_ORDER_PREFIX}::text || "id"::text
        WHERE "customerId" = ${customerId}::uuid AND "dedupeKey" NOT LIKE ${ERASED_ORDER_PREFIX + "%"}::text`;
      return { outboxCancelled: outbox.count };
    },
  },
  Interaction: {
    action: "scrub",
    why: "kind, direction, platform and time stay for counts; texts, metadata and platform message ids go",
    erase: async ({ db, customerId, keepInteractionId }) => ({
      interactionsScrubbed: await db.$executeRaw`
        UPDATE "Interaction" SET "text" = NULL, "metadata" = NULL, "platformMessageId" = NULL
        WHERE "customerId" = ${customerId}::uuid
          AND ("text" IS NOT NULL OR "metadata" IS NOT NULL OR "platformMessageId" IS NOT NULL)
          AND "id" <> ${keepInteractionId ?? "00000000-0000-0000-0000-000000000000"}::uuid`,
    }),
  },
  SurveyResponse: {
    action: "scrub",
    why: "scores stay for survey reports; the free-text reason goes",
    erase: async ({ db, customerId }) => ({
      surveyReasonsErased: (await db.surveyResponse.updateMany({ where: { customerId, reason: { not: null } }, data: { reason: null } })).count,
    }),
  },
  SurveyInvitation: {
    action: "scrub",
    why: "sent and answered counts stay; the context (often an order id) goes",
    erase: async ({ db, customerId }) => ({
      surveyContextsCleared: (await db.surveyInvitation.updateMany({ where: { customerId, context: { not: null } }, data: { context: null } })).count,
    }),
  },
  FeedbackCase: {
    action: "scrub",
    why: "case counts and times stay for reports; summary and resolution texts go",
    erase: async ({ db, customerId }) => {
      const feedbackCasesScrubbed = await db.feedbackCase.count({
        where: { customerId, OR: [{ summary: { not: ERASED_TEXT } }, { resolution: { not: ERASED_TEXT } }] },
      });
      await db.feedbackCase.updateMany({ where: { customerId, summary: { not: ERASED_TEXT } }, data: { summary: ERASED_TEXT } });
      await db.feedbackCase.updateMany({ where: { customerId, resolution: { not: ERASED_TEXT } }, data: { resolution: ERASED_TEXT } });
      return { feedbackCasesScrubbed };
    },
  },
  Order: {
    action: "scrub",
    why: "amounts stay for revenue; the shop's order id is replaced",
    erase: async ({ db, customerId }) => ({
      ordersUnlinked: await db.$executeRaw`
        UPDATE "Order" SET "externalId" = ${ERASED_ORDER_PREFIX}::text || "id"::text
        WHERE "customerId" = ${customerId}::uuid AND "externalId" NOT LIKE ${ERASED_ORDER_PREFIX + "%"}::text`,
    }),
  },
  LoyaltyLedgerEntry: {
    action: "scrub",
    why: "points stay; reasons are free text and idempotency keys often carry shop ids",
    erase: async ({ db, customerId }) => ({
      ledgerEntriesScrubbed: (
        await db.loyaltyLedgerEntry.updateMany({
          where: { customerId, OR: [{ reason: { not: null } }, { idempotencyKey: { not: null } }] },
          data: { reason: null, idempotencyKey: null },
        })
      ).count,
    }),
  },
  ConsentChange: {
    action: "keep",
    why: "the record of what the customer agreed to and withdrew (topic, yes/no, source, time) holds no personal text; the erasure adds its own withdrawals",
    erase: async () => ({}),
  },
  CustomerScore: {
    action: "delete",
    why: "a profile of the person; the next analytics refresh scores the anonymous row afresh",
    erase: async ({ db, customerId }) => ({ scoresDeleted: (await db.customerScore.deleteMany({ where: { customerId } })).count }),
  },
};
