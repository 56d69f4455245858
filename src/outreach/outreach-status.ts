import type { OutreachStatus } from "../db/repositories/outreach-overview-repository.ts";

export type { OutreachStatus } from "../db/repositories/outreach-overview-repository.ts";

/** `tend outreach status` as text; the JSON form (and the API's) is the OutreachStatus itself. */
export function formatOutreachStatus(status: OutreachStatus): string {
  const reasons = (byReason: Record<string, number>) => Object.entries(byReason).map(([reason, n]) => `    ${reason}: ${n}`);
  return `${[
    `Outbox as of ${status.at}`,
    `  queued: ${status.queued.total} (due now ${status.queued.dueNow}, later ${status.queued.later})`,
    `  deferred by the contact policy (among queued): ${status.deferred.total}`,
    ...reasons(status.deferred.byReason),
    `  sending: ${status.sending}`,
    `  sent: ${status.sent.total} (last 24 h ${status.sent.last24h})`,
    `  failed: ${status.failed}`,
    `  dead-lettered: ${status.dead}${status.dead ? " (tend outreach retry --dead requeues them)" : ""}`,
    `  skipped by the contact policy: ${status.skipped.total}`,
    ...reasons(status.skipped.byReason),
    `  control group (never sent): ${status.control}`,
    `  cancelled: ${status.cancelled}`,
  ].join("\n")}\n`;
}
