// Writes prisma/migrations/<timestamp>_<name>/migration.sql: the SQL that turns the schema of the
// last commit (or --from FILE) into the working copy's prisma/schema.prisma. Needs no database.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const args = process.argv.slice(2);
const fromIndex = args.indexOf("--from");
const fromFile = fromIndex >= 0 ? args.splice(fromIndex, 2)[1] : undefined;
const name = args[0];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run db:new-migration -- <name_in_snake_case> [--from OLD_SCHEMA.prisma]");
  process.exit(2);
}
let previous = fromFile;
if (!previous) {
  previous = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tend-schema-")), "schema.prisma");
  fs.writeFileSync(previous, execFileSync("git", ["show", "HEAD:prisma/schema.prisma"]));
}
const sql = execFileSync(
  "npx",
  ["prisma", "migrate", "diff", "--from-schema-datamodel", previous, "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
  { encoding: "utf8", env: { ...process.env, TEND_PRISMA_SCRATCH: "1", CHECKPOINT_DISABLE: "1" } },
);
if (!sql.trim() || /^-- This is an empty migration/.test(sql.trim())) {
  console.error("no schema change since the previous schema: nothing to write");
  process.exit(1);
}
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const dir = path.join("prisma", "migrations", `${stamp}_${name}`);
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, "migration.sql"), sql);
console.log(`wrote ${dir}/migration.sql; review it, then run npm test (the drift test checks it)`);
