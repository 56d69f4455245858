import type { RespondFn } from "@slack/bolt";
import type { Actor, CustomerMatch } from "../../src/core/staff-console-services.ts";
import { staffActor } from "./access.ts";
import { type Block, button, context, escapeMrkdwn, section } from "./blocks.ts";
import { cardBlocks, cardFallback } from "./card-blocks.ts";
import type { StaffFeature, StaffSlackContext } from "./context.ts";

export const PICK_ACTION = "tend.staff.lookup.pick";
/** How many matches a pick list shows; more says "be more specific". */
export const MAX_MATCHES = 10;

/** Answers with the customer's card (ephemeral: it holds personal data), replacing the message the button was on if asked. */
export async function respondWithCard(ctx: StaffSlackContext, respond: RespondFn, customerId: string, actor: Actor, replace: boolean): Promise<void> {
  const card = await ctx.services.card(customerId, actor);
  if (!card) {
    await respond({ response_type: "ephemeral", replace_original: false, text: "That customer no longer exists." });
    return;
  }
  await respond({ response_type: "ephemeral", replace_original: replace, text: cardFallback(card), blocks: cardBlocks(card) as never });
}

function matchLine(match: CustomerMatch): string {
  const name = match.erased ? "(erased)" : (match.displayName ?? "(no name)");
  const channels = match.channels.map((c) => `${c.platform} ${c.displayName ?? c.platformUserId}`).join(", ");
  return `${name}${match.externalId ? ` · external id ${match.externalId}` : ""}${channels ? ` · ${channels}` : ""} · matched by ${match.matchedBy.replace(/_/g, " ")}`;
}

/** Several matches: one line and one Show button each. */
export function pickListBlocks(query: string, matches: CustomerMatch[], more: boolean): Block[] {
  const blocks: Block[] = [section(`${matches.length}${more ? "+" : ""} customers match "${query}". Pick one:`)];
  for (const match of matches) {
    blocks.push({ ...section(matchLine(match)), accessory: button("Show", PICK_ACTION, match.customerId) });
  }
  if (more) blocks.push(context(`Only the first ${MAX_MATCHES} are listed: add more of the name, or use an id.`));
  return blocks;
}

/** `/tend customer <query>`: one match → the card; several → a pick list; none → says so. */
export const lookupFeature: StaffFeature = (app, ctx) => {
  ctx.subcommand({
    name: "customer",
    usage: "customer <name, @handle, Tend id, external id or order id>",
    help: "a customer's card, with buttons to act",
    async run({ args, actor, respond, command }) {
      if (!args) {
        await respond({ response_type: "ephemeral", text: `Whom should I look up? \`${command.command} customer <name, @handle, id or order id>\`` });
        return;
      }
      const found = await ctx.services.findCustomers(args, MAX_MATCHES + 1, actor);
      const more = found.length > MAX_MATCHES;
      const matches = found.slice(0, MAX_MATCHES);
      if (matches.length === 0) {
        // `text` is mrkdwn (notifications): what was typed is escaped there; the block shows it as typed.
        await respond({ response_type: "ephemeral", text: `No customer matches "${escapeMrkdwn(args)}".`, blocks: [section(`No customer matches "${args}".`)] as never });
        return;
      }
      if (matches.length === 1) {
        await respondWithCard(ctx, respond, matches[0]!.customerId, actor, false);
        return;
      }
      await respond({ response_type: "ephemeral", text: `${matches.length} customers match`, blocks: pickListBlocks(args, matches, more) as never });
    },
  });

  app.action(PICK_ACTION, async ({ ack, action, respond, context: boltContext }) => {
    await ack();
    const customerId = (action as { value?: string }).value ?? "";
    await respondWithCard(ctx, respond, customerId, staffActor(boltContext), true);
  });
};

