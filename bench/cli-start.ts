/**
 * How long `tend` takes to answer, as a user runs it: `--version` and `--help` (compiled, no
 * database), the same through tsx (how bin/tend.js ran before it ran compiled JavaScript), and
 * `db status` on an embedded database with Tend stopped and while Tend runs on it (the command is
 * then carried out by the running Tend). Writes its section of BENCHMARKS.md.
 * Run: npm run bench -- cli-start   (or npx tsx bench/cli-start.ts [runs])
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const RUNS = Number(process.argv[2] ?? 10);
const GOAL_MS = 1_000;
const bin = path.resolve("bin", "tend.js");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tend-bench-cli-"));
const env = { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn", TEND_DATA_DIR: dataDir, HOST: "127.0.0.1", PORT: "0" };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median wall-clock time of `runs` runs of a command that must exit with `expectCode`. */
function measure(args: string[], runs = RUNS, expectCode = 0): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const run = spawnSync(process.execPath, args, { env, encoding: "utf8" });
    times.push(performance.now() - start);
    if (run.status !== expectCode) throw new Error(`${args.join(" ")} exited ${run.status}: ${run.stderr}`);
  }
  return median(times);
}

function startTend(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "start"], { env: { ...env, LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
      if (output.includes('"msg":"Tend is listening"')) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`tend start exited with ${code}`)));
  });
}

function machine(): string {
  const cpu = /^model name\s*:\s*(.+)$/m.exec(fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "")?.[1]?.trim() ?? "unknown CPU";
  let cores = String(os.availableParallelism());
  try {
    cores = execFileSync("nproc", { encoding: "utf8" }).trim();
  } catch {
    // No nproc: keep Node's count.
  }
  return `${cpu}, nproc ${cores}, Node ${process.version}, ${os.platform()} ${os.arch()}, load average ${os.loadavg()[0]!.toFixed(1)} at the start`;
}

const ms = (value: number) => `${Math.round(value)} ms`;
const header = machine();
measure([bin, "--version"], 1); // compiles dist/ if the sources changed: not part of the figures
const rows: [string, number][] = [
  ["`node -e 0` (Node alone, for scale)", measure(["-e", "0"])],
  ["`tend --version`", measure([bin, "--version"])],
  ["`tend --help`", measure([bin, "--help"])],
  ["`tend --version` through tsx instead (TypeScript transpiled at start; same lazy imports)", measure(["--import", "tsx", "src/cli/main.ts", "--version"], Math.min(RUNS, 3))],
];
measure([bin, "migrate"], 1);
rows.push(["`tend db status`, Tend stopped (opens the embedded database itself)", measure([bin, "db", "status"], Math.min(RUNS, 5))]);
const tend = await startTend();
try {
  rows.push(["`tend db status` while Tend runs (carried out by the running Tend)", measure([bin, "db", "status"], Math.min(RUNS, 5))]);
} finally {
  tend.kill("SIGTERM");
  await new Promise((resolve) => tend.once("exit", resolve));
  fs.rmSync(dataDir, { recursive: true, force: true });
}

const section = [
  "<!-- cli-start:start (written by bench/cli-start.ts) -->",
  "## CLI start-up (`npm run bench -- cli-start`)",
  "",
  `Median wall-clock time per command, ${RUNS} runs (3 through tsx, 5 for db status), ${new Date().toISOString().slice(0, 10)}.`,
  "",
  `Machine: ${header}.`,
  "",
  "| Command | Median |",
  "| --- | ---: |",
  ...rows.map(([what, value]) => `| ${what} | ${ms(value)} |`),
  "",
  `Goal: \`tend --version\` and \`tend --help\` well under ${ms(GOAL_MS)}.`,
  "<!-- cli-start:end -->",
].join("\n");
const file = path.resolve("BENCHMARKS.md");
const existing = fs.readFileSync(file, "utf8");
const pattern = /<!-- cli-start:start[\s\S]*?<!-- cli-start:end -->/;
fs.writeFileSync(file, pattern.test(existing) ? existing.replace(pattern, section) : `${existing.trimEnd()}\n\n${section}\n`);
process.stdout.write(`${section.split("\n").slice(1, -1).join("\n")}\n`);
