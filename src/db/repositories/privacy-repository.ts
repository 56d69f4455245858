import type { ConsentTopic, PendingAction, Platform, Prisma, PrismaClient } from "../generated/client.ts";

export type { PendingAction };

type Client = PrismaClient | Prisma.TransactionClient;

/** What replaces free-text fields that must keep a value (FeedbackCase.summary is required). */
export const ERASED_TEXT = "[erased]";
/** Orders keep their amounts; their shop id becomes this prefix plus the row's own id. */
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
  /** Profile fields that held a value (name, email, phone, birthday, shop id, tags, time zone, quiet hours). */
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
   * the same platform account later makes a new, unrelated customer. Safe to run again: a second
   * run finds nothing left and counts zeros. Call inside a transaction; null when there is no customer.
   */
  async erasePersonalData(customerId: string, input: ErasureInput): Promise<ErasureOutcome | null> {
    const customer = await this.db.customer.findUnique({ where: { id: customerId } });
    if (!customer) return null;
    const { at } = input;
    const where = { customerId };

    const lastSeen = await this.db.channelIdentity.findFirst({ where, orderBy: { lastSeenAt: "desc" }, select: { platform: true } });
    const lastInteraction = await this.db.interaction.findFirst({ where, orderBy: { occurredAt: "desc" }, select: { platform: true } });
    const markerPlatform = input.platform ?? lastSeen?.platform ?? lastInteraction?.platform ?? "web";

    const identities = await this.db.channelIdentity.deleteMany({ where });
    const pendingActions = await this.db.pendingAction.deleteMany({ where });
    const linkCodes = await this.db.linkCode.deleteMany({ where });
    const outbox = await this.db.outboxMessage.updateMany({
      where: { customerId, status: { in: ["pending", "failed"] } },
      data: { status: "cancelled", payload: {}, lastError: null },
    });
    // Payloads of messages already sent hold their texts too. One being sent right now keeps its
    // payload until the dispatcher is done; a later erasure run (or its failure) clears it.
    await this.db.outboxMessage.updateMany({ where: { customerId, status: { in: ["sent", "cancelled"] } }, data: { payload: {}, lastError: null } });

    const marker = await this.db.interaction.findFirst({
      where: { customerId, kind: "system", metadata: { path: ["event"], equals: "erased" } },
      select: { id: true },
    });
    const interactionsScrubbed = await this.db.$executeRaw`
      UPDATE "Interaction" SET "text" = NULL, "metadata" = NULL, "platformMessageId" = NULL
      WHERE "customerId" = ${customerId}::uuid
        AND ("text" IS NOT NULL OR "metadata" IS NOT NULL OR "platformMessageId" IS NOT NULL)
        AND "id" <> ${marker?.id ?? "00000000-0000-0000-0000-000000000000"}::uuid`;

    const surveyReasons = await this.db.surveyResponse.updateMany({ where: { customerId, reason: { not: null } }, data: { reason: null } });
    const surveyContexts = await this.db.surveyInvitation.updateMany({ where: { customerId, context: { not: null } }, data: { context: null } });

    const casesToScrub = await this.db.feedbackCase.count({
      where: { customerId, OR: [{ summary: { not: ERASED_TEXT } }, { resolution: { not: ERASED_TEXT } }] },
    });
    await this.db.feedbackCase.updateMany({ where: { customerId, summary: { not: ERASED_TEXT } }, data: { summary: ERASED_TEXT } });
    await this.db.feedbackCase.updateMany({ where: { customerId, resolution: { not: ERASED_TEXT } }, data: { resolution: ERASED_TEXT } });

    const ordersUnlinked = await this.db.$executeRaw`
      UPDATE "Order" SET "externalId" = ${ERASED_ORDER_PREFIX}::text || "id"::text
      WHERE "customerId" = ${customerId}::uuid AND "externalId" NOT LIKE ${ERASED_ORDER_PREFIX + "%"}::text`;
    // Reasons are free text and idempotency keys often carry shop ids; the points stay.
    const ledger = await this.db.loyaltyLedgerEntry.updateMany({
      where: { customerId, OR: [{ reason: { not: null } }, { idempotencyKey: { not: null } }] },
      data: { reason: null, idempotencyKey: null },
    });

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
      [customer.displayName, customer.email, customer.phone, customer.birthday, customer.externalId, customer.quietHoursStart, customer.handedOverAt].filter(
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
      counts: {
        profileFieldsCleared,
        consentsWithdrawn: withdrawn.length,
        interactionsScrubbed,
        surveyReasonsErased: surveyReasons.count,
        surveyContextsCleared: surveyContexts.count,
        feedbackCasesScrubbed: casesToScrub,
        identitiesDeleted: identities.count,
        pendingActionsDeleted: pendingActions.count,
        linkCodesDeleted: linkCodes.count,
        outboxCancelled: outbox.count,
        ordersUnlinked,
        ledgerEntriesScrubbed: ledger.count,
      },
    };
  }
}
