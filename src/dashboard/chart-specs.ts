import type { SurveyReportRow } from "../surveys/report.ts";
import type { DashboardTexts } from "./dashboard-texts.ts";
import type { Overview } from "./overview-data.ts";
import type { OverviewTexts } from "./overview-texts.ts";

/** One line or bar series; null is a gap (no answers that week). */
export interface ChartSeries {
  name: string;
  values: (number | null)[];
  /** Drawn against the right-hand axis (a second unit, e.g. the mean beside a total). */
  right?: boolean;
  /** A line over bars (in a bar chart). */
  line?: boolean;
}

/**
 * What the browser script (chart-client.js) turns into a Chart.js chart: only data and words,
 * already in the page's language; colours and options are the script's.
 */
export interface ChartSpec {
  type: "line" | "bar";
  horizontal?: boolean;
  stacked?: boolean;
  labels: string[];
  series: ChartSeries[];
  yMin?: number;
  yMax?: number;
  /** Values are percentages (axis ticks get a %). */
  percent?: boolean;
}

export type OverviewCharts = Record<string, ChartSpec>;

/** Weeks on the x axis, one line per channel, the value `pick` reads from each week's row. */
function weekly(rows: SurveyReportRow[], pick: (row: SurveyReportRow) => number | null): Pick<ChartSpec, "labels" | "series"> {
  const weeks = [...new Set(rows.map((r) => r.week))].sort();
  const channels = [...new Set(rows.map((r) => r.channel))].sort();
  return {
    labels: weeks,
    series: channels.map((channel) => ({
      name: channel,
      values: weeks.map((week) => {
        const row = rows.find((r) => r.week === week && r.channel === channel);
        return row ? pick(row) : null;
      }),
    })),
  };
}

/** The overview's charts, keyed by the id of the element each is drawn in. */
export function overviewCharts(o: Overview, d: DashboardTexts, t: OverviewTexts): OverviewCharts {
  const counts = { customers: d.customersCount, count: d.count };
  const ages = d.ages;
  const reasons = [...new Set(o.outreachDays.flatMap((d) => Object.keys(d.deferredByReason)))].sort();
  const charts: OverviewCharts = {
    csat: { type: "line", ...weekly(o.surveys, (r) => r.csatPercent), yMin: 0, yMax: 100, percent: true },
    nps: { type: "line", ...weekly(o.surveys, (r) => r.nps), yMin: -100, yMax: 100 },
    response: {
      type: "bar",
      labels: [...o.responseByChannel.map((r) => r.channel), t.allChannels],
      series: [{ name: t.responseTitle, values: [...o.responseByChannel, o.responseTotal].map((r) => r.responseRate) }],
      yMin: 0,
      yMax: 100,
      percent: true,
    },
    outreach: {
      type: "bar",
      stacked: true,
      labels: o.outreachDays.map((d) => d.day.slice(5)),
      series: [
        { name: t.sent, values: o.outreachDays.map((d) => d.sent) },
        ...reasons.map((reason) => ({ name: t.deferredFor(t.reason(reason)), values: o.outreachDays.map((d) => d.deferredByReason[reason] ?? 0) })),
        { name: t.failed, values: o.outreachDays.map((d) => d.failed) },
      ],
      yMin: 0,
    },
    tiers: { type: "bar", labels: o.tiers.map((c) => c.label), series: [{ name: counts.customers, values: o.tiers.map((c) => c.count) }], yMin: 0 },
    lifecycle: {
      type: "bar",
      horizontal: true,
      labels: o.lifecycle.map((c) => t.stage(c.label)),
      series: [{ name: counts.customers, values: o.lifecycle.map((c) => c.count) }],
      yMin: 0,
    },
    moves: {
      type: "bar",
      horizontal: true,
      labels: o.moves.map((m) => `${t.stage(m.from)} → ${t.stage(m.to)}`),
      series: [{ name: counts.customers, values: o.moves.map((m) => m.count) }],
      yMin: 0,
    },
    rfm: {
      type: "bar",
      horizontal: true,
      labels: o.segments.map((s) => t.segment(s.label)),
      series: [{ name: counts.customers, values: o.segments.map((s) => s.customers) }],
      yMin: 0,
    },
    clv: {
      type: "bar",
      labels: o.segments.map((s) => t.segment(s.label)),
      series: [
        { name: t.clvSum, values: o.segments.map((s) => round2(s.clvSum)) },
        { name: t.clvMean, values: o.segments.map((s) => (s.clvMean === null ? null : round2(s.clvMean))), right: true, line: true },
      ],
      yMin: 0,
    },
    cases: {
      type: "bar",
      labels: o.openCasesByAge.map((c) => ages[c.label] ?? c.label),
      series: [{ name: counts.count, values: o.openCasesByAge.map((c) => c.count) }],
      yMin: 0,
    },
  };
  return charts;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/** The charts as JSON for a `<script type="application/json">`: "<" escaped so no value can close the element. */
export function chartsJson(charts: OverviewCharts): string {
  return JSON.stringify(charts).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}
