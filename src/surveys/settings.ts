import type { Config } from "../config/env.ts";

export interface SurveySettings {
  /** How long an invitation can be answered. */
  answerWindowHours: number;
  /** No NPS invitation to a customer who got one within this many days. */
  npsMinDaysBetween: number;
  /** How long after a score the customer's next message counts as the reason for it. */
  reasonWindowMinutes: number;
  /**
   * Called once per recorded answer, e.g. to grant loyalty bonus points; kept as a hook so that
   * surveys do not depend on loyalty. A failure is reported, never undoes the answer.
   */
  onCompleted?: ((customerId: string, invitationId: string) => void | Promise<void>) | undefined;
}

export const defaultSurveySettings: SurveySettings = {
  answerWindowHours: 72,
  npsMinDaysBetween: 90,
  reasonWindowMinutes: 60,
};

export function surveySettingsFromConfig(
  config: Pick<Config, "SURVEY_ANSWER_WINDOW_HOURS" | "NPS_MIN_DAYS_BETWEEN" | "SURVEY_REASON_WINDOW_MINUTES">,
): SurveySettings {
  return {
    answerWindowHours: config.SURVEY_ANSWER_WINDOW_HOURS,
    npsMinDaysBetween: config.NPS_MIN_DAYS_BETWEEN,
    reasonWindowMinutes: config.SURVEY_REASON_WINDOW_MINUTES,
  };
}
