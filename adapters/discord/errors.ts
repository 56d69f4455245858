import { DiscordAPIError, DiscordjsErrorCodes, HTTPError, RateLimitError } from "discord.js";
import { ChannelError, ChannelStartError } from "../../src/core/channel.ts";

/**
 * Discord's JSON error codes meaning this person cannot be reached by the bot: 50007 "Cannot send
 * messages to this user" (blocked the bot, closed DMs, no shared server), 10003 Unknown Channel,
 * 10013 Unknown User, 50033 Invalid Recipient(s), 50001 Missing Access.
 */
const UNREACHABLE_CODES = new Set([50007, 10003, 10013, 50033, 50001]);

/** Raised when the gateway closes for good during start-up (4004: the token was refused). */
export class GatewayClosedError extends Error {
  constructor(readonly code: number) {
    super(`the Discord gateway closed the connection with code ${code}`);
    this.name = "GatewayClosedError";
  }
}

export class GatewayReadyTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no READY from the Discord gateway within ${Math.round(timeoutMs / 1000)} s`);
    this.name = "GatewayReadyTimeoutError";
  }
}

const AUTHENTICATION_FAILED = 4004;

/** A failed Discord call as the channel port's error; the Discord message is kept, never the text we sent. */
export function toChannelError(error: unknown): ChannelError {
  if (error instanceof ChannelError) return error;
  if (error instanceof RateLimitError) {
    // retryAfter is Discord's Retry-After (a 429); timeToReset the bucket's own reset (limited before sending).
    const retryAfterMs = Math.max(0, Math.ceil(error.retryAfter > 0 ? error.retryAfter : error.timeToReset));
    return new ChannelError("discord", "rate_limited", `rate limited on ${error.route}${error.global ? " (global)" : ""}`, {
      retryAfterMs,
      cause: error,
    });
  }
  if (error instanceof DiscordAPIError) {
    const code = Number(error.code);
    const what = `${error.status} ${error.message} (code ${error.code})`;
    if (error.status === 429) {
      const seconds = Number((error.rawError as { retry_after?: unknown }).retry_after);
      return new ChannelError("discord", "rate_limited", what, {
        retryAfterMs: Number.isFinite(seconds) ? Math.ceil(seconds * 1000) : 1000,
        cause: error,
      });
    }
    if (UNREACHABLE_CODES.has(code)) return new ChannelError("discord", "unreachable", what, { cause: error });
    if (error.status >= 500) return new ChannelError("discord", "transient", what, { cause: error });
    if (error.status === 401) return new ChannelError("discord", "rejected", `${what}: check DISCORD_BOT_TOKEN`, { cause: error });
    return new ChannelError("discord", "rejected", what, { cause: error });
  }
  if (error instanceof HTTPError) {
    const kind = error.status >= 500 || error.status === 0 ? "transient" : "rejected";
    return new ChannelError("discord", kind, `HTTP ${error.status} ${error.message}`, { cause: error });
  }
  // fetch failures (refused, reset, DNS, timeouts) and anything else unexpected: worth a later retry.
  return new ChannelError("discord", "transient", describe(error), { cause: error });
}

/** Why start() failed, naming the setting to fix: the token when Discord refused it, else the API URL. */
export function toStartError(error: unknown, apiUrl: string): ChannelStartError {
  if (error instanceof ChannelStartError) return error;
  const code = (error as { code?: unknown }).code;
  if (code === DiscordjsErrorCodes.TokenInvalid || (error instanceof GatewayClosedError && error.code === AUTHENTICATION_FAILED)) {
    return new ChannelStartError("discord", "DISCORD_BOT_TOKEN", "Discord refused the bot token", { cause: error });
  }
  if (error instanceof DiscordAPIError && error.status === 401) {
    return new ChannelStartError("discord", "DISCORD_BOT_TOKEN", "Discord refused the bot token", { cause: error });
  }
  if (error instanceof GatewayClosedError) {
    return new ChannelStartError("discord", "DISCORD_BOT_TOKEN", `${error.message}; check the bot's settings in the developer portal`, {
      cause: error,
    });
  }
  return new ChannelStartError("discord", "DISCORD_API_URL", `cannot connect to Discord at ${apiUrl}: ${describe(error)}`, { cause: error });
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? `: ${(cause as NodeJS.ErrnoException).code ?? cause.message}` : "";
  return `${error.message}${detail}`;
}
