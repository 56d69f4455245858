-- AlterTable
ALTER TABLE "Interaction" ADD COLUMN     "claimedAt" TIMESTAMP(3),
ADD COLUMN     "handledAt" TIMESTAMP(3);

-- Messages received before this migration were handled by the code of the time: give them an outcome,
-- so a late redelivery of one is a duplicate, not a message to handle again.
UPDATE "Interaction" SET "claimedAt" = "occurredAt", "handledAt" = "occurredAt" WHERE "direction" = 'in';
