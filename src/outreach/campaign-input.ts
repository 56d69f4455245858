import { z } from "zod";
import { LIFECYCLE_STAGES } from "../analytics/lifecycle.ts";
import { RFM_SEGMENTS } from "../analytics/rfm.ts";
import { platforms } from "../core/channel.ts";
import { storableText } from "../ingest/storable-text.ts";
import type { Tier } from "../loyalty/tiers.ts";
import type { CampaignSegment } from "./campaign-segment.ts";
import { type LocalizedTemplate, type Placeholder, placeholdersIn, unknownPlaceholders } from "./templates.ts";

/** What a campaign message can fill in: the customer's name, their loyalty tier, and the campaign's offer. */
export const campaignPlaceholders = ["name", "tier", "reward"] as const satisfies readonly Placeholder[];

/** A staff member's name as given with an action (`by`), until staff identities carry it. */
export const staffName = storableText().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");

const text = (max: number) => storableText().trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);

/** One text per locale Tend writes in; "en" is what other locales fall back to. */
const localized = (max: number) =>
  z.strictObject(
    { en: text(max).describe("English, also what customers in other languages get"), "zh-CN": text(max).optional() },
    { error: (issue) => (issue.input === undefined ? "is required" : 'must be an object of texts by locale: {"en": "…", "zh-CN": "…"}') },
  );

const nameList = (max: number) => z.array(text(100)).max(max, `must list at most ${max}`);

const segmentSchema = z.strictObject(
  {
    tags: z.strictObject({ any: nameList(100).optional(), all: nameList(100).optional() }, { error: 'must be {"any": [...], "all": [...]}' }).optional(),
    tiers: nameList(50).optional(),
    lifecycleStages: z.array(z.enum(LIFECYCLE_STAGES, { error: `must be one of ${LIFECYCLE_STAGES.join(", ")}` })).optional(),
    rfmSegments: z.array(z.enum(RFM_SEGMENTS, { error: `must be one of ${RFM_SEGMENTS.join(", ")}` })).optional(),
    channels: z.array(z.enum(platforms, { error: `must be one of ${platforms.join(", ")}` })).optional(),
  },
  { error: "must be a JSON object" },
);

export interface CampaignDraftInput {
  name: string;
  message: LocalizedTemplate;
  offer: LocalizedTemplate | null;
  segment: CampaignSegment;
  controlShare: number;
  scheduledAt: Date;
  by: string | undefined;
}

/**
 * The body of POST /api/campaigns (and what `tend outreach campaign create` builds from its options).
 * Tier names must be configured tiers (spelt as LOYALTY_TIERS does, any case); a text's placeholders must
 * be {name}, {tier} or {reward}, and {reward} needs an offer; the time needs its zone and must not be past.
 */
export function campaignDraftSchema(options: { tiers: readonly Tier[]; defaultControlShare: number; now: Date }) {
  const tierNames = options.tiers.map((tier) => tier.name);
  return z
    .strictObject(
      {
        name: text(200),
        message: localized(4000),
        offer: localized(1000).nullable().optional(),
        segment: segmentSchema.optional(),
        controlShare: z.number({ error: "must be a number from 0 to 0.5" }).min(0, "must be from 0 to 0.5").max(0.5, "must be from 0 to 0.5").optional(),
        scheduledAt: z.iso.datetime({ offset: true, error: "must be an ISO time with its zone, e.g. 2027-01-20T10:00:00+08:00" }).optional(),
        by: staffName.optional(),
      },
      { error: "must be a JSON object" },
    )
    .superRefine((body, ctx) => {
      for (const [locale, template] of Object.entries(body.message)) {
        if (template === undefined) continue;
        for (const name of unknownPlaceholders(template, campaignPlaceholders)) {
          ctx.addIssue({ code: "custom", path: ["message", locale], message: `unknown placeholder {${name}} (a campaign text may use ${campaignPlaceholders.map((p) => `{${p}}`).join(", ")})` });
        }
        if (!body.offer && placeholdersIn(template).includes("reward")) {
          ctx.addIssue({ code: "custom", path: ["message", locale], message: "uses {reward} but the campaign has no offer" });
        }
      }
      for (const [locale, template] of Object.entries(body.offer ?? {})) {
        if (template === undefined) continue;
        for (const name of unknownPlaceholders(template, [])) {
          ctx.addIssue({ code: "custom", path: ["offer", locale], message: `unknown placeholder {${name}} (the offer is inserted as it is written)` });
        }
      }
      body.segment?.tiers?.forEach((tier, index) => {
        if (!tierNames.some((name) => name.toLowerCase() === tier.toLowerCase())) {
          ctx.addIssue({ code: "custom", path: ["segment", "tiers", index], message: `is not a loyalty tier (LOYALTY_TIERS has ${tierNames.join(", ")})` });
        }
      });
      // A minute's grace for the clocks of the caller and Tend.
      if (body.scheduledAt && new Date(body.scheduledAt).getTime() < options.now.getTime() - 60_000) {
        ctx.addIssue({ code: "custom", path: ["scheduledAt"], message: "must not be in the past (leave it out to send as soon as the campaign is sent)" });
      }
    })
    .transform(
      (body): CampaignDraftInput => ({
        name: body.name,
        message: dropUndefined(body.message) as LocalizedTemplate,
        offer: body.offer ? (dropUndefined(body.offer) as LocalizedTemplate) : null,
        segment: canonicalSegment(body.segment ?? {}, tierNames),
        controlShare: body.controlShare ?? options.defaultControlShare,
        scheduledAt: body.scheduledAt ? new Date(body.scheduledAt) : options.now,
        by: body.by,
      }),
    );
}

/** Drops empty lists and spells tiers as configured, so a stored segment reads back as what it selects. */
function canonicalSegment(segment: z.output<typeof segmentSchema>, tierNames: readonly string[]): CampaignSegment {
  const out: CampaignSegment = {};
  const unique = <T>(list: readonly T[] | undefined) => [...new Set(list ?? [])];
  const any = unique(segment.tags?.any);
  const all = unique(segment.tags?.all);
  if (any.length || all.length) out.tags = { ...(any.length ? { any } : {}), ...(all.length ? { all } : {}) };
  const tiers = unique(segment.tiers?.map((tier) => tierNames.find((name) => name.toLowerCase() === tier.toLowerCase()) ?? tier));
  if (tiers.length) out.tiers = tiers;
  if (segment.lifecycleStages?.length) out.lifecycleStages = unique(segment.lifecycleStages);
  if (segment.rfmSegments?.length) out.rfmSegments = unique(segment.rfmSegments);
  if (segment.channels?.length) out.channels = unique(segment.channels);
  return out;
}

function dropUndefined(texts: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(texts).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** The segment in words, for lists and previews: "tags any vip; tiers Gold; channels telegram", or "everyone". */
export function describeSegment(segment: CampaignSegment): string {
  const parts: string[] = [];
  if (segment.tags?.any?.length) parts.push(`tags any of ${segment.tags.any.join(", ")}`);
  if (segment.tags?.all?.length) parts.push(`tags all of ${segment.tags.all.join(", ")}`);
  if (segment.tiers?.length) parts.push(`tier ${segment.tiers.join(" or ")}`);
  if (segment.lifecycleStages?.length) parts.push(`lifecycle ${segment.lifecycleStages.join(" or ")}`);
  if (segment.rfmSegments?.length) parts.push(`RFM ${segment.rfmSegments.join(" or ")}`);
  if (segment.channels?.length) parts.push(`on ${segment.channels.join(" or ")}`);
  return parts.length ? parts.join("; ") : "every customer";
}
