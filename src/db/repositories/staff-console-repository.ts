import type { Platform } from "../../core/channel.ts";
import type { CaseLine } from "../../core/staff-console-services.ts";
import type { PrismaClient } from "../generated/client.ts";

/** Reads the staff console needs beyond the customer card: a customer's cases, and report figures. */
export class StaffConsoleRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Open cases oldest first, then closed ones newest first; at most `limit` in all. */
  async cases(customerId: string, limit: number): Promise<CaseLine[]> {
    const [open, closed] = await Promise.all([
      this.prisma.feedbackCase.findMany({ where: { customerId, status: "open" }, orderBy: [{ openedAt: "asc" }, { id: "asc" }], take: limit }),
      this.prisma.feedbackCase.findMany({ where: { customerId, status: "closed" }, orderBy: [{ closedAt: "desc" }, { id: "desc" }], take: limit }),
    ]);
    return [...open, ...closed].slice(0, limit).map((c) => ({
      id: c.id,
      status: c.status,
      source: c.source,
      summary: c.summary,
      assignee: c.assignee,
      openedAt: c.openedAt,
      closedAt: c.closedAt,
      closedBy: c.closedBy,
      resolution: c.resolution,
    }));
  }

  /** The channel a message to the customer would try first: the most recently active one not found unreachable. */
  async preferredChannel(customerId: string): Promise<Platform | null> {
    const identity = await this.prisma.channelIdentity.findFirst({
      where: { customerId, unreachableAt: null },
      orderBy: [{ lastSeenAt: "desc" }, { id: "asc" }],
      select: { platform: true },
    });
    return identity?.platform ?? null;
  }

  /**
   * Customer messages the engine did not understand (annotated `unrecognised`) in [from, to),
   * grouped by their text trimmed and lowercased, most frequent first. Erased texts (null) are left out.
   */
  async topUnrecognised(from: Date, to: Date, limit: number): Promise<{ text: string; count: number }[]> {
    const rows = await this.prisma.$queryRaw<{ text: string; count: number }[]>`
      SELECT lower(btrim(i.text)) AS text, count(*)::int AS count
        FROM "Interaction" i
       WHERE i."occurredAt" >= ${from}::timestamp AND i."occurredAt" < ${to}::timestamp
         AND i.direction = 'in' AND i.text IS NOT NULL
         AND (i.metadata ->> 'unrecognised') = 'true'
       GROUP BY 1
       ORDER BY 2 DESC, 1 ASC
       LIMIT ${limit}`;
    return rows.map((row) => ({ text: row.text, count: Number(row.count) }));
  }

  /** Outbox rows created in [from, to) by what became of them. */
  async outboxOutcomes(from: Date, to: Date): Promise<{ sent: number; deferred: number; failed: number; skipped: number }> {
    const where = { createdAt: { gte: from, lt: to } };
    const [byStatus, deferred] = await Promise.all([
      this.prisma.outboxMessage.groupBy({ by: ["status"], where, _count: { _all: true } }),
      this.prisma.outboxMessage.count({ where: { ...where, status: "pending", deferReason: { not: null } } }),
    ]);
    const count = (...statuses: string[]) => byStatus.filter((g) => statuses.includes(g.status)).reduce((sum, g) => sum + g._count._all, 0);
    return { sent: count("sent"), deferred, failed: count("failed", "dead"), skipped: count("skipped") };
  }
}
