import type { ContactFactsRepository } from "../db/repositories/contact-facts-repository.ts";
import type { DueOutboxRow, OutreachOverviewRepository } from "../db/repositories/outreach-overview-repository.ts";
import { type ContactPolicySettings, type PolicyVerdict, decide } from "./contact-policy.ts";
import type { OutreachTopic } from "./topics.ts";

export interface PreviewRow {
  id: string;
  customerId: string;
  channel: string | null;
  topic: string;
  kind: string;
  dueAt: string;
  verdict: { action: "send" } | { action: "defer"; until: string; reason: string } | { action: "skip"; reason: string };
}

export interface OutreachPreview {
  from: string;
  to: string;
  rows: PreviewRow[];
  /** More rows were due in the window than the limit let through. */
  truncated: boolean;
  /** How many rows get each verdict: "send", "defer:quiet_hours", "skip:no_consent:care"... */
  summary: Record<string, number>;
}

/**
 * What the dispatcher would do with the queued rows due in [from, to): each row is judged by the
 * contact policy as of its own due time, from what the database holds now (messages earlier in
 * the window are not counted against the weekly cap, since they have not been sent yet).
 */
export async function previewOutreach(
  deps: { overview: Pick<OutreachOverviewRepository, "dueBetween">; facts: Pick<ContactFactsRepository, "factsForMany">; settings: ContactPolicySettings },
  window: { from: Date; to: Date; limit: number },
): Promise<OutreachPreview> {
  const due = await deps.overview.dueBetween(window.from, window.to, window.limit + 1);
  const truncated = due.length > window.limit;
  const shown = due.slice(0, window.limit);
  // Facts depend on the moment (the cap's window, ratings before it): read once per distinct due time.
  const byDueTime = new Map<number, DueOutboxRow[]>();
  for (const row of shown) {
    const group = byDueTime.get(row.dueAt.getTime()) ?? [];
    group.push(row);
    byDueTime.set(row.dueAt.getTime(), group);
  }
  const verdicts = new Map<string, PolicyVerdict>();
  for (const [time, group] of byDueTime) {
    const facts = await deps.facts.factsForMany(group.map((row) => row.customerId), new Date(time));
    for (const row of group) {
      const customerFacts = facts.get(row.customerId.toLowerCase());
      // A row outlives its customer only by a race with deletion; nothing would be sent.
      verdicts.set(row.id, customerFacts ? decide(row.topic as OutreachTopic, customerFacts, deps.settings) : { action: "skip", reason: "no_customer" });
    }
  }
  const summary: Record<string, number> = {};
  const rows = shown.map((row): PreviewRow => {
    const verdict = verdicts.get(row.id)!;
    const key = verdict.action === "send" ? "send" : `${verdict.action}:${verdict.reason}`;
    summary[key] = (summary[key] ?? 0) + 1;
    return {
      id: row.id,
      customerId: row.customerId,
      channel: row.channel,
      topic: row.topic,
      kind: row.kind,
      dueAt: row.dueAt.toISOString(),
      verdict: verdict.action === "defer" ? { action: "defer", until: verdict.until.toISOString(), reason: verdict.reason } : verdict,
    };
  });
  return { from: window.from.toISOString(), to: window.to.toISOString(), rows, truncated, summary: sortedKeys(summary) };
}

function sortedKeys(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

export function formatOutreachPreview(preview: OutreachPreview): string {
  const lines = [`Outbox messages due from ${preview.from} to ${preview.to}: ${preview.rows.length}${preview.truncated ? " (more not shown: raise --limit)" : ""}`];
  for (const row of preview.rows) {
    const verdict =
      row.verdict.action === "send" ? "send" : row.verdict.action === "defer" ? `defer until ${row.verdict.until} (${row.verdict.reason})` : `skip (${row.verdict.reason})`;
    lines.push(`  ${row.dueAt}  ${row.id}  customer ${row.customerId}  ${row.channel ?? "no channel"}  ${row.kind}/${row.topic}  -> ${verdict}`);
  }
  lines.push("Summary:");
  if (!preview.rows.length) lines.push("  nothing due");
  for (const [key, n] of Object.entries(preview.summary)) lines.push(`  ${key}: ${n}`);
  return `${lines.join("\n")}\n`;
}
