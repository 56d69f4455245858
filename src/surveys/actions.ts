/**
 * Answer buttons carry the invitation and the score in their id, so a tap needs no server-side
 * state: `survey:<invitationId>:<score>` (46 bytes at most, inside Telegram's 64-byte limit).
 */
const PREFIX = "survey";
const pattern = /^survey:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(\d{1,2})$/i;

export interface SurveyChoice {
  id: string;
  label: string;
}

export interface SurveyAction {
  invitationId: string;
  score: number;
}

export function surveyActionId(invitationId: string, score: number): string {
  return `${PREFIX}:${invitationId}:${score}`;
}

/** The invitation and score behind a button id; null when the id is not a survey answer. */
export function parseSurveyAction(id: string): SurveyAction | null {
  const match = pattern.exec(id);
  if (!match?.[1] || match[2] === undefined) return null;
  return { invitationId: match[1].toLowerCase(), score: Number(match[2]) };
}
