import { createHash } from "node:crypto";

/** Telegram carries at most 64 bytes of callback_data per button. */
export const CALLBACK_DATA_LIMIT = 64;
const PREFIX = "~";

/**
 * Button ids longer than Telegram allows (a long reward code, say) travel as a short key that
 * maps back to the id. The key is a hash of the id, so the same button always gets the same key;
 * the map is in memory and bounded, so a very old button pressed after a restart comes back as
 * an unknown action, which the engine answers with the menu.
 */
export class CallbackKeys {
  private readonly ids = new Map<string, string>();

  constructor(private readonly capacity = 5_000) {}

  /** The callback_data to send for a button id. */
  encode(id: string): string {
    if (Buffer.byteLength(id, "utf8") <= CALLBACK_DATA_LIMIT && !id.startsWith(PREFIX)) return id;
    const key = PREFIX + createHash("sha256").update(id).digest("base64url").slice(0, 32);
    this.ids.delete(key);
    this.ids.set(key, id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.keys().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return key;
  }

  /** The button id behind a pressed button's callback_data. */
  decode(data: string): string {
    return (data.startsWith(PREFIX) && this.ids.get(data)) || data;
  }
}
