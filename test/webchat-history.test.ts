import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type RunningTend, startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { tendDatabaseTargets } from "./support/databases.ts";

interface Entry {
  id: string;
  direction: "in" | "out";
  text: string;
  choices?: { id: string; label: string }[];
  answered: boolean;
  at: string;
}
interface Page {
  messages: Entry[];
  cursor: string;
  language: string | null;
}

for (const target of tendDatabaseTargets("webchat-history")) {
  describe.skipIf(Boolean(target.skip))(`web chat history [${target.name}]${target.skip ? ` (skipped: ${target.skip})` : ""}`, () => {
    let tend: RunningTend;
    let sequence = 0;

    async function say(visitorId: string, body: Record<string, unknown>) {
      const response = await fetch(`${tend.url}/webchat/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ visitorId, messageId: `h${++sequence}`, ...body }),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { replies: { text: string; choices?: { id: string; label: string }[] }[]; at: string };
    }
    async function get(path: string): Promise<Page> {
      const response = await fetch(`${tend.url}${path}`);
      expect(response.status).toBe(200);
      return (await response.json()) as Page;
    }

    beforeAll(async () => {
      const config = loadConfig({ ...(await target.env()), PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", WEBCHAT_RATE_LIMIT_PER_MINUTE: "600" });
      tend = await startTend({ config });
    });
    afterAll(async () => {
      await tend?.stop();
    });

    it("gives a reopened page the last 50 messages, button presses as their labels, answered buttons marked", async () => {
      const visitor = `history-${target.name}-01`;
      expect(await get(`/webchat/api/history?visitorId=${visitor}`)).toMatchObject({ messages: [], language: null });

      // The page's own opening request is no message of the visitor's: only its answer shows.
      const greeting = await say(visitor, { action: "menu:help", locale: "zh-CN" });
      const points = greeting.replies[0]!.choices!.find((c) => c.id === "menu:points")!;
      await say(visitor, { action: points.id });
      let page = await get(`/webchat/api/history?visitorId=${visitor}`);
      expect(page.language).toBe("zh-CN");
      expect(page.messages.map((m) => [m.direction, m.text.slice(0, 4)])).toEqual([
        ["out", "您好！我"],
        ["in", points.label.slice(0, 4)],
        ["out", page.messages[2]!.text.slice(0, 4)],
      ]);
      expect(page.messages[0]!.answered).toBe(true);
      expect(page.messages.every((m) => !Number.isNaN(Date.parse(m.at)))).toBe(true);
      expect(page.cursor).toBe(page.messages[2]!.at);

      for (let i = 1; i <= 30; i++) await say(visitor, { text: `积分 ${i}` });
      page = await get(`/webchat/api/history?visitorId=${visitor}`);
      expect(page.messages).toHaveLength(50);
      expect(page.messages.at(-2)).toMatchObject({ direction: "in", text: "积分 30" });
      expect(page.messages.at(-1)?.direction).toBe("out");
      const times = page.messages.map((m) => Date.parse(m.at));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    });

    it("brings back what Tend sent while the page was closed, and only that, from the poll", async () => {
      const visitor = `history-${target.name}-02`;
      await say(visitor, { text: "hi" });
      const closedAt = (await get(`/webchat/api/history?visitorId=${visitor}`)).cursor;
      const customer = await tend.services.customers.findByIdentity("web", visitor);
      await tend.engine.notify(customer!.id, { text: "Your parcel is on its way.", choices: [{ id: "menu:points", label: "My points" }] });

      // Queued in the outbox; on the timeline (and so in the history) once the dispatcher delivered it.
      const reopened = await vi.waitFor(
        async () => {
          const page = await get(`/webchat/api/history?visitorId=${visitor}`);
          expect(page.messages.at(-1)).toMatchObject({ direction: "out", text: "Your parcel is on its way.", answered: false });
          return page;
        },
        { timeout: 20_000, interval: 100 },
      );
      const polled = await get(`/webchat/api/messages?visitorId=${visitor}&after=${encodeURIComponent(closedAt)}`);
      expect(polled.messages.map((m) => m.text)).toEqual(["Your parcel is on its way."]);
      expect(polled.messages[0]!.id).toBe(reopened.messages.at(-1)!.id);

      await say(visitor, { action: "menu:points" });
      const after = await get(`/webchat/api/history?visitorId=${visitor}`);
      expect(after.messages.find((m) => m.text === "Your parcel is on its way.")?.answered).toBe(true);
    });
  });
}
