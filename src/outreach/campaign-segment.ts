import type { LifecycleStageName } from "../analytics/lifecycle.ts";
import type { RfmSegment } from "../analytics/rfm.ts";
import type { Platform } from "../core/channel.ts";
import { Prisma, type PrismaClient } from "../db/generated/client.ts";
import { addMonths } from "../loyalty/dates.ts";
import type { LoyaltySettings } from "../loyalty/settings.ts";
import { tierFor } from "../loyalty/tiers.ts";

/**
 * Who a campaign goes to. Each dimension given narrows the audience (they combine with AND); within
 * one, any listed value matches, except `tags.all`, which needs every tag. An empty segment is every
 * customer whose data was not erased.
 */
export interface CampaignSegment {
  tags?: { any?: string[] | undefined; all?: string[] | undefined } | undefined;
  /** Loyalty tier names, as LOYALTY_TIERS spells them. */
  tiers?: string[] | undefined;
  /** From the last analytics refresh (CustomerScore.lifecycleStage): a customer never scored has none. */
  lifecycleStages?: LifecycleStageName[] | undefined;
  /** From the last analytics refresh (CustomerScore.rfmSegment). */
  rfmSegments?: RfmSegment[] | undefined;
  /** Customers with an identity on one of these platforms; the message then goes on one of them. */
  channels?: Platform[] | undefined;
}

/** How tiers are computed: the loyalty service's settings, so a segment's tier is the one the customer is told. */
export type TierRules = Pick<LoyaltySettings, "tiers" | "tierBasis" | "tierWindowMonths">;

/** One customer in a segment, with what a campaign message needs. */
export interface SegmentMember {
  id: string;
  displayName: string | null;
  locale: string;
  timeZone: string;
  /**
   * The channel the message would go on: the most recently active identity no send found unreachable
   * (among the segment's channels, when it names some); null when no channel reaches the customer.
   */
  channel: Platform | null;
  /** The customer's loyalty tier now, when asked for (`withTier`); null otherwise. */
  tier: string | null;
}

export interface SegmentQuery {
  segment: CampaignSegment;
  tierRules: TierRules;
  /** The moment the tier window ends at (the loyalty service's "now"). */
  now: Date;
  /** Compute each member's tier even when the segment does not filter by tier (a template's {tier}). */
  withTier?: boolean;
}

const firstId = "00000000-0000-0000-0000-000000000000";

/**
 * One keyset page of the segment's members, by id after `after`: one statement, whatever the
 * segment. The tier filter compares the loyalty progress (points earned, or amount spent, in the
 * tier window, exactly as LoyaltyService computes it) with the tiers' thresholds, so it agrees
 * with tierFor.
 */
export async function segmentPage(prisma: PrismaClient, query: SegmentQuery, after: string | null, limit: number): Promise<SegmentMember[]> {
  const { segment } = query;
  const needsTier = Boolean(segment.tiers?.length) || Boolean(query.withTier);
  const progress = needsTier ? progressSql(query.tierRules, query.now) : Prisma.sql`NULL::numeric`;
  const channels = segment.channels?.length ? [...segment.channels] : null;
  const rows = await prisma.$queryRaw<{ id: string; displayName: string | null; locale: string; timeZone: string; channel: Platform | null; progress: string | null }[]>`
    SELECT c.id::text AS id, c."displayName", c.locale, c."timeZone",
           (SELECT ci.platform::text FROM "ChannelIdentity" ci
             WHERE ci."customerId" = c.id AND ci."unreachableAt" IS NULL
               ${channels ? Prisma.sql`AND ci.platform::text = ANY(${channels}::text[])` : Prisma.empty}
             ORDER BY ci."lastSeenAt" DESC LIMIT 1) AS channel,
           p.progress::text AS progress
      FROM "Customer" c
      ${needsScore(segment) ? Prisma.sql`JOIN "CustomerScore" s ON s."customerId" = c.id` : Prisma.empty}
      CROSS JOIN LATERAL (SELECT ${progress} AS progress) p
     WHERE c."erasedAt" IS NULL AND c.id > ${after ?? firstId}::uuid
       ${filtersSql(segment, query.tierRules)}
     ORDER BY c.id
     LIMIT ${limit}`;
  return rows.map((row) => ({
    id: row.id,
    displayName: row.displayName,
    locale: row.locale,
    timeZone: row.timeZone,
    channel: row.channel,
    tier: needsTier ? tierFor(query.tierRules.tiers, Number(row.progress ?? 0)).name : null,
  }));
}

/** Every member of the segment, a page at a time: never the whole audience in memory. */
export async function* segmentPages(prisma: PrismaClient, query: SegmentQuery, pageSize = 500): AsyncGenerator<SegmentMember[]> {
  for (let after: string | null = null; ; ) {
    const page = await segmentPage(prisma, query, after, pageSize);
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.id;
  }
}

function needsScore(segment: CampaignSegment): boolean {
  return Boolean(segment.lifecycleStages?.length) || Boolean(segment.rfmSegments?.length);
}

function filtersSql(segment: CampaignSegment, tierRules: TierRules): Prisma.Sql {
  const parts: Prisma.Sql[] = [];
  const any = segment.tags?.any ?? [];
  const all = segment.tags?.all ?? [];
  if (any.length) parts.push(Prisma.sql`AND c.tags && ${any}::text[]`);
  if (all.length) parts.push(Prisma.sql`AND c.tags @> ${all}::text[]`);
  if (segment.lifecycleStages?.length) parts.push(Prisma.sql`AND s."lifecycleStage"::text = ANY(${[...segment.lifecycleStages]}::text[])`);
  if (segment.rfmSegments?.length) parts.push(Prisma.sql`AND s."rfmSegment" = ANY(${[...segment.rfmSegments]}::text[])`);
  if (segment.channels?.length) {
    parts.push(Prisma.sql`AND EXISTS (SELECT 1 FROM "ChannelIdentity" ch WHERE ch."customerId" = c.id AND ch.platform::text = ANY(${[...segment.channels]}::text[]))`);
  }
  if (segment.tiers?.length) {
    const bands = tierBands(tierRules, segment.tiers);
    // A tier is the band [its threshold, the next tier's threshold); the top tier has no upper end (-1 here:
    // thresholds are never negative, and an array parameter is safer without nulls on every driver).
    parts.push(Prisma.sql`AND EXISTS (SELECT 1 FROM unnest(${bands.map((b) => b.from)}::numeric[], ${bands.map((b) => b.below ?? -1)}::numeric[]) AS b("from", below)
                                        WHERE p.progress >= b."from" AND (b.below < 0 OR p.progress < b.below))`);
  }
  return parts.length ? Prisma.join(parts, " ") : Prisma.empty;
}

/** The progress bands of the named tiers; a name not configured matches nobody. */
export function tierBands(tierRules: TierRules, names: readonly string[]): { from: number; below: number | null }[] {
  const { tiers } = tierRules;
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  return tiers.flatMap((tier, index) => (wanted.has(tier.name.toLowerCase()) ? [{ from: tier.threshold, below: tiers[index + 1]?.threshold ?? null }] : []));
}

/** LoyaltyService.tierProgress as SQL: points earned (orders, bonuses) or amount spent since the window began. Also the dashboard's tier counts. */
export function progressSql(tierRules: TierRules, now: Date): Prisma.Sql {
  const since = addMonths(now, -tierRules.tierWindowMonths).toISOString();
  return tierRules.tierBasis === "points"
    ? Prisma.sql`(SELECT COALESCE(sum(l.points), 0)::numeric FROM "LoyaltyLedgerEntry" l
                   WHERE l."customerId" = c.id AND l.kind IN ('earn', 'bonus') AND l.points > 0 AND l."createdAt" >= ${since}::timestamp(3))`
    : Prisma.sql`(SELECT COALESCE(sum(o.amount), 0)::numeric FROM "Order" o WHERE o."customerId" = c.id AND o."placedAt" >= ${since}::timestamp(3))`;
}
