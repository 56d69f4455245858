import type { ContactFactsRepository } from "../db/repositories/contact-facts-repository.ts";
import { type ContactPolicySettings, type PolicyVerdict, decide } from "./contact-policy.ts";
import type { OutreachTopic } from "./topics.ts";

/**
 * The contact policy as the dispatcher asks it at send time: the customer's facts as of `now`,
 * read fresh for each message (an opt-out or erasure after planning counts), then `decide`.
 */
export function contactGate(
  facts: Pick<ContactFactsRepository, "factsFor">,
  settings: ContactPolicySettings,
): (topic: OutreachTopic, customerId: string, now: Date) => Promise<PolicyVerdict> {
  return async (topic, customerId, now) => decide(topic, await facts.factsFor(customerId, now), settings);
}
