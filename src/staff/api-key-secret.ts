import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Every key Tend makes starts with this, so a leaked one is recognisable (secret scanners, logs). */
export const API_KEY_PREFIX = "tend_";

/** A new random API key: 32 bytes from the OS's CSPRNG, base64url. Shown once, stored only hashed. */
export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
}

/**
 * How a key is stored: sha256, hex. A slow password hash buys nothing for 256-bit random keys (no
 * dictionary to try), and a fast one keeps the check off the request's critical path.
 */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** Compares two hex digests in constant time. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  return match?.[1];
}
