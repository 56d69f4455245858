-- One-off staff campaigns to a segment (issue 9 §3): a draft, previewed, then sent as one outbox row per
-- recipient (topic marketing, dedupe key campaign:<id>:<customer>); see src/outreach/campaign-service.ts.
-- CreateEnum
CREATE TYPE "CampaignStatus" AS ENUM ('draft', 'sent', 'cancelled');

-- CreateTable
CREATE TABLE "Campaign" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "message" JSONB NOT NULL,
    "offer" JSONB,
    "segment" JSONB NOT NULL,
    "controlShare" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "scheduledAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status" "CampaignStatus" NOT NULL DEFAULT 'draft',
    "createdBy" TEXT NOT NULL,
    "sentBy" TEXT,
    "cancelledBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),
    "cancelledAt" TIMESTAMP(3),
    "queuedCount" INTEGER NOT NULL DEFAULT 0,
    "controlCount" INTEGER NOT NULL DEFAULT 0,
    "unreachableCount" INTEGER NOT NULL DEFAULT 0,
    "cancelledCount" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Campaign_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Campaign_createdAt_idx" ON "Campaign"("createdAt");

