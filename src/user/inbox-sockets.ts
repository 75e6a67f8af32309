import { recordBadFrame } from "../conversation/rules.ts";
import { sendText } from "../conversation/sockets.ts";
import {
  BAD_FRAME_LIMIT,
  CloseCode,
  HTTP_STATUS,
  type ErrorBody,
  type InboxServerData,
  type InboxServerFrameType,
  type ParleyError,
} from "../protocol/index.ts";
import type { LogFields } from "../shared/log.ts";

export { sendText };

/**
 * Per-socket state of an inbox socket, kept in the socket's attachment so it
 * survives hibernation (the runtime may evict the actor while sockets stay
 * open and construct it again on the next frame). At most 2 KiB.
 */
export interface InboxSocketState {
  /** Connection id, reported as `hello.ack.session_id` and in logs. */
  sid: string;
  uid: string;
  uname: string;
  /** Access token expiry, UTC ms. */
  exp: number;
  /** new: before `hello`; ready: after it (counts for presence); closed: accounted for. */
  phase: "new" | "ready" | "closed";
  /** Timestamps of recent bad frames (see BAD_FRAME_LIMIT). */
  bad: number[];
  /** Last frame seen from the client, UTC ms (written at most every half heartbeat). */
  seen: number;
  /** Request id of the upgrade, for logs. */
  req: string;
}

type ClosingReason = "token_expired" | "removed" | "policy_violation" | "server_shutdown" | "replaced";

/** Serialises an inbox server frame. `rid` is echoed when the frame answers a request. */
export function encodeInbox<T extends InboxServerFrameType>(type: T, data: InboxServerData<T>, rid?: string): string {
  return JSON.stringify(rid === undefined ? { v: 1, type, data } : { v: 1, type, rid, data });
}

export function encodeInboxError(error: ErrorBody, rid?: string): string {
  return encodeInbox("error", error, rid);
}

/**
 * The user's inbox sockets: their attachments, the bad-frame rule, closing,
 * broadcast and the heartbeat sweep. Knows nothing of what the frames mean;
 * the actor does.
 */
export class InboxSockets {
  readonly #ctx: DurableObjectState;
  readonly #heartbeatMs: number;
  readonly #onForget: (st: InboxSocketState, wasReady: boolean, code: number, ws: WebSocket) => void;
  readonly #log: (level: "info" | "warn" | "error", event: string, fields: LogFields) => void;
  /** Attachments of open sockets, read once after each wake from hibernation. */
  readonly #states = new Map<WebSocket, InboxSocketState>();
  /** Exact time of each socket's last frame since this instance started (the attachment's `seen` lags). */
  readonly #lastFrame = new WeakMap<WebSocket, number>();

  constructor(
    ctx: DurableObjectState,
    heartbeatMs: number,
    onForget: (st: InboxSocketState, wasReady: boolean, code: number, ws: WebSocket) => void,
    logger: (level: "info" | "warn" | "error", event: string, fields: LogFields) => void,
  ) {
    this.#ctx = ctx;
    this.#heartbeatMs = heartbeatMs;
    this.#onForget = onForget;
    this.#log = logger;
  }

  /** Accepts the server end of a new socket with its first state. */
  accept(ws: WebSocket, st: InboxSocketState): void {
    this.#ctx.acceptWebSocket(ws);
    this.save(ws, st);
  }

  state(ws: WebSocket): InboxSocketState | undefined {
    let st = this.#states.get(ws);
    if (!st) {
      st = (ws.deserializeAttachment() as InboxSocketState | null) ?? undefined;
      if (st && st.phase !== "closed") this.#states.set(ws, st);
    }
    return st;
  }

  save(ws: WebSocket, st: InboxSocketState): void {
    this.#states.set(ws, st);
    ws.serializeAttachment(st);
  }

  /** Records activity; persisted at most every half heartbeat to keep frames cheap. */
  touch(ws: WebSocket, st: InboxSocketState): void {
    const now = Date.now();
    this.#lastFrame.set(ws, now);
    if (now - st.seen > this.#heartbeatMs / 2) {
      st.seen = now;
      this.save(ws, st);
    }
  }

  /** Open sockets the actor has not closed, ready or not (the per-user cap counts these). */
  openCount(): number {
    let n = 0;
    for (const ws of this.#ctx.getWebSockets()) {
      const st = this.state(ws);
      if (st && st.phase !== "closed" && ws.readyState === WebSocket.READY_STATE_OPEN) n++;
    }
    return n;
  }

  /** Open sockets past `hello`, other than `except`. */
  readyCount(except?: WebSocket): number {
    let n = 0;
    for (const ws of this.#ctx.getWebSockets()) {
      if (ws === except || ws.readyState !== WebSocket.READY_STATE_OPEN) continue;
      if (this.state(ws)?.phase === "ready") n++;
    }
    return n;
  }

  /** Sends a frame to every ready socket, optionally with a rid on one of them (the requester's). */
  broadcast<T extends InboxServerFrameType>(type: T, data: InboxServerData<T>, requester?: { ws: WebSocket; rid?: string }): void {
    const plain = encodeInbox(type, data);
    for (const ws of this.#ctx.getWebSockets()) {
      if (ws.readyState !== WebSocket.READY_STATE_OPEN || this.state(ws)?.phase !== "ready") continue;
      sendText(ws, requester?.ws === ws && requester.rid !== undefined ? encodeInbox(type, data, requester.rid) : plain);
    }
  }

  /** Answers a bad frame; the tenth in a minute closes the socket (4008). */
  badFrame(ws: WebSocket, st: InboxSocketState, error: ParleyError, rid?: string): void {
    sendText(ws, encodeInboxError(error.toBody(), rid));
    const { times, exceeded } = recordBadFrame(st.bad, Date.now(), BAD_FRAME_LIMIT);
    st.bad = times;
    this.save(ws, st);
    this.#log("warn", "socket.bad_frame", { session_id: st.sid, user_id: st.uid, code: error.code, error: error.message });
    if (exceeded) this.closeWith(ws, st, CloseCode.POLICY_VIOLATION, { reason: "policy_violation", retry: false });
  }

  closeWith(ws: WebSocket, st: InboxSocketState, code: number, closing: { reason: ClosingReason; retry: boolean }): void {
    sendText(ws, encodeInbox("connection.closing", closing));
    this.close(ws, st, code, closing.reason);
  }

  close(ws: WebSocket, st: InboxSocketState, code: number, reason: string): void {
    try {
      ws.close(code, reason);
    } catch {
      // Already closing.
    }
    this.forget(ws, st, code);
  }

  /** Drops a socket from the actor's view, once; tells the actor whether it was ready. */
  forget(ws: WebSocket, st: InboxSocketState, code: number): void {
    if (st.phase === "closed") return;
    const wasReady = st.phase === "ready";
    st.phase = "closed";
    try {
      ws.serializeAttachment(st);
    } catch {
      // The socket is gone; the in-memory state is enough until it is dropped.
    }
    this.#states.delete(ws);
    this.#log("info", "socket.closed", { session_id: st.sid, user_id: st.uid, code });
    this.#onForget(st, wasReady, code, ws);
  }

  /**
   * Heartbeat sweep: closes sockets silent for more than two intervals, and
   * sockets whose token expired (an inbox socket mostly listens, so its
   * next frame may be far away); returns how many stay open.
   */
  sweep(now: number): number {
    let open = 0;
    for (const ws of this.#ctx.getWebSockets()) {
      const st = this.state(ws);
      if (!st || st.phase === "closed" || ws.readyState !== WebSocket.READY_STATE_OPEN) continue;
      const pinged = this.#ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      if (now - Math.max(st.seen, this.#lastFrame.get(ws) ?? 0, pinged) > 2 * this.#heartbeatMs) {
        this.#log("info", "socket.timeout", { session_id: st.sid, user_id: st.uid });
        this.close(ws, st, CloseCode.HEARTBEAT_TIMEOUT, "heartbeat timeout");
      } else if (st.exp <= now) {
        this.closeWith(ws, st, CloseCode.TOKEN_EXPIRED, { reason: "token_expired", retry: true });
      } else {
        open++;
      }
    }
    return open;
  }
}

/** A refused upgrade: plain HTTP with the contract's error object (and Retry-After when it has one). */
export function httpError(error: ParleyError, status = HTTP_STATUS[error.code]): Response {
  const headers: Record<string, string> = {};
  if (error.retryAfterMs !== undefined) headers["Retry-After"] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  return Response.json(error.toBody(), { status, headers });
}

/** Codes an endpoint may put on the wire (RFC 6455 §7.4). */
export function isSendableCloseCode(code: number): boolean {
  return code === 1000 || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}
