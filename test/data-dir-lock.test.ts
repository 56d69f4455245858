import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { controlSocketPath, lockDataDir } from "../src/db/data-dir.ts";
import { TendError } from "../src/errors.ts";

let tmp: string;
const children: ChildProcess[] = [];
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tend-lock-"));
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

let folders = 0;
const folder = () => {
  const dir = path.join(tmp, `data-${++folders}`);
  fs.mkdirSync(dir);
  return dir;
};

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));
}

describe("data folder lock", () => {
  it("is not blocked by a lock file left behind whose pid now belongs to another program", async () => {
    const sleeper = spawn("sleep", ["600"], { stdio: "ignore" });
    children.push(sleeper);
    for (const pid of [sleeper.pid!, 1]) {
      const dir = folder();
      fs.writeFileSync(path.join(dir, "tend.lock"), String(pid));
      const lock = await lockDataDir(dir, "test");
      await lock.release();
    }
  });

  it("takes over the socket of a process killed with SIGKILL, with no clean-up by hand", async () => {
    const dir = folder();
    const socketPath = controlSocketPath(dir);
    const victim = spawn(
      process.execPath,
      ["-e", `require("node:net").createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, "SIGKILL"))`],
      { stdio: "ignore" },
    );
    await exited(victim);
    expect(fs.existsSync(socketPath)).toBe(true);
    const lock = await lockDataDir(dir, "test");
    await lock.release();
  });

  it("refuses a second holder while the first lives, naming it, and frees the folder on release", async () => {
    const dir = folder();
    const first = await lockDataDir(dir, "tend start");
    const second = await lockDataDir(dir, "tend db status").then(
      () => null,
      (error: unknown) => error,
    );
    expect(second).toBeInstanceOf(TendError);
    expect((second as TendError).code).toBe("DATA_DIR_IN_USE");
    expect((second as TendError).message).toContain(`in use by another Tend process (pid ${process.pid}, running \`tend start\`)`);
    await first.release();
    const third = await lockDataDir(dir, "tend db status");
    await third.release();
  });

  it("gives a free folder to exactly one of several takers racing for it, even over a stale socket", async () => {
    const dir = folder();
    fs.writeFileSync(controlSocketPath(dir), "left behind");
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => lockDataDir(dir, `taker ${i}`)));
    const won = outcomes.filter((o) => o.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const lost of outcomes.filter((o) => o.status === "rejected")) {
      expect((lost.reason as TendError).code).toBe("DATA_DIR_IN_USE");
    }
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof lockDataDir>>>).value.release();
  });

  it("listens on a socket only its own user can use", async () => {
    const dir = folder();
    const lock = await lockDataDir(dir, "test");
    try {
      expect(fs.statSync(lock.socketPath).mode & 0o777).toBe(0o600);
    } finally {
      await lock.release();
    }
    expect(fs.existsSync(lock.socketPath)).toBe(false);
  });
});

describe("data folder lock on a path too long for a socket", () => {
  it("meets at a private socket outside the folder, the same for every spelling of the folder", async () => {
    const dir = path.join(folder(), "a-folder-name-long-enough".repeat(4));
    fs.mkdirSync(dir, { recursive: true });
    const link = path.join(tmp, `link-${folders}`);
    fs.symlinkSync(dir, link);
    const first = await lockDataDir(dir, "tend start");
    try {
      expect(first.socketPath.startsWith(dir)).toBe(false);
      expect(fs.statSync(path.dirname(first.socketPath)).mode & 0o777).toBe(0o700);
      const second = await lockDataDir(link, "tend start").then(
        () => null,
        (error: unknown) => error,
      );
      expect((second as TendError).code).toBe("DATA_DIR_IN_USE");
    } finally {
      await first.release();
    }
  });
});
