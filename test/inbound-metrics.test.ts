import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningTend, startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { tendDatabaseTargets } from "./support/databases.ts";

/** /metrics shows how long inbound messages take, per channel: the figure BENCHMARKS.md measures. */
for (const target of tendDatabaseTargets("inbound-metrics")) {
  describe.skipIf(Boolean(target.skip))(`inbound latency metric [${target.name}]${target.skip ? ` (skipped: ${target.skip})` : ""}`, () => {
    let tend: RunningTend;
    beforeAll(async () => {
      tend = await startTend({
        config: loadConfig({ ...(await target.env()), PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", OUTREACH_DEFAULT_QUIET_HOURS: "off" }),
      });
    }, 240_000);
    afterAll(async () => {
      await tend?.stop();
    });

    const count = (text: string, platform: string) =>
      Number(new RegExp(`^tend_inbound_message_duration_seconds_count\\{platform="${platform}"\\} (\\d+)$`, "m").exec(text)?.[1] ?? "0");

    it("counts each web chat message in a histogram labelled by channel, a copy included", async () => {
      const before = count(await (await fetch(`${tend.url}/metrics`)).text(), "web");
      const visitorId = `metrics-${target.name}-visitor`;
      for (const [messageId, text] of [["m1", "help"], ["m2", "points"], ["m2", "points"]] as const) {
        const response = await fetch(`${tend.url}/webchat/api/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ visitorId, messageId, text }),
        });
        expect(response.status).toBe(200);
      }
      const metrics = await (await fetch(`${tend.url}/metrics`)).text();
      expect(metrics).toContain("# TYPE tend_inbound_message_duration_seconds histogram");
      // Three deliveries reached the engine (the repeated m2 is answered from the first, still timed).
      expect(count(metrics, "web") - before).toBe(3);
      expect(metrics).toMatch(/^tend_inbound_message_duration_seconds_bucket\{le="\+Inf",platform="web"\} \d+$/m);
      expect(metrics).toMatch(/^tend_inbound_message_duration_seconds_sum\{platform="web"\} [\d.e-]+$/m);
    }, 120_000);
  });
}
