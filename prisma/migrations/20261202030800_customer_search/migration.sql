-- Customer search and the customers table at a million customers (issue 12).
-- pg_trgm lets a GIN index answer ILIKE '%fragment%' on names, so a name search no longer reads every
-- customer; email and phone become indexed exact keys; "last active" and "predicted CLV" get keyset indexes.
-- pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it. PGlite loads it
-- from @electric-sql/pglite/contrib/pg_trgm (src/db/pglite.ts). On a large existing database the GIN
-- indexes take a while to build (about 1,000,000 names: tens of seconds) and hold writes meanwhile.

-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

-- CreateIndex
CREATE INDEX "Customer_displayName_trgm_idx" ON "Customer" USING GIN ("displayName" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Customer_email_idx" ON "Customer"("email");

-- CreateIndex
CREATE INDEX "Customer_phone_idx" ON "Customer"("phone");

-- CreateIndex
CREATE INDEX "ChannelIdentity_displayName_trgm_idx" ON "ChannelIdentity" USING GIN ("displayName" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "ChannelIdentity_lastSeenAt_id_idx" ON "ChannelIdentity"("lastSeenAt", "id");

-- CreateIndex
CREATE INDEX "CustomerScore_predictedClv_customerId_idx" ON "CustomerScore"("predictedClv", "customerId");
