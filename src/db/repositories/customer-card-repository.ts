import { Prisma } from "../generated/client.ts";
import type { AnalyticsRun, ChannelIdentity, ConsentChange, Customer, CustomerScore, FeedbackCase, Interaction, PrismaClient } from "../generated/client.ts";

/** Everything the customer card reads from the database but the loyalty figures (the loyalty service computes those). */
export interface CardRows {
  customer: Customer;
  identities: ChannelIdentity[];
  consentChanges: ConsentChange[];
  orders: { count: number; total: Prisma.Decimal; lastPlacedAt: Date | null };
  interactionCounts: { kind: string; direction: string; count: number }[];
  recentInteractions: Interaction[];
  lastSurveys: { kind: "csat" | "nps"; score: number; reason: string | null; respondedAt: Date; platform: string }[];
  openCases: FeedbackCase[];
  score: (CustomerScore & { run: AnalyticsRun | null }) | null;
}

/**
 * The card's reads. Each is one indexed lookup on the customer's own rows (customerId-leading
 * indexes on every table it reads), so a card costs the same at 100,000 customers as at 10; they
 * run side by side on the connection pool.
 */
export class CustomerCardRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async rows(customerId: string, recent: number): Promise<CardRows | null> {
    const where = { customerId };
    const [customer, identities, consentChanges, orders, counts, recentInteractions, lastSurveys, openCases, score] = await Promise.all([
      this.prisma.customer.findUnique({ where: { id: customerId } }),
      this.prisma.channelIdentity.findMany({ where, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
      this.prisma.consentChange.findMany({ where, orderBy: [{ changedAt: "desc" }, { id: "desc" }], take: recent }),
      this.prisma.order.aggregate({ where: { customerId, amount: { gte: 0 } }, _count: { _all: true }, _sum: { amount: true }, _max: { placedAt: true } }),
      this.prisma.interaction.groupBy({ by: ["kind", "direction"], where, _count: { _all: true } }),
      this.prisma.interaction.findMany({ where, orderBy: [{ occurredAt: "desc" }, { id: "desc" }], take: recent }),
      this.lastSurveys(customerId),
      this.prisma.feedbackCase.findMany({ where: { customerId, status: "open" }, orderBy: [{ openedAt: "asc" }, { id: "asc" }] }),
      this.prisma.customerScore.findUnique({ where, include: { run: true } }),
    ]);
    if (!customer) return null;
    return {
      customer,
      identities,
      consentChanges,
      orders: { count: orders._count._all, total: orders._sum.amount ?? new Prisma.Decimal(0), lastPlacedAt: orders._max.placedAt },
      interactionCounts: counts
        .map((c) => ({ kind: c.kind as string, direction: c.direction as string, count: c._count._all }))
        .sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind) || a.direction.localeCompare(b.direction)),
      recentInteractions,
      lastSurveys,
      openCases,
      score,
    };
  }

  /** The latest CSAT and the latest NPS answer (one query over the customer's responses, newest first). */
  private async lastSurveys(customerId: string): Promise<CardRows["lastSurveys"]> {
    const rows = await this.prisma.$queryRaw<{ kind: "csat" | "nps"; score: number; reason: string | null; respondedAt: Date; platform: string }[]>`
      SELECT DISTINCT ON (i.kind) i.kind::text AS kind, r.score::int AS score, r.reason, r."respondedAt", i.platform::text AS platform
        FROM "SurveyResponse" r JOIN "SurveyInvitation" i ON i.id = r."invitationId"
       WHERE r."customerId" = ${customerId}::uuid
       ORDER BY i.kind, r."respondedAt" DESC, r.id DESC`;
    return rows.map((row) => ({ ...row, score: Number(row.score) }));
  }
}
