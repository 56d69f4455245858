import fs from "node:fs/promises";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { Command, CommanderError } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fitBgNbd } from "../src/analytics/clv/bgnbd.ts";
import { fitGammaGamma } from "../src/analytics/clv/gamma-gamma.ts";
import type { Transaction } from "../src/analytics/clv/model.ts";
import { simulateTransactions } from "../src/analytics/clv/simulate.ts";
import { summarise } from "../src/analytics/clv/summaries.ts";
import { type ClvFitOutput, registerClvCommands } from "../src/cli/clv-commands.ts";
import { TendError } from "../src/errors.ts";
import { runTend } from "./support/run-tend.ts";

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tend-clv-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

class Collect extends Writable {
  text = "";
  override _write(chunk: Buffer | string, _encoding: string, callback: () => void) {
    this.text += chunk.toString();
    callback();
  }
}

/** Runs `tend clv …` through a commander program with only the CLV commands registered. */
async function clv(args: string[]): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  const stdout = new Collect();
  const stderr = new Collect();
  const program = new Command("tend").exitOverride().configureOutput({ writeErr: (text) => stderr.write(text), writeOut: (text) => stdout.write(text) });
  registerClvCommands(program, { stdout, stderr });
  try {
    await program.parseAsync(["clv", ...args], { from: "user" });
    return { stdout: stdout.text, stderr: stderr.text };
  } catch (error) {
    return { stdout: stdout.text, stderr: stderr.text, error };
  }
}

async function writeCsv(name: string, text: string): Promise<string> {
  const file = path.join(tmp, name);
  await fs.writeFile(file, text);
  return file;
}

const iso = (date: Date) => date.toISOString().slice(0, 10);
const csvOf = (transactions: Transaction[]) => `customer_id,date,amount\n${transactions.map((t) => `${t.customerId},${iso(t.date)},${t.amount}`).join("\n")}\n`;

const END = "2026-06-30";
const simulated = simulateTransactions({
  customers: 4_000,
  bgnbd: { r: 0.24, alpha: 4.41, a: 0.79, b: 2.43 },
  gammaGamma: { p: 6.25, q: 3.74, v: 15.44 },
  unit: "week",
  observationEnd: new Date(`${END}T00:00:00Z`),
  seed: 42,
});

describe("tend clv fit", () => {
  it("prints one JSON object with the fitted parameters, reporting and skipping bad rows", async () => {
    // Extra column, quoted fields, both date styles, a later transaction, and bad rows at known lines.
    const rows = simulated.map((t, i) => `"${t.customerId}",${i % 3 ? iso(t.date) : iso(t.date).replaceAll("-", "")},${t.amount},web`);
    const bad = [
      ["c1,2026-02-30,10.00,web", "date \"2026-02-30\" is not a date"],
      ["c1,2026-01-05,ten,web", "amount \"ten\" is not a number"],
      ["c1,2026-01-05,-4.5,web", "amount -4.5 is negative (a refund): not a purchase"],
      [",2026-01-05,12,web", "customer_id is empty"],
      ["c1,2026-01-05,12", "wrong number of columns"],
      ["c1,,12,web", "date is empty"],
    ] as const;
    const lines = ["Customer_ID,date,amount,channel", ...rows.slice(0, 10), ...bad.map(([line]) => line), ...rows.slice(10), "c2,2026-08-01,99,web"];
    const file = await writeCsv("transactions.csv", `${lines.join("\r\n")}\r\n`);

    const run = await clv(["fit", "--transactions", file, "--observation-end", END, "--unit", "week"]);
    expect(run.error).toBeUndefined();
    const output = JSON.parse(run.stdout) as ClvFitOutput;
    expect(Object.keys(output)).toEqual(["customers", "bgnbd", "gammaGamma"]);
    expect(Object.keys(output.bgnbd)).toEqual(["r", "alpha", "a", "b", "logLikelihood"]);
    expect(Object.keys(output.gammaGamma)).toEqual(["p", "q", "v"]);

    // Exactly the library's fit of the good rows (the August purchase lies after the end).
    const summaries = summarise(simulated, new Date(`${END}T00:00:00Z`), "week");
    const bg = fitBgNbd(summaries);
    const gg = fitGammaGamma(summaries);
    expect(output.customers).toBe(4_000);
    expect(output.bgnbd).toEqual({ r: bg.r, alpha: bg.alpha, a: bg.a, b: bg.b, logLikelihood: bg.logLikelihood });
    expect(output.gammaGamma).toEqual({ p: gg.p, q: gg.q, v: gg.v });

    bad.forEach(([, reason], i) => expect(run.stderr).toContain(`${file} line ${12 + i}: ${reason}`));
    expect(run.stderr).toContain(`6 of ${rows.length + 7} rows skipped`);
    expect(run.stderr).toContain(`1 transaction dated after ${END} left out`);
  });

  it("fits in days and months too", async () => {
    const file = await writeCsv("units.csv", csvOf(simulated));
    const week = JSON.parse((await clv(["fit", "--transactions", file, "--observation-end", END])).stdout) as ClvFitOutput;
    const day = JSON.parse((await clv(["fit", "--transactions", file, "--observation-end", END, "--unit", "day"])).stdout) as ClvFitOutput;
    const month = JSON.parse((await clv(["fit", "--transactions", file, "--observation-end", END, "--unit", "month"])).stdout) as ClvFitOutput;
    expect(day.bgnbd.alpha / week.bgnbd.alpha).toBeCloseTo(7, 4);
    expect(week.bgnbd.alpha / month.bgnbd.alpha).toBeCloseTo(365.25 / 12 / 7, 4);
    expect(day.bgnbd.r).toBeCloseTo(week.bgnbd.r, 5);
  });

  const refused = async (args: string[], pattern: RegExp) => {
    const run = await clv(args);
    expect(run.error).toBeInstanceOf(TendError);
    const message = (run.error as TendError).message;
    expect(message).toMatch(pattern);
    expect(message).not.toContain("\n");
    expect(message).not.toMatch(/NaN/);
    expect(run.stdout).toBe("");
    return message;
  };

  it("explains a missing file, missing columns, an empty file and bad options in one line", async () => {
    const good = await writeCsv("good.csv", csvOf(simulated.slice(0, 50)));
    await refused(["fit", "--transactions", path.join(tmp, "nope.csv"), "--observation-end", END], /nope\.csv does not exist/);
    await refused(["fit", "--transactions", tmp, "--observation-end", END], /is not a file/);
    const noAmount = await writeCsv("no-amount.csv", "customer_id,date,total\nc1,2026-01-01,5\n");
    await refused(["fit", "--transactions", noAmount, "--observation-end", END], /has no amount column: the header row must name customer_id, date, amount/);
    const empty = await writeCsv("empty.csv", "");
    await refused(["fit", "--transactions", empty, "--observation-end", END], /empty\.csv is empty/);
    await refused(["fit", "--transactions", good, "--observation-end", "30/06/2026"], /--observation-end must be a date written YYYY-MM-DD/);
    await refused(["fit", "--transactions", good, "--observation-end", "2026-02-30"], /--observation-end must be a date/);
    await refused(["fit", "--transactions", good, "--observation-end", END, "--unit", "year"], /--unit must be day, week or month/);
    const onlyBad = await writeCsv("only-bad.csv", "customer_id,date,amount\nc1,2026-01-01,-5\n");
    await refused(["fit", "--transactions", onlyBad, "--observation-end", END], /has no usable transactions/);
    await refused(["fit", "--transactions", good, "--observation-end", "2020-01-01"], /no transactions on or before 2020-01-01/);
  });

  it("needs --transactions and --observation-end", async () => {
    const run = await clv(["fit", "--observation-end", END]);
    expect(run.error).toBeInstanceOf(CommanderError);
    expect(run.stderr).toMatch(/--transactions/);
  });

  it("refuses degenerate data with a clear error instead of NaN", async () => {
    const sameDay = await writeCsv("same-day.csv", "customer_id,date,amount\na,2026-01-01,5\na,2026-01-01,7\nb,2026-02-01,3\nb,20260201,4\n");
    await refused(["fit", "--transactions", sameDay, "--observation-end", END], /no customer bought on more than one day \(2 customers\)/);
    const onlyOnce = await writeCsv("once.csv", "customer_id,date,amount\na,2026-01-01,5\nb,2026-01-02,5\nc,2026-01-03,5\n");
    await refused(["fit", "--transactions", onlyOnce, "--observation-end", END], /no customer bought on more than one day/);
    const oneCustomer = await writeCsv("one.csv", "customer_id,date,amount\na,2026-01-01,5\na,2026-02-01,7\na,2026-03-01,9\n");
    await refused(["fit", "--transactions", oneCustomer, "--observation-end", END], /BG\/NBD fit did not settle on finite parameters \(1 customer, 1 with repeat purchases/);
  });

  // Spawns the real binary once src/cli/main.ts registers the CLV commands.
  const wired = readFileSync(path.resolve("src/cli/main.ts"), "utf8").includes("registerClvCommands");
  it.skipIf(!wired)("runs end to end as `tend clv fit`", async () => {
    const file = await writeCsv("e2e.csv", `${csvOf(simulated)}c9,2026-13-01,5\n`);
    const run = await runTend(["clv", "fit", "--transactions", file, "--observation-end", END, "--unit", "week"], { TEND_DATA_DIR: path.join(tmp, "data") });
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout) as ClvFitOutput;
    expect(output.customers).toBe(4_000);
    expect(run.stderr).toContain("date \"2026-13-01\" is not a date");
    const missing = await runTend(["clv", "fit", "--transactions", path.join(tmp, "nope.csv"), "--observation-end", END]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^tend: .*nope\.csv does not exist$/);
  });
});
