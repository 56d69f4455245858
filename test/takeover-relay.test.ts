import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StaffSlackApp } from "../adapters/slack-staff/app.ts";
import { ALERT_ACTIONS, ALERT_MODALS } from "../adapters/slack-staff/alerts-blocks.ts";
import { telegramFactory } from "../adapters/telegram/index.ts";
import { webChatFactory } from "../adapters/web/index.ts";
import { type RunningTend, startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { readInteractionMetadata } from "../src/core/interaction-metadata.ts";
import { tendDatabaseTargets } from "./support/databases.ts";
import { botToken, waitFor } from "./support/slack-helpers.ts";
import { type Post, SlackStandin } from "./support/slack-standin.ts";
import { postToStaffEvents, slashCommand, staffBotToken, staffSigningSecret } from "./support/slack-staff-helpers.ts";
import { buttonsOn, capturingStaffApp, postText, pressButton, threadMessageEvent, userSelectSubmission, writeInThread } from "./support/staff-thread-helpers.ts";
import { deliver, goodToken } from "./support/telegram-helpers.ts";
import { TelegramStandin } from "./support/telegram-standin.ts";

const API_KEY = "takeover-test-api-key-0123456789";

for (const target of tendDatabaseTargets("takeover")) {
  describe.skipIf(Boolean(target.skip))(`takeover relay through the staff Slack app [${target.name}]${target.skip ? ` (skipped: ${target.skip})` : ""}`, () => {
    let slack: SlackStandin;
    let telegram: TelegramStandin;
    let tend: RunningTend;
    let app: () => StaffSlackApp;
    let staffChannel: string;
    let sam: string;
    let nina: string;
    let customerId: string;
    let root: Post;
    let alertId: string;
    const ann = { id: 8101, is_bot: false as const, first_name: "Ann", language_code: "en" };

    const threadPosts = () => slack.callsOf("chat.postMessage").filter((c) => c.token === staffBotToken && c.params.thread_ts === root.ts).map((c) => String(c.params.text));
    const toAnn = () => telegram.messagesTo(ann.id).map((m) => m.visibleText ?? "");
    const reactionOn = (ts: string) => slack.reactions.filter((r) => r.timestamp === ts).map((r) => r.name);
    const audits = async (action: string) => (await tend.services.staff.auditLog({ customerId, action, limit: 100 })).map((a) => [a.actorName, a.outcome]);
    const write = (user: string, text: string) => writeInThread(tend.url, app(), { channel: staffChannel, user, text, threadTs: root.ts });

    beforeAll(async () => {
      [slack, telegram] = await Promise.all([
        SlackStandin.start({ botToken, staffBotToken, users: [{ name: "sam", displayName: "Sam" }, { name: "nina", displayName: "Nina" }] }),
        TelegramStandin.start([goodToken]),
      ]);
      sam = slack.userId("sam");
      nina = slack.userId("nina");
      staffChannel = await slack.createChannel("staff-alerts");
      const staffApp = capturingStaffApp();
      app = staffApp.app;
      const config = loadConfig({
        ...(await target.env()),
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        OUTREACH_DEFAULT_QUIET_HOURS: "off",
        TEND_API_KEY: API_KEY,
        TELEGRAM_BOT_TOKEN: goodToken,
        TELEGRAM_API_ROOT: telegram.url,
        TEND_STAFF_SLACK_BOT_TOKEN: staffBotToken,
        TEND_STAFF_SLACK_SIGNING_SECRET: staffSigningSecret,
        TEND_STAFF_SLACK_API_URL: slack.url,
        TEND_STAFF_SLACK_CHANNEL: staffChannel,
        TEND_STAFF_SLACK_CHANNELS: staffChannel,
        TEND_STAFF_SLACK_USERS: `${sam}:Sam Lee,${nina}:Nina Park`,
      });
      tend = await startTend({ config, channelFactories: [webChatFactory, telegramFactory], staffConsoleFactories: [staffApp.factory] });
      await telegram.waitFor(() => telegram.callsOf("getUpdates").length > 0, "the first poll");
    });
    afterAll(async () => {
      await tend?.stop();
      await Promise.all([slack?.close(), telegram?.close()]);
    });

    it("opens a thread with the customer card when the customer asks for a person, and shows their messages in it", async () => {
      await deliver(telegram, telegram.textUpdate(ann, "help"));
      customerId = (await tend.services.customers.findByIdentity("telegram", String(ann.id)))!.id;
      await deliver(telegram, telegram.textUpdate(ann, "agent"));
      await waitFor(() => slack.postsTo(staffChannel).some((p) => p.text.includes("asks for a person")), "the handover alert");
      root = slack.postsTo(staffChannel).find((p) => p.text.includes("asks for a person"))!;
      expect(postText(root)).toMatch(/Customer: Ann/);
      expect(postText(root)).toMatch(/Tier: Bronze/);
      expect(Object.keys(buttonsOn(root.blocks))).toEqual(["Take over", "Release", "Resolve"]);
      alertId = buttonsOn(root.blocks)["Take over"]!.value;
      // The post is recorded on the alert right after Slack answered.
      for (let tries = 0; tries < 500 && !(await tend.db.prisma.staffAlert.findUniqueOrThrow({ where: { id: alertId } })).slackTs; tries++) await new Promise((r) => setTimeout(r, 20));
      expect(await tend.db.prisma.staffAlert.findUniqueOrThrow({ where: { id: alertId } })).toMatchObject({ customerId, reason: "handover", slackChannel: staffChannel, slackTs: root.ts });

      await deliver(telegram, telegram.textUpdate(ann, "My parcel arrived broken"));
      await waitFor(() => threadPosts().some((t) => t.includes("My parcel arrived broken")), "the customer's message in the thread");
      expect(threadPosts()).toEqual(["Ann: My parcel arrived broken"]);
    });

    it("lets the staff member who takes over speak; the customer is told who joined", async () => {
      const pressed = await pressButton(tend.url, app(), slack, { actionId: ALERT_ACTIONS.claim, value: alertId, userId: sam, channelId: staffChannel });
      expect(pressed.responses.map((r) => r.body.text)).toEqual(["It's yours: the alert now shows you claimed it."]);
      await telegram.waitFor(() => toAnn().some((t) => t.includes("Sam Lee from our team has joined")), "the joined message");
      const second = await pressButton(tend.url, app(), slack, { actionId: ALERT_ACTIONS.claim, value: alertId, userId: nina, channelId: staffChannel });
      expect(second.responses.map((r) => r.body.text)).toEqual(["Sam Lee has claimed this already."]);
      await waitFor(() => slack.callsOf("chat.update").some((c) => c.params.ts === root.ts && String(c.params.blocks).includes("Sam Lee has the conversation")), "the alert showing Sam");
    });

    it("keeps a colleague's thread message internal: a note on the timeline, never sent", async () => {
      const before = toAnn().length;
      await write(nina, "I think this is the third broken parcel this month");
      expect(slack.ephemerals.at(-1)).toMatchObject({ user: nina, text: expect.stringMatching(/internal note.*Sam Lee has the conversation/) });
      const notes = await tend.db.prisma.interaction.findMany({ where: { customerId, kind: "staff_note" } });
      expect(notes.map((n) => [n.text, readInteractionMetadata(n.metadata).by])).toEqual([["I think this is the third broken parcel this month", "Nina Park"]]);
      expect(await tend.db.prisma.outboxMessage.count({ where: { customerId, kind: "staff_reply" } })).toBe(0);
      expect(toAnn()).toHaveLength(before);
    });

    it("keeps the owner's // message internal too", async () => {
      const before = toAnn().length;
      await write(sam, "// check order 1042 before promising anything");
      expect(slack.ephemerals.at(-1)).toMatchObject({ user: sam, text: expect.stringMatching(/internal note.*starts with \/\//) });
      expect(await tend.db.prisma.interaction.count({ where: { customerId, kind: "staff_note", text: "// check order 1042 before promising anything" } })).toBe(1);
      expect(await tend.db.prisma.outboxMessage.count({ where: { customerId, kind: "staff_reply" } })).toBe(0);
      expect(toAnn()).toHaveLength(before);
    });

    it("relays the owner's reply to the customer on Telegram and marks it ✅, with Sam's name on the timeline; a redelivered event is relayed once", async () => {
      const event = threadMessageEvent({ channel: staffChannel, user: sam, text: "Sorry about that! A new parcel goes out today.", threadTs: root.ts });
      expect((await postToStaffEvents(tend.url, event.body, "event")).status).toBe(200);
      await app().whenIdle();
      await telegram.waitFor(() => toAnn().includes("Sorry about that! A new parcel goes out today."), "the relayed reply");
      await waitFor(() => reactionOn(event.ts).includes("white_check_mark"), "the ✅ reaction");
      expect((await postToStaffEvents(tend.url, event.body, "event")).status).toBe(200);
      await app().whenIdle();
      expect(await tend.db.prisma.outboxMessage.count({ where: { customerId, kind: "staff_reply" } })).toBe(1);
      const sent = await tend.db.prisma.interaction.findFirstOrThrow({ where: { customerId, direction: "out", text: "Sorry about that! A new parcel goes out today." } });
      expect(readInteractionMetadata(sent.metadata)).toMatchObject({ by: "Sam Lee", byId: `slack:${sam}` });
      expect(sent.platform).toBe("telegram");
    });

    it("marks a relay that did not reach the customer ⚠️ and says why in the thread", async () => {
      telegram.failNext("sendMessage", { error_code: 400, description: "Bad Request: message is too long" });
      const ts = await write(sam, "Here are the details of your order…");
      await waitFor(() => reactionOn(ts).includes("warning"), "the ⚠️ reaction");
      await waitFor(() => threadPosts().some((t) => t.startsWith("⚠️ Your message did not reach the customer") && t.includes("too long")), `the reason in the thread (${JSON.stringify(threadPosts())})`);
    });

    it("hands the conversation to a colleague with a button: then only they speak to the customer", async () => {
      const latest = slack.callsOf("chat.update").filter((c) => c.params.ts === root.ts).at(-1)!;
      const hand = buttonsOn(JSON.parse(String(latest.params.blocks)))["Hand to colleague"]!;
      const pressed = await pressButton(tend.url, app(), slack, { actionId: hand.action_id, value: hand.value, userId: sam, channelId: staffChannel });
      const modal = pressed.views.at(-1)!;
      expect(modal.view.callback_id).toBe(ALERT_MODALS.handOn);
      const submitted = await postToStaffEvents(tend.url, userSelectSubmission({ userId: sam, view: modal.view, blockId: "colleague", selected: nina }), "payload");
      expect(submitted.status).toBe(200);
      await app().whenIdle();
      await waitFor(() => threadPosts().some((t) => t.includes("Sam Lee handed the conversation to Nina Park")), "the hand-on line");

      await write(sam, "I'll take it from here");
      expect(slack.ephemerals.at(-1)).toMatchObject({ user: sam, text: expect.stringMatching(/Nina Park has the conversation/) });
      await write(nina, "Hi Ann, Nina here: your tracking number follows shortly.");
      await telegram.waitFor(() => toAnn().includes("Hi Ann, Nina here: your tracking number follows shortly."), "Nina's reply");
      expect(toAnn()).not.toContain("I'll take it from here");
      expect(await audits("customer.hand_to_colleague")).toEqual([["Sam Lee", "ok"]]);
    });

    it("answers the HTTP API's reply only for the one who has the conversation", async () => {
      const refused = await fetch(`${tend.url}/api/customers/${customerId}/reply`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ text: "From the API" }),
      });
      expect(refused.status).toBe(409);
      expect(await refused.json()).toMatchObject({ reason: "not_owner", error: "Nina Park has this conversation; only they can write to the customer", heldBy: "Nina Park" });
      const empty = await fetch(`${tend.url}/api/customers/${customerId}/reply`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify({ text: " " }) });
      expect(empty.status).toBe(422);
    });

    it("releases with /tend release: the bot answers again, the customer and the thread are told, and every step is audited", async () => {
      const key = "release-command";
      const response = await postToStaffEvents(tend.url, slashCommand({ text: `release ${customerId}`, userId: nina, channelId: staffChannel, responseUrl: slack.responseUrl(key) }), "command");
      expect(response.status).toBe(200);
      await app().whenIdle();
      expect(slack.responsesTo(key).map((r) => r.body.text)).toEqual(["Released: the bot answers the customer again, and they were told."]);
      await telegram.waitFor(() => toAnn().some((t) => t.includes("handed you back to the assistant")), "the release message");
      await waitFor(() => threadPosts().some((t) => t.includes("Nina Park released the conversation")), "the release line");

      const replies = await deliver(telegram, telegram.textUpdate(ann, "points"));
      expect(replies.map((r) => r.visibleText).join("\n")).toMatch(/points/);
      const after = await fetch(`${tend.url}/api/customers/${customerId}/reply`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify({ text: "hello?" }) });
      expect(after.status).toBe(409);
      expect(await after.json()).toMatchObject({ reason: "not_handed_over" });

      expect((await audits("customer.take_over")).sort()).toEqual([["Nina Park", "refused"], ["Sam Lee", "ok"]]);
      expect((await audits("customer.note")).sort()).toEqual([["Nina Park", "ok"], ["Sam Lee", "ok"], ["Sam Lee", "ok"]].sort());
      expect((await audits("message.send")).sort()).toEqual(
        [["Nina Park", "ok"], ["Sam Lee", "ok"], ["Sam Lee", "ok"], ["TEND_API_KEY", "refused"], ["TEND_API_KEY", "refused"]].sort(),
      );
      expect(await audits("customer.release")).toEqual([["Nina Park", "ok"]]);
      const timeline = await tend.db.prisma.interaction.findMany({ where: { customerId, kind: "system" } });
      expect(timeline.map((t) => readInteractionMetadata(t.metadata)).map((m) => [m.event, m.by])).toEqual(
        expect.arrayContaining([["taken_over", "Sam Lee"], ["handed_to_colleague", "Sam Lee"], ["released", "Nina Park"]]),
      );
    });

    it("ends the thread however the conversation is released: a new request opens a new thread, the HTTP API's release closes it", async () => {
      await deliver(telegram, telegram.textUpdate(ann, "human"));
      await waitFor(() => slack.postsTo(staffChannel).filter((p) => p.text.includes("asks for a person")).length === 2, "a second handover alert");
      const second = slack.postsTo(staffChannel).filter((p) => p.text.includes("asks for a person"))[1]!;
      const released = await fetch(`${tend.url}/api/customers/${customerId}/release`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}` } });
      expect(released.status).toBe(200);
      await waitFor(
        () => slack.callsOf("chat.postMessage").some((c) => c.params.thread_ts === second.ts && String(c.params.text).includes("TEND_API_KEY released the conversation")),
        "the release line in the new thread",
      );
      await waitFor(() => slack.updates.some((u) => u.params.ts === second.ts && String(u.params.blocks).includes("Released: the bot answers the customer again.")), "the alert showing the release");
      expect(await tend.db.prisma.staffAlert.count({ where: { customerId, releasedAt: null } })).toBe(0);
    });
  });
}
