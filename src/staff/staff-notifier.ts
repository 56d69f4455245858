import { ChannelError } from "../core/channel.ts";
import type { AlertView, StaffMessageRef, StaffNotifier, StaffReaction } from "../core/staff-notifier.ts";
import type { ClaimedOutbox, OutboxDraft } from "../db/repositories/outbox-repository.ts";
import type { StaffAlert, StaffAlertRepository } from "../db/repositories/staff-alert-repository.ts";
import type { StaffDelivery } from "../outreach/dispatcher.ts";

export type { AlertView, StaffMessageRef, StaffNotifier, StaffReaction };

/**
 * What a staff outbox row asks the staff app to do (its `details`). Rows name the alert, not its
 * Slack message: the message exists only once the alert row was delivered, and is looked up then.
 */
export type StaffNotice =
  /** Post the alert; its Slack message is recorded on the alert. */
  | { notice: "alert"; alertId: string }
  /** Show the alert's new state (claimed, resolved, released). */
  | { notice: "alert_update"; alertId: string }
  /** The row's text as a reply in the alert's thread (the customer's words in a takeover). */
  | { notice: "thread"; alertId: string }
  /** Mark a staff member's relayed message ✅ / ⚠️; `reply` (the reason) goes in the thread. */
  | { notice: "reaction"; message: StaffMessageRef; thread: StaffMessageRef; reaction: StaffReaction; reply?: string };

/** An outbox draft addressed to staff about `customerId` (skips the contact policy; see the dispatcher). */
export function staffDraft(customerId: string, notice: StaffNotice, text: string, dedupeKey: string, at: Date): OutboxDraft {
  return {
    customerId,
    topic: "staff",
    kind: `staff_${notice.notice}`,
    audience: "staff",
    message: { text },
    details: notice as unknown as OutboxDraft["details"],
    dedupeKey,
    notBefore: at,
  };
}

export interface StaffDeliveryDeps {
  notifier: StaffNotifier;
  alerts: StaffAlertRepository;
  /** The alert as staff see it now (src/staff/alerts.ts). */
  view(alert: StaffAlert): Promise<AlertView>;
}

/** The dispatcher's `staff` option: turns a staff row into a call on the staff app. */
export function staffDelivery(deps: StaffDeliveryDeps): StaffDelivery {
  return async (row: ClaimedOutbox) => {
    const notice = row.details as StaffNotice | undefined;
    if (!notice?.notice) throw new ChannelError("slack", "rejected", `staff row ${row.id} says nothing to do`);
    if (notice.notice === "reaction") {
      await deps.notifier.addReaction(notice.message, notice.reaction);
      if (notice.reply) await deps.notifier.postInThread(notice.thread, notice.reply);
      return;
    }
    const alert = await deps.alerts.findById(notice.alertId);
    if (!alert) throw new ChannelError("slack", "rejected", `staff alert ${notice.alertId} no longer exists`);
    const posted = postedAt(alert);
    if (notice.notice === "alert") {
      // Posted already (a retry after recording failed): showing its state again is enough.
      if (posted) return deps.notifier.updateAlert(posted, await deps.view(alert));
      const at = await deps.notifier.postAlert(await deps.view(alert));
      await deps.alerts.setPosted(alert.id, at.channel, at.ts);
      return;
    }
    // The alert's own row comes first (same customer, earlier); until it is posted, wait.
    if (!posted) throw new ChannelError("slack", "transient", `staff alert ${alert.id} is not posted yet`);
    if (notice.notice === "alert_update") return deps.notifier.updateAlert(posted, await deps.view(alert));
    await deps.notifier.postInThread(posted, row.message.text);
  };
}

export function postedAt(alert: StaffAlert): StaffMessageRef | null {
  return alert.slackChannel && alert.slackTs ? { channel: alert.slackChannel, ts: alert.slackTs } : null;
}
