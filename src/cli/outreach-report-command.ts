import type { Command } from "commander";
import type { Database } from "../db/database.ts";
import { parseReportDate } from "./report-commands.ts";

/** `tend outreach report --plan win-back --since DATE`: a care plan's treated vs control comparison (issue 14). */
export function registerOutreachReportCommand(program: Command, openDb: () => Promise<Database>, write: (text: string) => void): void {
  // Other outreach commands may have made `outreach` already; the report joins it.
  const outreach = program.commands.find((c) => c.name() === "outreach") ?? program.command("outreach").description("scheduled care outreach");
  outreach
    .command("report")
    .description("a care plan's effect: treated vs control customers over the next 30 and 90 days, with 95% intervals")
    .requiredOption("--plan <plan>", "birthday, festival, check-in, win-back, anniversary, tier-upgrade, campaign (all) or campaign:<id>")
    .requiredOption("--since <date>", "first occurrence day, YYYY-MM-DD")
    .option("--json", "print JSON instead of text")
    .action(async (options: { plan: string; since: string; json?: boolean }) => {
      const since = parseReportDate(options.since, "--since");
      const { kindOfPlan, upliftReport, formatUpliftReport } = await import("../outreach/uplift-report.ts");
      // Checked before the database is opened: a typo fails fast.
      kindOfPlan(options.plan);
      const { CarePlanRepository } = await import("../db/repositories/care-plan-repository.ts");
      const db = await openDb();
      try {
        const report = await upliftReport(new CarePlanRepository(db.prisma), options.plan, since, new Date());
        write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatUpliftReport(report));
      } finally {
        await db.close();
      }
    });
}
