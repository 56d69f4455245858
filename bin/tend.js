#!/usr/bin/env node
// Runs Tend's compiled JavaScript (dist/), compiling it first if the sources changed since the last build.
import { pathToFileURL } from "node:url";
import { ensureBuilt } from "./build-cli.js";

let entry;
try {
  entry = await ensureBuilt();
} catch (error) {
  // esbuild has printed where the sources are wrong; this says what it means for the command.
  process.stderr.write(`tend: cannot compile Tend's sources: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`);
  process.exit(1);
}
await import(pathToFileURL(entry).href);
