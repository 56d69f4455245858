import fs from "node:fs";
import path from "node:path";
import { TendError, describeError } from "../errors.ts";

/**
 * The embedded database may be opened by one process at a time; a second Tend on the same folder
 * would corrupt it. The lock file holds the owner's pid so a stale lock (a crashed Tend) is taken over.
 */
export interface DataDirLock {
  release(): void;
}

export function prepareDataDir(dataDir: string): void {
  const absolute = path.resolve(dataDir);
  try {
    fs.mkdirSync(absolute, { recursive: true });
    const probe = path.join(absolute, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, "");
    fs.rmSync(probe);
  } catch (error) {
    throw new TendError(
      "DATA_DIR_UNWRITABLE",
      `cannot write to the data folder ${absolute} (TEND_DATA_DIR): ${describeError(error)}`,
      { cause: error },
    );
  }
}

export function lockDataDir(dataDir: string): DataDirLock {
  const lockPath = path.join(path.resolve(dataDir), "tend.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: "wx" });
      return {
        release() {
          try {
            if (fs.readFileSync(lockPath, "utf8") === String(process.pid)) fs.rmSync(lockPath);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new TendError("DATA_DIR_UNWRITABLE", `cannot lock the data folder (TEND_DATA_DIR): ${describeError(error)}`);
      }
      const owner = Number.parseInt(fs.readFileSync(lockPath, "utf8"), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new TendError(
          "DATA_DIR_IN_USE",
          `the data folder ${path.resolve(dataDir)} (TEND_DATA_DIR) is in use by another Tend process (pid ${owner}); stop it or choose another folder`,
        );
      }
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new TendError("DATA_DIR_IN_USE", `cannot take the lock on ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
