import type { Clock } from "../core/clock.ts";
import { withTryAdvisoryLock } from "../db/advisory-lock.ts";
import type { Database } from "../db/database.ts";
import type { Prisma } from "../db/generated/client.ts";
import { type Campaign, CampaignRepository, type CampaignRecipientRow, type WithinChange } from "../db/repositories/campaign-repository.ts";
import { ContactFactsRepository } from "../db/repositories/contact-facts-repository.ts";
import { type FieldError, fieldErrors } from "../ingest/schemas.ts";
import type { CarePlans } from "./care-plans-file.ts";
import { type CampaignContent, campaignAudience } from "./campaign-audience.ts";
import { type CampaignDraftInput, campaignDraftSchema, describeSegment } from "./campaign-input.ts";
import { type CampaignPreview, previewCampaign } from "./campaign-preview.ts";
import type { CampaignSegment, TierRules } from "./campaign-segment.ts";
import type { Actor } from "../staff/actor.ts";
import type { StaffService } from "../staff/staff-service.ts";
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
  /** The staff audit log: create, send and cancel are recorded with their actor, in the transaction of the change. */
  staff?: Pick<StaffService, "auditIn"> | undefined;
}

/** The staff member acting, and the name a request gave in `by` when it differs (kept in the audit as requestedBy). */
export interface CampaignActor {
  actor: Actor;
  requestedBy?: string | undefined;
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

  async create(draft: CampaignDraftInput, by: CampaignActor): Promise<CampaignView> {
    const created = await this.campaigns.create(
      { ...draft, createdBy: by.actor.name },
      this.audited(by, "campaign.create", (campaign) => ({ after: { name: campaign.name, audience: describeSegment(segmentOf(campaign)), controlShare: campaign.controlShare, scheduledAt: campaign.scheduledAt.toISOString() } })),
    );
    return viewOf(created);
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
      // Texts as a send now would render them (tiers as of now), verdicts as of when they would go.
      { at: this.sendTime(campaign), now: this.options.clock.now(), limit, pageSize: this.batchSize },
    );
  }

  /**
   * Queues the campaign: one outbox row per reachable member of the segment (topic marketing, so the
   * contact policy asks for marketing consent when each is about to go), the held-out ones as control
   * rows, a batch per transaction. Sending again queues nothing new (one dedupe key per customer and
   * campaign); a send cut off half-way is completed by sending again. The rows are due at the
   * scheduled time; the dispatcher delivers them.
   */
  async send(id: string, by: CampaignActor): Promise<SendOutcome> {
    const found = await this.campaigns.find(id);
    if (!found) return { status: "not_found" };
    if (found.status === "sent") return { status: "already_sent", campaign: viewOf(found), queued: 0, control: 0 };
    const refused = found.status === "cancelled" ? "cancelled" : !this.options.plan.enabled ? "campaigns are off (plans.campaigns.enabled)" : null;
    if (refused) {
      await this.options.staff?.auditIn(undefined, by.actor, "campaign.send", { target: found.id, outcome: "refused", detail: { reason: refused, ...requested(by) } });
      return found.status === "cancelled" ? { status: "cancelled", campaign: viewOf(found) } : { status: "disabled" };
    }
    const outcome = await withTryAdvisoryLock(this.options.db, `tend:campaign:${found.id}`, () => this.queueAll(found, by));
    return outcome ?? { status: "busy" };
  }

  /** Stops a campaign: a draft is never sent, a sent one's rows still queued are cancelled (rows already sent stay sent). */
  async cancel(id: string, by: CampaignActor): Promise<{ status: "cancelled" | "already_cancelled"; campaign: CampaignView; stopped: number } | null> {
    // A campaign is cancelled once, so its cancelled count is what this cancel stopped.
    const result = await this.campaigns.cancel(id, by.actor.name, this.options.clock.now(), this.audited(by, "campaign.cancel", (campaign) => ({ detail: { stopped: campaign.cancelledCount } })));
    if (!result) return null;
    return { status: result.already ? "already_cancelled" : "cancelled", campaign: viewOf(result.campaign), stopped: result.stopped };
  }

  private async queueAll(campaign: Campaign, by: CampaignActor): Promise<SendOutcome> {
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
    const marked = await this.campaigns.markSent(
      campaign.id,
      by.actor.name,
      this.options.clock.now(),
      unreachable,
      this.audited(by, "campaign.send", () => ({ detail: { queued, control, unreachable } })),
    );
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

  /** The audit entry for an action, written in the transaction of its change (nothing without a staff service). */
  private audited(by: CampaignActor, action: string, details: (campaign: Campaign) => { after?: Prisma.InputJsonValue; detail?: Record<string, Prisma.InputJsonValue> }): WithinChange | undefined {
    const staff = this.options.staff;
    if (!staff) return undefined;
    return async (tx, campaign) => {
      const { after, detail } = details(campaign);
      await staff.auditIn(tx, by.actor, action, { target: campaign.id, ...(after !== undefined ? { after } : {}), detail: { ...detail, ...requested(by) } });
    };
  }

  /** The scheduled time, or now once it has passed. */
  private sendTime(campaign: Campaign): Date {
    const now = this.options.clock.now();
    return campaign.scheduledAt > now ? campaign.scheduledAt : now;
  }
}

/** The name a request gave, when it is not the actor's own. */
function requested(by: CampaignActor): { requestedBy?: string } {
  return by.requestedBy && by.requestedBy !== by.actor.name ? { requestedBy: by.requestedBy } : {};
}

function segmentOf(campaign: Campaign): CampaignSegment {
  return (campaign.segment ?? {}) as CampaignSegment;
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
