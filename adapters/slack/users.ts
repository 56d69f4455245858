import type { webApi } from "@slack/bolt";
import type { Logger } from "../../src/observability/logger.ts";
import { toChannelError } from "./errors.ts";

export interface SlackProfile {
  displayName?: string;
  /** Slack's locale for the person, e.g. "en-US" or "zh-CN"; only with include_locale. */
  locale?: string;
}

interface UserView {
  name?: string;
  real_name?: string;
  locale?: string;
  profile?: { display_name?: string; real_name?: string };
}

export interface UserDirectoryOptions {
  capacity?: number;
  ttlMs?: number;
  /** How long a failed lookup is not retried: a missing users:read scope would otherwise cost a call per message. */
  failureTtlMs?: number;
  now?: () => number;
}

/**
 * Names and locales from users.info, cached: one call per person per day at most, so that every
 * message does not cost a Web API call. A failed lookup leaves both undefined; the engine copes.
 */
export class SlackUserDirectory {
  private readonly cache = new Map<string, { profile: SlackProfile; until: number }>();
  private readonly capacity: number;
  private readonly ttlMs: number;
  private readonly failureTtlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: webApi.WebClient,
    private readonly log: Logger,
    options: UserDirectoryOptions = {},
  ) {
    this.capacity = options.capacity ?? 5_000;
    this.ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
    this.failureTtlMs = options.failureTtlMs ?? 10 * 60 * 1000;
    this.now = options.now ?? Date.now;
  }

  async lookup(userId: string): Promise<SlackProfile> {
    const cached = this.cache.get(userId);
    if (cached && cached.until > this.now()) return cached.profile;
    let profile: SlackProfile = {};
    let ttl = this.ttlMs;
    try {
      const result = await this.client.users.info({ user: userId, include_locale: true });
      const user = (result.user ?? {}) as UserView;
      const name = [user.profile?.display_name, user.profile?.real_name, user.real_name, user.name].find((n) => n?.trim());
      if (name) profile.displayName = name.trim();
      if (user.locale) profile.locale = user.locale;
    } catch (error) {
      profile = {};
      ttl = this.failureTtlMs;
      this.log.debug({ err: toChannelError(error).message }, "could not look up a Slack user's name and locale");
    }
    this.cache.delete(userId);
    this.cache.set(userId, { profile, until: this.now() + ttl });
    if (this.cache.size > this.capacity) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return profile;
  }
}
