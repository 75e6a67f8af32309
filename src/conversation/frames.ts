/**
 * The socket frame handlers of a conversation that are not the send path or
 * message changes: `conversation.join`, `sync` (the replay and its budget,
 * §22.11), typing and receipts. Owns the in-memory budgets these spend (per
 * user replay, per socket typing) and each user's typing as last relayed;
 * one instance lives as long as its Conversation actor.
 */
import {
  DEFAULT_PAGE_LIMIT,
  ParleyError,
  SYNC_MIN_COST,
  TYPING_EXPIRES_MS,
  TYPING_MIN_INTERVAL_MS,
  errorBody,
  type Member,
  type Message,
  type Receipt,
} from "../protocol/index.ts";
import type { Config } from "../shared/config.ts";
import type { Logger } from "../shared/log.ts";
import { HIDE_TYPING, hides } from "../shared/privacy.ts";
import { takeToken, type Bucket } from "../shared/rules.ts";
import { INBOX_COALESCE_MS, type InboxFanout } from "./fanout.ts";
import { joinedData } from "./join.ts";
import { LARGE_ROOM_MEMBERS } from "./members.ts";
import type { Room } from "./room.ts";
import { advanceWatermark, chargeReplay, replayAllowance, typingRelay, type TypingState } from "./rules.ts";
import { encode, encodeError, isJoined, sendText, type SocketState } from "./sockets.ts";
import type { ConversationStore } from "./store.ts";

/** What the frame handlers work with. */
export interface FrameContext {
  store: ConversationStore;
  fanout: InboxFanout;
  room: Room;
  config: Config;
  log: Logger;
  schedule: (at: number) => void;
}

/** Whether the room is large: its presence and receipts are batched. */
export function isLarge(store: ConversationStore): boolean {
  return store.memberCount > LARGE_ROOM_MEMBERS;
}

/** The member behind a joined socket (a removed member's sockets are closed, so one is always found). */
export function memberOf(store: ConversationStore, userId: string): Member {
  const member = store.member(userId);
  if (!member) throw new ParleyError("forbidden", "You are no longer a member of this conversation.");
  return member;
}

export class FrameHandlers {
  /** Per-user replay budgets (§22.11), per-socket typing budgets, and each user's typing as last relayed, in memory. */
  readonly #replayBuckets = new Map<string, Bucket>();
  readonly #typingBuckets = new WeakMap<WebSocket, Bucket>();
  readonly #typists = new Map<string, TypingState>();

  readonly #c: FrameContext;

  constructor(c: FrameContext) {
    this.#c = c;
  }

  join(ws: WebSocket, st: SocketState, data: { after_seq?: number; after_rev?: number; limit?: number }, rid?: string): void {
    const { store, room } = this.#c;
    if (isJoined(st)) {
      sendText(ws, encodeError(errorBody("conflict", "This socket has already joined; reconnect to join again."), rid));
      return;
    }
    const wasOnline = room.isOnline(st.uid);
    const replay = data.after_seq !== undefined || data.after_rev !== undefined;
    // Over the replay budget, the join is refused before anything changes:
    // the socket stays unjoined and may send the join again after the wait.
    const limit = replay ? this.#replayLimit(st.uid, data.limit ?? DEFAULT_PAGE_LIMIT) : 0;
    room.setPhase(ws, st, replay ? "replaying" : "live");
    sendText(ws, encode("conversation.joined", joinedData(store, room, st.uid), rid));
    if (replay) {
      const page = this.#replayPage(data, limit, st.uid);
      sendText(ws, encode("messages.batch", { messages: page.messages, has_more: page.hasMore }, rid));
      // The replay reached the end inside this same event: from here on,
      // live delivery takes over with no message in between.
      if (!page.hasMore) room.setPhase(ws, st, "live");
    }
    if (!wasOnline) room.presence({ user_id: st.uid, status: "online" }, isLarge(store), ws);
    this.#c.log("info", "socket.joined", { session_id: st.sid, user_id: st.uid, after_seq: data.after_seq, after_rev: data.after_rev, phase: st.phase });
  }

  sync(ws: WebSocket, st: SocketState, data: { after_seq?: number; after_rev?: number; limit?: number }, rid?: string): void {
    const limit = this.#replayLimit(st.uid, data.limit ?? DEFAULT_PAGE_LIMIT);
    const page = this.#replayPage(data, limit, st.uid);
    sendText(ws, encode("messages.batch", { messages: page.messages, has_more: page.hasMore }, rid));
    // The replay reached the end inside this same event: live delivery takes over with no gap.
    if (st.phase === "replaying" && !page.hasMore) this.#c.room.setPhase(ws, st, "live");
  }

  /**
   * The page size a replay request of this user may have now (§22.11): the
   * limit asked for, cut to the user's replay budget in this conversation
   * (SYNC_BUDGET, messages delivered, shared by all their sockets, so a new
   * socket does not start a new budget). Refused with `rate_limited` and the
   * wait when not even SYNC_MIN_COST is left.
   */
  #replayLimit(userId: string, requested: number): number {
    const rate = this.#c.config.syncBudget;
    const allowed = replayAllowance(this.#replayBuckets.get(userId), Date.now(), rate, requested, SYNC_MIN_COST);
    this.#replayBuckets.set(userId, allowed.bucket);
    if (!allowed.ok) {
      throw new ParleyError("rate_limited", `At most ${rate.messages} replayed messages per ${rate.per_ms / 1000} s; try again later.`, { retryAfterMs: allowed.retryAfterMs });
    }
    return allowed.limit;
  }

  /**
   * A page of the replay: messages after a seq (v1), or every message
   * changed after a rev (v1.1), ascending by that cursor; charged to the
   * user's replay budget by what it delivered.
   */
  #replayPage(cursor: { after_seq?: number; after_rev?: number }, limit: number, userId: string): { messages: Message[]; hasMore: boolean } {
    const store = this.#c.store;
    const page = cursor.after_rev !== undefined ? store.messages.byRev(cursor.after_rev, limit) : store.messages.bySeq(cursor.after_seq ?? 0, undefined, limit, false);
    const bucket = this.#replayBuckets.get(userId);
    if (bucket) this.#replayBuckets.set(userId, chargeReplay(bucket, page.messages.length, SYNC_MIN_COST));
    return page;
  }

  /**
   * Typing is relayed to every member, so one client must not turn a burst
   * of frames into a burst for everyone. Each socket has a budget of typing
   * frames (TYPING_RATE; past it a frame is dropped unanswered: typing frames
   * never have an answer), and per user a start is relayed at most once per
   * interval and a stop only after a relayed start (typingRelay).
   */
  typing(ws: WebSocket, st: SocketState, state: "start" | "stop"): void {
    const now = Date.now();
    const taken = takeToken(this.#typingBuckets.get(ws), now, this.#c.config.typingRate);
    this.#typingBuckets.set(ws, taken.bucket);
    if (!taken.ok) return;
    // A member who does not share typing (share_typing: false) is never relayed.
    if (hides(this.#c.store.member(st.uid)?.privacy, HIDE_TYPING)) return;
    const { relay, next } = typingRelay(this.#typists.get(st.uid), state, now, TYPING_MIN_INTERVAL_MS);
    if (next) this.#typists.set(st.uid, next);
    else this.#typists.delete(st.uid);
    if (!relay) return;
    const text = encode("typing", { user_id: st.uid, state, expires_in_ms: state === "start" ? TYPING_EXPIRES_MS : 0 });
    this.#c.room.broadcast(text, (other) => other.uid !== st.uid);
  }

  /**
   * Moves a receipt watermark; reading implies delivery. Tells the others
   * only when it moved (batched in large rooms). A moved read watermark
   * changes the member's unread count: their inbox learns it from their own
   * outbox row, coalesced with the next ones.
   */
  moveReceipt(userId: string, kind: "read" | "delivered", upTo: number, origin?: WebSocket): Receipt {
    const { store, fanout } = this.#c;
    const member = store.member(userId);
    if (!member) throw new ParleyError("forbidden", "You are no longer a member of this conversation.");
    const last = store.lastSeq;
    const read = kind === "read" ? advanceWatermark(member.read_seq, upTo, last) : member.read_seq;
    const delivered = advanceWatermark(member.delivered_seq, Math.max(read, kind === "delivered" ? upTo : 0), last);
    const receipt = { user_id: userId, read_seq: read, delivered_seq: delivered };
    const readMoved = read !== member.read_seq;
    const deliveredMoved = delivered !== member.delivered_seq;
    if (!readMoved && !deliveredMoved) return receipt;
    const now = Date.now();
    store.transaction(() => {
      store.setReceipts(userId, read, delivered);
      if (readMoved) fanout.owe([userId], now + INBOX_COALESCE_MS);
    });
    this.#c.room.receipt({ receipt, deliveredMoved }, isLarge(store), origin);
    if (readMoved) this.#c.schedule(now + INBOX_COALESCE_MS);
    return receipt;
  }
}
