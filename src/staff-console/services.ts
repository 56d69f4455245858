import { randomUUID } from "node:crypto";
import type { Clock } from "../core/clock.ts";
import type { StaffConsoleServices, StaffMessageTopic } from "../core/staff-console-services.ts";
import type { CustomerCards } from "../customers/customer-card.ts";
import type { CustomerService } from "../customers/customer-service.ts";
import type { ContactFactsRepository } from "../db/repositories/contact-facts-repository.ts";
import type { OutboxRepository } from "../db/repositories/outbox-repository.ts";
import type { OutreachOverviewRepository } from "../db/repositories/outreach-overview-repository.ts";
import type { StaffConsoleRepository } from "../db/repositories/staff-console-repository.ts";
import { TendError } from "../errors.ts";
import { type ContactPolicySettings, decide } from "../outreach/contact-policy.ts";
import type { StaffService } from "../staff/staff-service.ts";
import type { SurveyService } from "../surveys/survey-service.ts";
import { staffReport } from "./report.ts";
import { scoreLabels } from "./score-labels.ts";

export interface StaffConsoleDependencies {
  staff: StaffService;
  customers: CustomerService;
  cards: CustomerCards;
  outbox: OutboxRepository;
  contactFacts: ContactFactsRepository;
  policy: ContactPolicySettings;
  surveys: SurveyService;
  overview: OutreachOverviewRepository;
  repo: StaffConsoleRepository;
  clock: Clock;
}

const DAY_MS = 86_400_000;
/** Longest staff message: Slack's modal input takes 3000 characters; every channel splits long texts itself. */
export const MAX_STAFF_MESSAGE = 3000;

/**
 * The staff console's port (src/core/staff-console-services.ts) over Tend's services: access and
 * audit from the staff service, every change to a customer from the customer service (which
 * audits it with the actor), reads from the one customer card, messages through the outbox after
 * the contact policy has been asked.
 */
export function staffConsoleServices(deps: StaffConsoleDependencies): StaffConsoleServices {
  const { staff, customers, cards, clock } = deps;

  const verdictFor = async (customerId: string, topic: StaffMessageTopic = "staff") => {
    const now = clock.now();
    let facts;
    try {
      facts = await deps.contactFacts.factsFor(customerId, now);
    } catch (error) {
      if (error instanceof TendError && error.code === "CUSTOMER_NOT_FOUND") return null;
      throw error;
    }
    return { verdict: decide(topic, facts, deps.policy), channel: await deps.repo.preferredChannel(customerId) };
  };

  return {
    async authorizeSlack(origin) {
      const result = await staff.authorizeSlack(origin.userId, origin.channelId ?? "", { attempted: origin.attempt });
      return result.ok ? { allowed: true, actor: result.actor } : { allowed: false, reason: result.reason, message: result.message };
    },

    async findCustomers(query, limit, actor) {
      const found = await cards.findCustomers(query, limit);
      // What was typed may be a name: the audit keeps how many customers it showed, and which when one.
      await staff.audit(actor, "customer.search", { customerId: found.length === 1 ? found[0]!.customerId : null, detail: { matches: found.length } });
      return found;
    },

    async card(customerId, actor, options = {}) {
      const card = await cards.card(customerId, { recent: options.recent });
      await staff.audit(actor, "customer.view_card", card ? { customerId } : { target: customerId, outcome: "failed", detail: { reason: "no such customer" } });
      return card ? { ...card, scoreLabels: scoreLabels(card) } : null;
    },

    async addNote(customerId, actor, text) {
      await customers.addNote(customerId, actor, text);
    },

    adjustPoints: (customerId, actor, input) => customers.adjustPoints(customerId, actor, input),

    async pauseOutreach(customerId, actor, days) {
      if (!Number.isInteger(days) || days < 1 || days > 365) throw new TendError("OUTREACH_PAUSE_INVALID", "a pause is 1 to 365 days");
      const until = new Date(clock.now().getTime() + days * DAY_MS);
      const paused = await customers.pauseOutreach(customerId, until, actor);
      return paused ? until : null;
    },

    messageVerdict: verdictFor,

    async sendMessage(customerId, actor, text, topic = "staff") {
      const message = text.trim();
      if (!message) throw new TendError("MESSAGE_EMPTY", "a message needs some text");
      if (message.length > MAX_STAFF_MESSAGE) throw new TendError("MESSAGE_TOO_LONG", `a message is at most ${MAX_STAFF_MESSAGE} characters (got ${message.length})`);
      const judged = await verdictFor(customerId, topic);
      if (!judged) {
        await staff.audit(actor, "message.send", { target: customerId, outcome: "failed", detail: { reason: "no such customer" } });
        return { status: "not_found" };
      }
      const { verdict, channel } = judged;
      const refusedBecause = verdict.action === "skip" ? verdict.reason : channel === null ? "unreachable" : undefined;
      if (refusedBecause) {
        await staff.audit(actor, "message.send", { customerId, outcome: "refused", detail: { verdict: verdictJson(verdict), reason: refusedBecause } });
        return { status: "refused", verdict, channel, reason: refusedBecause };
      }
      // Through the outbox like every message Tend sends on its own: the dispatcher asks the policy again at send time.
      const dedupeKey = `staff_message:${randomUUID()}`;
      await deps.outbox.enqueueNow([{ customerId, topic, kind: "staff_message", message: { text: message }, dedupeKey, notBefore: clock.now() }]);
      // The text is the customer's business; the audit keeps its length and the verdict.
      await staff.audit(actor, "message.send", { customerId, target: dedupeKey, detail: { verdict: verdictJson(verdict), channel, length: message.length, topic } });
      return { status: "queued", dedupeKey, verdict, channel };
    },

    takeOver: (customerId, actor) => customers.takeOver(customerId, actor),

    cases: (customerId, limit) => deps.repo.cases(customerId, limit),

    async report(actor) {
      const report = await staffReport({ surveys: deps.surveys, overview: deps.overview, repo: deps.repo, now: clock.now() });
      await staff.audit(actor, "staff.report", { detail: { from: report.from.toISOString(), to: report.to.toISOString() } });
      return report;
    },
  };
}

function verdictJson(verdict: ReturnType<typeof decide>): { action: string; reason?: string; until?: string } {
  if (verdict.action === "send") return { action: "send" };
  if (verdict.action === "skip") return { action: "skip", reason: verdict.reason };
  return { action: "defer", reason: verdict.reason, until: verdict.until.toISOString() };
}
