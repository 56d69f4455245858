import { actionId, parseAction } from "../core/action-ids.ts";

/** Answer buttons carry the invitation and the score in their id (see src/core/action-ids.ts). */
export interface SurveyChoice {
  id: string;
  label: string;
}

export interface SurveyAction {
  invitationId: string;
  score: number;
}

export function surveyActionId(invitationId: string, score: number): string {
  return actionId({ kind: "survey", invitationId, score });
}

/** The invitation and score behind a button id; null when the id is not a survey answer. */
export function parseSurveyAction(id: string): SurveyAction | null {
  const action = parseAction(id);
  return action?.kind === "survey" ? { invitationId: action.invitationId, score: action.score } : null;
}
