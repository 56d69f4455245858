import type { ConsentTopic, Customer, Direction, LinkCode, Platform, Prisma, PrismaClient } from "../generated/client.ts";
import type { CustomerTable } from "./customer-tables.ts";

export type { LinkCode };

type Client = PrismaClient | Prisma.TransactionClient;

/** PendingAction kind of one wrong link code, kept to slow down guessing. */
export const LINK_ATTEMPT_KIND = "link_attempt";

export interface MovedCounts {
  identities: number;
  interactions: number;
  orders: number;
  ledgerEntries: number;
  surveyInvitations: number;
  surveyResponses: number;
  feedbackCases: number;
  outboxMessages: number;
  consentChanges: number;
  pendingActions: number;
}

export type CustomerMergePatch = Prisma.CustomerUpdateInput;

/**
 * Link codes, wrong-attempt bookkeeping and the data moves that join two customers into one.
 * Methods run on the client the repository was made with; `transaction` hands out a copy bound
 * to one database transaction so a whole merge commits or rolls back together.
 */
export class LinkRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly db: Client = prisma,
  ) {}

  /**
   * Runs `work` in one transaction. Inside, only the repository passed in may be used: PGlite
   * has a single connection, so a query on the outer client would wait for the transaction forever.
   */
  transaction<T>(work: (repo: LinkRepository) => Promise<T>): Promise<T> {
    if (this.db !== this.prisma) return work(this);
    return this.prisma.$transaction((tx) => work(new LinkRepository(this.prisma, tx)), {
      // PGlite runs transactions one after another; a waiting one must not give up early.
      maxWait: 30_000,
      timeout: 60_000,
    });
  }

  /**
   * Row-locks the customers, always in the same order so that two merges touching the same pair
   * cannot deadlock. Returns the ids that still exist.
   */
  async lockCustomers(ids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const id of [...new Set(ids)].sort()) {
      const rows = await this.db.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM "Customer" WHERE id = ${id}::uuid FOR UPDATE`;
      if (rows.length > 0) found.add(id);
    }
    return found;
  }

  findCustomer(id: string): Promise<Customer | null> {
    return this.db.customer.findUnique({ where: { id } });
  }

  findCode(code: string): Promise<LinkCode | null> {
    return this.db.linkCode.findUnique({ where: { code } });
  }

  /** The customer's only code from now on; earlier ones stop working. */
  async replaceCode(customerId: string, code: string, createdAt: Date, expiresAt: Date): Promise<LinkCode> {
    await this.db.linkCode.deleteMany({ where: { customerId } });
    return this.db.linkCode.create({ data: { code, customerId, createdAt, expiresAt } });
  }

  async deleteCode(code: string): Promise<void> {
    await this.db.linkCode.deleteMany({ where: { code } });
  }

  /** Takes the code for one redemption: true for exactly one of several concurrent callers. */
  async consumeCode(code: string, customerId: string): Promise<boolean> {
    const { count } = await this.db.linkCode.deleteMany({ where: { code, customerId } });
    return count === 1;
  }

  /** Times of wrong codes entered by this customer after `after`, oldest first. */
  async failedAttemptsAfter(customerId: string, after: Date): Promise<Date[]> {
    const rows = await this.db.pendingAction.findMany({
      where: { customerId, kind: LINK_ATTEMPT_KIND, createdAt: { gt: after } },
      orderBy: { createdAt: "asc" },
      select: { createdAt: true },
    });
    return rows.map((row) => row.createdAt);
  }

  /** Times of wrong codes entered from this origin (by any customer) after `after`, oldest first. */
  async failedAttemptsFromOriginAfter(origin: string, after: Date): Promise<Date[]> {
    const rows = await this.db.pendingAction.findMany({
      where: { kind: LINK_ATTEMPT_KIND, createdAt: { gt: after }, payload: { path: ["origin"], equals: origin } },
      orderBy: { createdAt: "asc" },
      select: { createdAt: true },
    });
    return rows.map((row) => row.createdAt);
  }

  /**
   * Serialises redemptions from one origin until the transaction ends, so that concurrent guesses
   * from one address cannot all pass its limit at once. Taken before any customer lock.
   */
  async lockOrigin(origin: string): Promise<void> {
    await this.db.$queryRaw`SELECT pg_advisory_xact_lock(hashtext(${`link-origin:${origin}`}))::text AS locked`;
  }

  /** Also clears this customer's attempts that no longer count, so the table does not grow. */
  async recordFailedAttempt(customerId: string, at: Date, expiresAt: Date, origin?: string): Promise<void> {
    await this.db.pendingAction.deleteMany({ where: { customerId, kind: LINK_ATTEMPT_KIND, expiresAt: { lt: at } } });
    await this.db.pendingAction.create({
      data: { customerId, kind: LINK_ATTEMPT_KIND, payload: origin ? { origin } : {}, createdAt: at, expiresAt },
    });
  }

  /** The platform the customer was last seen on, for events recorded on their timeline. */
  async lastSeenPlatform(customerId: string): Promise<Platform | null> {
    const identity = await this.db.channelIdentity.findFirst({
      where: { customerId },
      orderBy: { lastSeenAt: "desc" },
      select: { platform: true },
    });
    return identity?.platform ?? null;
  }

  /**
   * Re-homes every row that belongs to `sourceId` onto `targetId`, table by table as MERGE_OF_TABLE
   * says. Pending actions whose kind is in `dropPendingKinds` are deleted instead.
   */
  async moveCustomerData(sourceId: string, targetId: string, dropPendingKinds: string[] = []): Promise<MovedCounts> {
    const moved: MovedCounts = { ...NO_MOVES };
    const input: MergeStepInput = { db: this.db, sourceId, targetId, dropPendingKinds };
    for (const handling of Object.values(MERGE_OF_TABLE)) Object.assign(moved, await handling.merge(input));
    return moved;
  }

  async deleteCustomer(id: string): Promise<void> {
    await this.db.customer.delete({ where: { id } });
  }

  updateCustomer(id: string, patch: CustomerMergePatch): Promise<Customer> {
    return this.db.customer.update({ where: { id }, data: patch });
  }

  async addConsentChanges(
    customerId: string,
    changes: { topic: ConsentTopic; granted: boolean; changedAt: Date }[],
    source: string,
  ): Promise<void> {
    if (changes.length === 0) return;
    await this.db.consentChange.createMany({ data: changes.map((change) => ({ ...change, customerId, source })) });
  }

  async recordSystemEvent(input: {
    customerId: string;
    platform: Platform;
    direction: Direction;
    metadata: Prisma.InputJsonValue;
    occurredAt: Date;
  }): Promise<void> {
    await this.db.interaction.create({ data: { ...input, kind: "system", text: null } });
  }
}

interface MergeStepInput {
  db: Client;
  sourceId: string;
  targetId: string;
  dropPendingKinds: string[];
}

export interface TableMerge {
  /** move: the merged customer's rows go to the surviving customer; drop: they are deleted. */
  action: "move" | "drop";
  /** Why dropping loses nothing the customer would miss. */
  why?: string;
  merge(input: MergeStepInput): Promise<Partial<MovedCounts>>;
}

const NO_MOVES: MovedCounts = {
  identities: 0,
  interactions: 0,
  orders: 0,
  ledgerEntries: 0,
  surveyInvitations: 0,
  surveyResponses: 0,
  feedbackCases: 0,
  outboxMessages: 0,
  consentChanges: 0,
  pendingActions: 0,
};

const rehome = ({ sourceId, targetId }: MergeStepInput) => ({ where: { customerId: sourceId }, data: { customerId: targetId } });

/**
 * What a channel-linking merge does with each table tied to a customer. Relations cascade, so a
 * table missing here would lose the merged customer's rows when that customer is deleted;
 * test/customer-tables.test.ts checks every foreign key to "Customer" against this registry.
 */
export const MERGE_OF_TABLE: Record<CustomerTable, TableMerge> = {
  ChannelIdentity: { action: "move", merge: async (m) => ({ identities: (await m.db.channelIdentity.updateMany(rehome(m))).count }) },
  Interaction: { action: "move", merge: async (m) => ({ interactions: (await m.db.interaction.updateMany(rehome(m))).count }) },
  Order: { action: "move", merge: async (m) => ({ orders: (await m.db.order.updateMany(rehome(m))).count }) },
  LoyaltyLedgerEntry: { action: "move", merge: async (m) => ({ ledgerEntries: (await m.db.loyaltyLedgerEntry.updateMany(rehome(m))).count }) },
  SurveyInvitation: { action: "move", merge: async (m) => ({ surveyInvitations: (await m.db.surveyInvitation.updateMany(rehome(m))).count }) },
  SurveyResponse: { action: "move", merge: async (m) => ({ surveyResponses: (await m.db.surveyResponse.updateMany(rehome(m))).count }) },
  FeedbackCase: { action: "move", merge: async (m) => ({ feedbackCases: (await m.db.feedbackCase.updateMany(rehome(m))).count }) },
  OutboxMessage: { action: "move", merge: async (m) => ({ outboxMessages: (await m.db.outboxMessage.updateMany(rehome(m))).count }) },
  ConsentChange: { action: "move", merge: async (m) => ({ consentChanges: (await m.db.consentChange.updateMany(rehome(m))).count }) },
  PendingAction: {
    action: "move",
    merge: async (m) => {
      if (m.dropPendingKinds.length > 0) {
        await m.db.pendingAction.deleteMany({ where: { customerId: m.sourceId, kind: { in: m.dropPendingKinds } } });
      }
      return { pendingActions: (await m.db.pendingAction.updateMany(rehome(m))).count };
    },
  },
  LinkCode: {
    action: "drop",
    why: "a code links to the customer who asked for it; the merged customer's codes must stop working",
    merge: async (m) => {
      await m.db.linkCode.deleteMany({ where: { customerId: m.sourceId } });
      return {};
    },
  },
  CustomerScore: {
    action: "drop",
    why: "one score per customer, computed from their data: the next analytics refresh scores the merged history",
    merge: async (m) => {
      await m.db.customerScore.deleteMany({ where: { customerId: m.sourceId } });
      return {};
    },
  },
};
