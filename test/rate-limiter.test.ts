import { expect, it } from "vitest";
import { RateLimiter } from "../src/core/rate-limiter.ts";

it("allows a burst per key, then refuses with the time until the next token", () => {
  let now = 0;
  const limiter = new RateLimiter(30, 30, () => now);
  for (let i = 0; i < 30; i++) expect(limiter.take("a").allowed).toBe(true);
  const refused = limiter.take("a");
  expect(refused).toEqual({ allowed: false, retryAfterMs: 2000 });
  // Another key has its own bucket.
  expect(limiter.take("b").allowed).toBe(true);
  now += 1999;
  expect(limiter.take("a").allowed).toBe(false);
  now += 2;
  expect(limiter.take("a").allowed).toBe(true);
  expect(limiter.take("a").allowed).toBe(false);
  now += 60_000;
  for (let i = 0; i < 30; i++) expect(limiter.take("a").allowed).toBe(true);
  expect(limiter.take("a").allowed).toBe(false);
});
