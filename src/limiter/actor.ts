import { DurableObject } from "cloudflare:workers";
import { takeToken, type Bucket } from "../shared/rules.ts";
import type { Env } from "../env.ts";

/**
 * A token bucket per key (for example `auth:<ip>`), one actor per key so
 * limits hold across all Worker isolates. Buckets live in memory: an evicted
 * limiter starts full again, which errs on the side of letting people in.
 */
export class Limiter extends DurableObject<Env> {
  #bucket: Bucket | undefined;

  /** Takes one token; answers how long to wait when there is none. */
  take(rate: { messages: number; per_ms: number }): { ok: true } | { ok: false; retryAfterMs: number } {
    const result = takeToken(this.#bucket, Date.now(), rate);
    this.#bucket = result.bucket;
    return result.ok ? { ok: true } : { ok: false, retryAfterMs: result.retryAfterMs };
  }
}
