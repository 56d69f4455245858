import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Slack signs every request with the app's signing secret; older than this (either way) is refused as a replay. */
export const MAX_REQUEST_AGE_SECONDS = 5 * 60;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks `X-Slack-Signature` (v0=HMAC-SHA256 of `v0:<timestamp>:<raw body>`) and
 * `X-Slack-Request-Timestamp` (within five minutes of now). The comparison is over hashes of
 * equal length, so neither the signature nor its length leaks through timing.
 */
export function checkSlackSignature(
  secret: string,
  headers: { timestamp: unknown; signature: unknown },
  rawBody: Buffer,
  nowSeconds = Math.floor(Date.now() / 1000),
): SignatureCheck {
  const { timestamp, signature } = headers;
  if (typeof timestamp !== "string" || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "missing or malformed X-Slack-Request-Timestamp" };
  if (Math.abs(nowSeconds - Number(timestamp)) > MAX_REQUEST_AGE_SECONDS) return { ok: false, reason: "stale X-Slack-Request-Timestamp" };
  if (typeof signature !== "string" || !signature.startsWith("v0=")) return { ok: false, reason: "missing or malformed X-Slack-Signature" };
  const expected = `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:`).update(rawBody).digest("hex")}`;
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(signature), digest(expected)) ? { ok: true } : { ok: false, reason: "wrong X-Slack-Signature" };
}
