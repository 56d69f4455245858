import fs from "node:fs";
import path from "node:path";
import { describe, expect, expectTypeOf, it } from "vitest";
import { channelFactories } from "../adapters/index.ts";
import { type Platform, platforms } from "../src/core/channel.ts";
import type { Platform as DatabasePlatform } from "../src/db/generated/client.ts";

/** .ts/.js files under `dir`, skipping generated code and dependencies. */
function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "generated" || entry.name === "node_modules" ? [] : sourceFiles(full);
    return /\.(ts|js|mjs)$/.test(entry.name) ? [full] : [];
  });
}

/** The relative modules a file imports (static, re-exported or dynamic), as absolute paths. */
function relativeImports(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  return [...text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => path.resolve(path.dirname(file), m[1]!));
}

describe("channels and the engine", () => {
  it("knows one list of platforms: the core's equals the database enum", () => {
    const schema = fs.readFileSync("prisma/schema.prisma", "utf8");
    const body = /enum Platform \{([^}]*)\}/.exec(schema)?.[1] ?? "";
    const inSchema = body.split("\n").map((line) => line.trim()).filter((line) => line && !line.startsWith("//"));
    expect([...platforms].sort()).toEqual(inSchema.sort());
    expectTypeOf<Platform>().toEqualTypeOf<DatabasePlatform>();
  });

  it("offers every platform, the web chat included, as a channel factory", () => {
    expect(channelFactories.map((factory) => factory.platform).sort()).toEqual([...platforms].sort());
  });

  it("keeps every adapter, the web chat included, off the database and the engine: they reach Tend through the channel port", () => {
    // The port and its types (src/core), plus settings, errors and logging; nothing that holds data or decides.
    const allowed = /^src\/(core\/|config\/|errors\.ts$|observability\/)/;
    const reachingIn = sourceFiles("adapters").flatMap((file) =>
      relativeImports(file)
        .map((target) => path.relative(process.cwd(), target))
        .filter((target) => target.startsWith("src/") && !allowed.test(target))
        .map((target) => `${file} imports ${target}`),
    );
    expect(reachingIn).toEqual([]);
  });

  it("has no module that nothing imports", () => {
    const modules = [...sourceFiles("src"), ...sourceFiles("adapters")].map((file) => path.resolve(file));
    const importers = ["src", "adapters", "test", "bench", "scripts", "bin"].flatMap(sourceFiles).concat("prisma.config.ts");
    // Entry points are started, not imported: bin/tend.js runs the CLI's compiled main.
    // The dashboard's chart script is served to browsers as a file (src/dashboard/chart-assets.ts reads it), not imported.
    const entryPoints = ["src/cli/main.ts", "src/dashboard/chart-client.js"].map((file) => path.resolve(file));
    const imported = new Set([...importers.flatMap(relativeImports), ...entryPoints]);
    expect(modules.filter((file) => !imported.has(file)).map((file) => path.relative(process.cwd(), file))).toEqual([]);
  });

  it("names every adapter <Platform>Adapter and every factory <platform>Factory, each exported by its folder", async () => {
    for (const factory of channelFactories) {
      const prefix = factory.platform === "web" ? "webChat" : factory.platform;
      const module = (await import(`../adapters/${factory.platform}/index.ts`)) as Record<string, unknown>;
      expect(module[`${prefix}Factory`]).toBe(factory);
      expect(typeof module[`${prefix[0]!.toUpperCase()}${prefix.slice(1)}Adapter`]).toBe("function");
      expect(Object.keys(module).filter((name) => name.includes("Channel"))).toEqual([]);
    }
  });
});
