#!/usr/bin/env node
// Runs Tend's compiled JavaScript (dist/), compiling it first if the sources changed since the last build.
import { pathToFileURL } from "node:url";
import { ensureBuilt } from "./build-cli.js";

await import(pathToFileURL(await ensureBuilt()).href);
