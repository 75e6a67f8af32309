import type { ErrorBody, ServerData, ServerFrameType } from "../protocol/index.ts";

/**
 * Per-socket state, kept in the socket's attachment so it survives
 * hibernation (the runtime may evict the actor while sockets stay open and
 * construct it again on the next frame). Keep it small: an attachment is
 * limited to 2 KiB.
 */
export interface SocketState {
  /** Connection id, reported as `hello.ack.session_id` and in logs. */
  sid: string;
  uid: string;
  uname: string;
  /** Access token expiry, UTC ms. */
  exp: number;
  /**
   * new: before `hello`; ready: after `hello`; replaying: joined, still
   * paging the replay (live messages are withheld, the client pulls them with
   * `sync`); live: joined and receiving `message.new`; closed: the actor
   * closed it or saw it close, and has already accounted for it.
   */
  phase: "new" | "ready" | "replaying" | "live" | "closed";
  /** Timestamps of recent bad frames (see BAD_FRAME_LIMIT). */
  bad: number[];
  /** Last frame seen from the client, UTC ms (written at most every half heartbeat). */
  seen: number;
  /** Request id of the upgrade, for logs. */
  req: string;
}

export function isJoined(st: SocketState): boolean {
  return st.phase === "replaying" || st.phase === "live";
}

/** Serialises a server frame. `rid` is echoed when the frame answers a request. */
export function encode<T extends ServerFrameType>(type: T, data: ServerData<T>, rid?: string): string {
  return JSON.stringify(rid === undefined ? { v: 1, type, data } : { v: 1, type, rid, data });
}

export function encodeError(error: ErrorBody, rid?: string): string {
  return encode("error", error, rid);
}

/** Sends, ignoring a socket that closed under us (its close event cleans up). */
export function sendText(ws: WebSocket, text: string): void {
  try {
    ws.send(text);
  } catch {
    // The peer is gone; webSocketClose/webSocketError will run for it.
  }
}
