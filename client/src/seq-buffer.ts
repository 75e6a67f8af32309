import type { Message } from "../../src/protocol/index.ts";

/**
 * Hands messages to the application exactly once and in `seq` order, whatever
 * order and however often they arrive: a replay page overlapping a live
 * `message.new`, a resend after a reconnect, a page that skips a number.
 *
 * The server promises no gaps and no repeats (PROTOCOL §4); this buffer makes
 * the SDK safe even if that promise broke: a message ahead of the next
 * expected `seq` is held until the gap is filled (the connection asks for it
 * with `sync`), and anything at or below the last delivered `seq` is dropped.
 */
export class SeqBuffer {
  #delivered: number;
  readonly #held = new Map<number, Message>();
  readonly #capacity: number;

  /** `afterSeq`: the highest `seq` the application already has (0 for none). */
  constructor(afterSeq = 0, capacity = 2_000) {
    this.#delivered = afterSeq;
    this.#capacity = capacity;
  }

  /** Every message up to this `seq` has been handed out; the `after_seq` of the next join or sync. */
  get delivered(): number {
    return this.#delivered;
  }

  /** Messages held back, waiting for a lower `seq`. */
  get heldCount(): number {
    return this.#held.size;
  }

  /** True while something is held: the connection should `sync` from `delivered`. */
  get hasGap(): boolean {
    return this.#held.size > 0;
  }

  /**
   * Moves the cursor forward to `seq` without delivering anything (the
   * application has everything up to it, from storage); held messages at or
   * below it are dropped. Never moves back.
   */
  advanceTo(seq: number): void {
    if (seq <= this.#delivered) return;
    this.#delivered = seq;
    for (const held of [...this.#held.keys()]) if (held <= seq) this.#held.delete(held);
  }

  /** Takes messages in any order; returns those that can now be delivered, in `seq` order, each once. */
  accept(messages: Iterable<Message>): Message[] {
    for (const m of messages) {
      if (m.seq <= this.#delivered || this.#held.has(m.seq)) continue;
      this.#held.set(m.seq, m);
    }
    const out: Message[] = [];
    for (let next = this.#held.get(this.#delivered + 1); next; next = this.#held.get(this.#delivered + 1)) {
      this.#held.delete(next.seq);
      this.#delivered = next.seq;
      out.push(next);
    }
    this.#trim();
    return out;
  }

  /**
   * Past capacity, drop the highest held messages: they come back with the
   * `sync` that fills the gap, so memory stays bounded without losing any.
   */
  #trim(): void {
    if (this.#held.size <= this.#capacity) return;
    const seqs = [...this.#held.keys()].sort((a, b) => a - b);
    for (const seq of seqs.slice(this.#capacity)) this.#held.delete(seq);
  }
}
