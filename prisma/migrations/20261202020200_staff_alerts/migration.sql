-- Staff alerts and takeover threads (issues 10 and 14). Outbox rows can now be addressed to staff
-- (an alert, a line in a takeover thread, a reaction) rather than to the customer: the dispatcher
-- sends those through the staff notifier, without the customer contact policy.
CREATE TYPE "OutboxAudience" AS ENUM ('customer', 'staff');
ALTER TABLE "OutboxMessage" ADD COLUMN "audience" "OutboxAudience" NOT NULL DEFAULT 'customer';

-- One alert posted to the staff channel; for a handover its Slack thread is the takeover relay.
CREATE TABLE "StaffAlert" (
    "id" UUID NOT NULL,
    "customerId" UUID NOT NULL,
    "caseId" UUID,
    "reason" TEXT NOT NULL,
    "slackChannel" TEXT,
    "slackTs" TEXT,
    "claimedById" TEXT,
    "claimedByName" TEXT,
    "claimedAt" TIMESTAMP(3),
    "resolvedById" TEXT,
    "resolvedByName" TEXT,
    "resolvedAt" TIMESTAMP(3),
    "releasedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StaffAlert_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "StaffAlert_caseId_key" ON "StaffAlert"("caseId");
CREATE UNIQUE INDEX "StaffAlert_slackChannel_slackTs_key" ON "StaffAlert"("slackChannel", "slackTs");
CREATE INDEX "StaffAlert_customerId_createdAt_idx" ON "StaffAlert"("customerId", "createdAt");
