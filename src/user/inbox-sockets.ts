import {
  type ErrorBody,
  type InboxServerData,
  type InboxServerFrameType,
} from "../protocol/index.ts";
import { SocketRegistry, encodeFrame, sendText, type BaseSocketState } from "../shared/sockets.ts";

export { isSendableCloseCode, refusal, sendText } from "../shared/sockets.ts";

/** The state of an inbox socket (see BaseSocketState for the common fields). */
export interface InboxSocketState extends BaseSocketState {
  /** new: before `hello`; ready: after it (counts for presence); closed: accounted for. */
  phase: "new" | "ready" | "closed";
}

/** Serialises an inbox server frame. `rid` is echoed when the frame answers a request. */
export function encodeInbox<T extends InboxServerFrameType>(type: T, data: InboxServerData<T>, rid?: string): string {
  return encodeFrame(type, data, rid);
}

export function encodeInboxError(error: ErrorBody, rid?: string): string {
  return encodeInbox("error", error, rid);
}

/**
 * The user's inbox sockets: the shared socket mechanics, plus the counts
 * the socket cap and presence need and broadcast to ready sockets. Knows
 * nothing of what the frames mean; the actor does.
 */
export class InboxSockets extends SocketRegistry<InboxSocketState> {
  /** Open sockets the actor has not closed, ready or not (the per-user cap counts these). */
  openCount(): number {
    return [...this.open()].length;
  }

  /** Open sockets past `hello`, other than `except`. */
  readyCount(except?: WebSocket): number {
    let n = 0;
    for (const [ws, st] of this.open()) if (ws !== except && st.phase === "ready") n++;
    return n;
  }

  /** Sends a frame to every ready socket, optionally with a rid on one of them (the requester's). */
  broadcast<T extends InboxServerFrameType>(type: T, data: InboxServerData<T>, requester?: { ws: WebSocket; rid?: string }): void {
    const plain = encodeInbox(type, data);
    for (const [ws, st] of this.open()) {
      if (st.phase !== "ready") continue;
      sendText(ws, requester?.ws === ws && requester.rid !== undefined ? encodeInbox(type, data, requester.rid) : plain);
    }
  }
}
