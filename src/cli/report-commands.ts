import type { Command } from "commander";
import type { Database } from "../db/database.ts";
import { TendError } from "../errors.ts";
import type { SurveyReport, SurveyReportRow } from "../surveys/report.ts";

const DAY = 86_400_000;
/** Without --from, the report covers four weeks ending with --to. */
const DEFAULT_DAYS = 28;

/** A YYYY-MM-DD calendar date as UTC midnight; a clear error for anything else (2026-02-30 too). */
export function parseReportDate(value: string, option: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
  if (!date || date.toISOString().slice(0, 10) !== value.trim()) {
    throw new TendError("REPORT_BAD_DATE", `${option} must be a date written YYYY-MM-DD, e.g. 2026-03-01 (got ${JSON.stringify(value)})`);
  }
  return date;
}

/** [from, to) for the report: --to is included, so the range ends at the next midnight (UTC). */
export function reportRange(options: { from?: string | undefined; to?: string | undefined }, now: Date): { from: Date; to: Date } {
  const lastDay = options.to !== undefined ? parseReportDate(options.to, "--to") : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const to = new Date(lastDay.getTime() + DAY);
  const from = options.from !== undefined ? parseReportDate(options.from, "--from") : new Date(to.getTime() - DEFAULT_DAYS * DAY);
  if (from.getTime() >= to.getTime()) {
    throw new TendError("REPORT_BAD_RANGE", `--from (${day(from)}) must not be after --to (${day(lastDay)})`);
  }
  return { from, to };
}

const day = (date: Date) => date.toISOString().slice(0, 10);
const pct = (value: number | null) => (value === null ? "-" : `${value.toFixed(1)}%`);
const signed = (value: number | null) => (value === null ? "-" : `${value > 0 ? "+" : ""}${value.toFixed(1)}`);

/** The report as a plain-text table: weeks by channel, then each channel, then the total. */
export function formatSurveyReport(report: SurveyReport): string {
  const lastDay = new Date(report.to.getTime() - DAY);
  const title = `Survey report ${day(report.from)} to ${day(lastDay)} (invitations by the ISO week they were sent, UTC)`;
  if (report.total.invitations === 0) return `${title}\nNo survey invitations were sent in this period.\n`;

  const header = ["Week", "Channel", "Sent", "Answered", "Rate", "Open", "CSAT 4-5 (n)", "NPS (n)"];
  const cells = (row: SurveyReportRow) => [
    row.week,
    row.channel,
    String(row.invitations),
    String(row.responses),
    pct(row.responseRate),
    String(row.stillOpen),
    row.csatResponses ? `${pct(row.csatPercent)} (${row.csatResponses})` : "-",
    row.npsResponses ? `${signed(row.nps)} (${row.npsResponses})` : "-",
  ];
  const body = [...report.rows.map(cells), null, ...report.byChannel.map(cells), null, cells({ ...report.total, week: "total" })];
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r ? (r[i] ?? "").length : 0))));
  // Text columns to the left, numbers to the right, as in a spreadsheet.
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  const lines = [title, "", line(header), rule, ...body.map((r) => (r ? line(r) : rule))];
  lines.push("", "Rate: answers per invitation sent. CSAT: share of answers scoring 4 or 5. NPS: % promoters (9-10) minus % detractors (0-6).");
  return `${lines.join("\n")}\n`;
}

export function registerReportCommands(
  program: Command,
  openDb: () => Promise<Database>,
  write: (text: string) => void = (text) => void process.stdout.write(text),
): void {
  // Other reports may have made `report` already; surveys joins it rather than replacing it.
  const report = program.commands.find((c) => c.name() === "report") ?? program.command("report").description("reports on Tend's data");
  report
    .command("surveys")
    .description("survey invitations, response rate, CSAT and NPS per channel and ISO week")
    .option("--from <date>", `first day, YYYY-MM-DD (default: ${DEFAULT_DAYS} days up to --to)`)
    .option("--to <date>", "last day, included, YYYY-MM-DD (default: today, UTC)")
    .option("--json", "print JSON instead of a table")
    .action(async (options: { from?: string; to?: string; json?: boolean }) => {
      const now = new Date();
      // Dates are checked before the database is opened: a typo fails fast.
      const range = reportRange(options, now);
      const { SurveyService } = await import("../surveys/survey-service.ts");
      const db = await openDb();
      try {
        const result = await new SurveyService({ prisma: db.prisma }).surveyReport({ ...range, now });
        write(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatSurveyReport(result));
      } finally {
        await db.close();
      }
    });
}
