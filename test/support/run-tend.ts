import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

export const tendBin = path.resolve("bin", "tend.js");

export interface TendRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Generous bounds: on a busy 2-core machine a command that takes a second alone can take many.
 * They only stop a hung process; no test asserts how fast anything is.
 */
const COMMAND_TIMEOUT_MS = 240_000;
const START_TIMEOUT_MS = 240_000;

/** Runs the `tend` command to completion with only the given variables (plus PATH) set. */
export function runTend(args: string[], env: Record<string, string> = {}, timeoutMs = COMMAND_TIMEOUT_MS, cwd?: string): Promise<TendRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tendBin, ...args], {
      env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn", ...env },
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`tend ${args.join(" ")} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `tend start` and resolves once it logs that it listens; the caller stops it. */
export function startTendProcess(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tendBin, "start"], {
      env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`tend start did not listen in time:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const line = output.split("\n").find((l) => l.includes('"msg":"Tend is listening"'));
      if (line) {
        clearTimeout(timer);
        resolve({ child, url: (JSON.parse(line) as { url: string }).url, output: () => output });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("close", (code) => {
      clearTimeout(timer);
      reject(new Error(`tend start exited with ${code}:\n${output}`));
    });
  });
}

export function waitForExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on("exit", (code) => resolve(code));
  });
}
