/**
 * Why Tend is writing to a customer who did not just ask for something. The contact policy
 * (src/outreach/contact-policy.ts) decides per topic; the outbox keeps it on each row.
 */
export type OutreachTopic = "care" | "marketing" | "survey" | "case_followup" | "staff" | "transactional";
