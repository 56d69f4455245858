import { type Clock, systemClock } from "../core/clock.ts";
import { readInteractionMetadata } from "../core/interaction-metadata.ts";
import type { PrismaClient } from "../db/generated/client.ts";
import { type CardRows, CustomerCardRepository } from "../db/repositories/customer-card-repository.ts";
import { CustomerRepository } from "../db/repositories/customer-repository.ts";
import { CustomerSearchRepository, type SearchHit } from "../db/repositories/customer-search-repository.ts";
import type { LoyaltyService } from "../loyalty/loyalty-service.ts";
import { scoreExplanation } from "../analytics/score-explanation.ts";
import { TendError } from "../errors.ts";
import type { CardInteraction, CardScores, CustomerCard, CustomerMatch } from "./customer-card-types.ts";
import { handoverOf } from "./customer-service.ts";

export type * from "./customer-card-types.ts";

export interface CustomerCardOptions {
  prisma: PrismaClient;
  /** The one that computes balances and tiers for the chat and the API, with the configured settings. */
  loyalty: LoyaltyService;
  clock?: Clock | undefined;
}

export interface CardOptions {
  /** How many recent interactions and consent changes (default 10, at most 1000). */
  recent?: number | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Longest text `findCustomers` looks for; anything longer names nobody. */
const MAX_QUERY = 200;

/**
 * The customer card (one query for everything staff see about a customer) and customer search.
 * Slack, the HTTP API, the dashboard and `tend customer show` all read customers through here.
 */
export class CustomerCards {
  private readonly rowsRepo: CustomerCardRepository;
  private readonly customers: CustomerRepository;
  private readonly search: CustomerSearchRepository;
  private readonly loyalty: LoyaltyService;
  private readonly clock: Clock;

  constructor(options: CustomerCardOptions) {
    this.rowsRepo = new CustomerCardRepository(options.prisma);
    this.customers = new CustomerRepository(options.prisma);
    this.search = new CustomerSearchRepository(options.prisma);
    this.loyalty = options.loyalty;
    this.clock = options.clock ?? systemClock;
  }

  /** The card of a customer by Tend's id; null when there is none. */
  async card(customerId: string, options: CardOptions = {}): Promise<CustomerCard | null> {
    if (!UUID.test(customerId)) return null;
    const recent = Math.min(Math.max(Math.trunc(options.recent ?? 10), 0), 1000);
    const [rows, loyalty] = await Promise.all([
      this.rowsRepo.rows(customerId, recent),
      // No such customer is a null card; anything else (the database down) is an error.
      this.loyalty.summary(customerId).catch((error: unknown) => {
        if (error instanceof TendError && error.code === "LOYALTY_UNKNOWN_CUSTOMER") return null;
        throw error;
      }),
    ]);
    if (!rows || !loyalty) return null;
    return cardOf(rows, loyalty, this.clock.now());
  }

  /** The card of a customer named by Tend's id or the business's external id (the API's `:id`, `tend customer show`). */
  async cardOf(idOrExternalId: string, options: CardOptions = {}): Promise<CustomerCard | null> {
    const text = idOrExternalId.trim();
    if (!text || text.length > MAX_QUERY) return null;
    const customer = await this.customers.findByIdOrExternalId(text);
    return customer ? this.card(customer.id, options) : null;
  }

  /**
   * Customers matching what staff typed: Tend's customer id, the business's external id, an
   * order's id, a platform user id or handle (`@name`, a Slack mention `<@U123>`), or a part of a
   * name. A key that matches exactly is the answer; names (case-insensitive substring of the
   * customer's or a channel's display name) are searched when no key matched. Each customer once;
   * empty for an empty query.
   */
  async findCustomers(query: string, limit = 10): Promise<CustomerMatch[]> {
    const text = query.trim();
    const max = Math.min(Math.max(Math.trunc(limit), 1), 100);
    if (!text || text.length > MAX_QUERY || text.includes("\u0000")) return [];
    const exact = await this.search.exact(text);
    // Names are searched only when no key matched: a name is a scan, a key an index lookup.
    const byName = exact.length > 0 ? [] : await this.search.byName(text, max);
    const hits: SearchHit[] = [];
    const seen = new Set<string>();
    for (const hit of [...exact, ...byName]) {
      if (seen.has(hit.customerId)) continue;
      seen.add(hit.customerId);
      hits.push(hit);
      if (hits.length === max) break;
    }
    const summaries = new Map((await this.search.summaries(hits.map((h) => h.customerId))).map((s) => [s.id, s]));
    return hits.flatMap((hit) => {
      const s = summaries.get(hit.customerId);
      if (!s) return [];
      return [
        {
          customerId: s.id,
          displayName: s.displayName,
          externalId: s.externalId,
          matchedBy: hit.matchedBy,
          channels: s.identities.map((i) => ({ platform: i.platform as string, platformUserId: i.platformUserId, displayName: i.displayName })),
          erased: s.erasedAt !== null,
        },
      ];
    });
  }
}

/** Customers matching a query (see CustomerCards.findCustomers). */
export function findCustomers(cards: CustomerCards, query: string, limit = 10): Promise<CustomerMatch[]> {
  return cards.findCustomers(query, limit);
}

const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;

function cardOf(rows: CardRows, loyalty: CustomerCard["loyalty"], now: Date): CustomerCard {
  const c = rows.customer;
  const lastOf = (kind: "csat" | "nps") => {
    const row = rows.lastSurveys.find((s) => s.kind === kind);
    return row ? { score: row.score, reason: row.reason, at: row.respondedAt, platform: row.platform } : null;
  };
  return {
    customerId: c.id,
    externalId: c.externalId,
    erasedAt: c.erasedAt,
    asOf: now,
    profile: {
      displayName: c.displayName,
      email: c.email,
      phone: c.phone,
      birthday: c.birthday ? c.birthday.toISOString().slice(0, 10) : null,
      lunarBirthday: c.lunarBirthMonth !== null && c.lunarBirthDay !== null ? { month: c.lunarBirthMonth, day: c.lunarBirthDay } : null,
      locale: c.locale,
      timeZone: c.timeZone,
      quietHours: c.quietHoursStart !== null && c.quietHoursEnd !== null ? { start: hhmm(c.quietHoursStart), end: hhmm(c.quietHoursEnd) } : null,
      maxCareMessagesPerWeek: c.maxCareMessagesPerWeek,
      tags: c.tags,
      createdAt: c.createdAt,
    },
    channels: rows.identities.map((i) => ({ platform: i.platform, platformUserId: i.platformUserId, displayName: i.displayName, lastSeenAt: i.lastSeenAt, unreachableAt: i.unreachableAt })),
    consent: {
      care: { granted: c.careConsent, since: c.careConsentAt },
      marketing: { granted: c.marketingConsent, since: c.marketingConsentAt },
      surveys: { granted: c.surveyConsent, since: c.surveyConsentAt },
      maxCareMessagesPerWeek: c.maxCareMessagesPerWeek,
      recentChanges: rows.consentChanges.map((change) => ({ at: change.changedAt, topic: change.topic, granted: change.granted, source: change.source })),
    },
    loyalty,
    orders: rows.orders,
    scores: scoresOf(rows.score),
    interactions: {
      total: rows.interactionCounts.reduce((sum, row) => sum + row.count, 0),
      byKind: rows.interactionCounts,
      recent: rows.recentInteractions.map(interactionOf),
    },
    surveys: { lastCsat: lastOf("csat"), lastNps: lastOf("nps") },
    openCases: rows.openCases.map((fc) => ({ id: fc.id, source: fc.source, summary: fc.summary, assignee: fc.assignee, openedAt: fc.openedAt })),
    outreach: { paused: c.outreachPausedUntil !== null && c.outreachPausedUntil.getTime() > now.getTime(), pausedUntil: c.outreachPausedUntil },
    handover: handoverOf(c),
  };
}

function interactionOf(row: CardRows["recentInteractions"][number]): CardInteraction {
  const metadata = readInteractionMetadata(row.metadata) as Record<string, unknown>;
  const by = typeof metadata.by === "string" ? metadata.by : typeof metadata.staffName === "string" ? metadata.staffName : null;
  return {
    id: row.id,
    at: row.occurredAt,
    platform: row.platform,
    direction: row.direction,
    kind: row.kind,
    text: row.text,
    event: typeof metadata.event === "string" ? metadata.event : null,
    staffName: by,
  };
}

function scoresOf(score: CardRows["score"]): CardScores | null {
  if (!score) return null;
  return {
    computedAt: score.computedAt,
    windowMonths: score.windowMonths,
    rfm: { segment: score.rfmSegment, recency: score.rfmRecency, frequency: score.rfmFrequency, monetary: score.rfmMonetary },
    lifecycleStage: score.lifecycleStage,
    relationshipLevel: score.relationshipLevel,
    probabilityAlive: score.probabilityAlive,
    predictedPurchases: score.predictedPurchases,
    historicClv: score.historicClv,
    predictedClv: score.predictedClv,
    orderCount: score.orderCount,
    explanation: scoreExplanation(score),
  };
}
