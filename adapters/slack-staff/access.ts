import type { AnyMiddlewareArgs, Context, Middleware } from "@slack/bolt";
import type { SlackRequestOrigin, Actor, StaffConsoleServices } from "../../src/core/staff-console-services.ts";
import { describeError } from "../../src/errors.ts";
import type { Logger } from "../../src/observability/logger.ts";
import { decodeModalMetadata } from "./modal-metadata.ts";

const ACTOR_KEY = "tendActor";

export const REFUSAL = "Sorry, only Tend staff can do this, and only in a staff channel or a direct message with this app.";

/** The staff member acting in this request: set by the access check before any listener runs. */
export function staffActor(context: Context): Actor {
  const actor = context[ACTOR_KEY] as Actor | undefined;
  if (!actor) throw new Error("no staff actor on this request: the access check did not run");
  return actor;
}

interface Loose {
  type?: string;
  command?: string;
  user_id?: string;
  channel_id?: string;
  user?: { id?: string };
  channel?: { id?: string };
  container?: { channel_id?: string };
  actions?: { action_id?: string }[];
  action_id?: string;
  callback_id?: string;
  view?: { callback_id?: string; private_metadata?: string };
}

/**
 * Who asks what from where, for every request staff can make (slash commands, buttons, menus,
 * modal submissions, shortcuts); undefined for events (messages, reactions), which features
 * judge themselves.
 */
export function requestOrigin(body: unknown): SlackRequestOrigin | undefined {
  const b = body as Loose;
  if (typeof b.command === "string") {
    return { userId: b.user_id ?? "", channelId: b.channel_id, attempt: `command ${b.command}` };
  }
  switch (b.type) {
    case "block_actions":
      return { userId: b.user?.id ?? "", channelId: b.channel?.id ?? b.container?.channel_id, attempt: `action ${b.actions?.[0]?.action_id ?? "?"}` };
    case "block_suggestion":
      return { userId: b.user?.id ?? "", channelId: b.channel?.id ?? b.container?.channel_id, attempt: `options ${b.action_id ?? "?"}` };
    case "view_submission":
    case "view_closed":
      return { userId: b.user?.id ?? "", channelId: decodeModalMetadata(b.view?.private_metadata)?.channel, attempt: `view ${b.view?.callback_id ?? "?"}` };
    case "shortcut":
    case "message_action":
      return { userId: b.user?.id ?? "", channelId: b.channel?.id, attempt: `shortcut ${b.callback_id ?? "?"}` };
    default:
      return undefined;
  }
}

/**
 * Global middleware, installed before every listener: staff only, in configured channels or DMs.
 * Anyone else is told so (ephemerally) and the attempt is logged and audited (by
 * `authorizeSlack`); their request never reaches a listener.
 */
export function accessControl(services: StaffConsoleServices, log: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const origin = requestOrigin(args.body);
    if (!origin) return args.next();
    let access;
    try {
      access = await services.authorizeSlack(origin);
    } catch (error) {
      log.error({ err: describeError(error), attempt: origin.attempt }, "staff access check failed; refused");
      access = { allowed: false as const, reason: "the access check failed" };
    }
    if (access.allowed) {
      args.context[ACTOR_KEY] = access.actor;
      return args.next();
    }
    log.warn({ slackUser: origin.userId, channel: origin.channelId, attempt: origin.attempt, reason: access.reason }, "refused a staff request");
    const loose = args as unknown as { ack?: (response?: unknown) => Promise<void>; respond?: (message: unknown) => Promise<unknown> };
    await refuse(args.body, loose.ack, loose.respond, REFUSAL);
  };
}

async function refuse(
  raw: unknown,
  ack: ((response?: unknown) => Promise<void>) | undefined,
  respond: ((message: unknown) => Promise<unknown>) | undefined,
  text: string,
): Promise<void> {
  const body = raw as Loose;
  if (typeof body.command === "string") {
    await ack?.({ response_type: "ephemeral", text });
    return;
  }
  if (body.type === "view_submission") {
    // The modal turns into the refusal instead of closing silently.
    await ack?.({ response_action: "update", view: { type: "modal", title: { type: "plain_text", text: "Not allowed" }, blocks: [{ type: "section", text: { type: "plain_text", text } }] } });
    return;
  }
  if (body.type === "block_suggestion") {
    await ack?.({ options: [] });
    return;
  }
  await ack?.();
  if (respond) {
    await respond({ response_type: "ephemeral", replace_original: false, text }).catch(() => {});
  }
}
