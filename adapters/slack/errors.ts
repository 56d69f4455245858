import { ChannelError } from "../../src/core/channel.ts";

/** Web API refusals that mean this person or conversation cannot be written to, whatever we send. */
const UNREACHABLE = new Set([
  "channel_not_found",
  "not_in_channel",
  "user_not_found",
  "users_not_found",
  "account_inactive",
  "is_archived",
  "cannot_dm_bot",
  "user_disabled",
]);

/** Refusals that are about our setup or Slack's health, not the message: the same send works later. */
const TRANSIENT = new Set([
  "invalid_auth",
  "not_authed",
  "token_revoked",
  "token_expired",
  "missing_scope",
  "not_allowed_token_type",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
  "team_access_not_granted",
]);

const DEFAULT_RETRY_AFTER_MS = 1000;

/**
 * The Web API client's errors are told apart by their `code` rather than by class: Bolt's,
 * socket-mode's and our own copy of @slack/web-api need not be the same module instance.
 */
interface WebApiErrorView {
  code?: unknown;
  message?: unknown;
  retryAfter?: unknown;
  statusCode?: unknown;
  data?: { error?: unknown; response_metadata?: { retryAfter?: unknown } };
}

export function platformErrorCode(error: unknown): string | undefined {
  const view = error as WebApiErrorView | null;
  return view?.code === "slack_webapi_platform_error" && typeof view.data?.error === "string" ? view.data.error : undefined;
}

function seconds(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value * 1000 : undefined;
}

/**
 * A failed Web API call as a ChannelError. Only Slack's error code, the HTTP status and the retry
 * hint are kept: the client's own errors can carry the request, i.e. the message text.
 */
export function toChannelError(error: unknown): ChannelError {
  if (error instanceof ChannelError) return error;
  const view = (error ?? {}) as WebApiErrorView;
  switch (view.code) {
    case "slack_webapi_rate_limited_error":
      return new ChannelError("slack", "rate_limited", "Web API rate limit (HTTP 429)", {
        retryAfterMs: seconds(view.retryAfter) ?? DEFAULT_RETRY_AFTER_MS,
      });
    case "slack_webapi_platform_error": {
      const code = String(view.data?.error);
      const what = `Web API error ${code}`;
      if (code === "ratelimited" || code === "rate_limited") {
        return new ChannelError("slack", "rate_limited", what, {
          retryAfterMs: seconds(view.data?.response_metadata?.retryAfter) ?? DEFAULT_RETRY_AFTER_MS,
        });
      }
      if (UNREACHABLE.has(code)) return new ChannelError("slack", "unreachable", what);
      if (TRANSIENT.has(code)) return new ChannelError("slack", "transient", what);
      return new ChannelError("slack", "rejected", what);
    }
    case "slack_webapi_http_error": {
      const status = typeof view.statusCode === "number" ? view.statusCode : 0;
      // A 4xx other than 429 from the Web API means a wrong SLACK_API_URL or a proxy in the way.
      return new ChannelError("slack", "transient", `Web API answered HTTP ${status}`);
    }
    case "slack_webapi_request_error":
      return new ChannelError("slack", "transient", "Web API unreachable");
    case "slack_webapi_file_upload_invalid_args_error":
    case "slack_webapi_file_upload_read_file_data_error":
      return new ChannelError("slack", "rejected", "Slack refused the file upload arguments");
  }
  const message = error instanceof Error ? error.message : String(error);
  // A 429 without a usable Retry-After comes back as a plain Error from the client.
  if (/rate limit|retry header/i.test(message)) {
    return new ChannelError("slack", "rate_limited", "Web API rate limit", { retryAfterMs: DEFAULT_RETRY_AFTER_MS });
  }
  return new ChannelError("slack", "transient", `Web API call failed: ${message.slice(0, 200)}`);
}
