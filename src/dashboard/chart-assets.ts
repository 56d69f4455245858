import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** A file the dashboard serves from memory: its bytes and content type. */
export interface DashboardAsset {
  body: Buffer;
  type: string;
}

// src/dashboard/ and a build's dist/<stamp>/ are both two levels below the project root.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The overview's chart files, read once when the routes are registered: Chart.js's browser build
 * from node_modules (no CDN: the dashboard works air-gapped), our drawing script and its styles.
 * Fails at start, naming the file, rather than on the first page view.
 */
export function loadChartAssets(): Record<string, DashboardAsset> {
  // chart.js exports only its module builds; the UMD file sits beside the CommonJS one.
  const chartJs = path.join(path.dirname(createRequire(path.join(root, "package.json")).resolve("chart.js")), "chart.umd.min.js");
  const read = (file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (error) {
      throw new Error(`the dashboard's chart file ${file} could not be read (run npm install): ${(error as Error).message}`);
    }
  };
  const js = "text/javascript; charset=utf-8";
  return {
    // The source map comment is dropped: the map is not served, and a browser's developer tools would ask for it.
    "chart.umd.min.js": { body: Buffer.from(read(chartJs).toString("utf8").replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, "\n")), type: js },
    "chart-client.js": { body: read(path.join(root, "src", "dashboard", "chart-client.js")), type: js },
    "overview.css": { body: Buffer.from(OVERVIEW_CSS), type: "text/css; charset=utf-8" },
  };
}

/** The overview's own styles: chart boxes that fit a phone's width. */
const OVERVIEW_CSS = `
.chart{position:relative;width:100%;height:280px;margin:8px 0}
.chart canvas{max-width:100%}
details.as-table{margin:8px 0}
details.as-table summary{cursor:pointer;color:#0b57d0;padding:4px 0}
@media (max-width:600px){.chart{height:240px}}
`;
