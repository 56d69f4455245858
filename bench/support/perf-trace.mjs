// Preloaded into a benchmarked Tend (`node --import …/perf-trace.mjs bin/tend.js start`) to see
// where its tail latency comes from: every GC pause on the main thread (PerformanceObserver 'gc')
// and the event-loop delay (monitorEventLoopDelay). On SIGUSR2 it writes what it saw since the
// last SIGUSR2 to TEND_PERF_TRACE_FILE and starts afresh. Benchmark-only: Tend never loads it.
import fs from "node:fs";
import { PerformanceObserver, constants, monitorEventLoopDelay } from "node:perf_hooks";

const kinds = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: "scavenge",
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "mark-compact",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weak-callbacks",
};
let gc = {};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = kinds[entry.detail?.kind] ?? String(entry.detail?.kind);
    const k = (gc[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
    k.count += 1;
    k.totalMs += entry.duration;
    k.maxMs = Math.max(k.maxMs, entry.duration);
  }
}).observe({ entryTypes: ["gc"] });
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
process.on("SIGUSR2", () => {
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  const snapshot = { gc, loopDelay: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) } };
  gc = {};
  delay.reset();
  fs.writeFileSync(process.env.TEND_PERF_TRACE_FILE, JSON.stringify(snapshot));
});
