import { LIFECYCLE_STAGES } from "../analytics/lifecycle.ts";
import { RFM_SEGMENTS } from "../analytics/rfm.ts";
import { platforms } from "../core/channel.ts";

/**
 * The campaign builder's fields as posted. Checkboxes are named one per value ("tier.Gold",
 * "stage.new", "rfm.at_risk", "channel.web") because the dashboard's form parser keeps one value per name.
 */
export type CampaignForm = Record<string, string>;

const list = (text: string | undefined) =>
  (text ?? "")
    .split(/[,，]/)
    .map((part) => part.trim())
    .filter(Boolean);

const checked = (form: CampaignForm, prefix: string, values: readonly string[]) => values.filter((value) => form[`${prefix}.${value}`] !== undefined);

/**
 * The POST /api/campaigns body the form describes, for CampaignService.parseDraft to check: the same
 * rules (and the same error messages) as the API and `tend outreach campaign create`. Empty fields are
 * left out rather than sent empty, so "leave it blank" means "any".
 */
export function draftBodyOf(form: CampaignForm, tierNames: readonly string[]): Record<string, unknown> {
  const any = list(form.tagsAny);
  const all = list(form.tagsAll);
  const tiers = checked(form, "tier", tierNames);
  const lifecycleStages = checked(form, "stage", LIFECYCLE_STAGES);
  const rfmSegments = checked(form, "rfm", RFM_SEGMENTS);
  const channels = checked(form, "channel", platforms);
  const zh = (form.messageZh ?? "").trim();
  return {
    name: form.name ?? "",
    message: { en: form.messageEn ?? "", ...(zh ? { "zh-CN": zh } : {}) },
    segment: {
      ...(any.length || all.length ? { tags: { ...(any.length ? { any } : {}), ...(all.length ? { all } : {}) } } : {}),
      ...(tiers.length ? { tiers } : {}),
      ...(lifecycleStages.length ? { lifecycleStages } : {}),
      ...(rfmSegments.length ? { rfmSegments } : {}),
      ...(channels.length ? { channels } : {}),
    },
  };
}

/** Which form field an error path of the draft schema belongs to (for the error list's links). */
export function fieldOfPath(path: string): string {
  if (path.startsWith("message.zh")) return "messageZh";
  if (path.startsWith("message")) return "messageEn";
  if (path.startsWith("segment.tags.any")) return "tagsAny";
  if (path.startsWith("segment.tags.all")) return "tagsAll";
  if (path.startsWith("name")) return "name";
  return "segment";
}
