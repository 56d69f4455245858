import type { Command } from "commander";
import { fitBgNbd } from "../analytics/clv/bgnbd.ts";
import { parseTransactionDate, readTransactionsCsv } from "../analytics/clv/csv.ts";
import { fitGammaGamma } from "../analytics/clv/gamma-gamma.ts";
import type { TimeUnit } from "../analytics/clv/model.ts";
import { summarise } from "../analytics/clv/summaries.ts";
import { TendError } from "../errors.ts";

export interface ClvCommandOptions {
  /** For tests; default process.stdout / process.stderr. */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

/** What `tend clv fit` prints: one JSON object. */
export interface ClvFitOutput {
  customers: number;
  bgnbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number };
  gammaGamma: { p: number; q: number; v: number };
}

const UNITS: readonly TimeUnit[] = ["day", "week", "month"];

/** `tend clv fit --transactions FILE.csv --observation-end YYYY-MM-DD [--unit week]`. */
export function registerClvCommands(program: Command, options: ClvCommandOptions = {}): void {
  const clv = program.command("clv").description("customer lifetime value models (BG/NBD purchases, Gamma-Gamma spend)");
  clv
    .command("fit")
    .description(
      "fit the BG/NBD and Gamma-Gamma models to a CSV of transactions (header row; columns customer_id, date as YYYY-MM-DD " +
        "or YYYYMMDD, amount >= 0: free orders are purchases) and print the parameters as JSON. Unusable rows and refunds " +
        "(negative amounts) are reported on stderr and skipped.",
    )
    .requiredOption("--transactions <file>", "CSV file of transactions")
    .requiredOption("--observation-end <date>", "last day of observation, YYYY-MM-DD; later transactions are left out")
    .option("--unit <unit>", "time unit of the fitted parameters: day, week or month", "week")
    .action(async (flags: { transactions: string; observationEnd: string; unit: string }) => {
      const output = await runClvFit(flags, options);
      (options.stdout ?? process.stdout).write(`${JSON.stringify(output, null, 2)}\n`);
    });
}

export async function runClvFit(
  flags: { transactions: string; observationEnd: string; unit: string },
  options: Pick<ClvCommandOptions, "stderr"> = {},
): Promise<ClvFitOutput> {
  const stderr = options.stderr ?? process.stderr;
  const observationEnd = /^\d{4}-\d{2}-\d{2}$/.test(flags.observationEnd.trim()) ? parseTransactionDate(flags.observationEnd) : null;
  if (!observationEnd) {
    throw new TendError("CLV_BAD_DATE", `--observation-end must be a date written YYYY-MM-DD, e.g. 2026-03-01 (got ${JSON.stringify(flags.observationEnd)})`);
  }
  const unit = flags.unit.trim().toLowerCase() as TimeUnit;
  if (!UNITS.includes(unit)) throw new TendError("CLV_BAD_UNIT", `--unit must be day, week or month (got ${JSON.stringify(flags.unit)})`);

  const file = flags.transactions;
  const read = await readTransactionsCsv(file, ({ line, reason }) => stderr.write(`${file} line ${line}: ${reason}; row skipped\n`));
  if (read.rejected.length) stderr.write(`${read.rejected.length} of ${read.rows} rows skipped\n`);
  if (read.transactions.length === 0) throw new TendError("CLV_NO_TRANSACTIONS", `${file} has no usable transactions`);

  const end = observationEnd.getTime();
  const late = read.transactions.filter((t) => t.date.getTime() > end).length;
  if (late) stderr.write(`${late} transaction${late === 1 ? "" : "s"} dated after ${flags.observationEnd.trim()} left out\n`);
  const summaries = summarise(read.transactions, observationEnd, unit);
  if (summaries.length === 0) throw new TendError("CLV_NO_TRANSACTIONS", `${file} has no transactions on or before ${flags.observationEnd.trim()}`);

  const bg = fitBgNbd(summaries);
  const gg = fitGammaGamma(summaries);
  const output: ClvFitOutput = {
    customers: summaries.length,
    bgnbd: { r: bg.r, alpha: bg.alpha, a: bg.a, b: bg.b, logLikelihood: bg.logLikelihood },
    gammaGamma: { p: gg.p, q: gg.q, v: gg.v },
  };
  // The fits refuse degenerate data; this only guards the promise that the JSON never holds NaN.
  const numbers = [...Object.values(output.bgnbd), ...Object.values(output.gammaGamma)];
  if (!numbers.every(Number.isFinite)) throw new TendError("CLV_FIT_FAILED", "the fit produced a non-finite parameter; the data do not determine the models");
  return output;
}
