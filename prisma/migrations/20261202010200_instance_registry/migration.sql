-- CreateTable
CREATE TABLE "TendInstance" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "platforms" "Platform"[],
    "startedAt" TIMESTAMP(3) NOT NULL,
    "heartbeatAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TendInstance_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "TendInstance_heartbeatAt_idx" ON "TendInstance"("heartbeatAt");

