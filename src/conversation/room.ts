import type { Receipt } from "../protocol/index.ts";
import { HIDE_PRESENCE, HIDE_READ_RECEIPTS, hides, receiptFor } from "../shared/privacy.ts";
import { SocketRegistry } from "../shared/sockets.ts";
import { encode, isJoined, sendText, type SocketState } from "./sockets.ts";

/** How long presence and receipt changes of a large room gather before they go out as one batch frame. */
export const ROOM_BATCH_MS = 1000;

type PresenceUpdate = { user_id: string; status: "online" | "offline"; last_seen_at?: number };

/** A receipt that moved, and whether its delivery watermark did (what those who may not see reads are told of). */
export interface ReceiptMove {
  receipt: Receipt;
  deliveredMoved: boolean;
}

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
  #pendingReceipts = new Map<string, ReceiptMove>();
  /** Members' privacy masks (src/shared/privacy.ts), non-zero ones only: what each does not share. */
  readonly #masks = new Map<string, number>();
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

  /** Online users others may see: those who share their presence. */
  *visibleOnline(): Generator<string> {
    for (const id of this.#onlineCount.keys()) if (!this.hidesPresence(id)) yield id;
  }

  visibleOnlineCount(): number {
    let n = 0;
    for (const _ of this.visibleOnline()) n++;
    return n;
  }

  /** Records what a member does not share; the actor keeps it in step with the members' stored masks. */
  setPrivacy(userId: string, mask: number | null): void {
    if (mask) this.#masks.set(userId, mask);
    else this.#masks.delete(userId);
  }

  maskOf(userId: string): number {
    return this.#masks.get(userId) ?? 0;
  }

  hidesPresence(userId: string): boolean {
    return hides(this.#masks.get(userId), HIDE_PRESENCE);
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
   * the window (a reconnect) goes nowhere. Nothing is said of a member who
   * does not share their presence, unless `force` (the actor announcing
   * that they stopped or started sharing it).
   */
  presence(update: PresenceUpdate, large: boolean, except?: WebSocket, force = false): void {
    if (!force && this.hidesPresence(update.user_id)) return;
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

  /**
   * A receipt moved: at once in small rooms (to all but `except`), batched in
   * large ones. Each socket gets it as its reader may see it (receiptFor: the
   * read watermark hidden when the owner or the reader does not share read
   * receipts), and a reader who may not see reads hears of a move only when
   * the delivery watermark moved: a frame at the moment of a read would tell
   * the read.
   */
  receipt(move: ReceiptMove, large: boolean, except?: WebSocket): void {
    if (!large) {
      const full = encode("receipt.updated", move.receipt);
      let masked: string | undefined;
      for (const [ws, st] of this.#joined) {
        if (ws === except) continue;
        const seen = this.#visibleReceipt(move, st.uid);
        if (!seen) continue;
        sendText(ws, seen === move.receipt ? full : (masked ??= encode("receipt.updated", seen)));
      }
      return;
    }
    const prior = this.#pendingReceipts.get(move.receipt.user_id);
    this.#pendingReceipts.set(move.receipt.user_id, { receipt: move.receipt, deliveredMoved: move.deliveredMoved || (prior?.deliveredMoved ?? false) });
    this.#flushSoon();
  }

  /** A receipt as `viewerId` may see it, or undefined when they are to hear nothing of this move. */
  #visibleReceipt(move: ReceiptMove, viewerId: string): Receipt | undefined {
    const seen = receiptFor(move.receipt, this.maskOf(move.receipt.user_id), viewerId, this.maskOf(viewerId));
    if (seen === move.receipt) return seen;
    return move.deliveredMoved ? seen : undefined;
  }

  /** Sends what the batch window gathered: one frame of each kind to every joined socket. */
  flush(): void {
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const presence = [...this.#pendingPresence.values()].filter((u) => this.#presenceBefore.get(u.user_id) !== u.status);
    const moves = [...this.#pendingReceipts.values()];
    this.#pendingPresence = new Map();
    this.#presenceBefore = new Map();
    this.#pendingReceipts = new Map();
    if (presence.length > 0) this.broadcast(encode("presence.batch", { updates: presence }));
    if (moves.length > 0) this.#flushReceipts(moves);
  }

  /**
   * One `receipts.batch` per socket, each as its reader may see the moves.
   * Readers differ only in whether they see reads and in their own receipt,
   * so the frames are built once per kind of reader, not once per socket.
   */
  #flushReceipts(moves: ReceiptMove[]): void {
    const mine = new Set(moves.map((m) => m.receipt.user_id));
    const built = new Map<string, string | null>();
    for (const [ws, st] of this.#joined) {
      const key = `${hides(this.#masks.get(st.uid), HIDE_READ_RECEIPTS) ? 1 : 0}:${mine.has(st.uid) ? st.uid : ""}`;
      let text = built.get(key);
      if (text === undefined) {
        const receipts = moves.map((m) => this.#visibleReceipt(m, st.uid)).filter((r): r is Receipt => r !== undefined);
        text = receipts.length > 0 ? encode("receipts.batch", { receipts }) : null;
        built.set(key, text);
      }
      if (text !== null) sendText(ws, text);
    }
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
