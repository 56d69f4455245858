// Tend started the way `npm start` starts it: `node bin/tend.js start` (the compiled dist/, built
// first when the sources changed, with the V8 flags `tend start` sets itself), configured by
// environment variables only. Nothing of the benchmark runs inside it: its CPU time and peak RSS
// are read from /proc, and with `trace` a preload (bench/support/perf-trace.mjs) reports its GC
// pauses and event-loop delay between two `snapshot()` calls.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const TICKS_PER_SECOND = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in these

export interface PerfSnapshot {
  /** GC pauses on the main thread since the last snapshot: count, total and longest (ms), by kind. */
  gc: Record<string, { count: number; totalMs: number; maxMs: number }>;
  /** Event-loop delay since the last snapshot (ms): how late a 10 ms timer ran. */
  loopDelay: { p50: number; p99: number; max: number };
}

export interface TendProcess {
  port: number;
  pid: number;
  /** CPU time (user + system) the process has used so far, in microseconds (10 ms resolution). */
  cpuUs(): Promise<number>;
  /** With `trace`: what the process saw since the last snapshot. */
  snapshot(): Promise<PerfSnapshot | undefined>;
  /** SIGTERM, like Ctrl-C; resolves with the peak RSS in MB once it has exited. */
  stop(): Promise<number>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function procStatus(pid: number, field: string): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? Number.NaN);
}

/** `env`: Tend's configuration (PORT and HOST are chosen here). `nodeArgs`: e.g. --cpu-prof, given through NODE_OPTIONS-free argv. */
export async function startTendProcess(env: Record<string, string>, options: { trace?: boolean; nodeArgs?: string[] } = {}): Promise<TendProcess> {
  const port = await freePort();
  const traceFile = options.trace ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tend-trace-")), "snapshot.json") : undefined;
  const nodeArgs = [...(options.nodeArgs ?? []), ...(traceFile ? ["--import", path.join(root, "bench/support/perf-trace.mjs")] : [])];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, path.join(root, "bin/tend.js"), "start"], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env, PORT: String(port), HOST: "127.0.0.1", ...(traceFile ? { TEND_PERF_TRACE_FILE: traceFile } : {}) },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let dead = false;
  void exited.then(() => (dead = true));
  for (let attempt = 0; ; attempt++) {
    if (dead) throw new Error("tend start exited before listening");
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (attempt > 600) throw new Error("tend start did not answer /healthz within 60 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const pid = child.pid!;
  let peakMb = 0;
  const peak = () => {
    if (!dead) peakMb = Math.max(peakMb, procStatus(pid, "VmHWM") / 1024);
  };
  return {
    port,
    pid,
    async cpuUs() {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      // utime and stime are fields 14 and 15 of stat, 12 and 13 after "pid (comm) ".
      return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6;
    },
    async snapshot() {
      if (!traceFile) return undefined;
      fs.rmSync(traceFile, { force: true });
      child.kill("SIGUSR2");
      for (let i = 0; i < 100 && !fs.existsSync(traceFile); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 20));
      return JSON.parse(fs.readFileSync(traceFile, "utf8")) as PerfSnapshot;
    },
    async stop() {
      peak();
      child.kill("SIGTERM");
      const code = await exited;
      if (code !== 0) throw new Error(`tend start exited with ${code}`);
      return peakMb;
    },
  };
}
