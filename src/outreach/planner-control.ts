import { createHash } from "node:crypto";

/**
 * Where a customer falls for one plan occurrence, in [0, 1): a hash of the customer and the
 * occurrence's dedupe key, so the same occurrence always lands the same way (re-runs, other
 * instances) while the next occurrence draws afresh.
 */
export function controlDraw(customerId: string, dedupeKey: string): number {
  const digest = createHash("sha256").update(`${customerId}\n${dedupeKey}`).digest();
  // 48 bits fit a double exactly.
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** Held out as control: planned and recorded, never sent, never counted against the contact budget. */
export function isControl(customerId: string, dedupeKey: string, share: number): boolean {
  return share > 0 && controlDraw(customerId, dedupeKey) < share;
}
