import { createHash } from "node:crypto";
import { type Clock, systemClock } from "../core/clock.ts";
import type { EventBus } from "../core/events.ts";
import type { Customer, Platform, PrismaClient } from "../db/generated/client.ts";
import { LinkRepository, type MovedCounts } from "../db/repositories/link-repository.ts";
import { isUniqueViolation } from "../db/prisma-errors.ts";
import { TendError } from "../errors.ts";
import { normalizeCode, randomCode } from "./code.ts";
import { mergeProfiles } from "./merge-profile.ts";

export interface LinkSettings {
  /** How long an issued code works (LINK_CODE_TTL_MINUTES). */
  codeTtlMinutes: number;
  /** Wrong codes one customer may enter within the window before further attempts are refused. */
  maxFailedAttempts: number;
  /**
   * Wrong codes one origin (a web chat visitor's address) may enter within the window, whichever
   * customers it types them as: a new web visitor is one click away, so per customer is not enough.
   */
  maxFailedAttemptsPerOrigin: number;
  failedAttemptWindowMinutes: number;
}

export const defaultLinkSettings: LinkSettings = {
  codeTtlMinutes: 10,
  maxFailedAttempts: 5,
  maxFailedAttemptsPerOrigin: 10,
  failedAttemptWindowMinutes: 10,
};

export function linkSettingsFromConfig(config: { LINK_CODE_TTL_MINUTES: number }): Partial<LinkSettings> {
  return { codeTtlMinutes: config.LINK_CODE_TTL_MINUTES };
}

export interface IssuedLinkCode {
  code: string;
  expiresAt: Date;
}

export type RedeemResult =
  /** `customer` is the merged customer; `mergedCustomerId` (the redeemer's old id) no longer exists. */
  | { kind: "linked"; customer: Customer; mergedCustomerId: string; moved: MovedCounts }
  | { kind: "expired" }
  | { kind: "unknown" }
  | { kind: "same-customer" }
  | { kind: "rate_limited"; retryAt: Date };

export interface RedeemOptions {
  /** The channel the code was typed on, for the timeline entry; defaults to the redeemer's last seen. */
  platform?: Platform | undefined;
  /** Where the code was typed from, when the channel knows (InboundMessage.origin). */
  origin?: string | undefined;
}

/** Consent history entries written by a merge carry this source. */
export const MERGE_CONSENT_SOURCE = "link:merge";
/**
 * An erasure confirmation belongs to the smaller customer it was asked for; after a merge it
 * would erase more than the person confirmed, so it is dropped rather than moved.
 */
const PENDING_KINDS_DROPPED_ON_MERGE = ["confirm_erase"];
const MAX_ISSUE_TRIES = 5;
const MINUTE = 60_000;

/**
 * Joins a second channel to a customer: the customer asks for a code on one channel and types it
 * on another. The customer behind the second channel is merged into the code's customer.
 */
export class LinkService {
  private readonly repository: LinkRepository;
  private readonly settings: LinkSettings;

  constructor(
    source: LinkRepository | PrismaClient,
    private readonly clock: Clock = systemClock,
    settings: Partial<LinkSettings> = {},
    private readonly events?: EventBus,
  ) {
    this.repository = source instanceof LinkRepository ? source : new LinkRepository(source);
    this.settings = { ...defaultLinkSettings, ...settings };
  }

  /** A fresh code for the customer; any earlier code of theirs stops working. */
  async issueLinkCode(customerId: string): Promise<IssuedLinkCode> {
    for (let attempt = 1; ; attempt++) {
      const now = this.clock.now();
      const expiresAt = new Date(now.getTime() + this.settings.codeTtlMinutes * MINUTE);
      const code = randomCode();
      try {
        return await this.repository.transaction(async (tx) => {
          // Serialises two requests from the same customer, so one code stays active.
          const locked = await tx.lockCustomers([customerId]);
          if (!locked.has(customerId)) throw new TendError("CUSTOMER_NOT_FOUND", `no customer ${customerId}`);
          await tx.replaceCode(customerId, code, now, expiresAt);
          return { code, expiresAt };
        });
      } catch (error) {
        // Another customer holds the same code right now: draw again.
        if (attempt < MAX_ISSUE_TRIES && isUniqueViolation(error)) continue;
        throw error;
      }
    }
  }

  /**
   * Redeems a code typed by `redeemingCustomerId` (case and spaces do not matter). On success the
   * redeeming customer is merged into the code's customer in one transaction. A code links once:
   * concurrent redemptions of the same code see one `linked` and `unknown` for the rest.
   */
  async redeemLinkCode(input: string, redeemingCustomerId: string, options: RedeemOptions = {}): Promise<RedeemResult> {
    const now = this.clock.now();
    const window = this.settings.failedAttemptWindowMinutes * MINUTE;
    const code = normalizeCode(input);
    const origin = options.origin ? originKey(options.origin) : undefined;
    const result = await this.repository.transaction(async (tx): Promise<RedeemResult> => {
      if (origin) {
        await tx.lockOrigin(origin);
        const fromOrigin = await tx.failedAttemptsFromOriginAfter(origin, new Date(now.getTime() - window));
        const limited = rateLimited(fromOrigin, this.settings.maxFailedAttemptsPerOrigin, window, now);
        if (limited) return limited;
      }
      const found = code ? await tx.findCode(code) : null;
      const mergeable = found !== null && found.customerId !== redeemingCustomerId && found.expiresAt > now;
      const locked = await tx.lockCustomers(mergeable ? [redeemingCustomerId, found.customerId] : [redeemingCustomerId]);
      // Merged away by a concurrent redemption: the person is already linked.
      if (!locked.has(redeemingCustomerId)) return { kind: "unknown" };

      const failures = await tx.failedAttemptsAfter(redeemingCustomerId, new Date(now.getTime() - window));
      const limited = rateLimited(failures, this.settings.maxFailedAttempts, window, now);
      if (limited) return limited;

      if (!code || !found) {
        await tx.recordFailedAttempt(redeemingCustomerId, now, new Date(now.getTime() + window), origin);
        return { kind: "unknown" };
      }
      if (found.customerId === redeemingCustomerId) return { kind: "same-customer" };
      if (found.expiresAt <= now) {
        await tx.deleteCode(found.code);
        return { kind: "expired" };
      }
      if (!locked.has(found.customerId) || !(await tx.consumeCode(found.code, found.customerId))) {
        // Redeemed (or its customer erased) between our read and our lock.
        return { kind: "unknown" };
      }
      return this.merge(tx, redeemingCustomerId, found.customerId, now, options.platform);
    });
    if (result.kind === "linked") {
      this.events?.emit("customer.merged", { sourceId: result.mergedCustomerId, targetId: result.customer.id, at: now });
    }
    return result;
  }

  private async merge(tx: LinkRepository, sourceId: string, targetId: string, now: Date, platform: Platform | undefined): Promise<RedeemResult> {
    const source = await tx.findCustomer(sourceId);
    const target = await tx.findCustomer(targetId);
    if (!source || !target) throw new TendError("CUSTOMER_NOT_FOUND", "a customer to link vanished while locked");
    const eventPlatform = platform ?? (await tx.lastSeenPlatform(sourceId)) ?? (await tx.lastSeenPlatform(targetId)) ?? "web";
    const { patch, consentChanges } = mergeProfiles(target, source, now);

    const moved = await tx.moveCustomerData(sourceId, targetId, PENDING_KINDS_DROPPED_ON_MERGE);
    // Deleted before the target is updated so unique fields (externalId) can move across.
    await tx.deleteCustomer(sourceId);
    const customer = await tx.updateCustomer(targetId, patch);
    await tx.addConsentChanges(targetId, consentChanges, MERGE_CONSENT_SOURCE);
    await tx.recordSystemEvent({
      customerId: targetId,
      platform: eventPlatform,
      direction: "in",
      metadata: { event: "linked", mergedCustomerId: sourceId, moved: { ...moved } },
      occurredAt: now,
    });
    return { kind: "linked", customer, mergedCustomerId: sourceId, moved };
  }
}

/** Refuses once `max` failures fall in the window; says when the oldest of them stops counting. */
function rateLimited(failures: Date[], max: number, window: number, now: Date): RedeemResult | null {
  if (failures.length < max) return null;
  const oldestThatCounts = failures[failures.length - max] ?? now;
  return { kind: "rate_limited", retryAt: new Date(oldestThatCounts.getTime() + window) };
}

/** An origin as kept with a wrong attempt: a digest, so the timeline and exports hold no address. */
function originKey(origin: string): string {
  return createHash("sha256").update(`tend-link-origin:${origin}`).digest("base64url").slice(0, 22);
}
