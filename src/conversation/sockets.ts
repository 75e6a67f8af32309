import type { ServerData, ServerFrameType } from "../protocol/index.ts";
import { encodeFrame, type BaseSocketState } from "../shared/sockets.ts";

export { encodeError, sendText } from "../shared/sockets.ts";

/** The state of a conversation socket (see BaseSocketState for the common fields). */
export interface SocketState extends BaseSocketState {
  /**
   * new: before `hello`; ready: after `hello`; replaying: joined, still
   * paging the replay (live messages are withheld, the client pulls them with
   * `sync`); live: joined and receiving `message.new`; closed: the actor
   * closed it or saw it close, and has already accounted for it.
   */
  phase: "new" | "ready" | "replaying" | "live" | "closed";
}

export function isJoined(st: SocketState): boolean {
  return st.phase === "replaying" || st.phase === "live";
}

/** Serialises a conversation-socket server frame. `rid` is echoed when the frame answers a request. */
export function encode<T extends ServerFrameType>(type: T, data: ServerData<T>, rid?: string): string {
  return encodeFrame(type, data, rid);
}
