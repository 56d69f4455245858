// Reads a V8 .cpuprofile (node --cpu-prof) and prints where the time went: self time by
// function and by package/file, as a share of the sampled (non-idle) time.
import fs from "node:fs";

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

const [file, topArg = "40"] = process.argv.slice(2);
const profile = JSON.parse(fs.readFileSync(file!, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

function area(url: string): string {
  if (!url) return "(native/vm)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith("node:")) return url;
  const src = url.indexOf("/src/");
  return src >= 0 ? url.slice(src + 1) : url.replace(/^file:\/\//, "");
}

let total = 0;
const fn = new Map<string, number>();
const areas = new Map<string, number>();
for (const [id, us] of self) {
  const node = byId.get(id)!;
  const name = node.callFrame.functionName || "(anonymous)";
  if (name === "(idle)") continue;
  total += us;
  const key = `${name} ${area(node.callFrame.url)}:${node.callFrame.lineNumber}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const a = name === "(garbage collector)" ? "(gc)" : name === "(program)" ? "(program)" : area(node.callFrame.url);
  areas.set(a, (areas.get(a) ?? 0) + us);
}
const top = Number(topArg);
const pct = (us: number) => `${((100 * us) / total).toFixed(1)}%`;
console.log(`busy ${(total / 1000).toFixed(0)} ms`);
console.log("\nby package / file:");
for (const [k, v] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v).padStart(7)}  ${k}`);
console.log("\nby function (self):");
for (const [k, v] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v).padStart(7)}  ${k}`);

// Inclusive time of Tend's own functions (src/): what each step costs with everything it calls.
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const inclusive = new Map<string, number>();
for (const [id, us] of self) {
  if (byId.get(id)!.callFrame.functionName === "(idle)") continue;
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = byId.get(at)!.callFrame;
    if (!frame.url.includes("/src/")) continue;
    const key = `${frame.functionName || "(anonymous)"} ${area(frame.url)}:${frame.lineNumber}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}
console.log("\nTend's functions, inclusive (synchronous part of each call only):");
for (const [k, v] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v).padStart(7)}  ${k}`);
