import { Client, type CloseEvent, Events, GatewayIntentBits, Partials, type RateLimitData } from "discord.js";
import { GatewayClosedError, GatewayReadyTimeoutError } from "./errors.ts";

export interface DiscordClientSettings {
  /** DISCORD_API_URL, e.g. https://discord.com/api; the gateway URL comes from GET /gateway/bot. */
  apiUrl: string;
  /** discord.js waits out shorter rate limits itself; longer ones reach Tend as ChannelError rate_limited. */
  maxRateLimitWaitMs: number;
  /** How often discord.js repeats a request that failed with a 5xx or a reset connection. */
  restRetries: number;
  restTimeoutMs: number;
}

export function createClient(settings: DiscordClientSettings): Client {
  return new Client({
    // DMs only. Message content in DMs needs no privileged intent, and Partials.Channel lets
    // discord.js deliver a DM from a channel it has not cached.
    intents: [GatewayIntentBits.DirectMessages],
    partials: [Partials.Channel],
    allowedMentions: { parse: [] },
    rest: {
      api: settings.apiUrl.replace(/\/+$/, ""),
      // Without this discord.js queues every rate-limited call until it can go, however long.
      rejectOnRateLimit: (data: RateLimitData) => Math.max(data.retryAfter, data.timeToReset) > settings.maxRateLimitWaitMs,
      // Retry-After exactly as Discord says it, without discord.js's safety margin added.
      offset: 0,
      retries: settings.restRetries,
      timeout: settings.restTimeoutMs,
    },
  });
}

/**
 * Logs in and waits for READY. discord.js answers a refused token at GET /gateway/bot with
 * TokenInvalid, but a gateway that closes for good (4004) only shows as shardDisconnect, and a
 * gateway that never answers would be retried forever: both end here within `timeoutMs`.
 */
export async function connect(client: Client, token: string, timeoutMs: number): Promise<void> {
  let cleanup = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    const onReady = () => resolve();
    const onDisconnect = (event: CloseEvent) => reject(new GatewayClosedError(event.code));
    const timer = setTimeout(() => reject(new GatewayReadyTimeoutError(timeoutMs)), timeoutMs);
    client.once(Events.ClientReady, onReady);
    client.once(Events.ShardDisconnect, onDisconnect);
    cleanup = () => {
      clearTimeout(timer);
      client.off(Events.ClientReady, onReady);
      client.off(Events.ShardDisconnect, onDisconnect);
    };
  });
  // Either may fail first; the other must not become an unhandled rejection.
  ready.catch(() => {});
  const login = client.login(token);
  login.catch(() => {});
  try {
    await Promise.race([login, ready]);
    await ready;
  } finally {
    cleanup();
  }
}
