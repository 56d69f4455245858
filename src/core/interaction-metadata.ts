import { z } from "zod";

/**
 * What an Interaction row's `metadata` JSON may hold: one shape for everything that writes or
 * reads the timeline, checked when written and when read. Keys the schema does not name are kept
 * as they are (a system event's own details), so nothing written by a newer writer is lost.
 */
export const interactionMetadataSchema = z.looseObject({
  /** Inbound: the id of the button the customer pressed (see src/engine/actions.ts). */
  action: z.string().optional(),
  /** Inbound: nothing Tend knows matched this message; kept for staff to learn from. */
  unrecognised: z.literal(true).optional(),
  /** Outbound: `<platform>:<platformMessageId>` of the message this answers; a retry gets these again. */
  inReplyTo: z.string().optional(),
  /** Outbound: sent on Tend's own initiative (a follow-up, a survey invitation), not as an answer. */
  proactive: z.literal(true).optional(),
  /** Outbound: the buttons offered with the message. */
  choices: z.array(z.object({ id: z.string(), label: z.string() })).optional(),
  /** Outbound: the file that went with the message (its content is made again on request, not kept). */
  attachment: z.object({ fileName: z.string(), contentType: z.string() }).optional(),
  /** Outbound from the outbox: the row it was sent from (src/outreach/dispatcher.ts). */
  outboxId: z.string().optional(),
  /** Outbound that never reached the person: the platform refused it or every retry failed. */
  delivery: z.literal("failed").optional(),
  /** Why a failed outbound message did not go (the last error). */
  deliveryError: z.string().optional(),
  /** System rows: what happened ("linked", "erased", "tier_changed"); the other keys are its details. */
  event: z.string().optional(),
});

export type InteractionMetadata = z.infer<typeof interactionMetadataSchema>;

/** Checks metadata before it is written; throws a ZodError naming the key that is wrong. */
export function checkInteractionMetadata(metadata: InteractionMetadata): InteractionMetadata {
  return interactionMetadataSchema.parse(metadata);
}

/**
 * A stored row's metadata as the typed shape. A row written before the shape existed, or erased
 * (null), reads as empty rather than failing a whole timeline.
 */
export function readInteractionMetadata(stored: unknown): InteractionMetadata {
  if (stored === null || stored === undefined) return {};
  const parsed = interactionMetadataSchema.safeParse(stored);
  return parsed.success ? parsed.data : {};
}
