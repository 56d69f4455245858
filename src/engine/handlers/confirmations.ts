import { actionId } from "../../core/action-ids.ts";
import type { InteractionKind } from "../../db/generated/client.ts";
import type { ConversationContext } from "../context.ts";

/**
 * What a confirmation will do once the customer says yes. A redemption's confirmation stays
 * answerable after use (a second tap must find the first redemption); `done` then marks that it
 * was carried out, so a late "cancel" does not claim nothing happened.
 */
export type ConfirmedOperation = { op: "redeem"; reward: string; done?: boolean } | { op: "erase"; requestId: string };

export const CONFIRMATION_KIND = "confirm";

export async function askConfirmation(ctx: ConversationContext, operation: ConfirmedOperation, question: string, kind: InteractionKind): Promise<void> {
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + ctx.services.settings.confirmationTtlMinutes * 60_000);
  const pending = await ctx.services.pending.create(ctx.customer.id, CONFIRMATION_KIND, operation, expiresAt, now);
  ctx.reply(question, {
    kind,
    choices: [
      { id: actionId({ kind: "confirm", confirmationId: pending.id }), label: ctx.t.buttonConfirm },
      { id: actionId({ kind: "cancel", confirmationId: pending.id }), label: ctx.t.buttonCancel },
    ],
  });
}

function isOperation(value: unknown): value is ConfirmedOperation {
  const operation = value as { op?: unknown; requestId?: unknown } | null;
  // An erase confirmation from before requestId (it held the token in clear) is treated as expired.
  return operation?.op === "redeem" || (operation?.op === "erase" && typeof operation.requestId === "string");
}

/** Confirmation ids are uuids; anything else in a button id (forged, truncated) would fail the uuid column. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The live confirmation with this id, or, for a typed "yes"/"no", the customer's newest one. */
export async function findConfirmation(ctx: ConversationContext, id: string | null) {
  if (id !== null && !UUID.test(id)) return null;
  const now = ctx.now();
  const pending = id
    ? await ctx.services.pending.findLive(id, ctx.customer.id, now)
    : await ctx.services.pending.newestLive(ctx.customer.id, CONFIRMATION_KIND, now);
  if (!pending || pending.kind !== CONFIRMATION_KIND || !isOperation(pending.payload)) return null;
  return { id: pending.id, operation: pending.payload };
}
