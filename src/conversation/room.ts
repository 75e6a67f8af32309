import { encode, isJoined, sendText, type SocketState } from "./sockets.ts";

/**
 * The sockets of one conversation actor: their state (each socket's
 * attachment, cached in memory and read again after a wake from
 * hibernation), who is online, broadcast, and closing. It knows nothing of
 * messages or members; the actor decides, the room delivers.
 */
export class Room {
  readonly #ctx: DurableObjectState;
  readonly #states = new Map<WebSocket, SocketState>();
  readonly #onClosed: (st: SocketState, code: number) => void;

  constructor(ctx: DurableObjectState, onClosed: (st: SocketState, code: number) => void) {
    this.#ctx = ctx;
    this.#onClosed = onClosed;
  }

  accept(ws: WebSocket, st: SocketState): void {
    // Tagged by user, so a member's sockets are found without a scan.
    this.#ctx.acceptWebSocket(ws, [st.uid]);
    this.save(ws, st);
  }

  /** The socket's state, or undefined for a socket this actor no longer serves. */
  state(ws: WebSocket): SocketState | undefined {
    let st = this.#states.get(ws);
    if (!st) {
      st = (ws.deserializeAttachment() as SocketState | null) ?? undefined;
      if (!st || st.phase === "closed") return undefined;
      this.#states.set(ws, st);
    }
    return st;
  }

  save(ws: WebSocket, st: SocketState): void {
    this.#states.set(ws, st);
    ws.serializeAttachment(st);
  }

  /** Open sockets with their state; `uid` narrows to one user's (by tag). */
  *open(uid?: string): Generator<[WebSocket, SocketState]> {
    for (const ws of uid === undefined ? this.#ctx.getWebSockets() : this.#ctx.getWebSockets(uid)) {
      if (ws.readyState !== WebSocket.READY_STATE_OPEN) continue;
      const st = this.state(ws);
      if (st) yield [ws, st];
    }
  }

  /** Users with at least one joined, open socket (other than `except`). */
  online(except?: WebSocket): Set<string> {
    const users = new Set<string>();
    for (const [ws, st] of this.open()) if (ws !== except && isJoined(st)) users.add(st.uid);
    return users;
  }

  /** Sends a frame to every open, joined socket that `to` selects. */
  broadcast(text: string, to: (st: SocketState, ws: WebSocket) => boolean): void {
    for (const [ws, st] of this.open()) if (isJoined(st) && to(st, ws)) sendText(ws, text);
  }

  /** Closes a socket, first telling the client why when a reason is given. */
  close(
    ws: WebSocket,
    st: SocketState,
    code: number,
    reason: string,
    closing?: { reason: "token_expired" | "removed" | "policy_violation" | "server_shutdown" | "replaced"; retry: boolean },
  ): void {
    if (closing) sendText(ws, encode("connection.closing", closing));
    try {
      ws.close(code, reason);
    } catch {
      // Already closing.
    }
    this.forget(ws, st, code);
  }

  /**
   * Drops a socket from the room, once: the state is marked closed in its
   * attachment, so a close event arriving after a wake is not counted twice.
   */
  forget(ws: WebSocket, st: SocketState, code: number): void {
    if (st.phase === "closed") return;
    const was = { ...st };
    st.phase = "closed";
    try {
      ws.serializeAttachment(st);
    } catch {
      // The socket is gone; the in-memory state is enough until it is dropped.
    }
    this.#states.delete(ws);
    this.#onClosed(was, code);
  }
}
