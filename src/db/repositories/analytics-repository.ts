import type { EngagementFacts } from "../../analytics/relationship.ts";
import { type AnalyticsRun, type CustomerScore, type LifecycleStage, Prisma, type PrismaClient, type RelationshipLevel } from "../generated/client.ts";
import { isUniqueViolation } from "../prisma-errors.ts";
import { CustomerRepository } from "./customer-repository.ts";

export type { AnalyticsRun, CustomerScore };

/** The value of AnalyticsRun.activeKey while a refresh runs; the unique index admits one at a time. */
const ACTIVE_KEY = "refresh";

export interface OrderRow {
  customerId: string;
  /** In cents, so that sums stay exact. */
  cents: number;
  placedAt: Date;
}

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

const cents = (amount: Prisma.Decimal) => Math.round(amount.toNumber() * 100);
const decimal = (centsValue: number) => (centsValue / 100).toFixed(2);
const uuidList = (ids: readonly string[]) => Prisma.join(ids.map((id) => Prisma.sql`${id}::uuid`));

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

/** Reads what the analytics refresh needs, in batches of customers, and stores its results. */
export class AnalyticsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  countCustomers(): Promise<number> {
    return this.prisma.customer.count();
  }

  /** The next batch of customer ids in id order, after `after` (exclusive). */
  async customerIdsAfter(after: string | null, limit: number): Promise<string[]> {
    const rows = await this.prisma.customer.findMany({
      where: after ? { id: { gt: after } } : {},
      orderBy: { id: "asc" },
      take: limit,
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  /**
   * Purchases placed up to `until`, oldest first: free orders included (a purchase is a purchase
   * for recency and frequency), refunds (negative amounts) left out.
   */
  async ordersFor(customerIds: readonly string[], until: Date): Promise<OrderRow[]> {
    if (customerIds.length === 0) return [];
    const rows = await this.prisma.order.findMany({
      where: { customerId: { in: [...customerIds] }, amount: { gte: 0 }, placedAt: { lte: until } },
      orderBy: [{ placedAt: "asc" }, { id: "asc" }],
      select: { customerId: true, amount: true, placedAt: true },
    });
    return rows.map((r) => ({ customerId: r.customerId, cents: cents(r.amount), placedAt: r.placedAt }));
  }

  /**
   * How each customer engaged in the window, counted in the database: conversations each side
   * started, care messages and the replies to them, surveys, feedback, linked channels.
   * Customers without any of it are absent from the map.
   */
  async engagementFor(customerIds: readonly string[], window: EngagementWindow): Promise<Map<string, EngagementFacts>> {
    const result = new Map<string, EngagementFacts>();
    if (customerIds.length === 0) return result;
    const ids = uuidList(customerIds);
    const { since, until } = window;
    const facts = (id: string) => {
      let f = result.get(id);
      if (!f) {
        f = { inbound: 0, outbound: 0, customerInitiated: 0, businessInitiated: 0, careSent: 0, careReplied: 0, surveysInvited: 0, surveysAnswered: 0, surveyReasons: 0, complaints: 0, channels: 0 };
        result.set(id, f);
      }
      return f;
    };

    // Staff notes and system events are not conversation; a message after `gap` of silence opens one.
    const interactions = await this.prisma.$queryRaw<
      { customerId: string; inbound: number; outbound: number; customerInitiated: number; businessInitiated: number; careSent: number; careReplied: number }[]
    >`
      WITH t AS (
        SELECT i."customerId", i."direction", i."kind", i."occurredAt",
               lag(i."occurredAt") OVER (PARTITION BY i."customerId" ORDER BY i."occurredAt", i."id") AS "previousAt",
               CASE WHEN i."direction" = 'out' AND i."kind" = 'care' THEN EXISTS (
                 SELECT 1 FROM "Interaction" r
                  WHERE r."customerId" = i."customerId" AND r."direction" = 'in' AND r."kind" NOT IN ('system', 'staff-note')
                    AND r."occurredAt" > i."occurredAt"
                    AND r."occurredAt" <= i."occurredAt" + ${window.careReplyDays}::int * interval '1 day'
               ) ELSE false END AS "replied"
          FROM "Interaction" i
         WHERE i."customerId" IN (${ids})
           AND i."occurredAt" >= ${since}::timestamp AND i."occurredAt" <= ${until}::timestamp
           AND i."kind" NOT IN ('system', 'staff-note')
      )
      SELECT "customerId"::text AS "customerId",
             (count(*) FILTER (WHERE "direction" = 'in'))::int AS "inbound",
             (count(*) FILTER (WHERE "direction" = 'out'))::int AS "outbound",
             (count(*) FILTER (WHERE "direction" = 'in' AND ("previousAt" IS NULL
                OR "occurredAt" - "previousAt" > ${window.conversationGapHours}::int * interval '1 hour')))::int AS "customerInitiated",
             (count(*) FILTER (WHERE "direction" = 'out' AND ("previousAt" IS NULL
                OR "occurredAt" - "previousAt" > ${window.conversationGapHours}::int * interval '1 hour')))::int AS "businessInitiated",
             (count(*) FILTER (WHERE "direction" = 'out' AND "kind" = 'care'))::int AS "careSent",
             (count(*) FILTER (WHERE "replied"))::int AS "careReplied"
        FROM t
       GROUP BY "customerId"`;
    for (const row of interactions) {
      const f = facts(row.customerId);
      f.inbound = row.inbound;
      f.outbound = row.outbound;
      f.customerInitiated = row.customerInitiated;
      f.businessInitiated = row.businessInitiated;
      f.careSent = row.careSent;
      f.careReplied = row.careReplied;
    }

    const inWindow = { gte: since, lte: until };
    const idList = [...customerIds];
    const [invitations, responses, reasons, complaints, identities] = await Promise.all([
      this.prisma.surveyInvitation.groupBy({ by: ["customerId"], where: { customerId: { in: idList }, sentAt: inWindow }, _count: { _all: true } }),
      this.prisma.surveyResponse.groupBy({ by: ["customerId"], where: { customerId: { in: idList }, respondedAt: inWindow }, _count: { _all: true } }),
      this.prisma.surveyResponse.groupBy({
        by: ["customerId"],
        where: { customerId: { in: idList }, respondedAt: inWindow, reason: { not: null } },
        _count: { _all: true },
      }),
      this.prisma.feedbackCase.groupBy({ by: ["customerId"], where: { customerId: { in: idList }, openedAt: inWindow, source: "complaint" }, _count: { _all: true } }),
      this.prisma.channelIdentity.groupBy({ by: ["customerId"], where: { customerId: { in: idList } }, _count: { _all: true } }),
    ]);
    for (const row of invitations) facts(row.customerId).surveysInvited = row._count._all;
    for (const row of responses) facts(row.customerId).surveysAnswered = row._count._all;
    for (const row of reasons) facts(row.customerId).surveyReasons = row._count._all;
    for (const row of complaints) facts(row.customerId).complaints = row._count._all;
    for (const row of identities) facts(row.customerId).channels = row._count._all;
    return result;
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

  /**
   * Inserts or replaces the customers' rows in one statement: concurrent writers cannot collide
   * on the unique customerId, and a batch costs one round trip.
   */
  async upsertScores(runId: string, computedAt: Date, rows: readonly ScoreRow[]): Promise<void> {
    if (rows.length === 0) return;
    const values = rows.map(
      (r) => Prisma.sql`(
        gen_random_uuid(), ${r.customerId}::uuid, ${runId}::uuid, ${computedAt}::timestamp, ${r.windowStart}::timestamp, ${r.windowMonths}::smallint,
        ${r.orderCount}::int, ${r.firstOrderAt}::timestamp, ${r.lastOrderAt}::timestamp, ${r.recencyDays}::int, ${r.frequency}::int,
        ${decimal(r.monetaryCents)}::numeric, ${r.rfmRecency}::smallint, ${r.rfmFrequency}::smallint, ${r.rfmMonetary}::smallint,
        ${r.rfmSegment}::text, ${r.lifecycleStage}::text::"LifecycleStage", ${r.relationshipLevel}::text::"RelationshipLevel",
        ${r.probabilityAlive}::float8, ${r.predictedPurchases}::float8, ${decimal(r.historicCents)}::numeric,
        ${r.predictedClv === null ? null : r.predictedClv.toFixed(2)}::numeric, ${JSON.stringify(r.explanation)}::jsonb
      )`,
    );
    await this.prisma.$executeRaw`
      INSERT INTO "CustomerScore" (
        "id", "customerId", "runId", "computedAt", "windowStart", "windowMonths",
        "orderCount", "firstOrderAt", "lastOrderAt", "recencyDays", "frequency",
        "monetary", "rfmRecency", "rfmFrequency", "rfmMonetary",
        "rfmSegment", "lifecycleStage", "relationshipLevel",
        "probabilityAlive", "predictedPurchases", "historicClv",
        "predictedClv", "explanation"
      ) VALUES ${Prisma.join(values)}
      ON CONFLICT ("customerId") DO UPDATE SET
        "runId" = EXCLUDED."runId", "computedAt" = EXCLUDED."computedAt", "windowStart" = EXCLUDED."windowStart",
        "windowMonths" = EXCLUDED."windowMonths", "orderCount" = EXCLUDED."orderCount", "firstOrderAt" = EXCLUDED."firstOrderAt",
        "lastOrderAt" = EXCLUDED."lastOrderAt", "recencyDays" = EXCLUDED."recencyDays", "frequency" = EXCLUDED."frequency",
        "monetary" = EXCLUDED."monetary", "rfmRecency" = EXCLUDED."rfmRecency", "rfmFrequency" = EXCLUDED."rfmFrequency",
        "rfmMonetary" = EXCLUDED."rfmMonetary", "rfmSegment" = EXCLUDED."rfmSegment", "lifecycleStage" = EXCLUDED."lifecycleStage",
        "relationshipLevel" = EXCLUDED."relationshipLevel", "probabilityAlive" = EXCLUDED."probabilityAlive",
        "predictedPurchases" = EXCLUDED."predictedPurchases", "historicClv" = EXCLUDED."historicClv",
        "predictedClv" = EXCLUDED."predictedClv", "explanation" = EXCLUDED."explanation"`;
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
