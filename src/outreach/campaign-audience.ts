import type { PrismaClient } from "../db/generated/client.ts";
import { campaignDedupeKey } from "../db/repositories/campaign-repository.ts";
import { customerLanguage } from "../feedback/locale.ts";
import { tierNameIn } from "../loyalty/tiers.ts";
import { type CampaignSegment, type SegmentMember, type TierRules, segmentPages } from "./campaign-segment.ts";
import { isControl } from "./planner-control.ts";
import { type LocalizedTemplate, placeholdersIn, renderTemplate } from "./templates.ts";

/** What the preview and the send both need of a campaign. */
export interface CampaignContent {
  id: string;
  message: LocalizedTemplate;
  offer: LocalizedTemplate | null;
  segment: CampaignSegment;
  controlShare: number;
}

/** One member of the audience as the campaign treats them. */
export interface AudienceMember {
  member: SegmentMember;
  /** No channel reaches them: neither sent to nor held out. */
  unreachable: boolean;
  /** Held out for the control group: recorded, never sent. */
  control: boolean;
  /** The message in the customer's language. */
  text: string;
}

/**
 * The campaign's audience a page at a time, each member with their text and group. Preview and send
 * walk the same pages with the same rules, so the preview's counts are what a send would queue.
 * Members no channel reaches are set apart first: holding them out would put people who could never
 * have been sent to in the control group only, and bias the comparison. The control draw is the care
 * plans' (a hash of the customer and the dedupe key), so it is stable across previews, sends and re-sends.
 */
export async function* campaignAudience(
  prisma: PrismaClient,
  campaign: CampaignContent,
  options: { tierRules: TierRules; now: Date; pageSize?: number },
): AsyncGenerator<AudienceMember[]> {
  const usesTier = Object.values(campaign.message).some((text) => placeholdersIn(text).includes("tier"));
  const pages = segmentPages(prisma, { segment: campaign.segment, tierRules: options.tierRules, now: options.now, withTier: usesTier }, options.pageSize);
  for await (const page of pages) {
    yield page.map((member) => {
      const unreachable = member.channel === null;
      return {
        member,
        unreachable,
        control: !unreachable && isControl(member.id, campaignDedupeKey(campaign.id, member.id), campaign.controlShare),
        text: campaignText(campaign, member, options.tierRules),
      };
    });
  }
}

/** The campaign's message for one customer: their name ("friend" / "朋友" without one), tier and the offer, in their language. */
export function campaignText(campaign: Pick<CampaignContent, "message" | "offer">, member: Pick<SegmentMember, "displayName" | "locale" | "tier">, tierRules: Pick<TierRules, "tiers">): string {
  const language = customerLanguage(member.locale);
  const name = member.displayName?.trim() || (language === "zh-CN" ? "朋友" : "friend");
  return renderTemplate(campaign.message, member.locale, {
    name,
    ...(member.tier !== null ? { tier: tierNameIn(tierRules.tiers, member.tier, language) } : {}),
    ...(campaign.offer ? { reward: renderTemplate(campaign.offer, member.locale, {}) } : {}),
  });
}
