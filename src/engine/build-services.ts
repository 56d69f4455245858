import type { Config } from "../config/env.ts";
import type { Clock } from "../core/clock.ts";
import { EventBus } from "../core/events.ts";
import type { Database } from "../db/database.ts";
import { CustomerRepository } from "../db/repositories/customer-repository.ts";
import { InteractionRepository } from "../db/repositories/interaction-repository.ts";
import { OutboxRepository } from "../db/repositories/outbox-repository.ts";
import { PendingActionRepository } from "../db/repositories/pending-action-repository.ts";
import { describeError } from "../errors.ts";
import { FeedbackService } from "../feedback/feedback-service.ts";
import { IngestService } from "../ingest/ingest-service.ts";
import { LinkService, linkSettingsFromConfig } from "../linking/link-service.ts";
import { LoyaltyService } from "../loyalty/loyalty-service.ts";
import { loyaltySettingsFromConfig } from "../loyalty/settings.ts";
import type { Logger } from "../observability/logger.ts";
import { PrivacyService } from "../privacy/privacy-service.ts";
import { SurveyService } from "../surveys/survey-service.ts";
import { surveySettingsFromConfig } from "../surveys/settings.ts";
import { type EngineServices, defaultEngineSettings } from "./services.ts";
import { CustomerCards } from "../customers/customer-card.ts";
import { CustomerService } from "../customers/customer-service.ts";
import { StaffService } from "../staff/staff-service.ts";
import { staffSettingsFromConfig } from "../staff/staff-settings.ts";

export interface BuiltServices extends EngineServices {
  ingest: IngestService;
  /** Staff identity (Slack staff, named API keys) and the audit log. */
  staff: StaffService;
  /** The one customer card and customer search (Slack, API, dashboard, `tend customer show`). */
  cards: CustomerCards;
}

/**
 * Builds the domain services over one database and wires their reactions to each other: a
 * survey answer earns a bonus, closing a case queues its follow-up (an order's points are booked
 * with the order, see IngestService). Everything proactive leaves through the outbox (`outbox`),
 * which the dispatcher (src/outreach/dispatcher.ts) sends.
 */
export function buildServices(db: Database, config: Config, clock: Clock, logger: Logger): BuiltServices {
  const log = logger.child({ component: "services" });
  const onError = (what: string, error: unknown) => log.error({ what, err: describeError(error) }, "background step failed");
  const events = new EventBus((name, error) => onError(`event ${name}`, error));
  const prisma = db.prisma;

  const loyalty = new LoyaltyService({ prisma, clock, events, settings: loyaltySettingsFromConfig(config) });
  const outbox = new OutboxRepository(prisma);
  const feedback = new FeedbackService({ prisma, clock, events, outbox, onError });
  const surveys = new SurveyService({
    prisma,
    clock,
    events,
    feedback,
    onError,
    settings: {
      ...surveySettingsFromConfig(config),
      onCompleted: async (customerId, invitationId) => {
        if (config.LOYALTY_SURVEY_BONUS_POINTS <= 0) return;
        await loyalty.awardBonus({
          customerId,
          points: config.LOYALTY_SURVEY_BONUS_POINTS,
          reason: "survey_completed",
          idempotencyKey: `survey:${invitationId}`,
        });
      },
    },
  });

  const staff = new StaffService({ prisma, clock, logger, settings: staffSettingsFromConfig(config) });
  const customerService = new CustomerService({ prisma, staff, loyalty, feedback, outbox, clock, events });

  return {
    staff,
    customerService,
    cards: new CustomerCards({ prisma, loyalty, clock }),
    customers: new CustomerRepository(prisma),
    interactions: new InteractionRepository(prisma),
    outbox,
    pending: new PendingActionRepository(prisma),
    loyalty,
    surveys,
    feedback,
    privacy: new PrivacyService(prisma, clock, {}, events),
    linking: new LinkService(prisma, clock, linkSettingsFromConfig(config), events),
    // Orders are recorded with their points in one transaction by loyalty itself, not by a listener.
    ingest: new IngestService(prisma, events, clock, {}, loyalty),
    events,
    settings: { ...defaultEngineSettings, linkCodeTtlMinutes: config.LINK_CODE_TTL_MINUTES },
  };
}
