/**
 * Rules every socket actor shares, without a runtime: the token bucket
 * behind every per-user and per-socket budget, the bad-frame window, and
 * the set of keys remembered for a while.
 * Plain functions with their own unit tests (rules.test.ts).
 */

/** A token bucket: `capacity` sends, refilled evenly over `perMs`. */
export interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Takes `cost` tokens (one by default) or none. A refusal says how long
 * until `cost` tokens are back; a cost above the capacity can never be met
 * and is refused with `retryAfterMs: Infinity` (the caller says why).
 */
export function takeToken(
  bucket: Bucket | undefined,
  now: number,
  rate: { messages: number; per_ms: number },
  cost = 1,
): { bucket: Bucket; ok: true } | { bucket: Bucket; ok: false; retryAfterMs: number } {
  const refillPerMs = rate.messages / rate.per_ms;
  const prior = bucket ?? { tokens: rate.messages, updatedAt: now };
  const elapsed = Math.max(0, now - prior.updatedAt);
  const tokens = Math.min(rate.messages, prior.tokens + elapsed * refillPerMs);
  if (tokens >= cost) return { ok: true, bucket: { tokens: tokens - cost, updatedAt: now } };
  const retryAfterMs = cost > rate.messages ? Infinity : Math.ceil((cost - tokens) / refillPerMs);
  return { ok: false, bucket: { tokens, updatedAt: now }, retryAfterMs };
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

/**
 * Keys remembered for `ttlMs` after they were last added (ended sessions,
 * suspended users). Expired keys are dropped whenever the set is used, so it
 * holds only what was added within the last `ttlMs`.
 */
export class ExpiringSet {
  readonly #until = new Map<string, number>();
  readonly #ttlMs: number;

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  add(key: string, now = Date.now()): void {
    this.#forget(now);
    this.#until.set(key, now + this.#ttlMs);
  }

  has(key: string, now = Date.now()): boolean {
    this.#forget(now);
    return this.#until.has(key);
  }

  get size(): number {
    return this.#until.size;
  }

  #forget(now: number): void {
    for (const [key, until] of this.#until) if (until <= now) this.#until.delete(key);
  }
}
