import type { StaffReport, SurveyReport } from "../../src/core/staff-console-services.ts";
import { type Block, context, header, mrkdwnSection, section, stamp } from "./blocks.ts";
import type { StaffFeature } from "./context.ts";

type Row = SurveyReport["total"];

const pct = (value: number | null) => (value === null ? "–" : `${value}%`);
const num = (value: number | null) => (value === null ? "–" : String(value));

/** "↑ from 70%" / "↓ from 80%" / "= 75%" / "(no earlier data)". */
function trend(now: number | null, before: number | null, unit: string): string {
  if (now === null) return "";
  if (before === null) return " (nothing to compare with)";
  if (now === before) return ` (= the 30 days before)`;
  return ` (${now > before ? "↑" : "↓"} from ${before}${unit})`;
}

function rowLine(label: string, row: Row, previous: Row | undefined): string {
  return (
    `${label}: CSAT ${pct(row.csatPercent)} of ${row.csatResponses}${trend(row.csatPercent, previous?.csatPercent ?? null, "%")} · ` +
    `NPS ${num(row.nps)} of ${row.npsResponses}${trend(row.nps, previous?.nps ?? null, "")} · ` +
    `${row.responses} responses to ${row.invitations} invitations (${pct(row.responseRate)})`
  );
}

/** The report as Block Kit. */
export function reportBlocks(report: StaffReport): Block[] {
  const { surveys, previousSurveys } = report;
  const blocks: Block[] = [header("Tend report: the last 30 days"), context(`${stamp(report.from)} to ${stamp(report.to)}; trends against the 30 days before`)];

  const lines = [rowLine("All channels", surveys.total, previousSurveys.total)];
  for (const channel of surveys.byChannel) lines.push(rowLine(channel.channel, channel, previousSurveys.byChannel.find((c) => c.channel === channel.channel)));
  blocks.push(mrkdwnSection("*Satisfaction*"), section(lines.join("\n")));

  if (surveys.rows.length) {
    const weekly = surveys.rows.map((r) => `${r.week} ${r.channel}: CSAT ${pct(r.csatPercent)} (${r.csatResponses}), NPS ${num(r.nps)} (${r.npsResponses}), ${r.responses}/${r.invitations} answered`);
    blocks.push(mrkdwnSection("*By week*"), section(weekly.join("\n")));
  }

  blocks.push(
    mrkdwnSection("*Messages Tend did not understand*"),
    section(report.topUnrecognised.length ? report.topUnrecognised.map((u) => `${u.count}× "${u.text}"`).join("\n") : "None in the last 30 days."),
  );

  const o = report.outreach;
  const r = report.outreachInRange;
  const byReason = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([reason, n]) => `${reason.replace(/_/g, " ")} ${n}`)
      .join(", ");
  blocks.push(
    mrkdwnSection("*Outreach*"),
    section(
      [
        `Queued in the last 30 days: sent ${r.sent}, deferred ${r.deferred}, failed ${r.failed}, skipped ${r.skipped}`,
        `Now: ${o.queued.total} queued (${o.queued.dueNow} due now), ${o.deferred.total} deferred${o.deferred.total ? ` (${byReason(o.deferred.byReason)})` : ""}, ` +
          `${o.failed} failed, ${o.dead} dead-lettered; sent ${o.sent.last24h} in the last 24 h, ${o.sent.total} in all`,
        o.skipped.total ? `Skipped by the contact policy: ${byReason(o.skipped.byReason)}` : null,
      ]
        .filter(Boolean)
        .join("\n"),
    ),
  );
  return blocks;
}

/** `/tend report`. */
export const reportFeature: StaffFeature = (_app, ctx) => {
  ctx.subcommand({
    name: "report",
    usage: "report",
    help: "CSAT, NPS and responses by channel for 30 days with trends, messages Tend did not understand, outreach sent/deferred/failed",
    async run({ respond, actor }) {
      const report = await ctx.services.report(actor);
      await respond({ response_type: "ephemeral", text: "Tend report: the last 30 days", blocks: reportBlocks(report) as never });
    },
  });
};
