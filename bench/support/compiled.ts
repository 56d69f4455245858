// Shared by the benchmarks that measure Tend's memory in a child process.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Compiles a benchmark script the way bin/build-cli.js compiles Tend for `npm start` (esbuild, ESM
 * bundle split into chunks, packages left external), so that its child process runs Tend's code as Tend runs in use:
 * under tsx the same process holds about 70 MB more (the transpiled sources and their source maps).
 * The bundle goes to dist/.bench/, two levels below the root like Tend's own build, so paths that
 * modules resolve from import.meta.url (prisma/migrations, the default care plans) land in the same
 * place; the dot keeps Tend's build pruning away from it. Returns the bundle's path; `remove()` deletes it.
 */
export async function compileBenchmark(script: string): Promise<{ file: string; remove(): void }> {
  const outdir = path.join(root, "dist", ".bench");
  fs.mkdirSync(outdir, { recursive: true });
  const name = `${path.basename(script, ".ts")}-${process.pid}`;
  // Split like Tend's build: a module Tend loads with import() only when needed (a platform's
  // adapter and its library) stays out of memory unless used. Chunks sit beside the entry (the same
  // depth below the root) and carry the pid, so benchmarks running at once never share or remove each other's.
  const result = await build({
    absWorkingDir: root,
    entryPoints: { [name]: script },
    outdir,
    outExtension: { ".js": ".mjs" },
    chunkNames: `${name}-chunk-[hash]`,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "error",
    metafile: true,
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => path.resolve(root, file));
  return { file: path.join(outdir, `${name}.mjs`), remove: () => outputs.forEach((file) => fs.rmSync(file, { force: true })) };
}

/** How a benchmark's child runs: compiled (as `npm start` runs Tend; the default) or under tsx (BENCH_CHILD=tsx). */
export function childRunsUnderTsx(): boolean {
  return process.env.BENCH_CHILD === "tsx";
}
