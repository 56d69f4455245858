-- Staff "pause outreach until" on a customer: the contact policy defers care, marketing and
-- survey messages until then (src/outreach/contact-policy.ts).
ALTER TABLE "Customer" ADD COLUMN "outreachPausedUntil" TIMESTAMP(3);
