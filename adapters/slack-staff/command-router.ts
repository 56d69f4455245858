import type { App } from "@slack/bolt";
import { describeError } from "../../src/errors.ts";
import type { Logger } from "../../src/observability/logger.ts";
import { staffActor } from "./access.ts";
import type { StaffSubcommand } from "./context.ts";

function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** `/tend help`: every subcommand with its usage, in the order features added them. */
export function helpText(command: string, subcommands: readonly StaffSubcommand[]): string {
  const lines = [`*Tend for staff* — \`${command} <what>\`:`];
  for (const sub of subcommands) lines.push(`• \`${command} ${sub.usage}\` — ${sub.help}`);
  lines.push(`• \`${command} help\` — this list`);
  return lines.join("\n");
}

/**
 * The staff slash command: acknowledged at once (Slack wants an answer within 3 s; the access
 * check has already run), then the subcommand named by the first word runs and answers through
 * response_url. No word, `help` or an unknown word gets the help.
 */
export function routeStaffCommand(app: App, command: string, subcommands: readonly StaffSubcommand[], log: Logger): void {
  app.command(command, async ({ ack, command: slash, respond, context }) => {
    // Slack escapes &, < and > in what people type, even with should_escape off.
    const text = unescapeSlack(slash.text ?? "").trim();
    const [first = "", ...rest] = text.split(/\s+/);
    const sub = subcommands.find((s) => s.name === first.toLowerCase());
    if (!sub) {
      const unknown = first && first.toLowerCase() !== "help" ? `I do not know \`${first}\`.\n` : "";
      await ack({ response_type: "ephemeral", text: `${unknown}${helpText(command, subcommands)}` });
      return;
    }
    await ack();
    try {
      await sub.run({ args: rest.join(" ").trim(), command: slash, actor: staffActor(context), respond });
    } catch (error) {
      log.error({ err: describeError(error), subcommand: sub.name }, "a staff command failed");
      await respond({ response_type: "ephemeral", text: `Sorry, \`${command} ${sub.name}\` failed. The error is in Tend's log.` }).catch(() => {});
    }
  });
}
