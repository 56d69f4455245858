/** How the dispatcher retries a transient failure: exponential backoff with jitter, then a dead letter. */
export interface RetrySettings {
  /** Tries in all (the first send included) before the row is dead-lettered. */
  maxAttempts: number;
  /** The wait after the first failure; it doubles with each further one. */
  baseDelayMs: number;
  /** No wait grows beyond this. */
  maxDelayMs: number;
}

export const defaultRetrySettings: RetrySettings = { maxAttempts: 6, baseDelayMs: 30_000, maxDelayMs: 3_600_000 };

/**
 * The wait before try number `failures + 1`, after `failures` transient failures (1 or more).
 * "Equal jitter": half the exponential delay fixed, half random, so instances that failed
 * together (a platform outage) do not all come back in the same second, yet none retries at once.
 */
export function retryDelayMs(failures: number, settings: RetrySettings, random: () => number = Math.random): number {
  const exponential = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}
