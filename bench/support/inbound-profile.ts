// Profiling aid for the inbound path (not a benchmark): N messages through the engine on one
// database, after a warm-up, with the CPU this process spent per message. Run it under
// `node --cpu-prof --import tsx bench/support/inbound-profile.ts postgres|pglite [messages] [concurrency] [engine|raw]`
// and read the profile with bench/support/cpu-profile-summary.ts.
import pg from "pg";
import { newPGlite } from "../../src/db/pglite.ts";
import { openDatabase } from "../../src/db/database.ts";
import { inbound, loadAverage, openBenchPostgres, tendOn } from "./inbound-setup.ts";
import { rawPg, rawPglite } from "./raw-ceiling.ts";
import { withScratchDatabase } from "./scratch.ts";

const [kind = "postgres", messagesArg = "3000", concurrencyArg = "8", what = "engine"] = process.argv.slice(2);
const messages = Number(messagesArg);
const concurrency = Number(concurrencyArg);
const texts = ["help", "points", "rewards", "what is this?"];

async function run(send: (customer: number, i: number) => Promise<unknown>, total: number) {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, c) => {
      while (next < total) await send(c, next++);
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - t0;
  return { perSecond: (total / ms) * 1000, cpuMsPerMessage: (cpu.user + cpu.system) / 1000 / total };
}

async function main(url?: string) {
  const pglite = url ? null : newPGlite();
  const db = pglite ? await openDatabase({ kind: "pglite-instance", pglite }) : await openBenchPostgres(url!, 10);
  const tend = await tendOn(db);
  const pool = url ? new pg.Pool({ connectionString: url, max: 10 }) : null;
  pool?.on("error", () => {});
  const raw = pool ? rawPg(pool) : rawPglite(pglite!);
  const user = (c: number) => `prof-${c}`;
  for (let c = 0; c < concurrency; c++) await tend.engine.handleInbound(inbound(user(c), "help"));
  const send = what === "raw" ? (c: number, i: number) => raw(user(c), texts[i % texts.length]!) : (c: number, i: number) => tend.engine.handleInbound(inbound(user(c), texts[i % texts.length]!));
  await run(send, 300);
  const result = await run(send, messages);
  console.log(JSON.stringify({ kind, what, messages, concurrency, ...result, load: loadAverage() }));
  await pool?.end();
  await db.close();
}

if (kind === "postgres") await withScratchDatabase("h3_profile", (url) => main(url));
else await main();
