export { type SurveyAction, type SurveyChoice, parseSurveyAction, surveyActionId } from "./actions.ts";
export { type SurveyReport, type SurveyReportRow, summarizeSurveyCells } from "./report.ts";
export { type SurveyKind, inScale, isLowScore, scales } from "./scales.ts";
export { type SurveySettings, defaultSurveySettings, surveySettingsFromConfig } from "./settings.ts";
export {
  type AnswerResult,
  type InviteRefusal,
  type InviteResult,
  type ReasonResult,
  SurveyService,
  type SurveyServiceOptions,
} from "./survey-service.ts";
