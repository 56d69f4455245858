import type { ConversationAccess } from "../../src/core/channel.ts";
import { RateLimiter } from "../../src/core/rate-limiter.ts";
import { RecentIds } from "../shared/recent-ids.ts";

export interface VisitorGateSettings {
  /** Messages one visitor may send a minute (WEBCHAT_RATE_LIMIT_PER_MINUTE). */
  messagesPerMinute: number;
  /** New visitors one address may start a minute (WEBCHAT_NEW_VISITORS_PER_MINUTE_PER_IP). */
  newVisitorsPerMinutePerAddress: number;
  /** New visitors all addresses together may start a minute (WEBCHAT_NEW_VISITORS_PER_MINUTE). */
  newVisitorsPerMinute: number;
}

export type Admission = { allowed: true } | { allowed: false; retryAfterMs: number; reason: "visitor" | "address" | "everyone" };

/**
 * Who may send a web chat message now. A visitorId is made by the browser, so a per-visitor limit
 * alone is no limit: a fresh id per request would create a customer each time. New visitors are
 * therefore also limited per network address and in total; visitors Tend knows are not.
 */
export class VisitorGate {
  private readonly perVisitor: RateLimiter;
  private readonly newPerAddress: RateLimiter;
  private readonly newOverall: RateLimiter;
  /** Visitors seen to exist, so a known visitor costs no lookup per message. */
  private readonly known = new RecentIds<string>(20_000);

  constructor(
    settings: VisitorGateSettings,
    private readonly conversations: Pick<ConversationAccess, "knows">,
    now: () => number,
  ) {
    this.perVisitor = new RateLimiter(settings.messagesPerMinute, settings.messagesPerMinute, now);
    this.newPerAddress = new RateLimiter(settings.newVisitorsPerMinutePerAddress, settings.newVisitorsPerMinutePerAddress, now);
    this.newOverall = new RateLimiter(settings.newVisitorsPerMinute, settings.newVisitorsPerMinute, now);
  }

  async admit(visitorId: string, address: string): Promise<Admission> {
    const visitor = this.perVisitor.take(visitorId);
    if (!visitor.allowed) return { ...visitor, reason: "visitor" };
    if (this.known.has(visitorId)) return { allowed: true };
    if (await this.conversations.knows("web", visitorId)) {
      this.known.add(visitorId);
      return { allowed: true };
    }
    const fromAddress = this.newPerAddress.take(address);
    if (!fromAddress.allowed) return { ...fromAddress, reason: "address" };
    const overall = this.newOverall.take("everyone");
    if (!overall.allowed) return { ...overall, reason: "everyone" };
    return { allowed: true };
  }

  /** The visitor's first message went through: from now on they are known. */
  admitted(visitorId: string): void {
    this.known.add(visitorId);
  }
}
