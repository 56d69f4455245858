-- The outbox becomes the one durable outbound path (issue 9 §1): the dispatcher dead-letters
-- rows whose transient failures outlast the retries and records the contact policy's skips;
-- each row carries its policy topic, the latest defer reason, and the platform's receipt.
ALTER TYPE "OutboxStatus" ADD VALUE 'dead';
ALTER TYPE "OutboxStatus" ADD VALUE 'skipped';

-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN     "deferReason" TEXT,
ADD COLUMN     "platformMessageId" TEXT,
ADD COLUMN     "sentPlatform" "Platform",
ADD COLUMN     "topic" TEXT NOT NULL DEFAULT 'transactional';

-- A channel identity a send found unreachable (blocked the bot): the dispatcher tries another.
ALTER TABLE "ChannelIdentity" ADD COLUMN     "unreachableAt" TIMESTAMP(3);
