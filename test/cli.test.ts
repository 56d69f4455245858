import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTend, startTendProcess, waitForExit } from "./support/run-tend.ts";
import { expectOneClearLine } from "./support/cli-output.ts";

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tend-cli-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});


// Every test here starts `tend` processes; on a busy 2-core machine one may take a minute to start.
describe("tend command line", { timeout: 600_000 }, () => {
  it("prints its version, the one in package.json", async () => {
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    const run = await runTend(["--version"]);
    expect(run).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("prints help listing its commands", async () => {
    const run = await runTend(["--help"]);
    expect(run.code).toBe(0);
    for (const command of ["start", "migrate", "db"]) expect(run.stdout).toContain(command);
    const db = await runTend(["db", "--help"]);
    expect(db.stdout).toContain("status");
  });

  it("refuses an unknown command with a non-zero exit", async () => {
    const run = await runTend(["frobnicate"]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/unknown command/);
  });

  it("stops on a bad setting, naming the variable and what it expects", async () => {
    const run = await runTend(["start"], { PORT: "eighty", TEND_DATA_DIR: path.join(tmp, "never") });
    expect(run.code).toBe(1);
    expectOneClearLine(run.stderr, /PORT must be a TCP port number from 0 to 65535 \(got "eighty"\)/);
  });

  it("names DATABASE_URL without echoing it when it is not a PostgreSQL URL", async () => {
    const run = await runTend(["start"], { DATABASE_URL: "mysql://root:hunter2@localhost/db" });
    expect(run.code).toBe(1);
    expectOneClearLine(run.stderr, /DATABASE_URL must be a PostgreSQL connection URL/);
    expect(run.stderr).not.toContain("hunter2");
  });

  it("explains an unreachable database in one line", async () => {
    const run = await runTend(["start"], { DATABASE_URL: "postgresql://postgres:hunter2@127.0.0.1:1/tend" });
    expect(run.code).toBe(1);
    expectOneClearLine(run.stderr, /cannot connect to PostgreSQL at 127\.0\.0\.1:1\/tend \(DATABASE_URL\).*ECONNREFUSED/);
    expect(run.stderr).not.toContain("hunter2");
  });

  it("explains an unwritable data folder in one line", async () => {
    const file = path.join(tmp, "a-file");
    await fs.writeFile(file, "not a folder");
    const run = await runTend(["start"], { TEND_DATA_DIR: path.join(file, "data") });
    expect(run.code).toBe(1);
    expectOneClearLine(run.stderr, /cannot write to the data folder .*a-file\/data \(TEND_DATA_DIR\)/);
  });

  it("explains a port in use in one line", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const run = await runTend(["start"], { PORT: String(port), HOST: "127.0.0.1", TEND_DATA_DIR: path.join(tmp, "port") });
      expect(run.code).toBe(1);
      expectOneClearLine(run.stderr, new RegExp(`port ${port} \\(PORT\\) is already in use`));
    } finally {
      blocker.close();
    }
  });

  it("migrates, reports status, then starts healthy and shuts down on SIGTERM", async () => {
    const env = { TEND_DATA_DIR: path.join(tmp, "life"), HOST: "127.0.0.1", PORT: "0" };
    const before = await runTend(["db", "status"], env);
    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(/pending: 20261123000000_init/);

    const migrate = await runTend(["migrate"], env);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toMatch(/applied \d+ migration\(s\): 20261123000000_init/);
    const after = await runTend(["db", "status"], env);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/database schema is up to date/);

    const tend = await startTendProcess(env);
    const health = await fetch(`${tend.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", database: { kind: "pglite", ok: true } });

    // A second Tend on the same embedded database is refused before it can corrupt it.
    const second = await runTend(["start"], env);
    expect(second.code).toBe(1);
    expectOneClearLine(second.stderr, /in use by another Tend process/);

    tend.child.kill("SIGTERM");
    expect(await waitForExit(tend.child)).toBe(0);
    const logs = tend.output().trim().split("\n").map((line) => JSON.parse(line) as { msg: string });
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(["database open", "shutting down: no new work is taken", "stopped"]));
  });
});
