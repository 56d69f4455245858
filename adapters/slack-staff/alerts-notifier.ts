import type { webApi } from "@slack/bolt";
import type { AlertView, StaffMessageRef, StaffNotifier, StaffReaction } from "../../src/core/staff-notifier.ts";
import { toChannelError } from "../slack/errors.ts";
import { alertBlocks, alertText, threadBlocks } from "./alerts-blocks.ts";

/**
 * The staff notifier port over the staff bot's Web API client: alerts go to the staff channel
 * (TEND_STAFF_SLACK_CHANNEL). The dispatcher calls it for staff outbox rows; a failure is thrown
 * as a ChannelError, so a Slack outage is retried and a refusal fails the row.
 */
export class SlackStaffNotifier implements StaffNotifier {
  constructor(
    private readonly client: webApi.WebClient,
    private readonly channel: string,
    private readonly internalPrefix: string,
  ) {}

  async postAlert(alert: AlertView): Promise<StaffMessageRef> {
    const posted = await this.call(() => this.client.chat.postMessage({ channel: this.channel, text: alertText(alert), blocks: alertBlocks(alert, this.internalPrefix) as never }));
    return { channel: String(posted.channel ?? this.channel), ts: String(posted.ts) };
  }

  async updateAlert(message: StaffMessageRef, alert: AlertView): Promise<void> {
    await this.call(() => this.client.chat.update({ channel: message.channel, ts: message.ts, text: alertText(alert), blocks: alertBlocks(alert, this.internalPrefix) as never }));
  }

  async postInThread(thread: StaffMessageRef, text: string): Promise<StaffMessageRef> {
    const posted = await this.call(() => this.client.chat.postMessage({ channel: thread.channel, thread_ts: thread.ts, text, blocks: threadBlocks(text) as never }));
    return { channel: String(posted.channel ?? thread.channel), ts: String(posted.ts) };
  }

  async addReaction(message: StaffMessageRef, reaction: StaffReaction): Promise<void> {
    try {
      await this.client.reactions.add({ channel: message.channel, timestamp: message.ts, name: reaction });
    } catch (error) {
      // Already there (a retry after the reaction was added): done.
      if ((error as { data?: { error?: unknown } }).data?.error === "already_reacted") return;
      throw toChannelError(error);
    }
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toChannelError(error);
    }
  }
}
