import type { SurveyReportCell } from "../db/repositories/survey-repository.ts";

/** One line of the survey report: a channel in an ISO week, a channel over the range, or everything. */
export interface SurveyReportRow {
  /** A platform, or "all" in the grand total. */
  channel: string;
  /** An ISO week such as "2026-W09", or "all" in totals. */
  week: string;
  invitations: number;
  responses: number;
  /** Responses per invitation sent, in percent; null without invitations. */
  responseRate: number | null;
  /** Unanswered invitations that can still be answered. */
  stillOpen: number;
  csatResponses: number;
  /** CSAT answers scoring 4 or 5. */
  csatSatisfied: number;
  /** Share of CSAT answers scoring 4 or 5, in percent; null without CSAT answers. */
  csatPercent: number | null;
  npsResponses: number;
  promoters: number;
  passives: number;
  detractors: number;
  /** % promoters (9-10) minus % detractors (0-6), from -100 to 100; null without NPS answers. */
  nps: number | null;
}

export interface SurveyReport {
  /** Invitations sent in [from, to), counted with their answers in the week they were sent (UTC). */
  from: Date;
  to: Date;
  generatedAt: Date;
  /** By ISO week, then channel. */
  rows: SurveyReportRow[];
  /** Each channel over the whole range. */
  byChannel: SurveyReportRow[];
  total: SurveyReportRow;
}

type Counts = Omit<SurveyReportRow, "channel" | "week" | "responseRate" | "csatPercent" | "nps">;

function emptyCounts(): Counts {
  return { invitations: 0, responses: 0, stillOpen: 0, csatResponses: 0, csatSatisfied: 0, npsResponses: 0, promoters: 0, passives: 0, detractors: 0 };
}

function add(counts: Counts, cell: SurveyReportCell): void {
  counts.invitations += cell.invitations;
  counts.stillOpen += cell.stillOpen;
  if (cell.score === null) return;
  counts.responses += cell.invitations;
  if (cell.kind === "csat") {
    counts.csatResponses += cell.invitations;
    if (cell.score >= 4) counts.csatSatisfied += cell.invitations;
  } else {
    counts.npsResponses += cell.invitations;
    if (cell.score >= 9) counts.promoters += cell.invitations;
    else if (cell.score >= 7) counts.passives += cell.invitations;
    else counts.detractors += cell.invitations;
  }
}

const percent = (part: number, whole: number): number | null => (whole === 0 ? null : round1((100 * part) / whole));
const round1 = (value: number): number => Math.round(value * 10) / 10;

function finish(channel: string, week: string, c: Counts): SurveyReportRow {
  return {
    channel,
    week,
    ...c,
    responseRate: percent(c.responses, c.invitations),
    csatPercent: percent(c.csatSatisfied, c.csatResponses),
    // From the counts, not from two rounded percentages, so 1/3 - 1/3 is exactly 0.
    nps: c.npsResponses === 0 ? null : round1((100 * (c.promoters - c.detractors)) / c.npsResponses),
  };
}

/** Turns the database's (platform, week, kind, score) counts into report rows and totals. */
export function summarizeSurveyCells(cells: SurveyReportCell[], range: { from: Date; to: Date; generatedAt: Date }): SurveyReport {
  const weekly = new Map<string, { channel: string; week: string; counts: Counts }>();
  const channels = new Map<string, Counts>();
  const total = emptyCounts();
  for (const cell of cells) {
    const key = `${cell.week}\u0000${cell.platform}`;
    let bucket = weekly.get(key);
    if (!bucket) weekly.set(key, (bucket = { channel: cell.platform, week: cell.week, counts: emptyCounts() }));
    add(bucket.counts, cell);
    let channel = channels.get(cell.platform);
    if (!channel) channels.set(cell.platform, (channel = emptyCounts()));
    add(channel, cell);
    add(total, cell);
  }
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    ...range,
    rows: [...weekly.values()]
      .sort((a, b) => byText(a.week, b.week) || byText(a.channel, b.channel))
      .map((b) => finish(b.channel, b.week, b.counts)),
    byChannel: [...channels.entries()].sort(([a], [b]) => byText(a, b)).map(([channel, counts]) => finish(channel, "all", counts)),
    total: finish("all", "all", total),
  };
}
