import type { Clock } from "../core/clock.ts";
import { withTryAdvisoryLock } from "../db/advisory-lock.ts";
import type { Database } from "../db/database.ts";
import { type Campaign, CampaignRepository, type CampaignRecipientRow } from "../db/repositories/campaign-repository.ts";
import { ContactFactsRepository } from "../db/repositories/contact-facts-repository.ts";
import { type FieldError, fieldErrors } from "../ingest/schemas.ts";
import type { CarePlans } from "./care-plans-file.ts";
import { type CampaignContent, campaignAudience } from "./campaign-audience.ts";
import { type CampaignDraftInput, campaignDraftSchema, describeSegment } from "./campaign-input.ts";
import { type CampaignPreview, previewCampaign } from "./campaign-preview.ts";
import type { CampaignSegment, TierRules } from "./campaign-segment.ts";
import type { ContactPolicySettings } from "./contact-policy.ts";
import type { LocalizedTemplate } from "./templates.ts";

/** A campaign as the API and `--json` show it. */
export interface CampaignView {
  id: string;
  name: string;
  status: "draft" | "sent" | "cancelled";
  message: LocalizedTemplate;
  offer: LocalizedTemplate | null;
  segment: CampaignSegment;
  /** The segment in words. */
  audience: string;
  controlShare: number;
  scheduledAt: string;
  createdBy: string;
  createdAt: string;
  sentBy: string | null;
  sentAt: string | null;
  cancelledBy: string | null;
  cancelledAt: string | null;
  counts: { queued: number; control: number; unreachable: number; cancelled: number };
}

export type SendOutcome =
  | { status: "sent"; campaign: CampaignView; queued: number; control: number; unreachable: number }
  /** Sent before: nothing new was queued. */
  | { status: "already_sent"; campaign: CampaignView; queued: 0; control: 0 }
  | { status: "cancelled"; campaign: CampaignView }
  /** Another instance is sending it right now. */
  | { status: "busy" }
  /** `plans.campaigns.enabled` is false in the care plans file. */
  | { status: "disabled" }
  | { status: "not_found" };

/** Audits one staff action on a campaign (the staff audit log, once it is there). */
export type CampaignAudit = (action: "campaign.create" | "campaign.send" | "campaign.cancel", campaign: CampaignView, detail: Record<string, unknown>) => Promise<void>;

export interface CampaignServiceOptions {
  db: Database;
  clock: Clock;
  /** The loyalty settings' tiers, basis and window: a segment's tier is the one the loyalty service reports. */
  tierRules: TierRules;
  policy: ContactPolicySettings;
  /** The care plans file's `campaigns`: whether campaigns may be sent, and the control share a campaign gets unless it says. */
  plan: CarePlans["campaigns"];
  /** Told after rows were queued, so the dispatcher here looks at once. */
  onQueued?: () => void;
  /** Recipients read and rows written per transaction. */
  batchSize?: number;
}

/** Staff campaigns (issue 9 §3): create a draft, preview it, send it through the outbox, cancel it. One service for the API and the CLI. */
export class CampaignService {
  private readonly campaigns: CampaignRepository;
  private readonly facts: ContactFactsRepository;
  private readonly batchSize: number;

  constructor(private readonly options: CampaignServiceOptions) {
    this.campaigns = new CampaignRepository(options.db.prisma);
    this.facts = new ContactFactsRepository(options.db.prisma);
    this.batchSize = options.batchSize ?? 500;
  }

  /** Checks a create request: the draft, or the field errors (422). */
  parseDraft(body: unknown): { ok: true; value: CampaignDraftInput } | { ok: false; errors: FieldError[] } {
    const schema = campaignDraftSchema({ tiers: this.options.tierRules.tiers, defaultControlShare: this.options.plan.control, now: this.options.clock.now() });
    const parsed = schema.safeParse(body ?? {});
    return parsed.success ? { ok: true, value: parsed.data } : { ok: false, errors: fieldErrors(parsed.error) };
  }

  async create(draft: CampaignDraftInput, by: string, audit?: CampaignAudit): Promise<CampaignView> {
    const created = viewOf(await this.campaigns.create({ ...draft, createdBy: by }));
    await audit?.("campaign.create", created, { audience: created.audience, controlShare: created.controlShare });
    return created;
  }

  async list(limit = 100): Promise<CampaignView[]> {
    return (await this.campaigns.list(limit)).map(viewOf);
  }

  async get(id: string): Promise<(CampaignView & { delivery: Record<string, number> }) | null> {
    const campaign = await this.campaigns.find(id);
    return campaign ? { ...viewOf(campaign), delivery: await this.campaigns.delivery(campaign.id) } : null;
  }

  /** Null when there is no such campaign. */
  async preview(id: string, limit: number): Promise<CampaignPreview | null> {
    const campaign = await this.campaigns.find(id);
    if (!campaign) return null;
    return previewCampaign(
      { prisma: this.options.db.prisma, facts: this.facts, settings: this.options.policy, tierRules: this.options.tierRules },
      contentOf(campaign),
      { at: this.sendTime(campaign), limit, pageSize: this.batchSize },
    );
  }

  /**
   * Queues the campaign: one outbox row per reachable member of the segment (topic marketing, so the
   * contact policy asks for marketing consent when each is about to go), the held-out ones as control
   * rows, a batch per transaction. Sending again queues nothing new (one dedupe key per customer and
   * campaign); a send cut off half-way is completed by sending again. The rows are due at the
   * scheduled time; the dispatcher delivers them.
   */
  async send(id: string, by: string, audit?: CampaignAudit): Promise<SendOutcome> {
    const found = await this.campaigns.find(id);
    if (!found) return { status: "not_found" };
    if (found.status === "sent") return { status: "already_sent", campaign: viewOf(found), queued: 0, control: 0 };
    if (found.status === "cancelled") return { status: "cancelled", campaign: viewOf(found) };
    if (!this.options.plan.enabled) return { status: "disabled" };
    const outcome = await withTryAdvisoryLock(this.options.db, `tend:campaign:${found.id}`, () => this.queueAll(found, by));
    if (!outcome) return { status: "busy" };
    if (outcome.status === "sent") await audit?.("campaign.send", outcome.campaign, { queued: outcome.queued, control: outcome.control, unreachable: outcome.unreachable });
    return outcome;
  }

  /** Stops a campaign: a draft is never sent, a sent one's rows still queued are cancelled (rows already sent stay sent). */
  async cancel(id: string, by: string, audit?: CampaignAudit): Promise<{ status: "cancelled" | "already_cancelled"; campaign: CampaignView; stopped: number } | null> {
    const result = await this.campaigns.cancel(id, by, this.options.clock.now());
    if (!result) return null;
    const campaign = viewOf(result.campaign);
    if (!result.already) await audit?.("campaign.cancel", campaign, { stopped: result.stopped });
    return { status: result.already ? "already_cancelled" : "cancelled", campaign, stopped: result.stopped };
  }

  private async queueAll(campaign: Campaign, by: string): Promise<SendOutcome> {
    const notBefore = this.sendTime(campaign);
    let queued = 0;
    let control = 0;
    let unreachable = 0;
    const content = contentOf(campaign);
    // A segment that names channels is sent on them; otherwise the dispatcher picks the customer's latest reachable channel.
    const pinned = (content.segment.channels?.length ?? 0) > 0;
    const audience = campaignAudience(this.options.db.prisma, content, { tierRules: this.options.tierRules, now: this.options.clock.now(), pageSize: this.batchSize });
    for await (const page of audience) {
      const rows: CampaignRecipientRow[] = [];
      for (const entry of page) {
        if (entry.unreachable) unreachable += 1;
        else rows.push({ customerId: entry.member.id, platform: pinned ? entry.member.channel : null, text: entry.text, control: entry.control });
      }
      const written = await this.campaigns.writeBatch(campaign.id, rows, notBefore);
      if (written.status === "cancelled") return this.cancelledOutcome(campaign.id);
      queued += written.queued;
      control += written.control;
      if (written.queued) this.options.onQueued?.();
    }
    const marked = await this.campaigns.markSent(campaign.id, by, this.options.clock.now(), unreachable);
    const after = await this.campaigns.find(campaign.id);
    if (!after) return { status: "not_found" };
    // Cancelled after the last batch, or sent by a send racing this one (PGlite has no advisory lock).
    if (!marked && after.status === "cancelled") return { status: "cancelled", campaign: viewOf(after) };
    return { status: "sent", campaign: viewOf(after), queued, control, unreachable };
  }

  private async cancelledOutcome(id: string): Promise<SendOutcome> {
    const campaign = await this.campaigns.find(id);
    return campaign ? { status: "cancelled", campaign: viewOf(campaign) } : { status: "not_found" };
  }

  /** The scheduled time, or now once it has passed. */
  private sendTime(campaign: Campaign): Date {
    const now = this.options.clock.now();
    return campaign.scheduledAt > now ? campaign.scheduledAt : now;
  }
}

function contentOf(campaign: Campaign): CampaignContent {
  return {
    id: campaign.id,
    message: campaign.message as LocalizedTemplate,
    offer: (campaign.offer as LocalizedTemplate | null) ?? null,
    segment: (campaign.segment ?? {}) as CampaignSegment,
    controlShare: campaign.controlShare,
  };
}

export function viewOf(campaign: Campaign): CampaignView {
  const segment = (campaign.segment ?? {}) as CampaignSegment;
  const iso = (date: Date | null) => (date ? date.toISOString() : null);
  return {
    id: campaign.id,
    name: campaign.name,
    status: campaign.status,
    message: campaign.message as LocalizedTemplate,
    offer: (campaign.offer as LocalizedTemplate | null) ?? null,
    segment,
    audience: describeSegment(segment),
    controlShare: campaign.controlShare,
    scheduledAt: campaign.scheduledAt.toISOString(),
    createdBy: campaign.createdBy,
    createdAt: campaign.createdAt.toISOString(),
    sentBy: campaign.sentBy,
    sentAt: iso(campaign.sentAt),
    cancelledBy: campaign.cancelledBy,
    cancelledAt: iso(campaign.cancelledAt),
    counts: { queued: campaign.queuedCount, control: campaign.controlCount, unreachable: campaign.unreachableCount, cancelled: campaign.cancelledCount },
  };
}
