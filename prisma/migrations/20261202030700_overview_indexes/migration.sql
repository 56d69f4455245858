-- The dashboard overview at a million customers (issue 12).

-- The survey report's period (the overview, `tend report surveys`): invitations sent in a range.
CREATE INDEX "SurveyInvitation_sentAt_idx" ON "SurveyInvitation"("sentAt");

-- Messages sent per day over the last 14 days, without reading every sent message.
CREATE INDEX "OutboxMessage_status_sentAt_idx" ON "OutboxMessage"("status", "sentAt");

-- The score figures (stage moves, segment sizes, predicted CLV) in one index-only pass instead of
-- reading every score row with its explanation.
CREATE INDEX "CustomerScore_overview_idx" ON "CustomerScore"("lifecycleStage", "previousLifecycleStage", "rfmSegment", "predictedClv");
