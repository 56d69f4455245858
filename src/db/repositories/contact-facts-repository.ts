import { TendError } from "../../errors.ts";
import { CAP_WINDOW_MS, type ContactCustomer, type ContactFacts } from "../../outreach/contact-policy.ts";
import type { PrismaClient } from "../generated/client.ts";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface FactsRow extends ContactCustomer {
  id: string;
  hasOpenCase: boolean;
  lastPoorRatingAt: Date | null;
  /** Epoch milliseconds: an array of timestamps does not come back as Dates from every driver. */
  recentOutreachMs: number[] | null;
}

/**
 * What the contact policy needs to know about customers, in one statement for any number of them:
 * the dispatcher asks at send time, the planner's preview for a batch.
 *
 * The weekly cap counts outbox rows the dispatcher marked sent on the topics that share the
 * customer's budget (care, marketing, survey), whatever channel they went out on: every message
 * Tend sends on its own goes through the outbox, so the outbox is the one record of the budget.
 * A poor rating is what opens a feedback case by itself (src/surveys/scales.ts isLowScore):
 * CSAT 1-2, NPS 0-6.
 */
export class ContactFactsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Throws CUSTOMER_NOT_FOUND for an id with no customer. */
  async factsFor(customerId: string, now: Date): Promise<ContactFacts> {
    const facts = (await this.factsForMany([customerId], now)).get(customerId.toLowerCase());
    if (!facts) throw new TendError("CUSTOMER_NOT_FOUND", `no customer ${customerId}`);
    return facts;
  }

  /** Facts by customer id; ids with no customer are left out. */
  async factsForMany(customerIds: readonly string[], now: Date): Promise<Map<string, ContactFacts>> {
    // A text that is no uuid names no customer (and would fail the whole statement's cast).
    const ids = [...new Set(customerIds.map((id) => id.toLowerCase()))].filter((id) => uuidPattern.test(id));
    const facts = new Map<string, ContactFacts>();
    if (ids.length === 0) return facts;
    const since = new Date(now.getTime() - CAP_WINDOW_MS);
    const rows = await this.prisma.$queryRaw<FactsRow[]>`
      SELECT c.id, c."timeZone", c."quietHoursStart", c."quietHoursEnd", c."maxCareMessagesPerWeek",
             c."careConsent", c."marketingConsent", c."surveyConsent", c."handedOverAt", c."erasedAt", c."outreachPausedUntil",
             EXISTS (SELECT 1 FROM "FeedbackCase" f WHERE f."customerId" = c.id AND f.status = 'open') AS "hasOpenCase",
             (SELECT max(r."respondedAt")
                FROM "SurveyResponse" r JOIN "SurveyInvitation" i ON i.id = r."invitationId"
               WHERE r."customerId" = c.id AND r."respondedAt" <= ${now}::timestamp
                 AND ((i.kind = 'csat' AND r.score <= 2) OR (i.kind = 'nps' AND r.score <= 6))) AS "lastPoorRatingAt",
             ARRAY(SELECT (extract(epoch FROM o."sentAt") * 1000)::float8
                     FROM "OutboxMessage" o
                    WHERE o."customerId" = c.id AND o.status = 'sent' AND o.topic IN ('care', 'marketing', 'survey')
                      AND o."sentAt" > ${since}::timestamp AND o."sentAt" <= ${now}::timestamp
                    ORDER BY o."sentAt") AS "recentOutreachMs"
        FROM "Customer" c
       WHERE c.id = ANY(${ids}::uuid[])`;
    for (const row of rows) {
      facts.set(row.id, {
        now,
        customer: {
          timeZone: row.timeZone,
          quietHoursStart: row.quietHoursStart,
          quietHoursEnd: row.quietHoursEnd,
          maxCareMessagesPerWeek: row.maxCareMessagesPerWeek,
          careConsent: row.careConsent,
          marketingConsent: row.marketingConsent,
          surveyConsent: row.surveyConsent,
          handedOverAt: row.handedOverAt,
          erasedAt: row.erasedAt,
          outreachPausedUntil: row.outreachPausedUntil,
        },
        hasOpenCase: row.hasOpenCase,
        lastPoorRatingAt: row.lastPoorRatingAt,
        recentOutreachAt: (row.recentOutreachMs ?? []).map((ms) => new Date(Number(ms))),
      });
    }
    return facts;
  }
}
