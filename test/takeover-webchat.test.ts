import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webChatFactory } from "../adapters/web/index.ts";
import { type RunningTend, startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { readInteractionMetadata } from "../src/core/interaction-metadata.ts";
import { tendDatabaseTargets } from "./support/databases.ts";

const API_KEY = "takeover-webchat-api-key-0123456789";
const VISITOR = "visitor-takeover-0001";

interface Shown {
  messages: { id: string; direction: string; text: string }[];
  cursor: string;
  handedOver: { to: string | null } | null;
}

for (const target of tendDatabaseTargets("takeover-web")) {
  describe.skipIf(Boolean(target.skip))(`a takeover seen from the web chat [${target.name}]${target.skip ? ` (skipped: ${target.skip})` : ""}`, () => {
    let tend: RunningTend;
    let customerId: string;
    const api = (path: string, body: unknown) =>
      fetch(`${tend.url}/api${path}`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const say = async (text: string) => {
      const response = await fetch(`${tend.url}/webchat/api/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ visitorId: VISITOR, text }) });
      expect(response.status).toBe(200);
      return ((await response.json()) as { replies: { text: string }[] }).replies.map((r) => r.text);
    };
    const history = async () => (await (await fetch(`${tend.url}/webchat/api/history?visitorId=${VISITOR}`)).json()) as Shown;

    beforeAll(async () => {
      const config = loadConfig({ ...(await target.env()), PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", OUTREACH_DEFAULT_QUIET_HOURS: "off", TEND_API_KEY: API_KEY });
      tend = await startTend({ config, channelFactories: [webChatFactory], staffConsoleFactories: [] });
    });
    afterAll(async () => {
      await tend?.stop();
    });

    it("shows the conversation and a note that a person has it, then the staff reply, and the bot again after release", async () => {
      await say("help");
      await say("agent");
      customerId = (await tend.services.customers.findByIdentity("web", VISITOR))!.id;
      let shown = await history();
      expect(shown.handedOver).toEqual({ to: null });
      expect(shown.messages.map((m) => m.text)).toEqual(expect.arrayContaining(["help", "agent"]));
      // The bot keeps quiet while a person has it.
      expect(await say("hello? anyone?")).toEqual([]);

      // Not handed to anyone yet: a reply is refused, saying why.
      const early = await api(`/customers/${customerId}/reply`, { text: "Hi!" });
      expect(early.status).toBe(409);
      expect(await early.json()).toMatchObject({ reason: "not_owner", error: "nobody has taken this conversation yet: take it over first" });

      expect((await api(`/customers/${customerId}/take-over`, {})).status).toBe(200);
      const replied = await api(`/customers/${customerId}/reply`, { text: "Hello, this is our team. How can we help?", idempotencyKey: "r-1" });
      expect(replied.status).toBe(202);
      expect((await api(`/customers/${customerId}/reply`, { text: "Hello, this is our team. How can we help?", idempotencyKey: "r-1" })).status).toBe(202);
      let polled: Shown | undefined;
      for (let tries = 0; tries < 500; tries++) {
        polled = (await (await fetch(`${tend.url}/webchat/api/messages?visitorId=${VISITOR}&after=${encodeURIComponent(shown.cursor)}`)).json()) as Shown;
        if (polled.messages.some((m) => m.text === "Hello, this is our team. How can we help?")) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(polled!.messages.filter((m) => m.text === "Hello, this is our team. How can we help?")).toHaveLength(1);
      expect(polled!.handedOver).toEqual({ to: "TEND_API_KEY" });
      const sent = await tend.db.prisma.interaction.findFirstOrThrow({ where: { customerId, direction: "out", text: "Hello, this is our team. How can we help?" } });
      expect(readInteractionMetadata(sent.metadata)).toMatchObject({ by: "TEND_API_KEY" });

      expect((await api(`/customers/${customerId}/release`, {})).status).toBe(200);
      shown = await history();
      expect(shown.handedOver).toBeNull();
      expect(shown.messages.map((m) => m.text)).toEqual(expect.arrayContaining(["hello? anyone?", "Hello, this is our team. How can we help?"]));
      expect((await say("points")).join("\n")).toMatch(/points/);
    });

    it("serves a page that shows the note while a person has the conversation", async () => {
      const page = await (await fetch(`${tend.url}/chat`)).text();
      expect(page).toContain('<div id="staff" role="status" hidden></div>');
      expect(page).toContain("from our team has this conversation and answers you here.");
      expect(page).toContain("showHandover(data.handedOver)");
    });
  });
}
