import type { PrismaClient } from "../db/generated/client.ts";
import type { ContactFactsRepository } from "../db/repositories/contact-facts-repository.ts";
import { type CampaignContent, campaignAudience } from "./campaign-audience.ts";
import type { TierRules } from "./campaign-segment.ts";
import { type ContactPolicySettings, type PolicyVerdict, decide } from "./contact-policy.ts";
import { describePolicyReason } from "./contact-policy-reasons.ts";

/** One recipient as the preview shows them. */
export interface PreviewRecipient {
  customerId: string;
  name: string | null;
  locale: string;
  /** The channel the message would go on; null when none reaches the customer. */
  channel: string | null;
  tier: string | null;
  text: string;
  /** "control": held out; "no_channel": nothing reaches them; else the contact policy's verdict at the send time. */
  verdict: { action: "send" } | { action: "defer"; until: string; reason: string } | { action: "skip"; reason: string } | { action: "control" } | { action: "no_channel" };
}

export interface CampaignPreview {
  campaignId: string;
  /** The moment the verdicts are for: the scheduled time, or now when that has passed. */
  at: string;
  /** Customers in the segment. */
  total: number;
  counts: {
    /** The contact policy would let these go at `at`. */
    send: number;
    /** It would hold these back until later (quiet hours, a pause, the weekly cap…). */
    defer: number;
    /** It would never send these (no marketing consent, an open complaint…). */
    skip: number;
    /** Held out for the control group: recorded, never sent. */
    control: number;
    /** No channel reaches them: nothing is queued for them. */
    noChannel: number;
  };
  /** Counts by verdict and reason: "send", "defer:quiet_hours", "skip:no_consent:marketing", "control", "no_channel". */
  byReason: Record<string, number>;
  /** What each reason means, in English, for the reasons present. */
  reasons: Record<string, string>;
  /** The first `limit` recipients, by customer id. */
  recipients: PreviewRecipient[];
  truncated: boolean;
}

export interface CampaignPreviewDependencies {
  prisma: PrismaClient;
  facts: Pick<ContactFactsRepository, "factsForMany">;
  settings: ContactPolicySettings;
  tierRules: TierRules;
}

/**
 * Who would get what: every member of the segment is walked a page at a time (never the whole
 * audience in memory) and judged by the contact policy (`decide`, over ContactFactsRepository's facts,
 * as the dispatcher judges at send time) as of `at`, for the topic "marketing", so marketing consent
 * is required. Counts cover everyone; the first `limit` are listed with their text and channel.
 * What it cannot foresee: what changes before the send (consent, complaints, other messages sent).
 */
export async function previewCampaign(
  deps: CampaignPreviewDependencies,
  campaign: CampaignContent,
  /** `at`: the moment the policy judges; `now` (default `at`): the moment tiers are read at, as a send now would render them. */
  options: { at: Date; now?: Date; limit: number; pageSize?: number },
): Promise<CampaignPreview> {
  const counts = { send: 0, defer: 0, skip: 0, control: 0, noChannel: 0 };
  const byReason: Record<string, number> = {};
  const recipients: PreviewRecipient[] = [];
  let total = 0;
  const audience = campaignAudience(deps.prisma, campaign, { tierRules: deps.tierRules, now: options.now ?? options.at, ...(options.pageSize ? { pageSize: options.pageSize } : {}) });
  for await (const page of audience) {
    total += page.length;
    const judged = page.filter((entry) => !entry.unreachable && !entry.control);
    const facts = await deps.facts.factsForMany(
      judged.map((entry) => entry.member.id),
      options.at,
    );
    for (const entry of page) {
      let verdict: PreviewRecipient["verdict"];
      if (entry.unreachable) verdict = { action: "no_channel" };
      else if (entry.control) verdict = { action: "control" };
      else {
        const customerFacts = facts.get(entry.member.id);
        // Deleted since the page was read: nothing would be sent.
        verdict = shown(customerFacts ? decide("marketing", customerFacts, deps.settings) : { action: "skip", reason: "no_customer" });
      }
      const key = verdict.action === "defer" || verdict.action === "skip" ? `${verdict.action}:${verdict.reason}` : verdict.action;
      byReason[key] = (byReason[key] ?? 0) + 1;
      if (verdict.action === "no_channel") counts.noChannel += 1;
      else counts[verdict.action] += 1;
      if (recipients.length < options.limit) {
        recipients.push({
          customerId: entry.member.id,
          name: entry.member.displayName,
          locale: entry.member.locale,
          channel: entry.member.channel,
          tier: entry.member.tier,
          text: entry.text,
          verdict,
        });
      }
    }
  }
  const sorted = Object.fromEntries(Object.entries(byReason).sort(([a], [b]) => a.localeCompare(b)));
  return {
    campaignId: campaign.id,
    at: options.at.toISOString(),
    total,
    counts,
    byReason: sorted,
    reasons: Object.fromEntries(Object.keys(sorted).map((key) => [key, describeKey(key)])),
    recipients,
    truncated: total > recipients.length,
  };
}

function shown(verdict: PolicyVerdict): PreviewRecipient["verdict"] {
  return verdict.action === "defer" ? { action: "defer", until: verdict.until.toISOString(), reason: verdict.reason } : verdict;
}

function describeKey(key: string): string {
  if (key === "send") return "The contact policy lets the message go at the scheduled time.";
  if (key === "control") return "Held out for the campaign's control group: recorded, never sent.";
  if (key === "no_channel") return "No channel reaches the customer (none linked, or every one found unreachable): nothing is queued.";
  const reason = key.slice(key.indexOf(":") + 1);
  const text = describePolicyReason(reason);
  return key.startsWith("defer:") ? `Deferred: ${text}` : `Skipped: ${text}`;
}

export function formatCampaignPreview(preview: CampaignPreview): string {
  const lines = [
    `Campaign ${preview.campaignId}, judged as of ${preview.at}: ${preview.total} customer${preview.total === 1 ? "" : "s"} in the segment`,
    `  would send ${preview.counts.send}, defer ${preview.counts.defer}, skip ${preview.counts.skip}, control ${preview.counts.control}, no channel ${preview.counts.noChannel}`,
    "By reason:",
  ];
  if (!preview.total) lines.push("  nobody is in the segment");
  for (const [key, n] of Object.entries(preview.byReason)) lines.push(`  ${key}: ${n}  (${preview.reasons[key]})`);
  lines.push(`Recipients${preview.truncated ? ` (first ${preview.recipients.length}; raise --limit for more)` : ""}:`);
  for (const r of preview.recipients) {
    const verdict =
      r.verdict.action === "defer" ? `defer until ${r.verdict.until} (${r.verdict.reason})` : r.verdict.action === "skip" ? `skip (${r.verdict.reason})` : r.verdict.action;
    lines.push(`  ${r.customerId}  ${r.channel ?? "no channel"}  ${r.locale}  -> ${verdict}`);
    lines.push(`    ${r.text.replace(/\n/g, "\n    ")}`);
  }
  return `${lines.join("\n")}\n`;
}
