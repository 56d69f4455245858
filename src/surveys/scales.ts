import type { SurveyKind } from "../db/generated/client.ts";

export type { SurveyKind };

export interface Scale {
  min: number;
  max: number;
}

export const scales: Record<SurveyKind, Scale> = {
  csat: { min: 1, max: 5 },
  nps: { min: 0, max: 10 },
};

export function inScale(kind: SurveyKind, score: number): boolean {
  const { min, max } = scales[kind];
  return Number.isInteger(score) && score >= min && score <= max;
}

/** Scores that open a feedback case by themselves: CSAT 1-2, NPS 0-6 (detractors). */
export function isLowScore(kind: SurveyKind, score: number): boolean {
  return kind === "csat" ? score <= 2 : score <= 6;
}

export function describeScore(kind: SurveyKind, score: number): string {
  return `${kind === "csat" ? "CSAT" : "NPS"} ${score}/${scales[kind].max}`;
}
