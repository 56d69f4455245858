-- AlterTable: the stage a score row had before the latest refresh replaced it (null for new rows).
ALTER TABLE "CustomerScore" ADD COLUMN "previousLifecycleStage" "LifecycleStage";
