import type { StaffFeature } from "./context.ts";

/**
 * `/tend login`: a one-time sign-in link to the staff dashboard, sent to the asker alone in a
 * direct message from the staff app (never in the channel, where others would see it), with an
 * ephemeral answer where they asked. Only staff get this far (the access check), and the service
 * audits the link it makes or the refusal. Unfurling is off: a preview must not fetch the link.
 */
export const loginFeature: StaffFeature = (_app, ctx) => {
  ctx.subcommand({
    name: "login",
    usage: "login",
    help: "a one-time sign-in link to the staff dashboard, sent to you in a direct message (works once, for 15 minutes)",
    async run({ command, actor, respond }) {
      const make = ctx.services.dashboardLink;
      if (!make) {
        await respond({ response_type: "ephemeral", text: "The staff dashboard is not available here." });
        return;
      }
      const result = await make(command.user_id, actor);
      if (result.status !== "made") {
        await respond({ response_type: "ephemeral", text: result.message });
        return;
      }
      const opened = await ctx.client.conversations.open({ users: command.user_id });
      const channel = opened.channel?.id;
      if (!channel) throw new Error("Slack opened no direct message channel for /tend login");
      const until = `${result.expiresAt.toISOString().slice(11, 16)} UTC`;
      await ctx.client.chat.postMessage({
        channel,
        text: `Your sign-in link to the Tend staff dashboard (works once, until ${until}): ${result.url}`,
        blocks: [
          { type: "section", text: { type: "mrkdwn", text: `*Sign in to the Tend staff dashboard* as ${result.name}: <${result.url}|open the dashboard>` } },
          { type: "context", elements: [{ type: "mrkdwn", text: `Works once, until ${until}. Do not forward it: whoever opens it first is signed in as you. Did not ask for it? Ignore it.` }] },
        ],
        unfurl_links: false,
        unfurl_media: false,
      });
      await respond({ response_type: "ephemeral", text: "I sent you a sign-in link to the staff dashboard in a direct message. It works once, for 15 minutes." });
    },
  });
};
