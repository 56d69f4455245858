import type { BlockAction, ButtonAction, RespondFn } from "@slack/bolt";
import type { ThreadMessageOutcome } from "../../src/core/staff-alert-services.ts";
import { describeError } from "../../src/errors.ts";
import { staffActor } from "./access.ts";
import { ALERT_ACTIONS, ALERT_MODALS } from "./alerts-blocks.ts";
import { alertModalMetadata, alertOfModal } from "./alerts.ts";
import { context } from "./blocks.ts";
import type { StaffFeature } from "./context.ts";
import { tellStaff } from "./follow-up.ts";

/** A message event as the thread needs it (Slack sends more). */
interface ThreadEvent {
  channel?: string;
  user?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  subtype?: string;
  bot_id?: string;
}

const ephemeral = (respond: RespondFn, text: string) => respond({ response_type: "ephemeral", replace_original: false, text }).catch(() => undefined);

/**
 * The human takeover relay in Slack (issue 14's leak-proof thread): a message in a takeover
 * thread goes to Tend, which relays it only when its author has the conversation and it does not
 * start with the internal prefix; otherwise it is a staff note on the timeline and its author is
 * told so, privately. Hand to colleague and Release are buttons on the thread's alert; `/tend
 * release <customer>` also releases. A Take over from the card opens the thread.
 */
export const threadFeature: StaffFeature = (app, ctx) => {
  const alerts = ctx.services.alerts;
  if (!alerts) return;

  // Events are not access-checked by the app: only the staff channel's threads count, and only staff.
  app.event("message", async ({ event }) => {
    const e = event as ThreadEvent;
    if (!ctx.alertsChannel || e.channel !== ctx.alertsChannel || !e.thread_ts || e.thread_ts === e.ts) return;
    if (e.subtype || e.bot_id || !e.user || e.user === ctx.botUserId || !e.ts) return;
    const actor = alerts.staffBySlackId(e.user) ?? null;
    let outcome: ThreadMessageOutcome;
    try {
      outcome = await alerts.threadMessage({ channel: e.channel, threadTs: e.thread_ts, ts: e.ts, actor, text: e.text ?? "" });
    } catch (error) {
      ctx.log.error({ err: describeError(error) }, "a takeover thread message could not be handled");
      await ctx.client.chat.postEphemeral({ channel: e.channel, user: e.user, thread_ts: e.thread_ts, text: "⚠️ Tend could not handle that message; nothing was sent to the customer." }).catch(() => undefined);
      return;
    }
    if (outcome.status !== "note") return;
    const why =
      outcome.why === "internal_prefix"
        ? `it starts with ${alerts.internalPrefix}`
        : outcome.why === "not_owner"
          ? `${outcome.owner?.name ?? "someone else"} has the conversation`
          : outcome.why === "nobody_has_it"
            ? "nobody has taken the conversation over yet"
            : "the conversation is back with the bot";
    await ctx.client.chat
      .postEphemeral({ channel: e.channel, user: e.user, thread_ts: e.thread_ts, text: `🔒 Saved as an internal note, not sent to the customer: ${why}.` })
      .catch((error: unknown) => ctx.log.warn({ err: describeError(error) }, "could not tell staff their message stayed internal"));
  });

  app.action<BlockAction<ButtonAction>>(ALERT_ACTIONS.handOn, async ({ ack, action, body, respond }) => {
    await ack();
    const described = await alerts.describe(action.value ?? "");
    if (!described) return void (await ephemeral(respond, "That conversation no longer exists."));
    const metadata = { channel: body.channel?.id ?? body.container?.channel_id, customerId: described.customerId, responseUrl: body.response_url };
    const text = (value: string) => ({ type: "plain_text", text: value });
    await ctx.client.views.open({
      trigger_id: body.trigger_id,
      view: {
        type: "modal",
        callback_id: ALERT_MODALS.handOn,
        title: text("Hand to colleague"),
        submit: text("Hand over"),
        close: text("Cancel"),
        private_metadata: alertModalMetadata(metadata, action.value ?? ""),
        blocks: [
          context("Your colleague speaks to the customer from the thread from now on; your messages there become internal notes."),
          { type: "input", block_id: "colleague", label: text("Colleague"), element: { type: "users_select", action_id: "value" } },
        ],
      } as never,
    });
  });

  app.view(ALERT_MODALS.handOn, async ({ ack, view, body, context: bolt }) => {
    const opened = alertOfModal(view.private_metadata);
    const picked = String(view.state.values.colleague?.value?.selected_user ?? "");
    const colleague = alerts.staffBySlackId(picked);
    if (!colleague) return void (await ack({ response_action: "errors", errors: { colleague: "Pick a member of staff (TEND_STAFF_SLACK_USERS)." } }));
    await ack();
    if (!opened) return;
    let text: string;
    try {
      const result = await alerts.handToColleague(opened.alertId, staffActor(bolt), colleague);
      text = result.status === "handed" ? `${result.to.name} has the conversation now.` : result.status === "refused" ? `Not handed over: ${result.message}.` : "That conversation no longer exists.";
    } catch (error) {
      ctx.log.error({ err: describeError(error) }, "handing a conversation on failed");
      text = "Handing over failed; try again in a moment.";
    }
    await tellStaff(ctx, body.user.id, opened.metadata, { text });
  });

  app.action<BlockAction<ButtonAction>>(ALERT_ACTIONS.release, async ({ ack, action, respond, context: bolt }) => {
    await ack();
    const result = await alerts.release({ alertId: action.value ?? "" }, staffActor(bolt));
    await ephemeral(respond, releaseText(result.status));
  });

  ctx.subcommand({
    name: "release",
    usage: "release <customer id or external id>",
    help: "hand a taken-over conversation back to the bot (the customer is told)",
    async run({ args, actor, respond }) {
      if (!args) return void (await ephemeral(respond, `Say whom: ${ctx.command} release <customer id or external id>`));
      const result = await alerts.release({ customer: args }, actor);
      await ephemeral(respond, releaseText(result.status));
    },
  });

  ctx.onTakeOver(({ customerId, actor }) => alerts.threadForTakeover(customerId, actor));
};

function releaseText(status: "released" | "not_handed_over" | "not_found"): string {
  if (status === "released") return "Released: the bot answers the customer again, and they were told.";
  if (status === "not_handed_over") return "That conversation is not with staff (released already?).";
  return "No such customer.";
}
