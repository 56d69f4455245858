
import type { Customer, PrismaClient } from "../generated/client.ts";

/** Everything the customer card reads from the database but the loyalty figures (the loyalty service computes those). */
export interface CardRows {
  customer: Customer;
  identities: { platform: string; platformUserId: string; displayName: string | null; lastSeenAt: Date; unreachableAt: Date | null }[];
  consentChanges: { topic: string; granted: boolean; source: string; changedAt: Date }[];
  /** `total` a decimal string with two places. */
  orders: { count: number; total: string; lastPlacedAt: Date | null };
  interactionCounts: { kind: string; direction: string; count: number }[];
  recentInteractions: { id: string; platform: string; direction: "in" | "out"; kind: string; text: string | null; metadata: unknown; occurredAt: Date }[];
  lastSurveys: { kind: "csat" | "nps"; score: number; reason: string | null; respondedAt: Date; platform: string }[];
  openCases: { id: string; source: string; summary: string; assignee: string | null; openedAt: Date }[];
  score: CardScoreRow | null;
}

export interface CardScoreRow {
  computedAt: Date;
  windowMonths: number;
  orderCount: number;
  rfmSegment: string | null;
  rfmRecency: number | null;
  rfmFrequency: number | null;
  rfmMonetary: number | null;
  lifecycleStage: string;
  relationshipLevel: string;
  probabilityAlive: number | null;
  predictedPurchases: number | null;
  /** Decimal strings with two places. */
  historicClv: string;
  predictedClv: string | null;
  /** What the score's explanation is rendered from (src/analytics/score-explanation.ts), with the columns above. */
  firstOrderAt: Date | null;
  lastOrderAt: Date | null;
  frequency: number;
  monetary: string;
  explanation: unknown;
}

/** Timestamps leave PostgreSQL as epoch milliseconds (the columns hold UTC without a zone). */
const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

/**
 * Every read of the card but the customer's row, in ONE statement: each part is a subquery on the
 * customer's own rows through a customerId-leading index, aggregated to JSON. One round trip and
 * one raw statement instead of nine client queries: the client's per-query cost (its query
 * compiler) was most of the card's time (BENCHMARKS.md, customer card).
 */
export const CARD_SQL = `
SELECT
  (SELECT coalesce(json_agg(json_build_object('platform', i.platform, 'platformUserId', i."platformUserId", 'displayName', i."displayName",
            'lastSeenAt', ${ms('i."lastSeenAt"')}, 'unreachableAt', ${ms('i."unreachableAt"')}) ORDER BY i."createdAt", i.id), '[]'::json)
     FROM "ChannelIdentity" i WHERE i."customerId" = $1::uuid) AS identities,
  (SELECT coalesce(json_agg(json_build_object('topic', x.topic, 'granted', x.granted, 'source', x.source, 'changedAt', ${ms("x.\"changedAt\"")}) ORDER BY x."changedAt" DESC, x.id DESC), '[]'::json)
     FROM (SELECT * FROM "ConsentChange" WHERE "customerId" = $1::uuid ORDER BY "changedAt" DESC, id DESC LIMIT $2) x) AS consent,
  (SELECT json_build_object('count', count(*), 'total', coalesce(sum(o.amount), 0)::numeric(16, 2)::text, 'lastPlacedAt', ${ms('max(o."placedAt")')})
     FROM "Order" o WHERE o."customerId" = $1::uuid AND o.amount >= 0) AS orders,
  (SELECT coalesce(json_agg(json_build_object('kind', x.kind, 'direction', x.direction, 'count', x.n)), '[]'::json)
     FROM (SELECT kind, direction, count(*) AS n FROM "Interaction" WHERE "customerId" = $1::uuid GROUP BY kind, direction) x) AS counts,
  (SELECT coalesce(json_agg(json_build_object('id', x.id, 'platform', x.platform, 'direction', x.direction, 'kind', x.kind, 'text', x.text,
            'metadata', x.metadata, 'occurredAt', ${ms("x.\"occurredAt\"")}) ORDER BY x."occurredAt" DESC, x.id DESC), '[]'::json)
     FROM (SELECT * FROM "Interaction" WHERE "customerId" = $1::uuid ORDER BY "occurredAt" DESC, id DESC LIMIT $2) x) AS recent,
  (SELECT coalesce(json_agg(json_build_object('kind', x.kind, 'score', x.score, 'reason', x.reason, 'respondedAt', ${ms("x.\"respondedAt\"")}, 'platform', x.platform)), '[]'::json)
     FROM (SELECT DISTINCT ON (v.kind) v.kind, r.score, r.reason, r."respondedAt", v.platform
             FROM "SurveyResponse" r JOIN "SurveyInvitation" v ON v.id = r."invitationId"
            WHERE r."customerId" = $1::uuid ORDER BY v.kind, r."respondedAt" DESC, r.id DESC) x) AS surveys,
  (SELECT coalesce(json_agg(json_build_object('id', f.id, 'source', f.source, 'summary', f.summary, 'assignee', f.assignee, 'openedAt', ${ms('f."openedAt"')})
            ORDER BY f."openedAt", f.id), '[]'::json)
     FROM "FeedbackCase" f WHERE f."customerId" = $1::uuid AND f.status = 'open') AS cases,
  (SELECT json_build_object('computedAt', ${ms('s."computedAt"')}, 'windowMonths', s."windowMonths", 'orderCount', s."orderCount", 'rfmSegment', s."rfmSegment",
            'rfmRecency', s."rfmRecency", 'rfmFrequency', s."rfmFrequency", 'rfmMonetary', s."rfmMonetary", 'lifecycleStage', s."lifecycleStage",
            'relationshipLevel', s."relationshipLevel", 'probabilityAlive', s."probabilityAlive", 'predictedPurchases', s."predictedPurchases",
            'historicClv', s."historicClv"::text, 'predictedClv', s."predictedClv"::text, 'explanation', s.explanation,
            'firstOrderAt', ${ms('s."firstOrderAt"')}, 'lastOrderAt', ${ms('s."lastOrderAt"')}, 'frequency', s."frequency", 'monetary', s."monetary"::text)
     FROM "CustomerScore" s WHERE s."customerId" = $1::uuid) AS score`;

type Raw = {
  identities: (Omit<CardRows["identities"][number], "lastSeenAt" | "unreachableAt"> & { lastSeenAt: number; unreachableAt: number | null })[];
  consent: (Omit<CardRows["consentChanges"][number], "changedAt"> & { changedAt: number })[];
  orders: { count: number; total: string; lastPlacedAt: number | null };
  counts: CardRows["interactionCounts"];
  recent: (Omit<CardRows["recentInteractions"][number], "occurredAt"> & { occurredAt: number })[];
  surveys: (Omit<CardRows["lastSurveys"][number], "respondedAt"> & { respondedAt: number })[];
  cases: (Omit<CardRows["openCases"][number], "openedAt"> & { openedAt: number })[];
  score: (Omit<CardScoreRow, "computedAt" | "firstOrderAt" | "lastOrderAt"> & { computedAt: number; firstOrderAt: number | null; lastOrderAt: number | null }) | null;
};

const date = (epochMs: number) => new Date(Math.round(epochMs));
const dateOrNull = (epochMs: number | null) => (epochMs === null ? null : date(epochMs));
/** The database's labels of InteractionKind that Prisma names differently (`@map`). */
const kindName = (kind: string) => (kind === "staff-note" ? "staff_note" : kind);

/**
 * The card's reads: the customer's row through the client, the rest in one statement (CARD_SQL),
 * side by side. Each part is an indexed lookup on the customer's own rows, so a card costs the
 * same at 100,000 customers as at 10.
 */
export class CustomerCardRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async rows(customerId: string, recent: number): Promise<CardRows | null> {
    const [customer, raws] = await Promise.all([
      this.prisma.customer.findUnique({ where: { id: customerId } }),
      this.prisma.$queryRawUnsafe<Raw[]>(CARD_SQL, customerId, recent),
    ]);
    const raw = raws[0];
    if (!customer || !raw) return null;
    return {
      customer,
      identities: raw.identities.map((i) => ({ ...i, lastSeenAt: date(i.lastSeenAt), unreachableAt: dateOrNull(i.unreachableAt) })),
      consentChanges: raw.consent.map((c) => ({ ...c, changedAt: date(c.changedAt) })),
      orders: { count: Number(raw.orders.count), total: raw.orders.total, lastPlacedAt: dateOrNull(raw.orders.lastPlacedAt) },
      interactionCounts: raw.counts
        .map((c) => ({ kind: kindName(c.kind), direction: c.direction, count: Number(c.count) }))
        .sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind) || a.direction.localeCompare(b.direction)),
      recentInteractions: raw.recent.map((i) => ({ ...i, kind: kindName(i.kind), occurredAt: date(i.occurredAt) })),
      lastSurveys: raw.surveys.map((s) => ({ ...s, score: Number(s.score), respondedAt: date(s.respondedAt) })),
      openCases: raw.cases.map((c) => ({ ...c, openedAt: date(c.openedAt) })),
      score: raw.score
        ? { ...raw.score, computedAt: date(raw.score.computedAt), firstOrderAt: dateOrNull(raw.score.firstOrderAt), lastOrderAt: dateOrNull(raw.score.lastOrderAt) }
        : null,
    };
  }
}


