// What one inbound message costs the database: statements (round trips) and transactions, counted
// at the driver, for a returning customer's "help", "points", "rewards" and an unknown text, and
// a new customer's first message. Not timed: the counts are what the inbound path spends.
import { counted, countPgStatements, inbound, loadAverage, openBenchPglite, openBenchPostgres, tendOn } from "./support/inbound-setup.ts";
import { withScratchDatabase } from "./support/scratch.ts";

const texts = ["help", "points", "rewards", "what is this?"];
const verbose = process.argv.includes("--statements");

async function measure(label: string, open: () => Promise<import("../src/db/database.ts").Database>) {
  const tend = await tendOn(await open());
  // Warm: the customer exists, the catalogue is cached if Tend caches it.
  await tend.engine.handleInbound(inbound("warm", "help"));
  for (const text of texts) await tend.engine.handleInbound(inbound("warm", text));
  const rows: Record<string, { statements: number; transactions: number; commits: number }> = {};
  const cases: [string, string, string][] = [["first message (new customer)", "fresh", "help"], ...texts.map((t) => [t, "warm", t] as [string, string, string])];
  for (const [name, user, text] of cases) {
    counted.statements = 0;
    counted.transactions = 0;
    counted.commits = 0;
    counted.log = [];
    counted.keep = verbose;
    await tend.engine.handleInbound(inbound(user, text));
    counted.keep = false;
    rows[name] = { statements: counted.statements, transactions: counted.transactions, commits: counted.commits };
    if (verbose) console.log(`-- ${label} ${name}\n   ${counted.log.join("\n   ")}`);
  }
  await tend.db.close();
  return rows;
}

countPgStatements();
console.log(`inbound round trips, load average ${loadAverage()}`);
const pglite = await measure("PGlite", () => openBenchPglite(true));
const postgres = await withScratchDatabase("roundtrips", (url) => measure("PostgreSQL", () => openBenchPostgres(url, 4)));
console.log("| Message | PostgreSQL statements | BEGIN … COMMIT | commits (incl. single-statement writes) | PGlite statements | BEGIN … COMMIT | commits |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const name of Object.keys(postgres)) {
  const a = postgres[name]!;
  const b = pglite[name]!;
  console.log(`| ${name} | ${a.statements} | ${a.transactions} | ${a.commits} | ${b.statements} | ${b.transactions} | ${b.commits} |`);
}
