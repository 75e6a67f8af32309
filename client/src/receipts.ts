/**
 * The receipts one conversation handle sends, both max-wins watermarks:
 * `receipt.read` when the application marks messages read (over REST while
 * the socket is not live), and `receipt.delivered` as someone else's
 * messages arrive, coalesced to one per `DELIVERED_COALESCE_MS` (the user's
 * own messages moved their watermarks when sent, protocol §22.3).
 */
import type { Message, ServerData } from "../../src/protocol/index.ts";
import type { ParleyApi } from "./rest.ts";
import { cancelTimeout, type Timer } from "./timers.ts";

const RID = { read: "read", delivered: "delivered" } as const;

/** What the receipts of a handle go through. */
export interface ReceiptChannel {
  conversationId: string;
  live(): boolean;
  closed(): boolean;
  /** Sends a frame; false when the socket could not take it. */
  send(type: string, data: unknown, rid: string): boolean;
  /** For `markRead` while not connected. */
  api: ParleyApi | undefined;
  coalesceMs: number;
  /** The receipt a REST `markRead` answered, for the handle's `receipt` event. */
  onReceipt(receipt: ServerData<"receipt.updated">): void;
}

export class Receipts {
  readonly #channel: ReceiptChannel;
  #readWanted = 0;
  #readSent = 0;
  #deliveredWanted = 0;
  #deliveredSent = 0;
  #deliveredTimer: Timer | undefined;
  /** This user's id (from `hello.ack`): whose messages need no delivery receipt. */
  #userId: string | undefined;

  constructor(channel: ReceiptChannel) {
    this.#channel = channel;
  }

  set userId(id: string) {
    this.#userId = id;
  }

  /** Everything up to `seq` read: a frame when live, else `POST …/read` (and the frame once live, if that failed). */
  markRead(seq: number): void {
    if (seq <= this.#readWanted) return;
    this.#readWanted = seq;
    if (this.#channel.live()) {
      this.#flushRead();
      return;
    }
    const api = this.#channel.api;
    if (!api || this.#channel.closed()) return;
    api.markRead(this.#channel.conversationId, seq).then(
      (receipt) => {
        this.#readSent = Math.max(this.#readSent, seq);
        this.#channel.onReceipt(receipt);
      },
      () => undefined, // sent over the socket once it is live
    );
  }

  /** Messages delivered to the application: the newest of someone else's is receipted, soon. */
  delivered(messages: readonly Message[]): void {
    for (const m of messages) if (m.sender_id !== this.#userId && m.seq > this.#deliveredWanted) this.#deliveredWanted = m.seq;
    if (this.#deliveredWanted > this.#deliveredSent && this.#deliveredTimer === undefined && this.#userId !== undefined) {
      this.#deliveredTimer = setTimeout(() => {
        this.#deliveredTimer = undefined;
        this.#flushDelivered();
      }, this.#channel.coalesceMs);
    }
  }

  /** The socket is live (again): what is owed goes out. */
  flush(): void {
    this.#flushRead();
    this.#flushDelivered();
  }

  /** The socket is gone: the read watermark is sent again on the next one. */
  disconnected(): void {
    this.#readSent = 0;
  }

  destroy(): void {
    cancelTimeout(this.#deliveredTimer);
  }

  #flushDelivered(): void {
    if (this.#deliveredWanted <= this.#deliveredSent || !this.#channel.live()) return;
    if (this.#channel.send("receipt.delivered", { up_to_seq: this.#deliveredWanted }, RID.delivered)) this.#deliveredSent = this.#deliveredWanted;
  }

  #flushRead(): void {
    if (this.#readWanted <= this.#readSent || !this.#channel.live()) return;
    if (this.#channel.send("receipt.read", { up_to_seq: this.#readWanted }, RID.read)) this.#readSent = this.#readWanted;
  }
}
