import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TendRun, runTend, startTendProcess, waitForExit } from "./support/run-tend.ts";
import { expectOneClearLine } from "./support/cli-output.ts";

// Each test starts whole Tend processes and runs a dozen commands: minutes on a busy 2-core machine.
const E2E_TIMEOUT_MS = 900_000;

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tend-cli-running-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});


const outcome = (run: TendRun) => ({ code: run.code, stdout: run.stdout, stderr: run.stderr });

async function writeCustomers(dir: string, ids: string[]): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  // The last row has no id: rejected, so the import exits 2, an exit status the command sets itself.
  const rows = [...ids.map((id) => `${id},Customer ${id}`), ",Nobody"];
  await fs.writeFile(path.join(dir, "customers.csv"), ["external_id,display_name", ...rows].join("\n"));
}

describe("tend commands while Tend runs on the embedded database", () => {
  it(
    "work, with the same output and exit codes as when Tend is stopped",
    async () => {
      const env = { TEND_DATA_DIR: path.join(tmp, "shared"), HOST: "127.0.0.1", PORT: "0" };
      const first = path.join(tmp, "first");
      const second = path.join(tmp, "second");
      await writeCustomers(first, ["c-1", "c-2", "c-3"]);
      await writeCustomers(second, ["c-4", "c-5", "c-6"]);
      // The same commands, once with Tend stopped and once while it runs.
      const queries = [
        ["customer", "show", "c-1"],
        ["customer", "show", "nobody"],
        ["db", "status"],
        ["report", "surveys", "--from", "2026-01-01", "--to", "2026-01-31"],
      ];

      // A relative file name is read from the folder the command is run in.
      const importedStopped = await runTend(["import", "customers", "customers.csv"], env, undefined, first);
      expect(importedStopped.code).toBe(2);
      expect(importedStopped.stdout).toMatch(/created: +3/);
      expect(importedStopped.stdout).toMatch(/rejected: +1/);
      const refreshedStopped = await runTend(["analytics", "refresh"], env);
      expect(refreshedStopped.code).toBe(0);
      const stopped = [];
      for (const args of queries) stopped.push(outcome(await runTend(args, env)));
      expect(stopped[0]).toMatchObject({ code: 0, stdout: expect.stringContaining("external id c-1") });
      expect(stopped[1]?.code).toBe(1);
      expectOneClearLine(stopped[1]!.stderr, /no customer with id or external id "nobody"/);
      expect(stopped[2]).toMatchObject({ code: 0, stdout: expect.stringContaining("database schema is up to date") });

      const tend = await startTendProcess(env);
      try {
        const running = [];
        for (const args of queries) running.push(outcome(await runTend(args, env)));
        expect(running).toEqual(stopped);

        const importedRunning = await runTend(["import", "customers", "customers.csv"], env, undefined, second);
        expect(outcome(importedRunning)).toEqual(outcome(importedStopped));
        const refreshedRunning = await runTend(["analytics", "refresh"], env);
        expect(refreshedRunning.code).toBe(0);
        expect(refreshedRunning.stdout).toMatch(/^Analytics refreshed for 6 customers/);
        const shown = await runTend(["customer", "show", "c-6"], env);
        expect(shown.code).toBe(0);
        expect(shown.stdout).toContain("external id c-6");
        const migrated = await runTend(["migrate"], env);
        expect(migrated).toMatchObject({ code: 0, stdout: expect.stringContaining("nothing to apply") });
      } finally {
        tend.child.kill("SIGTERM");
        expect(await waitForExit(tend.child)).toBe(0);
      }
    },
    E2E_TIMEOUT_MS,
  );

  it(
    "start after a kill -9 or over a lock file whose pid belongs to another program, and never two at once",
    async () => {
      const env = { TEND_DATA_DIR: path.join(tmp, "crash"), HOST: "127.0.0.1", PORT: "0" };
      await fs.mkdir(env.TEND_DATA_DIR, { recursive: true });
      // pid 1 is always alive and never Tend: an earlier version's lock file naming it blocked every start.
      await fs.writeFile(path.join(env.TEND_DATA_DIR, "tend.lock"), "1");
      const crashed = await startTendProcess(env);
      crashed.child.kill("SIGKILL");
      await waitForExit(crashed.child);

      const tend = await startTendProcess(env);
      try {
        const health = await fetch(`${tend.url}/healthz`);
        expect(health.status).toBe(200);
        const second = await runTend(["start"], env);
        expect(second.code).toBe(1);
        expectOneClearLine(second.stderr, new RegExp(`in use by another Tend process \\(pid ${tend.child.pid}, running \`tend start\`\\)`));
      } finally {
        tend.child.kill("SIGTERM");
        expect(await waitForExit(tend.child)).toBe(0);
      }
    },
    E2E_TIMEOUT_MS,
  );
});
