import { TelegramError } from "telegraf";
import { ChannelError } from "../../src/core/channel.ts";

/** Bot API refusals that mean this person cannot be written to, whatever we send. */
const UNREACHABLE = /blocked by the user|user is deactivated|chat not found|user not found|bot was kicked|not a member|can't initiate conversation|PEER_ID_INVALID/i;

/**
 * A failed Bot API call as a ChannelError. Only the status, description and retry hint are kept:
 * telegraf's own error also carries the request payload, i.e. the message text.
 */
export function toChannelError(error: unknown): ChannelError {
  if (error instanceof ChannelError) return error;
  if (error instanceof TelegramError) {
    const code = error.code;
    const what = `Bot API ${code}: ${error.description}`;
    if (code === 429) {
      const seconds = error.parameters?.retry_after;
      return new ChannelError("telegram", "rate_limited", what, { retryAfterMs: (typeof seconds === "number" && seconds > 0 ? seconds : 1) * 1000 });
    }
    if (code === 403 || (code === 400 && UNREACHABLE.test(error.description))) {
      return new ChannelError("telegram", "unreachable", what);
    }
    // 401/404: the token was revoked or the API root is wrong; sending works again once that is fixed.
    if (code >= 500 || code === 401 || code === 404) return new ChannelError("telegram", "transient", what);
    return new ChannelError("telegram", "rejected", what);
  }
  // node-fetch's FetchError, an abort, a refused connection: the network, not the message.
  const message = error instanceof Error ? error.message : String(error);
  return new ChannelError("telegram", "transient", `Bot API unreachable: ${message}`);
}
