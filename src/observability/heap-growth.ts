import v8 from "node:v8";

/**
 * How far V8 lets its old generation grow past what the last full collection kept, in percent,
 * for a running Tend (`tend start`).
 *
 * Why: Tend's server keeps little (30-60 MB of live heap with a dispatcher sending at Telegram's
 * 30 msg/s) but allocates steadily (about 0.5 MB per message sent, mostly Prisma's query building),
 * and V8 by default sets the next full collection at up to 4 times the live size, with a factor
 * estimated while Tend was still starting. The RSS then climbs to 320-350 MB of garbage before the
 * first full collection and falls to 180-190 MB after it (BENCHMARKS.md, outreach dispatch). At
 * 1.5 times the live size, collections come sooner and the RSS follows what Tend really holds.
 * This is a growth factor, not a cap: a command that needs a large heap (the analytics refresh)
 * still gets it, at the price of more frequent (concurrent, mostly incremental) full collections.
 */
export const TEND_HEAP_GROWING_PERCENT = 50;

/**
 * Applies TEND_HEAP_GROWING_PERCENT unless the operator chose a value (`--heap-growing-percent` in
 * NODE_OPTIONS or on node's command line). The factor is read at every full collection, so setting
 * it once the process runs takes effect from the next one. Returns the percent now in force, or
 * undefined when the operator's own applies.
 */
export function limitHeapGrowth(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): number | undefined {
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? "").split(/\s+/)].some((arg) => /^--heap[-_]growing[-_]percent/.test(arg));
  if (given) return undefined;
  v8.setFlagsFromString(`--heap-growing-percent=${TEND_HEAP_GROWING_PERCENT}`);
  return TEND_HEAP_GROWING_PERCENT;
}
