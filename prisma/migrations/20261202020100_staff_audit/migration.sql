-- Staff identity and audit (issue 10): named API keys, the audit log, who holds a handed-over conversation.

-- CreateEnum
CREATE TYPE "StaffActorKind" AS ENUM ('staff', 'integration');

-- CreateEnum
CREATE TYPE "StaffAuditOutcome" AS ENUM ('ok', 'refused', 'failed');

-- AlterTable
ALTER TABLE "Customer" ADD COLUMN "handedOverTo" TEXT,
ADD COLUMN "handedOverToName" TEXT;

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "StaffActorKind" NOT NULL,
    "hash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StaffAuditEntry" (
    "id" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorKind" "StaffActorKind" NOT NULL,
    "actorId" TEXT NOT NULL,
    "actorName" TEXT NOT NULL,
    "via" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "customerId" UUID,
    "target" TEXT,
    "before" JSONB,
    "after" JSONB,
    "detail" JSONB,
    "outcome" "StaffAuditOutcome" NOT NULL DEFAULT 'ok',

    CONSTRAINT "StaffAuditEntry_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_name_key" ON "ApiKey"("name");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");

-- CreateIndex
CREATE INDEX "StaffAuditEntry_at_idx" ON "StaffAuditEntry"("at");

-- CreateIndex
CREATE INDEX "StaffAuditEntry_customerId_at_idx" ON "StaffAuditEntry"("customerId", "at");

-- CreateIndex
CREATE INDEX "StaffAuditEntry_actorId_at_idx" ON "StaffAuditEntry"("actorId", "at");

-- CreateIndex
CREATE INDEX "ChannelIdentity_platformUserId_idx" ON "ChannelIdentity"("platformUserId");
