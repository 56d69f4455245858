import type { Platform } from "../../core/channel.ts";
import type { CampaignSegment } from "../../outreach/campaign-segment.ts";
import type { LocalizedTemplate } from "../../outreach/templates.ts";
import type { Campaign, Prisma, PrismaClient } from "../generated/client.ts";

export type { Campaign };

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Campaign rows in the outbox: kind, topic, and the key that makes one message per customer and campaign. */
export const CAMPAIGN_KIND = "campaign";
export const campaignDedupeKey = (campaignId: string, customerId: string) => `campaign:${campaignId}:${customerId}`;

export interface NewCampaign {
  name: string;
  message: LocalizedTemplate;
  offer: LocalizedTemplate | null;
  segment: CampaignSegment;
  controlShare: number;
  scheduledAt: Date;
  createdBy: string;
}

/** One recipient's outbox row: to send (on `platform`, or the channel the dispatcher picks when null) or held out. */
export interface CampaignRecipientRow {
  customerId: string;
  platform: Platform | null;
  text: string;
  control: boolean;
}

/** What one batch wrote: rows new in the outbox (a second send writes none), or that the campaign was cancelled meanwhile. */
export type BatchOutcome = { status: "written"; queued: number; control: number } | { status: "cancelled" };

/** Runs inside the transaction of a change to a campaign (the staff audit entry that records it), with the campaign as changed. */
export type WithinChange = (tx: Prisma.TransactionClient, campaign: Campaign) => Promise<void>;

/** Transactions here wait behind a cancel holding the campaign's row, so allow for it. */
const transactionOptions = { maxWait: 15_000, timeout: 60_000 } as const;

/**
 * Campaigns and their outbox rows. A send writes in batches, each in one transaction that holds the
 * campaign's row, so a cancel (which takes the same row) is seen by the next batch and no row is
 * queued after it; counts grow by the rows each batch actually added, so repeated or concurrent
 * sends never count a recipient twice.
 */
export class CampaignRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** `within` runs in the same transaction (the audit entry): the campaign and its record are kept together or not at all. */
  create(campaign: NewCampaign, within?: WithinChange): Promise<Campaign> {
    return this.prisma.$transaction(async (tx) => {
      const created = await tx.campaign.create({
        data: {
          name: campaign.name,
          message: campaign.message as Prisma.InputJsonObject,
          ...(campaign.offer ? { offer: campaign.offer as Prisma.InputJsonObject } : {}),
          segment: campaign.segment as Prisma.InputJsonObject,
          controlShare: campaign.controlShare,
          scheduledAt: campaign.scheduledAt,
          createdBy: campaign.createdBy,
        },
      });
      await within?.(tx, created);
      return created;
    }, transactionOptions);
  }

  /** The newest first. */
  list(limit: number): Promise<Campaign[]> {
    return this.prisma.campaign.findMany({ orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: limit });
  }

  find(id: string): Promise<Campaign | null> {
    if (!uuidPattern.test(id)) return Promise.resolve(null);
    return this.prisma.campaign.findUnique({ where: { id } });
  }

  /**
   * Queues one batch: each recipient's row (`pending`, or `control` for the held-out, as the care
   * planner records them) at `notBefore`, skipping dedupe keys already queued, and adds the new ones
   * to the campaign's counts, all in one transaction.
   */
  async writeBatch(campaignId: string, rows: readonly CampaignRecipientRow[], notBefore: Date): Promise<BatchOutcome> {
    return this.prisma.$transaction(async (tx) => {
      const [campaign] = await tx.$queryRaw<{ status: string }[]>`SELECT status::text FROM "Campaign" WHERE id = ${campaignId}::uuid FOR UPDATE`;
      if (!campaign || campaign.status === "cancelled") return { status: "cancelled" as const };
      if (!rows.length) return { status: "written" as const, queued: 0, control: 0 };
      {
        // Platforms as text with "" for none: an array parameter without nulls travels the same on every driver.
        const [counts] = await tx.$queryRaw<{ queued: number; control: number }[]>`
          WITH inserted AS (
            INSERT INTO "OutboxMessage" (id, "customerId", platform, kind, topic, payload, "dedupeKey", status, "notBefore")
            SELECT gen_random_uuid(), r."customerId"::uuid, NULLIF(r.platform, '')::"Platform", ${CAMPAIGN_KIND}, 'marketing',
                   jsonb_build_object('text', r.text), r."dedupeKey", r.status::"OutboxStatus", ${notBefore.toISOString()}::timestamp(3)
              FROM unnest(${rows.map((r) => r.customerId)}::text[], ${rows.map((r) => r.platform ?? "")}::text[], ${rows.map((r) => r.text)}::text[],
                          ${rows.map((r) => campaignDedupeKey(campaignId, r.customerId))}::text[], ${rows.map((r) => (r.control ? "control" : "pending"))}::text[])
                AS r("customerId", platform, text, "dedupeKey", status)
            ON CONFLICT ("dedupeKey") DO NOTHING
            RETURNING status
          )
          SELECT (count(*) FILTER (WHERE status = 'pending'))::int AS queued, (count(*) FILTER (WHERE status = 'control'))::int AS control FROM inserted`;
        const queued = Number(counts?.queued ?? 0);
        const control = Number(counts?.control ?? 0);
        if (queued || control) {
          await tx.$executeRaw`
            UPDATE "Campaign" SET "queuedCount" = "queuedCount" + ${queued}::int, "controlCount" = "controlCount" + ${control}::int, "updatedAt" = now()
             WHERE id = ${campaignId}::uuid`;
        }
        return { status: "written" as const, queued, control };
      }
    }, transactionOptions);
  }

  /**
   * Marks a draft sent once every batch is written; false when it was not a draft any more (sent by
   * a concurrent send, or cancelled). `unreachable`: segment members no channel reached, as this pass counted them.
   */
  async markSent(campaignId: string, by: string, at: Date, unreachable: number, within?: WithinChange): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const changed = await tx.campaign.updateMany({
        where: { id: campaignId, status: "draft" },
        data: { status: "sent", sentBy: by, sentAt: at, unreachableCount: unreachable },
      });
      if (changed.count !== 1) return false;
      await within?.(tx, await tx.campaign.findUniqueOrThrow({ where: { id: campaignId } }));
      return true;
    }, transactionOptions);
  }

  /**
   * Cancels a draft or a sent campaign: its rows still queued are cancelled (the dispatcher never
   * claims them); a row already being sent goes, and sent rows stay sent. Null when there is no
   * such campaign; `already` when it was cancelled before.
   */
  async cancel(campaignId: string, by: string, at: Date, within?: WithinChange): Promise<{ campaign: Campaign; stopped: number; already: boolean } | null> {
    if (!uuidPattern.test(campaignId)) return null;
    return this.prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<{ status: string }[]>`SELECT status::text FROM "Campaign" WHERE id = ${campaignId}::uuid FOR UPDATE`;
      if (!row) return null;
      if (row.status === "cancelled") return { campaign: await tx.campaign.findUniqueOrThrow({ where: { id: campaignId } }), stopped: 0, already: true };
      const stopped = await tx.$executeRaw`
        UPDATE "OutboxMessage" SET status = 'cancelled', "lastError" = 'the campaign was cancelled'
         WHERE status = 'pending' AND kind = ${CAMPAIGN_KIND} AND "dedupeKey" LIKE ${`campaign:${campaignId.toLowerCase()}:%`}`;
      const campaign = await tx.campaign.update({
        where: { id: campaignId },
        data: { status: "cancelled", cancelledBy: by, cancelledAt: at, cancelledCount: { increment: stopped } },
      });
      await within?.(tx, campaign);
      return { campaign, stopped, already: false };
    }, transactionOptions);
  }

  /**
   * What became of the campaign's outbox rows so far, by status ("sent", "pending", "control", …) and,
   * for rows the policy skipped or deferred, by its reason ("skipped:no_consent:marketing", "deferred:quiet_hours").
   */
  async delivery(campaignId: string): Promise<Record<string, number>> {
    if (!uuidPattern.test(campaignId)) return {};
    const rows = await this.prisma.$queryRaw<{ key: string; n: number }[]>`
      SELECT CASE WHEN status = 'skipped' AND "lastError" IS NOT NULL THEN status::text || ':' || "lastError"
                  WHEN status = 'pending' AND "deferReason" IS NOT NULL THEN 'deferred:' || "deferReason"
                  ELSE status::text END AS key, count(*)::int AS n
        FROM "OutboxMessage"
       WHERE kind = ${CAMPAIGN_KIND} AND "dedupeKey" LIKE ${`campaign:${campaignId.toLowerCase()}:%`}
       GROUP BY 1 ORDER BY 1`;
    return Object.fromEntries(rows.map((row) => [row.key, Number(row.n)]));
  }
}
