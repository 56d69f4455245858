import type { Config } from "../config/env.ts";
import type { Clock } from "../core/clock.ts";
import type { EventBus } from "../core/events.ts";
import type { StaffNotifier } from "../core/staff-notifier.ts";
import type { PrismaClient } from "../db/generated/client.ts";
import type { ClaimedOutbox, OutboxEnd, OutboxRepository } from "../db/repositories/outbox-repository.ts";
import { StaffAlertRepository } from "../db/repositories/staff-alert-repository.ts";
import type { CustomerCards } from "../customers/customer-card.ts";
import type { CustomerService } from "../customers/customer-service.ts";
import type { FeedbackService } from "../feedback/feedback-service.ts";
import { parseTiers } from "../loyalty/settings.ts";
import type { StaffDelivery } from "../outreach/dispatcher.ts";
import { type HighValueSettings, StaffAlerts } from "./alerts.ts";
import { staffDelivery } from "./staff-notifier.ts";
import type { StaffService } from "./staff-service.ts";
import { STAFF_REPLY_KIND, Takeover } from "./takeover.ts";

export interface StaffAlertSettings {
  internalPrefix: string;
  highValue: HighValueSettings;
}

/** TEND_STAFF_INTERNAL_PREFIX, TEND_STAFF_HIGH_VALUE_TIERS (unset: the top tier) and _SEGMENTS ("none": none). */
export function staffAlertSettingsFromConfig(config: Config): StaffAlertSettings {
  const list = (value: string | undefined) => (value === undefined ? undefined : value.trim().toLowerCase() === "none" ? [] : value.split(",").map((v) => v.trim()).filter(Boolean));
  const tiers = parseTiers(config.LOYALTY_TIERS);
  return {
    internalPrefix: config.TEND_STAFF_INTERNAL_PREFIX,
    highValue: {
      tiers: list(config.TEND_STAFF_HIGH_VALUE_TIERS) ?? [tiers[tiers.length - 1]!.name],
      segments: list(config.TEND_STAFF_HIGH_VALUE_SEGMENTS) ?? [],
    },
  };
}

export interface StaffSideServices {
  feedback: FeedbackService;
  customerService: CustomerService;
  cards: CustomerCards;
  staff: StaffService;
  outbox: OutboxRepository;
  events: EventBus;
}

/** Alerts and the takeover relay, wired: what the engine, the dispatcher and the staff console get. */
export interface StaffSide {
  alerts: StaffAlerts;
  takeover: Takeover;
  /** For the Engine (its `staff` option): handed-over customers' words to their thread, high-value unrecognised messages. */
  engineHooks: {
    customerWrote(customerId: string, inboundId: string, text: string): Promise<void>;
    unrecognised(customerId: string, text: string): Promise<unknown>;
  };
  /** For the dispatcher's `staff` option, once a staff console that can notify has started. */
  delivery(notifier: StaffNotifier): StaffDelivery;
  /** For the dispatcher's afterSent / afterEnded: a relayed staff reply's ✅ / ⚠️. */
  afterSent(row: ClaimedOutbox): Promise<void>;
  afterEnded(row: ClaimedOutbox, end: OutboxEnd, reason: string): Promise<void>;
}

/**
 * Builds the staff side and, with `alertsOn` (TEND_STAFF_SLACK_CHANNEL is set), hooks alerts into
 * case opening (each case writes its alert in its own transaction from now on). Without a staff
 * channel, alert rows would wait in the outbox for nobody; the engine hooks are then not given either.
 */
export function setUpStaffSide(input: { prisma: PrismaClient; services: StaffSideServices; clock: Clock; settings: StaffAlertSettings; alertsOn?: boolean }): StaffSide {
  const { prisma, services, clock, settings } = input;
  const alerts = new StaffAlerts({
    prisma,
    feedback: services.feedback,
    customers: services.customerService,
    cards: services.cards,
    staff: services.staff,
    outbox: services.outbox,
    clock,
    highValue: settings.highValue,
  });
  const takeover = new Takeover({
    prisma,
    customers: services.customerService,
    staff: services.staff,
    alerts,
    outbox: services.outbox,
    clock,
    internalPrefix: settings.internalPrefix,
  });
  // Without a staff channel there is nobody to alert: cases open without alerts, replies still work (the HTTP API).
  if (input.alertsOn !== false) services.feedback.onCaseOpened(alerts.caseOpened);
  // However the conversation is released (Slack, the HTTP API, the CLI), its threads end and say so.
  services.events.on("conversation.released", (event) => takeover.threadsReleased(event.customerId, event.by, event.at));
  const repo = new StaffAlertRepository(prisma);
  return {
    alerts,
    takeover,
    engineHooks: {
      customerWrote: (customerId, inboundId, text) => takeover.customerWrote(customerId, inboundId, text),
      unrecognised: (customerId, text) => alerts.unrecognised(customerId, text),
    },
    delivery: (notifier) => staffDelivery({ notifier, alerts: repo, view: (alert) => alerts.view(alert) }),
    afterSent: async (row) => {
      if (row.kind === STAFF_REPLY_KIND) await takeover.relayDelivered(row);
    },
    afterEnded: async (row, end, reason) => {
      if (row.kind === STAFF_REPLY_KIND) await takeover.relayEnded(row, end, reason);
    },
  };
}
