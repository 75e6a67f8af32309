import type { TopicServerData, TopicServerFrameType } from "../protocol/index.ts";
import { SocketRegistry, encodeFrame, type BaseSocketState } from "../shared/sockets.ts";

export { encodeError, sendText } from "../shared/sockets.ts";

/** The state of a topic socket (see BaseSocketState for the common fields). */
export interface TopicSocketState extends BaseSocketState {
  /** new: before `hello`; ready: after it; subscribed: receiving events; closed: accounted for. */
  phase: "new" | "ready" | "subscribed" | "closed";
  /**
   * The last seq this socket had when it subscribed. It is never rewritten
   * afterwards: the socket has every event up to max(cur, the topic's
   * flushed_seq), which survives hibernation without a write per socket
   * per flush.
   */
  cur?: number;
}

/** Serialises a topic server frame. `rid` is echoed when the frame answers a request. */
export function encodeTopic<T extends TopicServerFrameType>(type: T, data: TopicServerData<T>, rid?: string): string {
  return encodeFrame(type, data, rid);
}

/**
 * The sockets of one topic: the shared socket mechanics, plus the index of
 * subscribed sockets every flush walks (kept in step with every phase
 * change and close, as the room does for joined sockets).
 */
export class TopicSockets extends SocketRegistry<TopicSocketState> {
  readonly #subscribed = new Map<WebSocket, TopicSocketState>();

  subscribed(): IterableIterator<[WebSocket, TopicSocketState]> {
    return this.#subscribed.entries();
  }

  get subscribedCount(): number {
    return this.#subscribed.size;
  }

  /** Marks a socket subscribed from `cur` on (saved in its attachment). */
  subscribe(ws: WebSocket, st: TopicSocketState, cur: number): void {
    st.phase = "subscribed";
    st.cur = cur;
    this.save(ws, st);
    this.#subscribed.set(ws, st);
  }

  protected override indexed(ws: WebSocket, st: TopicSocketState): void {
    if (st.phase === "subscribed") this.#subscribed.set(ws, st);
  }

  protected override unindexed(ws: WebSocket): void {
    this.#subscribed.delete(ws);
  }
}
