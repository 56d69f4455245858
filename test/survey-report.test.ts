import { Command } from "commander";
import { beforeAll, describe, expect, it } from "vitest";
import { formatSurveyReport, registerReportCommands, reportRange } from "../src/cli/report-commands.ts";
import { ManualClock } from "../src/core/clock.ts";
import type { Database } from "../src/db/database.ts";
import type { Platform } from "../src/db/generated/client.ts";
import { TendError } from "../src/errors.ts";
import type { SurveyReportRow } from "../src/surveys/report.ts";
import { SurveyService } from "../src/surveys/survey-service.ts";
import { describeEachDatabase } from "./support/databases.ts";

describe("report dates", () => {
  const now = new Date("2026-03-20T15:00:00Z");

  it("takes --to as an included day and defaults to the last 28 days", () => {
    expect(reportRange({ from: "2026-03-02", to: "2026-03-15" }, now)).toEqual({ from: new Date("2026-03-02T00:00:00Z"), to: new Date("2026-03-16T00:00:00Z") });
    expect(reportRange({}, now)).toEqual({ from: new Date("2026-02-21T00:00:00Z"), to: new Date("2026-03-21T00:00:00Z") });
    expect(reportRange({ from: "2026-03-20", to: "2026-03-20" }, now).to).toEqual(new Date("2026-03-21T00:00:00Z"));
  });

  it.each([
    [{ from: "2026-02-30" }, /--from must be a date written YYYY-MM-DD.*"2026-02-30"/],
    [{ to: "03/01/2026" }, /--to must be a date written YYYY-MM-DD/],
    [{ from: "2026-3-1" }, /--from must be/],
    [{ from: "2026-03-10", to: "2026-03-01" }, /--from \(2026-03-10\) must not be after --to \(2026-03-01\)/],
  ])("refuses %j", (options, message) => {
    expect(() => reportRange(options, now)).toThrow(TendError);
    expect(() => reportRange(options, now)).toThrow(message);
  });
});

describeEachDatabase("survey report", (db) => {
  const now = new Date("2026-03-12T00:00:00Z");

  // Hand-computed dataset (weeks: W10 = Mar 2-8, W11 = Mar 9-15; each survey to its own customer).
  //   W10 telegram: CSAT 5, 4, 2, unanswered; NPS 10, 6  -> sent 6, answered 5, CSAT 2/3, NPS (1-1)/2 = 0
  //   W10 web:      NPS 9, 8                             -> sent 2, answered 2, NPS (1-0)/2 = +50
  //   W11 telegram: CSAT 3                               -> sent 1, answered 1, CSAT 0/1
  //   W11 web:      NPS unanswered, still open at `now`  -> sent 1, answered 0
  //   Outside the range: Sunday Mar 1 (W09) and Monday Mar 16.
  const dataset: [string, Platform, "csat" | "nps", number | null][] = [
    ["2026-03-02T09:00:00Z", "telegram", "csat", 5],
    ["2026-03-03T09:00:00Z", "telegram", "csat", 4],
    ["2026-03-04T09:00:00Z", "telegram", "csat", 2],
    ["2026-03-08T23:59:00Z", "telegram", "csat", null],
    ["2026-03-05T09:00:00Z", "telegram", "nps", 10],
    ["2026-03-06T09:00:00Z", "telegram", "nps", 6],
    ["2026-03-02T00:00:00Z", "web", "nps", 9],
    ["2026-03-07T12:00:00Z", "web", "nps", 8],
    ["2026-03-09T00:00:00Z", "telegram", "csat", 3],
    ["2026-03-11T10:00:00Z", "web", "nps", null],
    ["2026-03-01T23:59:59Z", "web", "csat", 1],
    ["2026-03-16T00:00:00Z", "telegram", "nps", 0],
  ];

  beforeAll(async () => {
    const clock = new ManualClock("2026-03-01T00:00:00Z");
    const service = new SurveyService({ prisma: db().prisma, clock });
    for (const [at, platform, kind, score] of dataset) {
      clock.set(at);
      const customer = await db().prisma.customer.create({ data: {} });
      const result = await service.invite(customer.id, kind, platform);
      if (result.status !== "invited") throw new Error("dataset invite refused");
      if (score !== null && (await service.answer(result.invitation.id, customer.id, score)).status !== "recorded") throw new Error("dataset answer refused");
    }
  });

  const row = (partial: Partial<SurveyReportRow>): SurveyReportRow => ({
    channel: "all",
    week: "all",
    invitations: 0,
    responses: 0,
    responseRate: null,
    stillOpen: 0,
    csatResponses: 0,
    csatSatisfied: 0,
    csatPercent: null,
    npsResponses: 0,
    promoters: 0,
    passives: 0,
    detractors: 0,
    nps: null,
    ...partial,
  });

  it("counts invitations, answers, response rate, CSAT % and NPS per channel and ISO week, with totals", async () => {
    const service = new SurveyService({ prisma: db().prisma, clock: new ManualClock(now) });
    const report = await service.surveyReport({ from: new Date("2026-03-02T00:00:00Z"), to: new Date("2026-03-16T00:00:00Z"), now });
    expect(report.rows).toEqual([
      row({ week: "2026-W10", channel: "telegram", invitations: 6, responses: 5, responseRate: 83.3, csatResponses: 3, csatSatisfied: 2, csatPercent: 66.7, npsResponses: 2, promoters: 1, detractors: 1, nps: 0 }),
      row({ week: "2026-W10", channel: "web", invitations: 2, responses: 2, responseRate: 100, npsResponses: 2, promoters: 1, passives: 1, nps: 50 }),
      row({ week: "2026-W11", channel: "telegram", invitations: 1, responses: 1, responseRate: 100, csatResponses: 1, csatPercent: 0 }),
      row({ week: "2026-W11", channel: "web", invitations: 1, responseRate: 0, stillOpen: 1 }),
    ]);
    expect(report.byChannel).toEqual([
      row({ channel: "telegram", invitations: 7, responses: 6, responseRate: 85.7, csatResponses: 4, csatSatisfied: 2, csatPercent: 50, npsResponses: 2, promoters: 1, detractors: 1, nps: 0 }),
      row({ channel: "web", invitations: 3, responses: 2, responseRate: 66.7, stillOpen: 1, npsResponses: 2, promoters: 1, passives: 1, nps: 50 }),
    ]);
    expect(report.total).toEqual(
      row({ invitations: 10, responses: 8, responseRate: 80, stillOpen: 1, csatResponses: 4, csatSatisfied: 2, csatPercent: 50, npsResponses: 4, promoters: 2, passives: 1, detractors: 1, nps: 25 }),
    );

    const later = await service.surveyReport({ from: new Date("2026-03-02T00:00:00Z"), to: new Date("2026-03-16T00:00:00Z"), now: new Date("2026-04-01T00:00:00Z") });
    expect(later.total.stillOpen).toBe(0);
    const empty = await service.surveyReport({ from: new Date("2025-01-01T00:00:00Z"), to: new Date("2025-02-01T00:00:00Z"), now });
    expect(empty.rows).toEqual([]);
    expect(empty.total).toEqual(row({}));
    expect(formatSurveyReport(empty)).toContain("No survey invitations were sent in this period.");
  });

  it("prints the report as a table or JSON from `tend report surveys`", async () => {
    let opened = 0;
    const openDb = async (): Promise<Database> => {
      opened++;
      // The suite's database stays open for the other tests.
      return { ...db(), close: async () => {} };
    };
    const run = async (...args: string[]) => {
      let out = "";
      const program = new Command("tend").exitOverride();
      program.command("report").description("reports").command("customers").action(() => {});
      registerReportCommands(program, openDb, (text) => void (out += text));
      await program.parseAsync(["node", "tend", ...args]);
      return out;
    };

    const table = await run("report", "surveys", "--from", "2026-03-02", "--to", "2026-03-15");
    const lines = table.split("\n");
    expect(lines[0]).toBe("Survey report 2026-03-02 to 2026-03-15 (invitations by the ISO week they were sent, UTC)");
    expect(lines).toContainEqual(expect.stringMatching(/^2026-W10\s+telegram\s+6\s+5\s+83\.3%\s+0\s+66\.7% \(3\)\s+0\.0 \(2\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^2026-W10\s+web\s+2\s+2\s+100\.0%\s+0\s+-\s+\+50\.0 \(2\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^total\s+all\s+10\s+8\s+80\.0%\s+\d+\s+50\.0% \(4\)\s+\+25\.0 \(4\)$/));

    const json = JSON.parse(await run("report", "surveys", "--from", "2026-03-02", "--to", "2026-03-15", "--json"));
    expect(json.from).toBe("2026-03-02T00:00:00.000Z");
    expect(json.to).toBe("2026-03-16T00:00:00.000Z");
    expect(json.total).toMatchObject({ invitations: 10, responses: 8, responseRate: 80, csatPercent: 50, nps: 25 });
    expect(json.rows).toHaveLength(4);
    expect(opened).toBe(2);

    await expect(run("report", "surveys", "--from", "2026-13-01")).rejects.toThrow(/--from must be a date written YYYY-MM-DD/);
    expect(opened).toBe(2);
  });
});
