/**
 * Rules every socket actor shares, without a runtime: the token bucket
 * behind every per-user and per-socket budget, and the bad-frame window.
 * Plain functions with their own unit tests (rules.test.ts).
 */

/** A token bucket: `capacity` sends, refilled evenly over `perMs`. */
export interface Bucket {
  tokens: number;
  updatedAt: number;
}

export function takeToken(
  bucket: Bucket | undefined,
  now: number,
  rate: { messages: number; per_ms: number },
): { bucket: Bucket; ok: true } | { bucket: Bucket; ok: false; retryAfterMs: number } {
  const refillPerMs = rate.messages / rate.per_ms;
  const prior = bucket ?? { tokens: rate.messages, updatedAt: now };
  const elapsed = Math.max(0, now - prior.updatedAt);
  const tokens = Math.min(rate.messages, prior.tokens + elapsed * refillPerMs);
  if (tokens >= 1) return { ok: true, bucket: { tokens: tokens - 1, updatedAt: now } };
  return { ok: false, bucket: { tokens, updatedAt: now }, retryAfterMs: Math.ceil((1 - tokens) / refillPerMs) };
}

/**
 * Records one bad frame in a sliding window of timestamps. `exceeded` is true
 * once `limit.count` bad frames fall within `limit.window_ms`.
 */
export function recordBadFrame(
  times: readonly number[],
  now: number,
  limit: { count: number; window_ms: number },
): { times: number[]; exceeded: boolean } {
  const recent = times.filter((t) => now - t < limit.window_ms);
  recent.push(now);
  // Keep no more than the limit needs, so the socket attachment stays small.
  const kept = recent.slice(-limit.count);
  return { times: kept, exceeded: kept.length >= limit.count };
}
