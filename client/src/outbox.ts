import type { SendData } from "../../src/protocol/index.ts";

/** A message handed to `send` and not yet acknowledged by the server. */
export interface Pending {
  readonly data: SendData;
  /** `queued`: waiting for the socket or its turn; `in-flight`: on the wire, no ack yet. */
  state: "queued" | "in-flight";
  /** How many times it went on the wire. */
  sends: number;
}

/**
 * A fresh idempotency key: a random UUID (36 characters of hex digits and
 * `-`, inside the contract's 1–64 of `[A-Za-z0-9_-]`). Every resend of the
 * message reuses it, so the server stores the message once (PROTOCOL §4.3).
 */
export function newClientMsgId(): string {
  return crypto.randomUUID();
}

/**
 * The bounded queue of unacknowledged messages, in the order they were sent.
 * Pure bookkeeping: the connection decides when to `take` (live, not
 * paused) and puts what `take` returns on the wire.
 *
 * A message leaves only by its ack (or by a final refusal). When the socket
 * dies, whatever was in flight may or may not have been stored, so it is
 * queued again under the same `client_msg_id` and resent after the next join;
 * a stored one comes back as `duplicate: true` and nothing is doubled.
 */
export class Outbox {
  readonly #items = new Map<string, Pending>();
  readonly #capacity: number;
  readonly #maxInFlight: number;
  #pausedUntil = 0;

  constructor(capacity: number, maxInFlight: number) {
    this.#capacity = capacity;
    this.#maxInFlight = Math.max(1, maxInFlight);
  }

  get size(): number {
    return this.#items.size;
  }

  get isFull(): boolean {
    return this.#items.size >= this.#capacity;
  }

  get capacity(): number {
    return this.#capacity;
  }

  has(clientMsgId: string): boolean {
    return this.#items.has(clientMsgId);
  }

  /** The unacknowledged messages, oldest first (for showing them as pending). */
  pending(): SendData[] {
    return [...this.#items.values()].map((p) => p.data);
  }

  /** Queues a message. The caller checks `isFull` first; adding to a full outbox is a bug. */
  add(data: SendData): void {
    if (this.isFull) throw new RangeError(`the outbox is full (${this.#capacity} messages)`);
    if (this.#items.has(data.client_msg_id)) throw new Error(`client_msg_id ${data.client_msg_id} is already in the outbox`);
    this.#items.set(data.client_msg_id, { data, state: "queued", sends: 0 });
  }

  /** Milliseconds until sending may resume (0: now). */
  pausedFor(now: number): number {
    return Math.max(0, this.#pausedUntil - now);
  }

  /**
   * The messages to put on the wire now, oldest first, marked in flight:
   * none while paused, and never more than the in-flight window.
   */
  take(now: number): SendData[] {
    if (this.pausedFor(now) > 0) return [];
    let inFlight = 0;
    for (const p of this.#items.values()) if (p.state === "in-flight") inFlight += 1;
    const out: SendData[] = [];
    for (const p of this.#items.values()) {
      if (inFlight >= this.#maxInFlight) break;
      if (p.state !== "queued") continue;
      p.state = "in-flight";
      p.sends += 1;
      inFlight += 1;
      out.push(p.data);
    }
    return out;
  }

  /** The server stored it (or already had it). Returns the message, or undefined if it was not pending. */
  ack(clientMsgId: string): Pending | undefined {
    const p = this.#items.get(clientMsgId);
    this.#items.delete(clientMsgId);
    return p;
  }

  /** A final refusal (bad_request, forbidden, …): the message leaves without being stored. */
  drop(clientMsgId: string): Pending | undefined {
    return this.ack(clientMsgId);
  }

  /**
   * A retryable refusal (rate_limited, internal): the message goes back in
   * its place, and nothing is sent before `until`.
   */
  retryAt(clientMsgId: string, until: number): void {
    const p = this.#items.get(clientMsgId);
    if (p) p.state = "queued";
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
  }

  /** The socket went away: everything in flight is queued again, in place, same ids. */
  requeueInFlight(): void {
    for (const p of this.#items.values()) p.state = "queued";
  }
}
