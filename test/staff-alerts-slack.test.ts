import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StaffSlackApp } from "../adapters/slack-staff/app.ts";
import { ALERT_ACTIONS, ALERT_MODALS } from "../adapters/slack-staff/alerts-blocks.ts";
import { telegramFactory } from "../adapters/telegram/index.ts";
import { webChatFactory } from "../adapters/web/index.ts";
import { type RunningTend, startTend } from "../src/app.ts";
import { type Config, loadConfig } from "../src/config/env.ts";
import { tendDatabaseTargets } from "./support/databases.ts";
import { botToken, waitFor } from "./support/slack-helpers.ts";
import { type Post, SlackStandin } from "./support/slack-standin.ts";
import { postToStaffEvents, staffBotToken, staffSigningSecret, viewSubmission } from "./support/slack-staff-helpers.ts";
import { buttonsOn, capturingStaffApp, postText, pressButton } from "./support/staff-thread-helpers.ts";
import { deliver, goodToken } from "./support/telegram-helpers.ts";
import { TelegramStandin } from "./support/telegram-standin.ts";

for (const target of tendDatabaseTargets("staff-alerts")) {
  describe.skipIf(Boolean(target.skip))(`staff alerts through the staff Slack app [${target.name}]${target.skip ? ` (skipped: ${target.skip})` : ""}`, () => {
    let slack: SlackStandin;
    let telegram: TelegramStandin;
    let tend: RunningTend | undefined;
    let app: () => StaffSlackApp;
    let config: Config;
    let staffChannel: string;
    let sam: string;
    let nina: string;
    let customerId: string;
    let alert: Post;
    const bo = { id: 8201, is_bot: false as const, first_name: "Bo", language_code: "en" };
    const toBo = () => telegram.messagesTo(bo.id).map((m) => m.visibleText ?? "");

    beforeAll(async () => {
      [slack, telegram] = await Promise.all([
        SlackStandin.start({ botToken, staffBotToken, users: [{ name: "sam", displayName: "Sam" }, { name: "nina", displayName: "Nina" }] }),
        TelegramStandin.start([goodToken]),
      ]);
      sam = slack.userId("sam");
      nina = slack.userId("nina");
      staffChannel = await slack.createChannel("staff-alerts");
      config = loadConfig({
        ...(await target.env()),
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        OUTREACH_DEFAULT_QUIET_HOURS: "off",
        TELEGRAM_BOT_TOKEN: goodToken,
        TELEGRAM_API_ROOT: telegram.url,
        TEND_STAFF_SLACK_BOT_TOKEN: staffBotToken,
        TEND_STAFF_SLACK_SIGNING_SECRET: staffSigningSecret,
        TEND_STAFF_SLACK_API_URL: slack.url,
        TEND_STAFF_SLACK_CHANNEL: staffChannel,
        TEND_STAFF_SLACK_CHANNELS: staffChannel,
        TEND_STAFF_SLACK_USERS: `${sam}:Sam Lee,${nina}:Nina Park`,
      });
    });
    afterAll(async () => {
      await tend?.stop();
      await Promise.all([slack?.close(), telegram?.close()]);
    });

    it("keeps the alert of a poor CSAT while the staff app is not running, and posts it once it runs", async () => {
      // This Tend runs without the staff app (as when its token is wrong or Slack is unreachable at start).
      tend = await startTend({ config, channelFactories: [webChatFactory, telegramFactory], staffConsoleFactories: [] });
      await telegram.waitFor(() => telegram.callsOf("getUpdates").length > 0, "the first poll");
      await deliver(telegram, telegram.textUpdate(bo, "rate us"));
      const [asked] = await deliver(telegram, telegram.textUpdate(bo, "1"));
      expect(asked?.visibleText).toMatch(/reason/i);
      customerId = (await tend.services.customers.findByIdentity("telegram", String(bo.id)))!.id;
      const row = await tend.db.prisma.outboxMessage.findFirstOrThrow({ where: { customerId, audience: "staff", kind: "staff_alert" } });
      expect(row.status).toBe("pending");
      expect(slack.postsTo(staffChannel)).toEqual([]);
      await tend.stop();

      const staffApp = capturingStaffApp();
      app = staffApp.app;
      tend = await startTend({ config, channelFactories: [webChatFactory, telegramFactory], staffConsoleFactories: [staffApp.factory] });
      await waitFor(() => slack.postsTo(staffChannel).some((p) => p.text.startsWith("Poor CSAT score")), "the alert posted");
      alert = slack.postsTo(staffChannel).find((p) => p.text.startsWith("Poor CSAT score"))!;
      expect(postText(alert)).toMatch(/CSAT 1\/5/);
      expect(Object.keys(buttonsOn(alert.blocks))).toEqual(["Claim", "Resolve"]);
      // Marked sent right after Slack answered.
      for (let tries = 0; tries < 500 && (await tend.db.prisma.outboxMessage.findUniqueOrThrow({ where: { id: row.id } })).status !== "sent"; tries++) await new Promise((r) => setTimeout(r, 20));
      expect((await tend.db.prisma.outboxMessage.findUniqueOrThrow({ where: { id: row.id } })).status).toBe("sent");
    });

    it("lets one of two people pressing Claim at once win; the other is told who has it, and the alert shows the claim", async () => {
      const claim = buttonsOn(alert.blocks).Claim!;
      const [bySam, byNina] = await Promise.all([
        pressButton(tend!.url, app(), slack, { actionId: claim.action_id, value: claim.value, userId: sam, channelId: staffChannel }),
        pressButton(tend!.url, app(), slack, { actionId: claim.action_id, value: claim.value, userId: nina, channelId: staffChannel }),
      ]);
      const said = [bySam, byNina].map((p) => p.responses.map((r) => r.body.text).join(""));
      const winner = said[0] === "It's yours: the alert now shows you claimed it." ? "Sam Lee" : "Nina Park";
      const loser = winner === "Sam Lee" ? "Nina Park" : "Sam Lee";
      expect(said.sort()).toEqual(["It's yours: the alert now shows you claimed it.", `${winner} has claimed this already.`].sort());
      await waitFor(() => slack.updates.some((u) => u.params.ts === alert.ts && String(u.params.blocks).includes(`Claimed by ${winner}`)), "the alert showing the claim");
      const audits = await tend!.services.staff.auditLog({ customerId, action: "case.claim" });
      expect(audits.map((a) => [a.actorName, a.outcome]).sort()).toEqual([[loser, "refused"], [winner, "ok"]].sort());
    });

    it("resolves through the modal: the case closes and Bo gets the follow-up on Telegram; audited", async () => {
      const resolve = buttonsOn(alert.blocks).Resolve!;
      const pressed = await pressButton(tend!.url, app(), slack, { actionId: resolve.action_id, value: resolve.value, userId: sam, channelId: staffChannel });
      const modal = pressed.views.at(-1)!;
      expect(modal.view.callback_id).toBe(ALERT_MODALS.resolve);
      const empty = await postToStaffEvents(tend!.url, viewSubmission({ userId: sam, view: modal.view, values: { resolution: "  " } }), "payload");
      expect(await empty.json()).toMatchObject({ response_action: "errors" });
      const submitted = await postToStaffEvents(tend!.url, viewSubmission({ userId: sam, view: modal.view, values: { resolution: "We refunded your last order." } }), "payload");
      expect(submitted.status).toBe(200);
      await app().whenIdle();
      await telegram.waitFor(() => toBo().some((t) => t.includes("We refunded your last order.")), "the follow-up on Telegram");
      const theCase = await tend!.db.prisma.feedbackCase.findFirstOrThrow({ where: { customerId } });
      expect(theCase).toMatchObject({ status: "closed", closedBy: "Sam Lee", resolution: "We refunded your last order." });
      await waitFor(() => slack.updates.some((u) => u.params.ts === alert.ts && String(u.params.blocks).includes("Resolved by Sam Lee")), "the alert showing the resolution");
      expect(await tend!.db.prisma.feedbackCase.findFirstOrThrow({ where: { customerId } }).then((c) => c.customerNotifiedAt)).not.toBeNull();

      // A second Resolve (a stale alert in someone's Slack) changes nothing.
      const again = await pressButton(tend!.url, app(), slack, { actionId: ALERT_ACTIONS.resolve, value: resolve.value, userId: nina, channelId: staffChannel });
      expect(again.responses.map((r) => r.body.text)).toEqual(["This was resolved by Sam Lee already."]);
      const audits = await tend!.services.staff.auditLog({ customerId, action: "case.close" });
      expect(audits.map((a) => [a.actorName, a.outcome])).toEqual([["Sam Lee", "ok"]]);
    });
  });
}
