import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type RunningTend, startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { tendDatabaseTargets } from "./support/databases.ts";

const apiKey = "test-api-key-0123456789";

interface Reply {
  text: string;
  choices?: { id: string; label: string }[];
  attachment?: { fileName: string; contentType: string; content: string };
}

const targets = tendDatabaseTargets("webchat");

for (const target of targets) {
  describe.skipIf(Boolean(target.skip))(`scripted web chat conversation [${target.name}]${target.skip ? ` (skipped: ${target.skip})` : ""}`, () => {
    let tend: RunningTend;
    const visitorId = `visitor-${target.name}-0001`;
    let sequence = 0;

    async function post(body: Record<string, unknown>) {
      return fetch(`${tend.url}/webchat/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ visitorId, ...body }),
      });
    }
    async function say(body: Record<string, unknown>): Promise<Reply[]> {
      const response = await post({ messageId: `m${++sequence}`, ...body });
      expect(response.status).toBe(200);
      return ((await response.json()) as { replies: Reply[] }).replies;
    }
    async function api(method: string, url: string, body?: unknown) {
      const response = await fetch(`${tend.url}/api${url}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    }

    beforeAll(async () => {
      // The follow-up and the NPS invitation pass the contact policy at send time; this suite runs on
      // the wall clock, so the business-wide quiet hours are off here (test/outbox-dispatcher covers defers).
      const config = loadConfig({ ...(await target.env()), PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", TEND_API_KEY: apiKey, OUTREACH_DEFAULT_QUIET_HOURS: "off" });
      tend = await startTend({ config });
    });
    afterAll(async () => {
      await tend?.stop();
    });

    it("serves the chat page", async () => {
      const page = await fetch(`${tend.url}/chat`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/text\/html/);
      expect(await page.text()).toContain("/webchat/api/messages");
    });

    it("runs help, points, birthday, redeem, survey and case, consent, export and erase", async () => {
      const help = await say({ text: "help" });
      expect(help[0]?.choices?.map((c) => c.id)).toEqual(["menu:points", "menu:rewards", "menu:rate", "menu:agent"]);

      const points = await say({ action: "menu:points" });
      expect(points[0]?.text).toMatch(/You have 0 points\. Your tier: Bronze\./);

      expect((await say({ text: "birthday 1990-05-12" }))[0]?.text).toBe("Saved: your birthday is 1990-05-12.");
      expect((await say({ text: "birthday 1990-02-30" }))[0]?.text).toMatch(/YYYY-MM-DD/);

      // A CSAT answered 2 with a reason opens a case.
      const survey = await say({ text: "rate us" });
      const two = survey[0]?.choices?.find((c) => c.id.endsWith(":2"));
      expect(two).toBeDefined();
      expect((await say({ action: two!.id }))[0]?.text).toMatch(/main reason/);
      expect((await say({ text: "The parcel arrived broken 📦" }))[0]?.text).toMatch(/look into it/);
      const cases = await api("GET", "/cases");
      const opened = (cases.body.cases as { id: string; customerId: string; summary: string }[]).find((c) => c.summary.includes("broken"));
      expect(opened).toBeDefined();
      const customerId = opened!.customerId;

      // Staff close it; the customer hears back on the web chat.
      const closed = await api("POST", `/cases/${opened!.id}/close`, { resolution: "We sent a new one today", closedBy: "ana" });
      expect(closed.status).toBe(200);
      expect(closed.body.followUpQueued).toBe(true);
      expect((await api("POST", `/cases/${opened!.id}/close`, { resolution: "again" })).status).toBe(409);
      // The follow-up goes through the outbox: the page's poll shows it once the dispatcher has sent it.
      await vi.waitFor(
        async () => {
          const poll = await fetch(`${tend.url}/webchat/api/messages?visitorId=${visitorId}`);
          const { messages } = (await poll.json()) as { messages: Reply[] };
          expect(messages.map((m) => m.text)).toEqual(["About your feedback: We sent a new one today. Thank you for telling us."]);
        },
        { timeout: 20_000, interval: 100 },
      );
      await vi.waitFor(async () => expect((await tend.services.feedback.get(opened!.id))?.customerNotifiedAt).not.toBeNull(), { timeout: 20_000, interval: 100 });

      // The survey earned its bonus; staff add points so a reward is within reach.
      expect((await api("GET", `/customers/${customerId}/loyalty`)).body.balance).toBe(20);
      const adjusted = await api("POST", `/customers/${customerId}/points`, { points: 330, reason: "goodwill for the broken parcel" });
      expect(adjusted.body).toEqual({ status: "adjusted", balance: 350 });

      // Redeem, with a double tap and a concurrent retry of the same confirmation.
      const ask = await say({ text: "redeem coffee" });
      const confirm = ask[0]?.choices?.find((c) => c.id.startsWith("confirm:"));
      expect(ask[0]?.text).toMatch(/Redeem Free coffee for 100 points\? You have 350 points/);
      const taps = await Promise.all([say({ action: confirm!.id }), say({ action: confirm!.id }), say({ action: confirm!.id })]);
      const texts = taps.map((r) => r[0]?.text ?? "");
      expect(texts.filter((t) => t.startsWith("Done!"))).toHaveLength(1);
      expect(texts.filter((t) => t.startsWith("That was already done"))).toHaveLength(2);
      expect((await api("GET", `/customers/${customerId}/loyalty`)).body.balance).toBe(250);

      // STOP then START, each stored with its time.
      expect((await say({ text: "STOP" }))[0]?.text).toMatch(/no more messages you did not ask for/);
      let customer = await tend.services.customers.findById(customerId);
      expect(customer?.careConsent).toBe(false);
      expect(customer?.marketingConsent).toBe(false);
      expect((await say({ text: "START" }))[0]?.text).toMatch(/messages you had agreed to are on again/);
      customer = await tend.services.customers.findById(customerId);
      expect(customer?.careConsent).toBe(true);
      // Marketing was never agreed to, so START does not turn it on.
      expect(customer?.marketingConsent).toBe(false);
      const history = await tend.services.customers.consentHistory(customerId);
      expect(history.filter((h) => h.topic === "care").map((h) => h.granted)).toEqual([false, true]);

      // Export: everything held, as a JSON attachment.
      const exported = await say({ text: "my data" });
      const document = JSON.parse(exported[0]!.attachment!.content) as { interactions: { text: string | null }[] };
      expect(document.interactions.some((i) => i.text === "The parcel arrived broken 📦")).toBe(true);

      // Erase, after confirmation: texts and personal data are gone, counts stay.
      const erase = await say({ text: "delete my data" });
      const eraseConfirm = erase[0]?.choices?.find((c) => c.id.startsWith("confirm:"));
      expect((await say({ action: eraseConfirm!.id }))[0]?.text).toMatch(/erased/);
      customer = await tend.services.customers.findById(customerId);
      expect(customer?.erasedAt).toBeInstanceOf(Date);
      expect(customer?.birthday).toBeNull();
      const timeline = await tend.services.interactions.timeline(customerId, { limit: 500 });
      expect(timeline.length).toBeGreaterThan(20);
      expect(timeline.filter((i) => i.text !== null && i.kind !== "system")).toEqual([]);

      // Writing again makes a new, empty customer.
      const again = await say({ text: "points" });
      expect(again[0]?.text).toMatch(/You have 0 points/);
    });

    it("lets staff invite a customer to NPS, at most once in 90 days", async () => {
      const visitor = `visitor-${target.name}-nps01`;
      await fetch(`${tend.url}/webchat/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ visitorId: visitor, text: "hi" }),
      });
      const customer = await tend.services.customers.findByIdentity("web", visitor);
      const invited = await api("POST", `/customers/${customer!.id}/surveys`, { kind: "nps" });
      expect(invited.status).toBe(201);
      expect(invited.body.platform).toBe("web");
      // The invitation goes through the outbox: the poll shows it once the dispatcher has sent it.
      const question = await vi.waitFor(
        async () => {
          const poll = await fetch(`${tend.url}/webchat/api/messages?visitorId=${visitor}`);
          const [shown] = ((await poll.json()) as { messages: Reply[] }).messages;
          expect(shown?.text).toMatch(/recommend us/);
          return shown;
        },
        { timeout: 20_000, interval: 100 },
      );
      expect(question?.choices).toHaveLength(11);
      const nine = question!.choices!.find((c) => c.id.endsWith(":9"))!;
      const answered = await fetch(`${tend.url}/webchat/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ visitorId: visitor, action: nine.id }),
      });
      expect(((await answered.json()) as { replies: Reply[] }).replies[0]?.text).toMatch(/main reason/);
      const again = await api("POST", `/customers/${customer!.id}/surveys`, { kind: "nps" });
      expect(again.status).toBe(409);
      expect(again.body.reason).toBe("too_soon");
      expect((await api("POST", `/customers/${customer!.id}/surveys`, { kind: "poll" })).status).toBe(422);
    });

    it("answers a redelivered message once, with the same replies", async () => {
      const first = await say({ text: "rewards", messageId: "dup-1" });
      const second = await say({ text: "rewards", messageId: "dup-1" });
      expect(second).toEqual(first.map(({ text, choices }) => ({ text, ...(choices ? { choices } : {}) })));
    });

    it("refuses malformed JSON, bad fields and bodies over 16 KB with clear errors", async () => {
      const malformed = await fetch(`${tend.url}/webchat/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"visitorId": "visitor-x',
      });
      expect(malformed.status).toBe(400);
      expect(((await malformed.json()) as { error: string }).error).toMatch(/JSON/);

      const badVisitor = await fetch(`${tend.url}/webchat/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ visitorId: "<script>", text: "hi" }),
      });
      expect(badVisitor.status).toBe(400);
      expect(((await badVisitor.json()) as { error: string }).error).toMatch(/visitorId/);

      const huge = await post({ text: "x".repeat(17 * 1024) });
      expect(huge.status).toBe(413);

      const long = await say({ text: "y".repeat(5000) });
      expect(long[0]?.text).toMatch(/too long/);
    });

    it("rate-limits one visitor without slowing others", async () => {
      const flooder = "visitor-flood-0001";
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++) {
        const response = await fetch(`${tend.url}/webchat/api/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ visitorId: flooder, text: "hi" }),
        });
        statuses.push(response.status);
        if (response.status === 429) {
          expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
          break;
        }
      }
      expect(statuses.at(-1)).toBe(429);
      // 30 at once, plus the few that refill (one per 2 s) while the requests are made.
      const allowed = statuses.filter((s) => s === 200).length;
      expect(allowed).toBeGreaterThanOrEqual(30);
      expect(allowed).toBeLessThan(40);
      expect((await say({ text: "help" })).length).toBe(1);
    });
  });
}
