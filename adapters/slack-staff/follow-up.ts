import { describeError } from "../../src/errors.ts";
import type { StaffSlackContext } from "./context.ts";
import type { ModalMetadata } from "./modal-metadata.ts";

/**
 * Tells the staff member what became of a modal's submission: through the response_url of the
 * card the modal was opened from (an ephemeral message under it), or else in a direct message
 * from the staff app. `replace` swaps the card for fresh blocks instead.
 */
export async function tellStaff(
  ctx: StaffSlackContext,
  userId: string,
  metadata: ModalMetadata,
  message: { text: string; blocks?: unknown[]; replace?: boolean },
): Promise<void> {
  if (metadata.responseUrl) {
    try {
      const response = await fetch(metadata.responseUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ response_type: "ephemeral", replace_original: message.replace ?? false, text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) }),
      });
      if (response.ok) return;
      ctx.log.warn({ status: response.status }, "a staff follow-up through response_url was refused; sending it as a direct message");
    } catch (error) {
      ctx.log.warn({ err: describeError(error) }, "a staff follow-up through response_url failed; sending it as a direct message");
    }
  }
  if (message.replace) return;
  await ctx.client.chat.postMessage({ channel: userId, text: message.text, ...(message.blocks ? { blocks: message.blocks as never } : {}) });
}
