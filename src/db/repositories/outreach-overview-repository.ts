import type { Platform } from "../../core/channel.ts";
import type { OutboxMessage, PrismaClient } from "../generated/client.ts";

/** The outbox in numbers, as `tend outreach status` and `GET /api/outreach/status` show it. */
export interface OutreachStatus {
  /** The moment the counts are as of (due now vs later, sent in the last 24 hours). */
  at: string;
  /** Waiting to be sent: due now (a dispatcher takes them next) or later. Deferred rows are among them. */
  queued: { total: number; dueNow: number; later: number };
  /** Queued rows the contact policy has moved later, by its reason (quiet_hours, weekly_cap...). */
  deferred: { total: number; byReason: Record<string, number> };
  sending: number;
  sent: { last24h: number; total: number };
  failed: number;
  dead: number;
  /** Refused by the contact policy at send time, by its reason (no_consent:care, erased...). */
  skipped: { total: number; byReason: Record<string, number> };
  /** Held out for a care plan's control group: recorded, never sent. */
  control: number;
  cancelled: number;
}

/** A queued row as the preview shows it, with the channel a send would try first. */
export interface DueOutboxRow {
  id: string;
  customerId: string;
  topic: string;
  kind: string;
  dueAt: Date;
  /** The row's own platform, else the customer's most recently active reachable one; null: none reaches them. */
  channel: Platform | null;
}

const DAY_MS = 86_400_000;

/** Read-only views of the outbox for people: counts and what is due in a window. */
export class OutreachOverviewRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async status(now: Date): Promise<OutreachStatus> {
    const outbox = this.prisma.outboxMessage;
    const [byStatus, dueNow, deferred, skipped, sentLast24h] = await Promise.all([
      outbox.groupBy({ by: ["status"], _count: { _all: true } }),
      outbox.count({ where: { status: "pending", notBefore: { lte: now } } }),
      outbox.groupBy({ by: ["deferReason"], where: { status: "pending", deferReason: { not: null } }, _count: { _all: true } }),
      outbox.groupBy({ by: ["lastError"], where: { status: "skipped" }, _count: { _all: true } }),
      outbox.count({ where: { status: "sent", sentAt: { gt: new Date(now.getTime() - DAY_MS), lte: now } } }),
    ]);
    const count = (status: OutboxMessage["status"]) => byStatus.find((group) => group.status === status)?._count._all ?? 0;
    const reasons = (groups: { key: string | null; n: number }[]) => Object.fromEntries(groups.map((g) => [g.key ?? "unknown", g.n]).sort(([a], [b]) => String(a).localeCompare(String(b))));
    const pending = count("pending");
    return {
      at: now.toISOString(),
      queued: { total: pending, dueNow, later: pending - dueNow },
      deferred: { total: deferred.reduce((sum, g) => sum + g._count._all, 0), byReason: reasons(deferred.map((g) => ({ key: g.deferReason, n: g._count._all }))) },
      sending: count("sending"),
      sent: { last24h: sentLast24h, total: count("sent") },
      failed: count("failed"),
      dead: count("dead"),
      skipped: { total: count("skipped"), byReason: reasons(skipped.map((g) => ({ key: g.lastError, n: g._count._all }))) },
      control: count("control"),
      cancelled: count("cancelled"),
    };
  }

  /** Queued rows due in [from, to), earliest first, at most `limit`. */
  async dueBetween(from: Date, to: Date, limit: number): Promise<DueOutboxRow[]> {
    const rows = await this.prisma.outboxMessage.findMany({
      where: { status: "pending", notBefore: { gte: from, lt: to } },
      orderBy: [{ notBefore: "asc" }, { id: "asc" }],
      take: limit,
      select: { id: true, customerId: true, topic: true, kind: true, notBefore: true, platform: true },
    });
    const unplaced = [...new Set(rows.filter((row) => row.platform === null).map((row) => row.customerId))];
    const lastUsed = new Map<string, Platform>();
    if (unplaced.length) {
      const identities = await this.prisma.channelIdentity.findMany({
        where: { customerId: { in: unplaced }, unreachableAt: null },
        orderBy: { lastSeenAt: "desc" },
        select: { customerId: true, platform: true },
      });
      for (const identity of identities) if (!lastUsed.has(identity.customerId)) lastUsed.set(identity.customerId, identity.platform);
    }
    return rows.map((row) => ({
      id: row.id,
      customerId: row.customerId,
      topic: row.topic,
      kind: row.kind,
      dueAt: row.notBefore,
      channel: row.platform ?? lastUsed.get(row.customerId) ?? null,
    }));
  }
}
