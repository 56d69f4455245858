import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");

/**
 * Reads a timestamp written as UTC back through Tend's embedded database (Prisma's raw query and
 * the plain SQL connection) in a child process whose machine zone is Asia/Shanghai. Without the
 * UTC pin the PGlite driver reads both eight hours early.
 */
const script = (pin: boolean) => `
${pin ? 'import "./src/config/utc-process.ts";' : ""}
import { openDatabase } from "./src/db/database.ts";
import { newPGlite } from "./src/db/pglite.ts";
const db = await openDatabase({ kind: "pglite-instance", pglite: newPGlite() });
await db.sql.withSession((s) => s.exec("create table t (at timestamp(3) not null); insert into t values ('2026-12-02 08:00:00')"));
const [raw] = await db.prisma.$queryRaw\`select at from t\`;
const [plain] = await db.sql.withSession((s) => s.query("select at from t"));
console.log(JSON.stringify({ raw: new Date(raw.at).toISOString(), plain: new Date(plain.at).toISOString() }));
await db.close();
`;

function readBack(pin: boolean): { raw: string; plain: string } {
  const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script(pin)], {
    cwd: root,
    env: { ...process.env, TZ: "Asia/Shanghai" },
    encoding: "utf8",
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!);
}

describe("Tend's process time zone", () => {
  it("reads UTC timestamps back as written on a machine set to Asia/Shanghai", () => {
    expect(readBack(true)).toEqual({ raw: "2026-12-02T08:00:00.000Z", plain: "2026-12-02T08:00:00.000Z" });
  });

  it("is needed: without the pin the embedded driver reads them as local time", () => {
    const unpinned = readBack(false);
    expect(unpinned.raw).not.toBe("2026-12-02T08:00:00.000Z");
  });
});
