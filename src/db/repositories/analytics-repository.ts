import { type AnalyticsRun, type CustomerScore, type LifecycleStage, Prisma, type PrismaClient, type RelationshipLevel } from "../generated/client.ts";
import { isUniqueViolation } from "../prisma-errors.ts";
import { CustomerRepository } from "./customer-repository.ts";

export type { AnalyticsRun, CustomerScore };

/** The value of AnalyticsRun.activeKey while a refresh runs; the unique index admits one at a time. */
const ACTIVE_KEY = "refresh";

/** One CustomerScore row as the refresh computes it; amounts in cents. */
export interface ScoreRow {
  customerId: string;
  windowStart: Date;
  windowMonths: number;
  orderCount: number;
  firstOrderAt: Date | null;
  lastOrderAt: Date | null;
  recencyDays: number | null;
  frequency: number;
  monetaryCents: number;
  rfmRecency: number | null;
  rfmFrequency: number | null;
  rfmMonetary: number | null;
  rfmSegment: string | null;
  lifecycleStage: LifecycleStage;
  /** The stage the last refresh gave the customer; null if it did not score them. */
  previousLifecycleStage: LifecycleStage | null;
  /** The id of the customer's live row, kept by the new one; null for a new row. */
  scoreId: string | null;
  relationshipLevel: RelationshipLevel;
  probabilityAlive: number | null;
  predictedPurchases: number | null;
  historicCents: number;
  predictedClv: number | null;
  /** Stored as JSON. */
  explanation: object;
}

export interface EngagementWindow {
  since: Date;
  until: Date;
  careReplyDays: number;
  conversationGapHours: number;
}

export type StartRunResult = { started: true; run: AnalyticsRun } | { started: false; active: AnalyticsRun | null };


/** What `tend customer show` prints about one customer. */
export interface CustomerOverview {
  customer: Prisma.CustomerGetPayload<{ include: { identities: true } }>;
  consentChanges: Prisma.ConsentChangeGetPayload<object>[];
  /** From the loyalty service's balance rule (`LoyaltyService.balance`), not a sum of the ledger. */
  loyaltyBalance: number;
  orders: { count: number; total: string; lastPlacedAt: Date | null };
  interactionCounts: { kind: string; direction: string; count: number }[];
  recentInteractions: Prisma.InteractionGetPayload<object>[];
  openCases: Prisma.FeedbackCaseGetPayload<object>[];
  score: (CustomerScore & { run: AnalyticsRun | null }) | null;
}

/** The analytics refresh's runs (one at a time) and the scores' look-ups; the bulk pages are in analytics-pages.ts. */
export class AnalyticsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  countCustomers(): Promise<number> {
    return this.prisma.customer.count();
  }

  /**
   * Claims the one refresh slot. A run that started before `staleBefore` and never finished
   * (its process died) gives the slot up. Returns the run in progress when the slot is taken.
   */
  async startRun(now: Date, staleBefore: Date): Promise<StartRunResult> {
    await this.prisma.analyticsRun.updateMany({
      where: { activeKey: ACTIVE_KEY, startedAt: { lt: staleBefore } },
      data: { activeKey: null, finishedAt: now, error: "abandoned: did not finish (its process stopped?)" },
    });
    try {
      return { started: true, run: await this.prisma.analyticsRun.create({ data: { activeKey: ACTIVE_KEY, startedAt: now } }) };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return { started: false, active: await this.prisma.analyticsRun.findUnique({ where: { activeKey: ACTIVE_KEY } }) };
    }
  }

  async finishRun(
    id: string,
    outcome: {
      finishedAt: Date;
      customers: number;
      bgnbd?: Prisma.InputJsonValue | null;
      gammaGamma?: Prisma.InputJsonValue | null;
      modelNote?: string | null;
      error?: string | null;
    },
  ): Promise<AnalyticsRun> {
    return this.prisma.analyticsRun.update({
      where: { id },
      data: {
        activeKey: null,
        finishedAt: outcome.finishedAt,
        customers: outcome.customers,
        bgnbd: outcome.bgnbd ?? Prisma.DbNull,
        gammaGamma: outcome.gammaGamma ?? Prisma.DbNull,
        modelNote: outcome.modelNote ?? null,
        error: outcome.error ?? null,
      },
    });
  }

  latestRun(): Promise<AnalyticsRun | null> {
    return this.prisma.analyticsRun.findFirst({ orderBy: { startedAt: "desc" } });
  }

  scoreOf(customerId: string): Promise<CustomerScore | null> {
    return this.prisma.customerScore.findUnique({ where: { customerId } });
  }

  /** A customer by Tend's uuid or by the business's own external id. */
  async findCustomerId(idOrExternalId: string): Promise<string | null> {
    return (await new CustomerRepository(this.prisma).findByIdOrExternalId(idOrExternalId))?.id ?? null;
  }

  /** All of the overview but the points balance, which only the loyalty service computes. */
  async customerOverview(customerId: string, recent = 10): Promise<Omit<CustomerOverview, "loyaltyBalance"> | null> {
    const customer = await this.prisma.customer.findUnique({
      where: { id: customerId },
      include: { identities: { orderBy: { createdAt: "asc" } } },
    });
    if (!customer) return null;
    const where = { customerId };
    const [consentChanges, orders, counts, recentInteractions, openCases, score] = await Promise.all([
      this.prisma.consentChange.findMany({ where, orderBy: [{ changedAt: "desc" }, { id: "desc" }], take: recent }),
      this.prisma.order.aggregate({ where: { customerId, amount: { gte: 0 } }, _count: { _all: true }, _sum: { amount: true }, _max: { placedAt: true } }),
      this.prisma.interaction.groupBy({ by: ["kind", "direction"], where, _count: { _all: true } }),
      this.prisma.interaction.findMany({ where, orderBy: [{ occurredAt: "desc" }, { id: "desc" }], take: recent }),
      this.prisma.feedbackCase.findMany({ where: { customerId, status: "open" }, orderBy: [{ openedAt: "asc" }, { id: "asc" }] }),
      this.prisma.customerScore.findUnique({ where, include: { run: true } }),
    ]);
    return {
      customer,
      consentChanges,
      orders: { count: orders._count._all, total: (orders._sum.amount ?? new Prisma.Decimal(0)).toFixed(2), lastPlacedAt: orders._max.placedAt },
      interactionCounts: counts
        .map((c) => ({ kind: c.kind as string, direction: c.direction as string, count: c._count._all }))
        .sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind) || a.direction.localeCompare(b.direction)),
      recentInteractions,
      openCases,
      score,
    };
  }
}
