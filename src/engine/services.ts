import type { CustomerService } from "../customers/customer-service.ts";
import type { CustomerRepository } from "../db/repositories/customer-repository.ts";
import type { InteractionRepository } from "../db/repositories/interaction-repository.ts";
import type { OutboxRepository } from "../db/repositories/outbox-repository.ts";
import type { PendingActionRepository } from "../db/repositories/pending-action-repository.ts";
import type { FeedbackService } from "../feedback/feedback-service.ts";
import type { LinkService } from "../linking/link-service.ts";
import type { LoyaltyService } from "../loyalty/loyalty-service.ts";
import type { PrivacyService } from "../privacy/privacy-service.ts";
import type { SurveyService } from "../surveys/survey-service.ts";
import type { EventBus } from "../core/events.ts";

/** What the conversation handlers work with; built once in src/app.ts. */
export interface EngineServices {
  /** Reads customers; every write goes through `customerService`. */
  customers: CustomerRepository;
  /** Owns writes to customers: consent, profile, handover, pause, notes (src/customers/customer-service.ts). */
  customerService: CustomerService;
  interactions: InteractionRepository;
  /** Everything Tend sends on its own goes here; the dispatcher delivers it. */
  outbox: OutboxRepository;
  pending: PendingActionRepository;
  loyalty: LoyaltyService;
  surveys: SurveyService;
  feedback: FeedbackService;
  privacy: PrivacyService;
  linking: LinkService;
  events: EventBus;
  settings: EngineSettings;
}

export interface EngineSettings {
  /** Longer texts are refused politely (they are still on the timeline). */
  maxTextLength: number;
  /** How long a "confirm?" question can be answered. */
  confirmationTtlMinutes: number;
  linkCodeTtlMinutes: number;
}

export const defaultEngineSettings: EngineSettings = {
  maxTextLength: 4000,
  confirmationTtlMinutes: 10,
  linkCodeTtlMinutes: 10,
};
