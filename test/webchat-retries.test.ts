import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningTend, startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { tendDatabaseTargets } from "./support/databases.ts";

interface Reply {
  text: string;
  choices?: { id: string; label: string }[];
}

/**
 * The web chat's promise: a repeated messageId is answered again, not handled twice, including
 * copies sent while the first is still being handled, and (on PostgreSQL) copies that reach
 * another instance than the one handling the first.
 */
for (const target of tendDatabaseTargets("webchat-retries")) {
  describe.skipIf(Boolean(target.skip))(`web chat retries [${target.name}]${target.skip ? ` (skipped: ${target.skip})` : ""}`, () => {
    const instances: RunningTend[] = [];

    beforeAll(async () => {
      const env = {
        ...(await target.env()),
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        WEBCHAT_RATE_LIMIT_PER_MINUTE: "600",
        WEBCHAT_NEW_VISITORS_PER_MINUTE_PER_IP: "1000",
      };
      instances.push(await startTend({ config: loadConfig(env) }));
      // Two instances on one PostgreSQL database: the scale-out the README describes.
      if (target.name === "postgres") instances.push(await startTend({ config: loadConfig(env) }));
    }, 240_000);
    afterAll(async () => {
      for (const tend of instances) await tend.stop();
    });

    async function post(instance: RunningTend, body: Record<string, unknown>): Promise<Reply[]> {
      const response = await fetch(`${instance.url}/webchat/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(response.status, await response.clone().text()).toBe(200);
      return ((await response.json()) as { replies: Reply[] }).replies;
    }

    it("answers every concurrent copy of a message with the one answer, handled once", async () => {
      const visitorId = `retries-${target.name}-visitor`;
      await post(instances[0]!, { visitorId, messageId: "hello", text: "hello" });
      const copies = Array.from({ length: 100 }, (_, index) =>
        post(instances[index % instances.length]!, { visitorId, messageId: "points-1", text: "points" }),
      );
      const answers = await Promise.all(copies);
      const first = answers[0]!;
      expect(first).toHaveLength(1);
      expect(first[0]!.text).toMatch(/^You have 0 points/);
      for (const answer of answers) expect(answer).toEqual(first);
    }, 120_000);
  });
}
