import { Writable } from "node:stream";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StaffSlackApp } from "../adapters/slack-staff/app.ts";
import { staffSlackFactory } from "../adapters/slack-staff/index.ts";
import { webChatFactory } from "../adapters/web/index.ts";
import { type RunningTend, startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { LIFECYCLE_STAGE_LABELS, type LifecycleStageName } from "../src/analytics/lifecycle.ts";
import { RFM_SEGMENT_LABELS, type RfmSegment } from "../src/analytics/rfm.ts";
import { registerAnalyticsCommands } from "../src/cli/analytics-commands.ts";
import type { Config } from "../src/config/env.ts";
import type { StaffConsoleFactory } from "../src/core/staff-console.ts";
import type { CustomerCard } from "../src/customers/customer-card-types.ts";
import type { Database } from "../src/db/database.ts";
import { tendDatabaseTargets } from "./support/databases.ts";
import { botToken } from "./support/slack-helpers.ts";
import { type OpenedView, type Response, SlackStandin } from "./support/slack-standin.ts";
import { blockAction, postToStaffEvents, slashCommand, staffBotToken, staffSigningSecret, viewSubmission } from "./support/slack-staff-helpers.ts";

const targets = tendDatabaseTargets("slack-staff");

class Collect extends Writable {
  text = "";
  override _write(chunk: Buffer | string, _encoding: string, callback: () => void) {
    this.text += chunk.toString();
    callback();
  }
}

/** Runs `tend <args>` (the analytics and customer commands) on a running Tend's open database; its stdout. */
async function tendCli(db: Database, config: Config, args: string[]): Promise<string> {
  const stdout = new Collect();
  const stderr = Object.assign(new Collect(), { isTTY: false });
  const program = new Command("tend").exitOverride().configureOutput({ writeErr: (t) => stderr.write(t), writeOut: (t) => stdout.write(t) });
  // Tend keeps its database open: the command must not close it.
  registerAnalyticsCommands(program, async () => ({ ...db, close: async () => {} }), () => config, { stdout, stderr });
  await program.parseAsync(args, { from: "user" });
  return stdout.text;
}

const stampOf = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "-");

/** Every text a message shows (header, sections, context, section fields), one per line. */
export function shownText(blocks: Response["body"]["blocks"] | Record<string, unknown>[] | undefined): string {
  const texts: string[] = [];
  for (const block of (blocks ?? []) as Record<string, unknown>[]) {
    const text = block.text as { text?: string } | undefined;
    if (text?.text) texts.push(text.text);
    for (const element of (block.elements as { text?: unknown }[] | undefined) ?? []) {
      if (typeof element.text === "string") texts.push(element.text);
    }
  }
  return texts.join("\n");
}

function buttonsOf(blocks: Response["body"]["blocks"] | undefined): { action_id: string; value: string; label: string }[] {
  const found: { action_id: string; value: string; label: string }[] = [];
  for (const block of blocks ?? []) {
    const candidates = [...((block.elements as Record<string, unknown>[] | undefined) ?? []), ...(block.accessory ? [block.accessory] : [])];
    for (const element of candidates) {
      if (element.type === "button") found.push({ action_id: String(element.action_id), value: String(element.value), label: String((element.text as { text: string }).text) });
    }
  }
  return found;
}

for (const target of targets) {
  describe.skipIf(Boolean(target.skip))(`staff Slack app [${target.name}]${target.skip ? ` (skipped: ${target.skip})` : ""}`, () => {
    let standin: SlackStandin;
    let tend: RunningTend;
    let staffApp: StaffSlackApp;
    let config: Config;
    let sam: string;
    let nina: string;
    let staffChannel: string;
    let otherChannel: string;
    let aliceId: string;
    let sequence = 0;

    const capturing: StaffConsoleFactory = {
      ...staffSlackFactory,
      async create(context) {
        const made = await staffSlackFactory.create(context);
        staffApp = made as StaffSlackApp;
        return made;
      },
    };

    /** Runs a slash command and waits until everything it set off is done; its HTTP answer and what reached its response_url. */
    async function command(text: string, user = sam, channel = staffChannel) {
      const key = `command-${++sequence}`;
      const response = await postToStaffEvents(tend.url, slashCommand({ text, userId: user, channelId: channel, responseUrl: standin.responseUrl(key) }), "command");
      const status = response.status;
      const raw = await response.text();
      await staffApp.whenIdle();
      return { status, ack: raw ? (JSON.parse(raw) as Response["body"]) : undefined, responses: standin.responsesTo(key), key };
    }

    async function press(actionId: string, value: string, user = sam, channel = staffChannel) {
      const key = `press-${++sequence}`;
      const viewsBefore = standin.views.length;
      const response = await postToStaffEvents(tend.url, blockAction({ actionId, value, userId: user, channelId: channel, responseUrl: standin.responseUrl(key) }), "payload");
      expect(response.status).toBe(200);
      await staffApp.whenIdle();
      return { responses: standin.responsesTo(key), views: standin.views.slice(viewsBefore), key };
    }

    async function submit(view: OpenedView, values: Record<string, string>, user = sam) {
      const response = await postToStaffEvents(tend.url, viewSubmission({ userId: user, view: view.view, values, viewId: view.viewId }), "payload");
      const raw = await response.text();
      await staffApp.whenIdle();
      return { status: response.status, ack: raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined };
    }

    const audits = (action: string) => tend.services.staff.auditLog({ action, limit: 1000 });

    async function cardOf(query: string) {
      const { responses } = await command(`customer ${query}`);
      expect(responses).toHaveLength(1);
      return responses[0]!.body;
    }

    beforeAll(async () => {
      standin = await SlackStandin.start({
        botToken,
        staffBotToken,
        users: [
          { name: "sam", displayName: "Sam" },
          { name: "nina", displayName: "Nina" },
        ],
      });
      sam = standin.userId("sam");
      nina = standin.userId("nina");
      staffChannel = await standin.createChannel("staff");
      otherChannel = await standin.createChannel("random-talk");
      config = loadConfig({
        ...(await target.env()),
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        OUTREACH_DEFAULT_QUIET_HOURS: "off",
        TEND_STAFF_SLACK_BOT_TOKEN: staffBotToken,
        TEND_STAFF_SLACK_SIGNING_SECRET: staffSigningSecret,
        TEND_STAFF_SLACK_API_URL: standin.url,
        TEND_STAFF_SLACK_CHANNEL: staffChannel,
        TEND_STAFF_SLACK_USERS: `${sam}:Sam Lee`,
        TEND_STAFF_SLACK_CHANNELS: staffChannel,
      });
      tend = await startTend({ config, channelFactories: [webChatFactory], staffConsoleFactories: [capturing] });

      // Alice writes on the web chat (twice something Tend does not understand), then the shop tells Tend her name and an order.
      for (const text of ["help", "blorp zzz", "Blorp ZZZ "]) {
        const said = await fetch(`${tend.url}/webchat/api/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ visitorId: "visitor-alice-0001", text }),
        });
        expect(said.status).toBe(200);
      }
      const alice = await tend.db.prisma.channelIdentity.findFirstOrThrow({ where: { platform: "web", platformUserId: "visitor-alice-0001" } });
      aliceId = alice.customerId;
      await tend.db.prisma.customer.update({ where: { id: aliceId }, data: { displayName: "Alice Wong", externalId: "CRM-1001" } });
      expect((await tend.services.ingest.recordOrder({ externalId: "ORDER-77", customerExternalId: "CRM-1001", amount: "120.00", currency: "USD", placedAt: new Date().toISOString() })).status).toBe("created");
      for (const [externalId, displayName] of [
        ["CRM-2001", "Alan Smith"],
        ["CRM-2002", "Alana Jones"],
      ]) {
        expect((await tend.services.ingest.upsertCustomer({ externalId, displayName })).status).toBe("created");
      }
    });
    afterAll(async () => {
      await tend?.stop();
      await standin?.close();
    });

    it("refuses a forged signature, the customer app's secret and a replayed old request with 401, and answers url_verification", async () => {
      const body = slashCommand({ text: "customer Alice", userId: sam, channelId: staffChannel, responseUrl: standin.responseUrl("forged") });
      expect((await postToStaffEvents(tend.url, body, "command", { secret: "not-the-staff-secret" })).status).toBe(401);
      expect((await postToStaffEvents(tend.url, body, "command", { secret: "tend-test-signing-secret-0123456789" })).status).toBe(401);
      const replayed = await postToStaffEvents(tend.url, body, "command", { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
      expect(replayed.status).toBe(401);
      expect(((await replayed.json()) as { error: string }).error).toMatch(/stale/);
      expect((await postToStaffEvents(tend.url, body, "command", { signature: "v0=00" })).status).toBe(401);
      await staffApp.whenIdle();
      expect(standin.responsesTo("forged")).toEqual([]);
      const challenge = await postToStaffEvents(tend.url, { type: "url_verification", challenge: "abc123", token: "x" }, "event");
      expect(await challenge.json()).toEqual({ challenge: "abc123" });
      // The staff app checked its own token at start, not the customer app's.
      expect(standin.callsOf("auth.test").map((c) => c.token)).toContain(staffBotToken);
    });

    it("answers /tend customer with one match with the card: profile, channels, consent, loyalty, cases, who has the conversation", async () => {
      const card = await cardOf("Alice");
      expect(card.response_type).toBe("ephemeral");
      const text = shownText(card.blocks);
      expect(text).toContain("Alice Wong");
      expect(text).toContain(`Tend id ${aliceId}`);
      expect(text).toContain("external id CRM-1001");
      expect(text).toMatch(/web visitor-alice-0001/);
      expect(text).toMatch(/Consent: care yes/);
      expect(text).toMatch(/Loyalty: 120 points · Tier: Bronze/);
      expect(text).toMatch(/Orders: 1, total 120\.00/);
      expect(text).toMatch(/Open cases \(0\)/);
      expect(text).toMatch(/Outreach: not paused/);
      expect(text).toMatch(/Conversation: with the bot/);
      expect(buttonsOf(card.blocks).map((b) => b.label)).toEqual(["Add note", "Adjust points", "Goodwill points", "Pause outreach", "Send a message", "Take over", "Cases & timeline"]);
      expect(new Set(buttonsOf(card.blocks).map((b) => b.value))).toEqual(new Set([aliceId]));
      // By external id and by order id the same customer.
      expect(shownText((await cardOf("CRM-1001")).blocks)).toContain(`Tend id ${aliceId}`);
      expect(shownText((await cardOf("ORDER-77")).blocks)).toContain(`Tend id ${aliceId}`);
      const viewed = await audits("customer.view_card");
      expect(viewed.some((a) => a.customerId === aliceId && a.actorId === `slack:${sam}` && a.actorName === "Sam Lee")).toBe(true);
      expect((await audits("customer.search")).some((a) => a.customerId === aliceId && (a.detail as { matches: number }).matches === 1)).toBe(true);
    });

    it("lists several matches to pick from, and the pick replaces the list with the card", async () => {
      const { responses } = await command("customer Ala");
      expect(responses).toHaveLength(1);
      const list = responses[0]!.body;
      expect(shownText(list.blocks)).toMatch(/2 customers match "Ala"/);
      const picks = buttonsOf(list.blocks);
      expect(picks.map((p) => p.label)).toEqual(["Show", "Show"]);
      expect(shownText(list.blocks)).toMatch(/Alan Smith/);
      expect(shownText(list.blocks)).toMatch(/Alana Jones/);
      const alana = await tend.db.prisma.customer.findFirstOrThrow({ where: { externalId: "CRM-2002" } });
      const pick = picks.find((p) => p.value === alana.id)!;
      const picked = await press(pick.action_id, pick.value);
      expect(picked.responses).toHaveLength(1);
      expect(picked.responses[0]!.body.replace_original).toBe(true);
      expect(shownText(picked.responses[0]!.body.blocks)).toContain("Alana Jones");
    });

    it("says when nothing matches, and asks what to look up when nothing was given", async () => {
      const none = await command("customer Zebedee");
      expect(none.responses[0]!.body.text).toBe('No customer matches "Zebedee".');
      // Slack sends &, < and > escaped; the query is what was typed.
      const escaped = await command("customer Tom &amp; Jerry &lt;3");
      expect(shownText(escaped.responses[0]!.body.blocks)).toBe('No customer matches "Tom & Jerry <3".');
      expect(escaped.responses[0]!.body.text).toBe('No customer matches "Tom &amp; Jerry &lt;3".');
      const empty = await command("customer");
      expect(empty.responses[0]!.body.text).toMatch(/Whom should I look up/);
    });

    it("answers help, no subcommand and an unknown one with the list of subcommands", async () => {
      for (const text of ["help", "", "frobnicate now"]) {
        const { status, ack } = await command(text);
        expect(status).toBe(200);
        expect(ack?.response_type).toBe("ephemeral");
        expect(ack?.text).toContain("/tend customer <name, @handle, Tend id, external id or order id>");
        expect(ack?.text).toContain("/tend report");
        if (text === "frobnicate now") expect(ack?.text).toMatch(/I do not know `frobnicate`/);
      }
    });

    it("refuses a non-staff user and staff outside the staff channels, and audits each refusal; a DM with the app is fine", async () => {
      const refusedBefore = (await audits("staff.authorize")).length;
      const stranger = await command("customer Alice", nina);
      expect(stranger.ack?.text).toMatch(/only Tend staff/);
      expect(stranger.responses).toEqual([]);
      const elsewhere = await command("customer Alice", sam, otherChannel);
      expect(elsewhere.ack?.text).toMatch(/only Tend staff/);
      expect(elsewhere.responses).toEqual([]);
      // A button press or a modal submission by a non-staff member does nothing either.
      const pressed = await press("tend.staff.card.note", aliceId, nina);
      expect(pressed.views).toEqual([]);
      expect(pressed.responses[0]?.body.text).toMatch(/only Tend staff/);
      const forged = await submit(
        { method: "views.open", viewId: "V1", triggerId: "t", view: { type: "modal", callback_id: "tend.staff.modal.points", private_metadata: JSON.stringify({ channel: staffChannel, customerId: aliceId }), blocks: [] } },
        { points: "1000", reason: "free points" },
        nina,
      );
      expect(forged.ack?.response_action).toBe("update");
      expect(await tend.services.loyalty.balance(aliceId)).toBe(120);

      const refusals = (await audits("staff.authorize")).filter((a) => a.outcome === "refused");
      expect(refusals.length - refusedBefore).toBeGreaterThanOrEqual(4);
      expect(refusals.some((a) => a.actorId === `slack:${nina}`)).toBe(true);
      expect(refusals.some((a) => a.actorId === `slack:${sam}` && a.target === otherChannel)).toBe(true);

      const dm = await command("customer Alice", sam, "D0SAMDIRECT");
      expect(shownText(dm.responses[0]?.body.blocks)).toContain("Alice Wong");
    });

    it("adds a note from the card's modal: on the timeline with the staff member's name, audited", async () => {
      const opened = await press("tend.staff.card.note", aliceId);
      expect(opened.views).toHaveLength(1);
      const view = opened.views[0]!;
      expect(view.method).toBe("views.open");
      expect(view.view.callback_id).toBe("tend.staff.modal.note");

      const empty = await submit(view, { note: "   " });
      expect(empty.ack).toEqual({ response_action: "errors", errors: { note: "Write the note." } });

      const saved = await submit(view, { note: "Prefers a call after 6pm" });
      expect(saved.ack).toBeUndefined();
      const followUps = standin.responsesTo(opened.key);
      expect(followUps.map((r) => r.body.text)).toContain("Note saved on the customer's timeline.");
      // The card under the button is refreshed and shows the note.
      const refreshed = followUps.find((r) => r.body.replace_original === true);
      expect(shownText(refreshed?.body.blocks)).toMatch(/staff_note by Sam Lee Prefers a call after 6pm/);
      const note = await tend.db.prisma.interaction.findFirstOrThrow({ where: { customerId: aliceId, kind: "staff_note" } });
      expect(note.text).toBe("Prefers a call after 6pm");
      expect((await audits("customer.note")).some((a) => a.customerId === aliceId && a.actorName === "Sam Lee")).toBe(true);
    });

    it("adjusts points and grants goodwill points with a required reason, audited with the balance before and after", async () => {
      const opened = await press("tend.staff.card.points", aliceId);
      const view = opened.views[0]!;
      expect(view.view.callback_id).toBe("tend.staff.modal.points");
      expect(shownText(view.view.blocks as never)).toMatch(/has 120 points/);

      const noReason = await submit(view, { points: "-20", reason: "" });
      expect(noReason.ack).toMatchObject({ response_action: "errors", errors: { reason: expect.stringMatching(/Say why/) } });
      const zero = await submit(view, { points: "0", reason: "nothing" });
      expect(zero.ack).toMatchObject({ response_action: "errors", errors: { points: expect.any(String) } });
      expect(await tend.services.loyalty.balance(aliceId)).toBe(120);

      await submit(view, { points: "-20", reason: "double booking" });
      expect(await tend.services.loyalty.balance(aliceId)).toBe(100);
      expect(standin.responsesTo(opened.key).map((r) => r.body.text)).toContain("Took away 20 points (double booking): balance 120 → 100.");

      const overdrawn = await submit(view, { points: "-5000", reason: "too much" });
      expect(overdrawn.ack).toBeUndefined();
      expect(standin.responsesTo(opened.key).at(-1)?.body.text).toMatch(/^Not done: /);
      expect(await tend.services.loyalty.balance(aliceId)).toBe(100);

      const goodwill = await press("tend.staff.card.goodwill", aliceId);
      const gView = goodwill.views[0]!;
      expect(gView.view.callback_id).toBe("tend.staff.modal.goodwill");
      const negative = await submit(gView, { points: "-5", reason: "oops" });
      expect(negative.ack).toMatchObject({ response_action: "errors", errors: { points: expect.stringMatching(/positive/) } });
      await submit(gView, { points: "50", reason: "late delivery" });
      expect(await tend.services.loyalty.balance(aliceId)).toBe(150);

      const adjusted = (await audits("loyalty.adjust")).filter((a) => a.customerId === aliceId);
      const ok = adjusted.filter((a) => a.outcome === "ok");
      expect(ok.map((a) => [a.before, a.after, (a.detail as { purpose: string; reason: string }).purpose, (a.detail as { reason: string }).reason])).toEqual(
        expect.arrayContaining([
          [{ balance: 120 }, { balance: 100 }, "adjust", "double booking"],
          [{ balance: 100 }, { balance: 150 }, "goodwill", "late delivery"],
        ]),
      );
      expect(adjusted.some((a) => a.outcome === "refused")).toBe(true);
    });

    it("pauses outreach for N days from its modal, audited and on the card", async () => {
      const opened = await press("tend.staff.card.pause", aliceId);
      const view = opened.views[0]!;
      const bad = await submit(view, { days: "0" });
      expect(bad.ack).toMatchObject({ response_action: "errors", errors: { days: expect.any(String) } });
      const before = Date.now();
      await submit(view, { days: "7" });
      const customer = await tend.db.prisma.customer.findUniqueOrThrow({ where: { id: aliceId } });
      const pausedFor = customer.outreachPausedUntil!.getTime() - before;
      expect(pausedFor).toBeGreaterThan(6.9 * 86_400_000);
      expect(pausedFor).toBeLessThan(7.1 * 86_400_000);
      expect(standin.responsesTo(opened.key).map((r) => r.body.text).join("\n")).toMatch(/Outreach paused for 7 days, until/);
      expect((await audits("customer.pause_outreach")).some((a) => a.customerId === aliceId && a.actorName === "Sam Lee")).toBe(true);
      expect(shownText((await cardOf("Alice")).blocks)).toMatch(/Outreach: paused until/);
    });

    it("sends a message through the outbox: the modal shows the contact policy's verdict, the customer gets it on the web chat, audited", async () => {
      const since = new Date(Date.now() - 1000).toISOString();
      const opened = await press("tend.staff.card.message", aliceId);
      expect(opened.views.map((v) => v.method)).toEqual(["views.open", "views.update"]);
      expect(shownText(opened.views[0]!.view.blocks as never)).toMatch(/checking/);
      expect(shownText(opened.views[1]!.view.blocks as never)).toMatch(/Contact policy: send now on web\./);
      const view = opened.views[1]!;
      const empty = await submit(view, { message: "" });
      expect(empty.ack).toMatchObject({ response_action: "errors" });
      await submit(view, { message: "Your parcel left today. — Sam" });
      expect(standin.responsesTo(opened.key).at(-1)?.body.text).toBe("Message queued in the outbox. Contact policy: send now on web.");
      const row = await tend.db.prisma.outboxMessage.findFirstOrThrow({ where: { customerId: aliceId, kind: "staff_message" } });
      expect(row.topic).toBe("staff");
      const sent = await (async () => {
        for (let i = 0; i < 500; i++) {
          const polled = (await (await fetch(`${tend.url}/webchat/api/messages?visitorId=visitor-alice-0001&after=${encodeURIComponent(since)}`)).json()) as { messages: { text: string }[] };
          if (polled.messages.some((m) => m.text.includes("Your parcel left today"))) return true;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        return false;
      })();
      expect(sent).toBe(true);
      const audited = (await audits("message.send")).find((a) => a.customerId === aliceId);
      expect(audited?.detail).toMatchObject({ verdict: { action: "send" }, channel: "web" });
    });

    it("takes the conversation over: the card then says who has it, a second press says so, audited", async () => {
      const taken = await press("tend.staff.card.take_over", aliceId);
      expect(taken.responses[0]?.body.text).toMatch(/You have the conversation now/);
      const customer = await tend.db.prisma.customer.findUniqueOrThrow({ where: { id: aliceId } });
      expect(customer.handedOverAt).not.toBeNull();
      expect(shownText((await cardOf("Alice")).blocks)).toMatch(/Conversation: Sam Lee has it since/);
      const again = await press("tend.staff.card.take_over", aliceId);
      expect(again.responses[0]?.body.text).toBe("You have this conversation already.");
      expect((await audits("customer.take_over")).some((a) => a.customerId === aliceId && a.outcome === "ok" && a.actorName === "Sam Lee")).toBe(true);
    });

    it("shows cases and the recent timeline", async () => {
      await tend.services.feedback.open(aliceId, "handover", "wants a person");
      const shown = await press("tend.staff.card.history", aliceId);
      const text = shownText(shown.responses[0]?.body.blocks);
      expect(text).toMatch(/Cases & timeline: Alice Wong/);
      expect(text).toMatch(/Timeline/);
      expect(text).toMatch(/OPEN since .* handover: wants a person/);
      expect(text).toMatch(/staff_note by Sam Lee/);
      expect(text).toMatch(/blorp zzz/);
    });

    it("/tend report: satisfaction by channel with trends, the messages Tend did not understand, outreach", async () => {
      const { responses } = await command("report");
      expect(responses).toHaveLength(1);
      const text = shownText(responses[0]!.body.blocks);
      expect(text).toMatch(/Tend report: the last 30 days/);
      expect(text).toMatch(/All channels: CSAT – of 0/);
      expect(text).toMatch(/2× "blorp zzz"/);
      expect(text).toMatch(/Queued in the last 30 days: sent [1-9]\d*/);
      expect((await audits("staff.report")).some((a) => a.actorName === "Sam Lee")).toBe(true);
    });

    it("shows in Slack the same facts `tend customer show` prints for the same customer", async () => {
      await tendCli(tend.db, config, ["analytics", "refresh"]);
      const shown = JSON.parse(await tendCli(tend.db, config, ["customer", "show", "CRM-1001", "--json"])) as CustomerCard & Record<string, unknown>;
      const text = shownText((await cardOf("CRM-1001")).blocks);
      const card = shown as unknown as {
        customerId: string;
        externalId: string;
        profile: { displayName: string; locale: string; timeZone: string; createdAt: string };
        channels: { platform: string; platformUserId: string; lastSeenAt: string }[];
        consent: Record<"care" | "marketing" | "surveys", { granted: boolean }> & { maxCareMessagesPerWeek: number };
        loyalty: { balance: number; tier: string; nextTier: { name: string; missing: number } | null };
        orders: { count: number; total: string; lastPlacedAt: string };
        scores: {
          lifecycleStage: string;
          relationshipLevel: string;
          rfm: { segment: string | null };
          historicClv: string;
          predictedClv: string | null;
          orderCount: number;
          explanation: Record<"rfm" | "lifecycle" | "relationship" | "predictive", { en: string }>;
        };
        interactions: { total: number };
        openCases: { source: string; summary: string }[];
        outreach: { paused: boolean; pausedUntil: string | null };
        handover: { active: boolean; heldBy: { name: string } | null; since: string };
      };
      expect(card.scores).not.toBeNull();
      const facts = [
        card.profile.displayName,
        `Tend id ${card.customerId}`,
        `external id ${card.externalId}`,
        `customer since ${stampOf(card.profile.createdAt)}`,
        `Language: ${card.profile.locale} · Time zone: ${card.profile.timeZone}`,
        ...card.channels.map((c) => `${c.platform} ${c.platformUserId}`),
        ...card.channels.map((c) => `last seen ${stampOf(c.lastSeenAt)}`),
        `care ${card.consent.care.granted ? "yes" : "no"}`,
        `marketing ${card.consent.marketing.granted ? "yes" : "no"}`,
        `surveys ${card.consent.surveys.granted ? "yes" : "no"}`,
        `At most ${card.consent.maxCareMessagesPerWeek} care messages a week`,
        `Loyalty: ${card.loyalty.balance} points · Tier: ${card.loyalty.tier}`,
        ...(card.loyalty.nextTier ? [`${card.loyalty.nextTier.missing} more to ${card.loyalty.nextTier.name}`] : []),
        `Orders: ${card.orders.count}, total ${card.orders.total}, last ${stampOf(card.orders.lastPlacedAt)}`,
        `Lifecycle: ${LIFECYCLE_STAGE_LABELS[card.scores.lifecycleStage as LifecycleStageName].en}`,
        `RFM segment: ${card.scores.rfm.segment ? RFM_SEGMENT_LABELS[card.scores.rfm.segment as RfmSegment].en : "none"}`,
        `Historic CLV: ${card.scores.historicClv} (${card.scores.orderCount} order`,
        ...(card.scores.predictedClv ? [`predicted CLV ${card.scores.predictedClv}`] : []),
        card.scores.explanation.rfm.en,
        card.scores.explanation.lifecycle.en,
        card.scores.explanation.relationship.en,
        card.scores.explanation.predictive.en,
        `Open cases (${card.openCases.length})`,
        ...card.openCases.map((c) => `${c.source}: ${c.summary}`),
        card.outreach.paused ? `Outreach: paused until ${stampOf(card.outreach.pausedUntil)}` : "Outreach: not paused",
        card.handover.heldBy ? `Conversation: ${card.handover.heldBy.name} has it since ${stampOf(card.handover.since)}` : "Conversation: with the bot",
        `Interactions (${card.interactions.total})`,
      ];
      for (const fact of facts) expect(text).toContain(fact);
      // The same balance as the loyalty service's own rule.
      expect(card.loyalty.balance).toBe(await tend.services.loyalty.balance(aliceId));
    });
  });
}
