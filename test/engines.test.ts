import fs from "node:fs";
import semver from "semver";
import { describe, expect, it } from "vitest";

interface LockEntry {
  version?: string;
  engines?: unknown;
}

const pkg = JSON.parse(fs.readFileSync("package.json", "utf8")) as { engines: { node: string } };
const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8")) as { packages: Record<string, LockEntry> };

describe("supported Node versions", () => {
  it("every installed package runs on the oldest Node that package.json's engines promise", () => {
    const oldest = semver.minVersion(pkg.engines.node);
    expect(oldest).not.toBeNull();
    const refusing = Object.entries(lock.packages)
      .filter(([where, entry]) => where !== "" && typeof (entry.engines as { node?: unknown } | undefined)?.node === "string")
      .map(([where, entry]) => ({ where, version: entry.version, node: (entry.engines as { node: string }).node }))
      .filter(({ node }) => !semver.satisfies(oldest!, node));
    expect(refusing).toEqual([]);
  });

  it("the README promises the same Node version as engines", () => {
    const readme = fs.readFileSync("README.md", "utf8");
    const promised = /Needs Node\.js (\d+\.\d+) or newer/.exec(readme)?.[1];
    expect(promised).toBeDefined();
    expect(semver.minVersion(pkg.engines.node)?.version).toBe(`${promised}.0`);
  });
});
