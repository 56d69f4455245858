-- CreateEnum
CREATE TYPE "LifecycleStage" AS ENUM ('potential', 'new', 'growing', 'mature', 'declining', 'churned');

-- CreateEnum
CREATE TYPE "RelationshipLevel" AS ENUM ('basic', 'reactive', 'accountable', 'proactive', 'partnership');

-- CreateTable
CREATE TABLE "CustomerScore" (
    "id" UUID NOT NULL,
    "customerId" UUID NOT NULL,
    "runId" UUID,
    "computedAt" TIMESTAMP(3) NOT NULL,
    "windowStart" TIMESTAMP(3) NOT NULL,
    "windowMonths" SMALLINT NOT NULL,
    "orderCount" INTEGER NOT NULL,
    "firstOrderAt" TIMESTAMP(3),
    "lastOrderAt" TIMESTAMP(3),
    "recencyDays" INTEGER,
    "frequency" INTEGER NOT NULL,
    "monetary" DECIMAL(16,2) NOT NULL,
    "rfmRecency" SMALLINT,
    "rfmFrequency" SMALLINT,
    "rfmMonetary" SMALLINT,
    "rfmSegment" TEXT,
    "lifecycleStage" "LifecycleStage" NOT NULL,
    "relationshipLevel" "RelationshipLevel" NOT NULL,
    "probabilityAlive" DOUBLE PRECISION,
    "predictedPurchases" DOUBLE PRECISION,
    "historicClv" DECIMAL(16,2) NOT NULL,
    "predictedClv" DECIMAL(16,2),
    "explanation" JSONB NOT NULL,

    CONSTRAINT "CustomerScore_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AnalyticsRun" (
    "id" UUID NOT NULL,
    "activeKey" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),
    "customers" INTEGER NOT NULL DEFAULT 0,
    "bgnbd" JSONB,
    "gammaGamma" JSONB,
    "modelNote" TEXT,
    "error" TEXT,

    CONSTRAINT "AnalyticsRun_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "CustomerScore_customerId_key" ON "CustomerScore"("customerId");

-- CreateIndex
CREATE INDEX "CustomerScore_rfmSegment_idx" ON "CustomerScore"("rfmSegment");

-- CreateIndex
CREATE INDEX "CustomerScore_lifecycleStage_idx" ON "CustomerScore"("lifecycleStage");

-- CreateIndex
CREATE INDEX "CustomerScore_relationshipLevel_idx" ON "CustomerScore"("relationshipLevel");

-- CreateIndex
CREATE INDEX "CustomerScore_runId_idx" ON "CustomerScore"("runId");

-- CreateIndex
CREATE UNIQUE INDEX "AnalyticsRun_activeKey_key" ON "AnalyticsRun"("activeKey");

-- CreateIndex
CREATE INDEX "AnalyticsRun_startedAt_idx" ON "AnalyticsRun"("startedAt");

-- AddForeignKey
ALTER TABLE "CustomerScore" ADD CONSTRAINT "CustomerScore_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CustomerScore" ADD CONSTRAINT "CustomerScore_runId_fkey" FOREIGN KEY ("runId") REFERENCES "AnalyticsRun"("id") ON DELETE SET NULL ON UPDATE CASCADE;

