import type { BlockAction, ButtonAction, RespondFn } from "@slack/bolt";
import type { StaffAlertServices } from "../../src/core/staff-alert-services.ts";
import { describeError } from "../../src/errors.ts";
import { staffActor } from "./access.ts";
import { ALERT_ACTIONS, ALERT_MODALS } from "./alerts-blocks.ts";
import { context, section } from "./blocks.ts";
import type { StaffFeature } from "./context.ts";
import { tellStaff } from "./follow-up.ts";
import { type ModalMetadata, decodeModalMetadata, encodeModalMetadata } from "./modal-metadata.ts";

/** Longest resolution: it is sent to the customer in the follow-up. */
export const MAX_RESOLUTION = 2000;

/** What an alert's modal carries: the modal metadata access control reads, plus the alert. */
export function alertModalMetadata(metadata: ModalMetadata, alertId: string): string {
  return JSON.stringify({ ...JSON.parse(encodeModalMetadata(metadata)), alertId });
}

export function alertOfModal(privateMetadata: string): { metadata: ModalMetadata; alertId: string } | undefined {
  const metadata = decodeModalMetadata(privateMetadata);
  try {
    const alertId = (JSON.parse(privateMetadata) as { alertId?: unknown }).alertId;
    return metadata && typeof alertId === "string" ? { metadata, alertId } : undefined;
  } catch {
    return undefined;
  }
}

const ephemeral = (respond: RespondFn, text: string) => respond({ response_type: "ephemeral", replace_original: false, text }).catch(() => undefined);

/**
 * Alerts in the staff channel (issue 10's closed loop): Claim (one conditional update decides
 * between two people pressing at once; the other is told who has it) and Resolve (a modal for the
 * resolution; the case closes and the customer's follow-up goes through the outbox to their own
 * channel). The alert message itself is updated through the outbox, like it was posted.
 */
export const alertsFeature: StaffFeature = (app, ctx) => {
  const alerts = ctx.services.alerts;
  if (!alerts) return;

  app.action<BlockAction<ButtonAction>>(ALERT_ACTIONS.claim, async ({ ack, action, respond, context: bolt }) => {
    await ack();
    try {
      const result = await alerts.claim(action.value ?? "", staffActor(bolt));
      const text =
        result.status === "claimed"
          ? "It's yours: the alert now shows you claimed it."
          : result.status === "already_claimed"
            ? result.by.id === staffActor(bolt).id
              ? "You have it already."
              : `${result.by.name} has claimed this already.`
            : result.status === "resolved"
              ? `This was resolved${result.by ? ` by ${result.by.name}` : ""} already.`
              : "That alert no longer exists.";
      await ephemeral(respond, text);
    } catch (error) {
      ctx.log.error({ err: describeError(error) }, "claiming an alert failed");
      await ephemeral(respond, "Claiming failed; try again in a moment.");
    }
  });

  app.action<BlockAction<ButtonAction>>(ALERT_ACTIONS.resolve, async ({ ack, action, body, respond }) => {
    await ack();
    const alertId = action.value ?? "";
    const described = await alerts.describe(alertId);
    if (!described?.resolvable) return void (await ephemeral(respond, described ? "There is no case to resolve here: Release hands the conversation back." : "That alert no longer exists."));
    if (described.resolvedBy) return void (await ephemeral(respond, `This was resolved by ${described.resolvedBy.name} already.`));
    const metadata: ModalMetadata = { channel: body.channel?.id ?? body.container?.channel_id, customerId: described.customerId, responseUrl: body.response_url };
    await ctx.client.views.open({ trigger_id: body.trigger_id, view: resolveModal(alertModalMetadata(metadata, alertId), described.summary) as never });
  });

  app.view(ALERT_MODALS.resolve, async ({ ack, view, body, context: bolt }) => {
    const opened = alertOfModal(view.private_metadata);
    const resolution = String(view.state.values.resolution?.value?.value ?? "").trim();
    if (!resolution) return void (await ack({ response_action: "errors", errors: { resolution: "Say what was done for the customer: they are told." } }));
    await ack();
    if (!opened) return;
    let text: string;
    try {
      const result = await alerts.resolve(opened.alertId, staffActor(bolt), resolution);
      text = resolvedText(result);
    } catch (error) {
      ctx.log.error({ err: describeError(error) }, "resolving an alert failed");
      text = `Resolving failed: ${error instanceof Error && "code" in error ? error.message : "try again in a moment"}.`;
    }
    await tellStaff(ctx, body.user.id, opened.metadata, { text });
  });
};

function resolvedText(result: Awaited<ReturnType<StaffAlertServices["resolve"]>>): string {
  switch (result.status) {
    case "resolved":
      return result.followUpQueued ? "Resolved: the customer is being told what was done, on their own channel." : `Resolved. The customer is not told: ${result.notQueuedBecause ?? "they cannot be contacted"}.`;
    case "already_resolved":
      return `This was resolved${result.by ? ` by ${result.by.name}` : ""} already.`;
    case "no_case":
      return "There is no case to resolve here.";
    default:
      return "That alert no longer exists.";
  }
}

function resolveModal(privateMetadata: string, summary: string | null): Record<string, unknown> {
  const text = (value: string) => ({ type: "plain_text", text: value });
  return {
    type: "modal",
    callback_id: ALERT_MODALS.resolve,
    title: text("Resolve"),
    submit: text("Resolve and tell"),
    close: text("Cancel"),
    private_metadata: privateMetadata,
    blocks: [
      ...(summary ? [section(summary)] : []),
      context("What you write is sent to the customer, in the follow-up that closes their case."),
      {
        type: "input",
        block_id: "resolution",
        label: text("Resolution"),
        element: { type: "plain_text_input", action_id: "value", multiline: true, max_length: MAX_RESOLUTION },
      },
    ],
  };
}
