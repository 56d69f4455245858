/**
 * What an outbound message is about, as the contact policy sees it: consent, quiet hours and the
 * weekly budget depend on the topic, not on the plan that made the message.
 */
export const outreachTopics = ["care", "marketing", "survey", "case_followup", "staff", "transactional"] as const;
export type OutreachTopic = (typeof outreachTopics)[number];

export function isOutreachTopic(value: string): value is OutreachTopic {
  return (outreachTopics as readonly string[]).includes(value);
}
