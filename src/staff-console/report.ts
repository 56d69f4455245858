import type { StaffReport } from "../core/staff-console-services.ts";
import type { OutreachOverviewRepository } from "../db/repositories/outreach-overview-repository.ts";
import type { StaffConsoleRepository } from "../db/repositories/staff-console-repository.ts";
import type { SurveyService } from "../surveys/survey-service.ts";

const DAY_MS = 86_400_000;
export const REPORT_DAYS = 30;
const TOP_UNRECOGNISED = 10;

/**
 * `/tend report`: the survey report (src/surveys/report.ts, as `tend report surveys`) for the last
 * 30 days and the 30 before for the trend, the messages Tend most often did not understand, and
 * the outbox (as `tend outreach status`, plus what became of the rows made in the 30 days).
 */
export async function staffReport(deps: { surveys: SurveyService; overview: OutreachOverviewRepository; repo: StaffConsoleRepository; now: Date }): Promise<StaffReport> {
  const { now } = deps;
  const from = new Date(now.getTime() - REPORT_DAYS * DAY_MS);
  const before = new Date(from.getTime() - REPORT_DAYS * DAY_MS);
  const [surveys, previousSurveys, topUnrecognised, outreach, outreachInRange] = await Promise.all([
    deps.surveys.surveyReport({ from, to: now, now }),
    deps.surveys.surveyReport({ from: before, to: from, now }),
    deps.repo.topUnrecognised(from, now, TOP_UNRECOGNISED),
    deps.overview.status(now),
    deps.repo.outboxOutcomes(from, now),
  ]);
  return { from, to: now, surveys, previousSurveys, topUnrecognised, outreach, outreachInRange };
}
