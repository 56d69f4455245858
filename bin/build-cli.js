// Compiles Tend's TypeScript into dist/ so that `tend` starts without transpiling at every run.
// Run by `npm install` (postinstall) and `npm test`; bin/tend.js also calls it, so a build that is
// missing or older than the sources is made again before a command runs.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const distDir = path.join(root, "dist");
const sourceDirs = ["src", "adapters"];
const entry = "main.js";
/**
 * Earlier builds are kept beside the current one for a while: a `tend start` begun before the
 * sources changed still loads chunks from its own build when a command first needs them.
 */
const KEEP_PREVIOUS = 3;
const KEEP_FOR_MS = 3_600_000;

/** A digest of every source file's name, size and modification time: cheap enough for every start. */
function sourceStamp() {
  const hash = crypto.createHash("sha256");
  const visit = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const item of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, item.name);
      if (item.isDirectory()) visit(full);
      else if (item.name.endsWith(".ts") && !item.name.endsWith(".test.ts")) {
        const stat = fs.statSync(full);
        hash.update(`${path.relative(root, full)}\0${stat.size}\0${stat.mtimeMs}\n`);
      }
    }
  };
  for (const dir of sourceDirs) visit(path.join(root, dir));
  hash.update(fs.readFileSync(path.join(root, "package.json")));
  return hash.digest("hex").slice(0, 16);
}

/**
 * Returns the compiled entry point, building it first when the sources changed. Each build has its
 * own folder, dist/<stamp>/, two levels below the project root like src/db/, so paths that modules
 * resolve from import.meta.url (prisma/migrations) land in the same place compiled or not. A build
 * is made in a temporary folder and renamed into place, so CLIs starting together never see half of one.
 */
export async function ensureBuilt() {
  const stamp = sourceStamp();
  const target = path.join(distDir, stamp);
  const built = path.join(target, entry);
  if (fs.existsSync(built)) return built;

  const { build } = await import("esbuild");
  fs.mkdirSync(distDir, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(distDir, ".building-"));
  try {
    await build({
      absWorkingDir: root,
      entryPoints: { main: "src/cli/main.ts" },
      outdir: scratch,
      bundle: true,
      // Commands import their heavy modules with import(): separate chunks keep `tend --help` light.
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      sourcemap: "linked",
      logLevel: "error",
    });
    try {
      fs.renameSync(scratch, target);
    } catch (error) {
      // Another tend built the same sources first: use theirs.
      if (!fs.existsSync(built)) throw error;
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  prune(stamp);
  return built;
}

function prune(current) {
  const builds = fs
    .readdirSync(distDir, { withFileTypes: true })
    .filter((item) => item.isDirectory() && !item.name.startsWith(".") && item.name !== current)
    .map((item) => ({ dir: path.join(distDir, item.name), time: fs.statSync(path.join(distDir, item.name)).mtimeMs }))
    .sort((a, b) => b.time - a.time);
  for (const old of builds.slice(KEEP_PREVIOUS)) {
    if (Date.now() - old.time > KEEP_FOR_MS) fs.rmSync(old.dir, { recursive: true, force: true });
  }
  // A build cut off by a crash leaves its scratch folder behind; none takes anywhere near an hour.
  for (const item of fs.readdirSync(distDir)) {
    const dir = path.join(distDir, item);
    if (item.startsWith(".building-") && Date.now() - fs.statSync(dir).mtimeMs > 3_600_000) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const built = await ensureBuilt();
  console.log(`tend: compiled to ${path.relative(root, path.dirname(built))}`);
}
