import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningTend, startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { ManualClock } from "../src/core/clock.ts";
import { tendDatabaseTargets } from "./support/databases.ts";

interface Reply {
  text: string;
}

const targets = tendDatabaseTargets("webchat-abuse");

for (const target of targets) {
  describe.skipIf(Boolean(target.skip))(`web chat abuse limits [${target.name}]${target.skip ? ` (skipped: ${target.skip})` : ""}`, () => {
    let tend: RunningTend;
    // Time stands still inside each test, so no bucket refills while a test runs, however slow the machine.
    const clock = new ManualClock("2026-12-01T10:00:00Z");
    let sequence = 0;

    function post(visitorId: string, body: Record<string, unknown>, from?: string) {
      return fetch(`${tend.url}/webchat/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(from ? { "x-forwarded-for": from } : {}) },
        body: JSON.stringify({ visitorId, messageId: `m${++sequence}`, ...body }),
      });
    }
    async function say(visitorId: string, text: string, from: string): Promise<string> {
      const response = await post(visitorId, { text }, from);
      expect(response.status).toBe(200);
      return ((await response.json()) as { replies: Reply[] }).replies[0]?.text ?? "";
    }
    const known = async (visitorId: string) => (await tend.services.customers.findByIdentity("web", visitorId)) !== null;

    beforeAll(async () => {
      const config = loadConfig({
        ...(await target.env()),
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        WEBCHAT_TRUST_PROXY: "x-forwarded-for",
        WEBCHAT_NEW_VISITORS_PER_MINUTE_PER_IP: "2",
        WEBCHAT_NEW_VISITORS_PER_MINUTE: "4",
      });
      tend = await startTend({ config, clock });
    });
    afterAll(async () => {
      await tend?.stop();
    });

    it("limits new visitors per address and in total, and never a visitor Tend already knows", async () => {
      clock.advance(60_000);
      // The issue's probe: a fresh visitorId per request from one address.
      const fromOne = [];
      for (let i = 0; i < 5; i++) fromOne.push(await post(`fresh-a-${i}-000000`, { text: "hi" }, "203.0.113.7"));
      expect(fromOne.map((r) => r.status)).toEqual([200, 200, 429, 429, 429]);
      const refused = fromOne[2]!;
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(((await refused.json()) as { error: string }).error).toMatch(/new conversations/);
      expect(await known("fresh-a-2-000000")).toBe(false);

      // The two who got in keep talking from the same address.
      expect(await say("fresh-a-0-000000", "points", "203.0.113.7")).toMatch(/You have 0 points/);

      // Other addresses get their own allowance until the global one is spent (4 a minute).
      expect((await post("fresh-b-0-000000", { text: "hi" }, "198.51.100.1")).status).toBe(200);
      expect((await post("fresh-c-0-000000", { text: "hi" }, "198.51.100.2")).status).toBe(200);
      const overall = await post("fresh-d-0-000000", { text: "hi" }, "198.51.100.3");
      expect(overall.status).toBe(429);
      expect(await known("fresh-d-0-000000")).toBe(false);

      // A minute later there is room again.
      clock.advance(60_000);
      expect((await post("fresh-d-0-000000", { text: "hi" }, "198.51.100.3")).status).toBe(200);
    });

    it("trusts only the last address of the configured proxy header", async () => {
      clock.advance(60_000);
      // A client cannot pose as many addresses by prepending its own X-Forwarded-For entries.
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await post(`forged-${i}-000000`, { text: "hi" }, `10.9.9.${i}, 192.0.2.50`)).status);
      expect(statuses).toEqual([200, 200, 429]);
    });

    it("limits wrong link codes per address as well as per customer", async () => {
      clock.advance(60_000);
      // Three visitors who got in from different places...
      const visitors = ["guess-1-000000", "guess-2-000000", "guess-3-000000"];
      for (const [i, visitor] of visitors.entries()) await say(visitor, "hi", `192.0.2.${100 + i}`);
      clock.advance(60_000);
      const guesser = "192.0.2.200";
      // ...each allowed five wrong codes of their own (the per-customer limit)...
      for (let i = 0; i < 5; i++) expect(await say(visitors[0]!, `link AAAA${"BCDEFG"[i]}2`, guesser)).toMatch(/don't know that link code/);
      expect(await say(visitors[0]!, "link AAAAH2", guesser)).toMatch(/Too many wrong codes/);
      for (let i = 0; i < 5; i++) expect(await say(visitors[1]!, `link BBBB${"BCDEFG"[i]}2`, guesser)).toMatch(/don't know that link code/);
      // ...but the address has now guessed ten times: a third visitor there gets no fresh allowance.
      expect(await say(visitors[2]!, "link CCCCB2", guesser)).toMatch(/Too many wrong codes/);
      // The same visitor from another network is not blocked by that address.
      expect(await say(visitors[2]!, "link CCCCB2", "192.0.2.201")).toMatch(/don't know that link code/);
    });
  });
}
