import type { OutboundMessage } from "../core/channel.ts";
import type { Clock } from "../core/clock.ts";
import { withTryAdvisoryLock } from "../db/advisory-lock.ts";
import type { Database } from "../db/database.ts";
import type { PrismaClient } from "../db/generated/client.ts";
import { CarePlanRepository } from "../db/repositories/care-plan-repository.ts";
import type { CustomerRepository } from "../db/repositories/customer-repository.ts";
import type { SurveyService } from "../surveys/survey-service.ts";
import { enqueue } from "../db/repositories/outbox-repository.ts";
import type { Tier } from "../loyalty/tiers.ts";
import type { CarePlans } from "./care-plans-file.ts";
import { type CheckinSurveys, CarePlanner, type PlannedMessage, type PlannerReport, type PlanWriter } from "./planner.ts";

/** The key of the lock that keeps care planning to one instance per tick. */
export const CARE_PLANNER_LOCK = "tend:care-planner";

/**
 * Planned messages into the outbox, those to send and control rows alike, in one plain INSERT … SELECT
 * FROM unnest per page (the payload in the outbox's shape: planned messages are text). Not through
 * the outbox's enqueue: Prisma's createMany of a page of 500 was measured to leave tens of MB per few
 * thousand rows held by its query engine after it returned, which set the planner's peak memory.
 * Returns how many rows were new. (The Prisma client argument is no longer used.)
 */
export function outboxPlanWriter(repository: CarePlanRepository, _prisma?: PrismaClient): PlanWriter {
  return {
    async write(rows: PlannedMessage[]) {
      return repository.enqueuePlanned(rows.map(({ message, ...row }) => ({ ...row, payload: payloadOf(message) })));
    },
  };
}

/** The outbox's payload shape (as its enqueue stores it). */
function payloadOf(message: OutboundMessage): Record<string, unknown> {
  return {
    text: message.text,
    ...(message.choices?.length ? { choices: message.choices.map((choice) => ({ id: choice.id, label: choice.label })) } : {}),
    ...(message.attachment ? { attachment: { ...message.attachment } } : {}),
  };
}

/**
 * Check-ins with a CSAT invitation (the survey service's, created in the outbox row's transaction,
 * answered like any survey), sent on the channel the customer used last, where the invitation is
 * recorded. The invitation's answer window starts when it is planned, up to a day before sending.
 */
export function checkinSurveys(surveys: SurveyService, customers: CustomerRepository): CheckinSurveys {
  return {
    async inviteWith(row, orderId) {
      const identities = await customers.identities(row.customerId);
      const identity = identities.sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime())[0];
      if (!identity) return false;
      const result = await surveys.invite(row.customerId, "csat", identity.platform, `checkin:${orderId}`, async (tx, invited) => {
        const { control: _, ...draft } = row;
        await enqueue(tx, [{ ...draft, message: { text: row.message.text, choices: invited.choices }, platform: identity.platform }]);
      });
      return result.status === "invited";
    },
  };
}

/**
 * One planner tick: on PostgreSQL only the instance that gets the advisory lock plans, the others
 * skip this tick (every instance still dispatches). Re-running after a crash is safe: dedupe keys.
 */
export async function runCarePlanner(options: {
  db: Database;
  plans: CarePlans;
  clock: Clock;
  birthdayBonusPoints: number;
  tiers?: readonly Tier[];
  /** With these, check-ins carry a CSAT invitation. */
  surveys?: { surveys: SurveyService; customers: CustomerRepository };
  batchSize?: number;
}): Promise<PlannerReport | { status: "skipped"; reason: string }> {
  const repository = new CarePlanRepository(options.db.prisma);
  const planner = new CarePlanner({
    plans: options.plans,
    repository,
    writer: outboxPlanWriter(repository, options.db.prisma),
    clock: options.clock,
    birthdayBonusPoints: options.birthdayBonusPoints,
    ...(options.tiers ? { tiers: options.tiers } : {}),
    ...(options.surveys ? { checkinSurveys: checkinSurveys(options.surveys.surveys, options.surveys.customers) } : {}),
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  });
  const report = await withTryAdvisoryLock(options.db, CARE_PLANNER_LOCK, () => planner.run());
  return report ?? { status: "skipped", reason: "another instance is planning" };
}
