// Shared by the benchmarks (bench/run.ts runs only the .ts files directly in bench/, not this folder).
import { spawnSync } from "node:child_process";
import pg from "pg";
import type { CarePlans } from "../../src/outreach/care-plans-file.ts";

/** The PostgreSQL server the benchmarks create their scratch databases on. */
export const benchAdminUrl = process.env.TEND_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/** Runs `work` on a fresh, empty database of its own, dropped afterwards whatever happens. */
export async function withScratchDatabase<T>(label: string, work: (url: string) => T | Promise<T>, adminUrl = benchAdminUrl): Promise<T> {
  const name = `tend_bench_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}

/**
 * Runs `script` again in a child process (so its peak RSS is its own) and returns the JSON object
 * the child printed as its last line; `what` names the run in the error when it fails.
 */
export function runChildForJson<T>(script: string, args: string[], what: string): T {
  const result = spawnSync(process.execPath, ["--import", "tsx", script, ...args], { encoding: "utf8", maxBuffer: 1 << 24 });
  const last = result.stdout.trim().split("\n").at(-1) ?? "";
  if (result.status !== 0 || !last.startsWith("{")) throw new Error(`${what} failed:\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(last) as T;
}

/** The care plans with only the birthday plan on: what the outreach benchmarks plan. */
export function birthdayPlanOnly(all: CarePlans): CarePlans {
  return {
    ...all,
    festivals: { ...all.festivals, enabled: false },
    checkin: { ...all.checkin, enabled: false },
    winback: { ...all.winback, enabled: false },
    anniversary: { ...all.anniversary, enabled: false },
    tierUpgrade: { ...all.tierUpgrade, enabled: false },
  };
}
