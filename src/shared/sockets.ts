import { BAD_FRAME_LIMIT, CloseCode, HTTP_STATUS, type ErrorBody, type ParleyError } from "../protocol/index.ts";
import type { LogFields } from "./log.ts";
import { ExpiringSet, recordBadFrame } from "./rules.ts";

/**
 * What every hibernating socket of an actor keeps in its attachment, so it
 * survives hibernation (the runtime may evict the actor while sockets stay
 * open and construct it again on the next frame). An attachment is limited
 * to 2 KiB: keep states small.
 */
export interface BaseSocketState {
  /** Connection id, reported as `hello.ack.session_id` and in logs. */
  sid: string;
  uid: string;
  uname: string;
  /** Access token expiry, UTC ms. */
  exp: number;
  /** The access token's login session (its `sid`), so that signing that session out closes this socket. Absent on sockets opened before v1.2. */
  tsid?: string;
  /** "new" before `hello`; "closed" once the actor has accounted for the close. Actors add their own phases. */
  phase: string;
  /** Timestamps of recent bad frames (see BAD_FRAME_LIMIT). */
  bad: number[];
  /** Last frame seen from the client, UTC ms (written at most every half heartbeat). */
  seen: number;
  /** Request id of the upgrade, for logs. */
  req: string;
}

/** Headers the Worker sets on a socket upgrade it forwards to an actor; it strips any a client sent. */
export const FORWARDED = {
  userId: "x-parley-user-id",
  username: "x-parley-username",
  tokenExp: "x-parley-token-exp",
  tokenSid: "x-parley-token-sid",
  requestId: "x-parley-request-id",
} as const;

/**
 * How long an actor remembers a login session it closed sockets of (§22.19):
 * well past the time a Worker isolate may keep the user's standing cached
 * (worker/standing.ts, STANDING_TTL_MS = 5 s), so that an upgrade forwarded
 * by an isolate that has not heard of the end yet is still refused.
 */
export const ENDED_SESSION_MEMORY_MS = 30_000;

export type ClosingReason = "token_expired" | "removed" | "policy_violation" | "server_shutdown" | "replaced";
type Logger = (level: "debug" | "info" | "warn" | "error", event: string, fields: LogFields) => void;

/** Serialises a frame of either socket. `rid` is echoed when the frame answers a request. */
export function encodeFrame(type: string, data: unknown, rid?: string): string {
  return JSON.stringify(rid === undefined ? { v: 1, type, data } : { v: 1, type, rid, data });
}

/** Sends, ignoring a socket that closed under us (its close event cleans up). */
export function sendText(ws: WebSocket, text: string): void {
  try {
    ws.send(text);
  } catch {
    // The peer is gone; webSocketClose/webSocketError will run for it.
  }
}

/** A refused upgrade: plain HTTP with the contract's error object, and Retry-After when it has one. */
export function refusal(error: ParleyError, status = HTTP_STATUS[error.code]): Response {
  const headers: Record<string, string> = {};
  if (error.retryAfterMs !== undefined) headers["Retry-After"] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  return Response.json(error.toBody(), { status, headers });
}

/** Codes an endpoint may put on the wire (RFC 6455 §7.4): never 1005, 1006 or 1015. */
export function isSendableCloseCode(code: number): boolean {
  return code === 1000 || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/**
 * The hibernating sockets of one actor: their states (attachments, mirrored
 * in memory), activity, closing, the bad-frame rule and the heartbeat sweep
 * — the mechanics every socket actor shares. It knows nothing of what frames
 * mean.
 *
 * The in-memory map is the index every broadcast walks: `restore()` fills it
 * from the runtime's list once per construction (after a wake from
 * hibernation the attachments are the only state left), and `accept` and
 * `forget` keep it exact from then on, so a broadcast costs one pass over
 * the sockets and no call into the runtime for the list. Subclasses keep
 * their own indices in step through `indexed` and `unindexed`.
 */
export class SocketRegistry<S extends BaseSocketState> {
  protected readonly ctx: DurableObjectState;
  readonly #states = new Map<WebSocket, S>();
  /** Exact time of each socket's last frame since this instance started (the attachment's `seen` lags). */
  readonly #lastFrame = new WeakMap<WebSocket, number>();
  readonly #heartbeatMs: number;
  readonly #onClosed: (before: S, code: number, ws: WebSocket) => void;
  /** Login sessions whose sockets were closed here lately: their upgrades are refused. */
  readonly #endedLately = new ExpiringSet(ENDED_SESSION_MEMORY_MS);
  protected readonly log: Logger;

  /** `onClosed` gets the state as it was before the close (its phase still tells what the socket was). */
  constructor(ctx: DurableObjectState, heartbeatMs: number, onClosed: (before: S, code: number, ws: WebSocket) => void, log: Logger) {
    this.ctx = ctx;
    this.#heartbeatMs = heartbeatMs;
    this.#onClosed = onClosed;
    this.log = log;
  }

  /** Rebuilds the index from the sockets the runtime still holds (called once, at construction). */
  restore(): void {
    for (const ws of this.ctx.getWebSockets()) {
      const st = (ws.deserializeAttachment() as S | null) ?? undefined;
      if (!st || st.phase === "closed" || this.#states.has(ws)) continue;
      this.#states.set(ws, st);
      this.indexed(ws, st);
    }
  }

  /** Accepts the server end of a new socket; tags find a group of sockets without a scan. */
  accept(ws: WebSocket, st: S, tags: string[] = []): void {
    this.ctx.acceptWebSocket(ws, tags);
    this.#states.set(ws, st);
    ws.serializeAttachment(st);
    this.indexed(ws, st);
  }

  /** The socket's state, or undefined for a socket this actor no longer serves. */
  state(ws: WebSocket): S | undefined {
    return this.#states.get(ws);
  }

  /** Writes a changed state to the attachment (what survives hibernation). */
  save(ws: WebSocket, st: S): void {
    ws.serializeAttachment(st);
  }

  /** How many sockets are served. */
  get size(): number {
    return this.#states.size;
  }

  /** Open sockets still served, with their state; `tag` narrows to the sockets accepted with it. */
  *open(tag?: string): Generator<[WebSocket, S]> {
    if (tag === undefined) {
      for (const [ws, st] of this.#states) if (ws.readyState === WebSocket.READY_STATE_OPEN) yield [ws, st];
      return;
    }
    for (const ws of this.ctx.getWebSockets(tag)) {
      const st = this.#states.get(ws);
      if (st && ws.readyState === WebSocket.READY_STATE_OPEN) yield [ws, st];
    }
  }

  /**
   * Closes the open sockets whose access token belongs to one of the login
   * sessions that just ended (signed out, or revoked), with 4101 and
   * `connection.closing{reason:"token_expired"}`: the client's refresh then
   * fails, and it is signed out. `tag` narrows as in `open`. Answers how many closed.
   */
  endSessions(sessionIds: ReadonlySet<string>, tag?: string): number {
    for (const id of sessionIds) this.#endedLately.add(id);
    let closed = 0;
    for (const [ws, st] of [...this.open(tag)]) {
      if (st.tsid === undefined || !sessionIds.has(st.tsid)) continue;
      this.close(ws, st, CloseCode.TOKEN_EXPIRED, "session ended", { reason: "token_expired", retry: true });
      closed++;
    }
    return closed;
  }

  /**
   * Whether a login session's sockets were closed here in the last
   * ENDED_SESSION_MEMORY_MS: an upgrade with a token of it is refused even
   * when the Worker that forwarded it still holds an older standing.
   */
  sessionEndedLately(sessionId: string): boolean {
    return this.#endedLately.has(sessionId);
  }

  /** Records activity; the attachment is written at most every half heartbeat to keep frames cheap. */
  touch(ws: WebSocket, st: S): void {
    const now = Date.now();
    this.#lastFrame.set(ws, now);
    if (now - st.seen > this.#heartbeatMs / 2) {
      st.seen = now;
      this.save(ws, st);
    }
  }

  /** Closes a socket, first telling the client why when a reason is given. */
  close(ws: WebSocket, st: S, code: number, reason: string, closing?: { reason: ClosingReason; retry: boolean }): void {
    if (closing) sendText(ws, encodeFrame("connection.closing", closing));
    try {
      ws.close(code, reason);
    } catch {
      // Already closing.
    }
    this.forget(ws, st, code);
  }

  /** The close event: completes the handshake (never with 1005/1006/1015) and forgets the socket. */
  closed(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(isSendableCloseCode(code) ? code : 1000, reason.slice(0, 120));
    } catch {
      // Already closed.
    }
    const st = this.state(ws);
    if (st) this.forget(ws, st, code);
  }

  /** The error event: the socket is gone. */
  failed(ws: WebSocket, error: string): void {
    const st = this.state(ws);
    if (!st) return;
    this.log("warn", "socket.error", { session_id: st.sid, user_id: st.uid, error });
    this.forget(ws, st, 1011);
  }

  /**
   * Drops a socket, once: its state is marked closed in the attachment, so a
   * close event arriving after a wake is not counted twice.
   */
  forget(ws: WebSocket, st: S, code: number): void {
    if (st.phase === "closed") return;
    const before = { ...st };
    st.phase = "closed";
    try {
      ws.serializeAttachment(st);
    } catch {
      // The socket is gone; the in-memory state is enough until it is dropped.
    }
    this.#states.delete(ws);
    this.unindexed(ws, before);
    this.log("info", "socket.closed", { session_id: st.sid, user_id: st.uid, code });
    this.#onClosed(before, code, ws);
  }

  /** Answers a bad frame; the tenth in a minute closes the socket (4008). */
  badFrame(ws: WebSocket, st: S, error: ParleyError, rid?: string): void {
    sendText(ws, encodeError(error.toBody(), rid));
    const { times, exceeded } = recordBadFrame(st.bad, Date.now(), BAD_FRAME_LIMIT);
    st.bad = times;
    this.save(ws, st);
    this.log("warn", "socket.bad_frame", { session_id: st.sid, user_id: st.uid, code: error.code, error: error.message });
    if (exceeded) this.close(ws, st, CloseCode.POLICY_VIOLATION, "policy violation", { reason: "policy_violation", retry: false });
  }

  /**
   * Heartbeat sweep: closes sockets silent (no frame, no text ping) for more
   * than two intervals with 4202, and sockets whose token expired with 4101
   * (a socket that only listens would otherwise be served past its token's
   * life). Returns how many stay open.
   */
  sweep(now: number): number {
    let open = 0;
    for (const [ws, st] of [...this.open()]) {
      const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      if (now - Math.max(st.seen, this.#lastFrame.get(ws) ?? 0, pinged) > 2 * this.#heartbeatMs) {
        this.log("info", "socket.timeout", { session_id: st.sid, user_id: st.uid });
        this.close(ws, st, CloseCode.HEARTBEAT_TIMEOUT, "heartbeat timeout");
      } else if (st.exp <= now) {
        this.close(ws, st, CloseCode.TOKEN_EXPIRED, "token expired", { reason: "token_expired", retry: true });
      } else {
        open++;
      }
    }
    return open;
  }

  /** A socket entered the index (accepted, or restored after a wake). */
  protected indexed(_ws: WebSocket, _st: S): void {}

  /** A socket left the index; `before` is its state before the close. */
  protected unindexed(_ws: WebSocket, _before: S): void {}
}

/** An error frame of either socket. */
export function encodeError(error: ErrorBody, rid?: string): string {
  return encodeFrame("error", error, rid);
}
