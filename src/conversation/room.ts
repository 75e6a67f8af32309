import type { Receipt } from "../protocol/index.ts";
import { SocketRegistry } from "../shared/sockets.ts";
import { encode, isJoined, sendText, type SocketState } from "./sockets.ts";

/** How long presence and receipt changes of a large room gather before they go out as one batch frame. */
export const ROOM_BATCH_MS = 1000;

type PresenceUpdate = { user_id: string; status: "online" | "offline"; last_seen_at?: number };

/**
 * The sockets of one conversation actor: the shared socket mechanics, plus
 * who is online and the broadcasts to joined sockets. It knows nothing of
 * messages or members; the actor decides, the room delivers. Sockets are
 * tagged by user, so a member's sockets are found without a scan.
 *
 * Two indices are kept in memory and in step with every accept, phase
 * change and close: the joined sockets (every broadcast walks only these)
 * and the number of joined sockets per user (who is online), so a join or a
 * message costs no pass over the other sockets beyond the delivery itself.
 */
export class Room extends SocketRegistry<SocketState> {
  readonly #joined = new Map<WebSocket, SocketState>();
  readonly #onlineCount = new Map<string, number>();
  /** Presence and receipt changes waiting for the batch of a large room. */
  #pendingPresence = new Map<string, PresenceUpdate>();
  #pendingReceipts = new Map<string, Receipt>();
  /** What each pending user's presence was when its first change of the window came (a reversal inside the window sends nothing). */
  #presenceBefore = new Map<string, "online" | "offline">();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;

  /** Users with at least one joined, open socket. */
  online(): IterableIterator<string> {
    return this.#onlineCount.keys();
  }

  onlineCount(): number {
    return this.#onlineCount.size;
  }

  isOnline(userId: string): boolean {
    return this.#onlineCount.has(userId);
  }

  /** Joined sockets, with their states. */
  joined(): IterableIterator<[WebSocket, SocketState]> {
    return this.#joined.entries();
  }

  /** Moves a socket to a new phase, keeping the indices right; saves the attachment. */
  setPhase(ws: WebSocket, st: SocketState, phase: SocketState["phase"]): void {
    const was = isJoined(st);
    st.phase = phase;
    const is = isJoined(st);
    if (!was && is) this.#enter(ws, st);
    else if (was && !is) this.#leave(ws, st);
    this.save(ws, st);
  }

  /** Sends a frame to every open, joined socket that `to` selects (all of them without `to`). */
  broadcast(text: string, to?: (st: SocketState, ws: WebSocket) => boolean): void {
    for (const [ws, st] of this.#joined) if (!to || to(st, ws)) sendText(ws, text);
  }

  /** Sends a frame to every live socket (joined and past the replay): `message.new`. */
  broadcastLive(text: string): void {
    for (const [ws, st] of this.#joined) if (st.phase === "live") sendText(ws, text);
  }

  /**
   * A member came online or went offline. Small rooms hear it at once, as
   * `presence`; large rooms in the next batch, where a change reversed inside
   * the window (a reconnect) goes nowhere.
   */
  presence(update: PresenceUpdate, large: boolean, except?: WebSocket): void {
    if (!large) {
      const text = encode("presence", update);
      this.broadcast(text, (st, ws) => ws !== except && st.uid !== update.user_id);
      return;
    }
    if (!this.#presenceBefore.has(update.user_id)) {
      this.#presenceBefore.set(update.user_id, update.status === "online" ? "offline" : "online");
    }
    this.#pendingPresence.set(update.user_id, update);
    this.#flushSoon();
  }

  /** A receipt moved: at once in small rooms (to all but `except`), batched in large ones. */
  receipt(receipt: Receipt, large: boolean, except?: WebSocket): void {
    if (!large) {
      this.broadcast(encode("receipt.updated", receipt), (_st, ws) => ws !== except);
      return;
    }
    this.#pendingReceipts.set(receipt.user_id, receipt);
    this.#flushSoon();
  }

  /** Sends what the batch window gathered: one frame of each kind to every joined socket. */
  flush(): void {
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const presence = [...this.#pendingPresence.values()].filter((u) => this.#presenceBefore.get(u.user_id) !== u.status);
    const receipts = [...this.#pendingReceipts.values()];
    this.#pendingPresence = new Map();
    this.#presenceBefore = new Map();
    this.#pendingReceipts = new Map();
    if (presence.length > 0) this.broadcast(encode("presence.batch", { updates: presence }));
    if (receipts.length > 0) this.broadcast(encode("receipts.batch", { receipts }));
  }

  protected override indexed(ws: WebSocket, st: SocketState): void {
    if (isJoined(st)) this.#enter(ws, st);
  }

  protected override unindexed(ws: WebSocket, before: SocketState): void {
    if (isJoined(before)) this.#leave(ws, before);
  }

  #flushSoon(): void {
    // A timer, not the alarm: a lost batch (the actor evicted inside the
    // window) costs a stale presence dot, never a message, and the alarm is
    // storage. The timer keeps the actor awake for at most the window.
    this.#flushTimer ??= setTimeout(() => this.flush(), ROOM_BATCH_MS);
  }

  #enter(ws: WebSocket, st: SocketState): void {
    this.#joined.set(ws, st);
    this.#onlineCount.set(st.uid, (this.#onlineCount.get(st.uid) ?? 0) + 1);
  }

  #leave(ws: WebSocket, st: SocketState): void {
    if (!this.#joined.delete(ws)) return;
    const n = (this.#onlineCount.get(st.uid) ?? 1) - 1;
    if (n > 0) this.#onlineCount.set(st.uid, n);
    else this.#onlineCount.delete(st.uid);
  }
}
