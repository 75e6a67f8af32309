/**
 * Keeps a sender under the engine's send rate limit (a token bucket per user
 * per conversation, announced in `hello.ack.limits.send_rate`) so that a
 * benchmark measures the engine, not its refusals.
 *
 * The pacer mirrors the server's bucket, driven by the server's own clock:
 * the server takes a token at the instant it accepts a message and stamps the
 * message with that same instant (`created_at`), so replaying the acks'
 * `created_at` reproduces its bucket exactly. Before a send, the bucket is
 * projected to "now minus a margin" (the frame cannot arrive before it is
 * sent; the margin covers clock reads that lag inside workerd).
 */
export interface SendRate {
  messages: number;
  per_ms: number;
}

export class Pacer {
  readonly #capacity: number;
  readonly #refillPerMs: number;
  readonly #marginMs: number;
  #tokens: number;
  #at: number | undefined;

  constructor(rate: SendRate, marginMs = 25) {
    this.#capacity = rate.messages;
    this.#refillPerMs = rate.messages / rate.per_ms;
    this.#marginMs = marginMs;
    this.#tokens = rate.messages;
  }

  /** Milliseconds to wait before the next send is sure to be accepted (0: send now). */
  delayMs(now = Date.now()): number {
    const tokens = this.#projected(now - this.#marginMs);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.#refillPerMs) + 1;
  }

  /** Records a send the server accepted at `serverTime` (the ack's `created_at`). */
  accepted(serverTime: number): void {
    this.#tokens = this.#projected(serverTime) - 1;
    this.#at = serverTime;
  }

  #projected(time: number): number {
    if (this.#at === undefined) return this.#tokens;
    return Math.min(this.#capacity, this.#tokens + Math.max(0, time - this.#at) * this.#refillPerMs);
  }
}
