import type { Timing } from "./timing.ts";

/**
 * Capped exponential backoff with full jitter: attempt n (1, 2, …) waits a
 * uniform random time below min(max, base · 2^(n−1)), and never less than
 * `BACKOFF_MIN_MS`. `random` is injectable so tests can pin the jitter.
 */
export function backoffDelay(
  attempt: number,
  timing: Pick<Timing, "BACKOFF_BASE_MS" | "BACKOFF_MAX_MS" | "BACKOFF_MIN_MS">,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, Math.floor(attempt));
  // 2^(n−1) overflows to Infinity for large n; the cap makes that harmless.
  const ceiling = Math.min(timing.BACKOFF_MAX_MS, timing.BACKOFF_BASE_MS * 2 ** (n - 1));
  return Math.max(timing.BACKOFF_MIN_MS, Math.floor(random() * ceiling));
}
