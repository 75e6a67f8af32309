import { DurableObject } from "cloudflare:workers";
import { verifyAccessToken } from "../auth/tokens.ts";
import type { Env } from "../env.ts";
import {
  CloseCode,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_PAGE_LIMIT,
  MAX_BODY_CHARS,
  MAX_FRAME_BYTES,
  PING_TEXT,
  PONG_TEXT,
  ParleyError,
  SEND_RATE,
  SYNC_RATE,
  TYPING_EXPIRES_MS,
  TYPING_MIN_INTERVAL_MS,
  errorBody,
  parseClientFrame,
  toParleyError,
  type ClientFrame,
  type ConversationView,
  type HistoryPage,
  type HistoryQuery,
  type Member,
  type Message,
  type MessageAck,
  type Receipt,
  type SendData,
} from "../protocol/index.ts";
import { randomId } from "../shared/ids.ts";
import { FORWARDED, refusal } from "../shared/sockets.ts";
import { describeError, log, type LogFields } from "../shared/log.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { DEFAULT_MAX_GROUP_MEMBERS, PRESENCE_FANOUT_MAX_MEMBERS, notificationTargets } from "./members.ts";
import { addMembers, removeMember, setBlock, setRole, setTitle, type MembershipContext } from "./membership.ts";
import { deliverNotifications, deliverOutbox } from "./outbox.ts";
import { Room } from "./room.ts";
import { advanceWatermark, historyWindow, takeToken, type Bucket } from "./rules.ts";
import { encode, encodeError, isJoined, sendText, type SocketState } from "./sockets.ts";
import { ConversationStore } from "./store.ts";


/** Open sockets one user may hold on one conversation. */
export const MAX_SOCKETS_PER_USER = 10;
/** Longest hold of a long-poll request. */
export const MAX_POLL_MS = 30_000;
/**
 * How long a message's inbox updates wait to be delivered, so a burst of
 * messages reaches each member's User actor as one update (the live sockets
 * are not delayed: this is the inbox, the unread counts and previews).
 */
export const INBOX_COALESCE_MS = 250;
/** Long-polls held at once; past it, a poll is answered at once (the client polls again). */
export const MAX_POLLERS = 1000;

export interface CreateInput {
  conversation_id: string;
  kind: "direct" | "group";
  title?: string;
  created_by: string;
  members: Member[];
}

interface PollWaiter {
  afterSeq: number;
  resolve: (page: { messages: Message[]; last_seq: number }) => void;
}

/**
 * One conversation: its sockets, its `seq`, its idempotency keys, its
 * members and its messages. The actor is single-threaded, so
 * `seq = last_seq + 1` needs no lock; every handler below that reads and
 * writes does so without an `await` in between, which makes it atomic with
 * respect to every other event, and its writes commit together before any
 * frame or RPC reply it produced leaves the actor (the output gate).
 */
export class Conversation extends DurableObject<Env> {
  #store!: ConversationStore;
  readonly #room: Room;
  /** Send-rate buckets per user. In memory: a wake from hibernation refills them. */
  readonly #buckets = new Map<string, Bucket>();
  readonly #pollers = new Set<PollWaiter>();
  /** Per-socket sync budgets and per-user last relayed typing.start, in memory. */
  readonly #syncBuckets = new WeakMap<WebSocket, Bucket>();
  readonly #typingAt = new Map<string, number>();
  readonly #heartbeatMs: number;
  readonly #maxMembers: number;
  /** When the stored alarm fires (undefined: none is set). */
  #alarmAt: number | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#heartbeatMs = positiveInt(env.HEARTBEAT_MS, DEFAULT_HEARTBEAT_MS);
    this.#maxMembers = positiveInt(env.MAX_GROUP_MEMBERS, DEFAULT_MAX_GROUP_MEMBERS);
    this.#room = new Room(ctx, this.#heartbeatMs, (before) => this.#closed(before), (level, event, fields) => this.#log(level, event, fields));
    // The runtime answers the text frame "ping" itself, without waking the
    // actor, and records when it did (read back by the heartbeat sweep).
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT));
    void ctx.blockConcurrencyWhile(async () => {
      this.#store = new ConversationStore(ctx.storage);
      this.#alarmAt = (await ctx.storage.getAlarm()) ?? undefined;
    });
  }

  /** What the membership operations (membership.ts) work with. */
  get #membership(): MembershipContext {
    return {
      store: this.#store,
      room: this.#room,
      maxMembers: this.#maxMembers,
      deliverSoon: () => this.#scheduleAlarm(Date.now()),
      log: (level, event, fields) => this.#log(level, event, fields),
    };
  }

  // -------------------------------------------------------------------------
  // RPC (called by the Worker)
  // -------------------------------------------------------------------------

  /** Creates the conversation; for an existing one, returns it unchanged. */
  create(input: CreateInput): Result<{ conversation: ConversationView; created: boolean }> {
    if (input.kind === "direct" && this.#store.isBlocked(input.created_by)) {
      return err(new ParleyError("forbidden", "You cannot start a conversation with this user."));
    }
    if (input.members.length > this.#maxMembers) {
      return err(new ParleyError("conflict", `A group has at most ${this.#maxMembers} members.`));
    }
    const now = Date.now();
    const created = this.#store.create(
      { conversationId: input.conversation_id, kind: input.kind, title: input.title, createdBy: input.created_by, createdAt: now },
      input.members,
      now,
    );
    if (created) {
      this.#store.markDirty("members", now);
      if (input.kind === "group") {
        for (const m of input.members) {
          if (m.user_id === input.created_by) continue;
          this.#store.enqueueNotification({ id: `n:${input.conversation_id}:0:added:${now}`, user_id: m.user_id, kind: "added", seq: 0, created_at: now });
        }
      }
      this.#scheduleAlarm(now);
      this.#log("info", "conversation.created", { kind: input.kind, members: input.members.length });
    } else if (this.#store.meta?.kind !== input.kind) {
      return err(new ParleyError("conflict", "A conversation with this id exists with another kind."));
    }
    return ok({ conversation: this.#store.view(), created });
  }

  /** The conversation as a member sees it. */
  describe(userId: string): Result<ConversationView> {
    return this.#asMember(userId, () => this.#store.view());
  }

  /** A page of history, ascending (`GET …/messages`). */
  history(userId: string, query: HistoryQuery): Result<HistoryPage> {
    return this.#asMember(userId, () => {
      const page = this.#store.page(historyWindow({ ...query, limit: query.limit ?? DEFAULT_PAGE_LIMIT }));
      return { messages: page.messages, has_more: page.hasMore };
    });
  }

  /**
   * A send over REST: same idempotency and broadcast as the socket. A repeat
   * of an accepted message is acknowledged even if its sender was blocked
   * since (`#accept` checks the block after the repeat).
   */
  send(userId: string, input: SendData, requestId?: string): Result<MessageAck> {
    return this.#asMember(userId, () => this.#accept(userId, input, { request_id: requestId }), { allowBlocked: true });
  }

  /** `POST …/read`: the read watermark over REST. */
  markRead(userId: string, upToSeq: number): Result<Receipt> {
    return this.#asMember(userId, () => this.#moveReceipt(userId, "read", upToSeq));
  }

  /**
   * Long-poll fallback: answers at once when anything newer than `afterSeq`
   * exists, otherwise when the next message is accepted or after `timeoutMs`.
   */
  async poll(userId: string, afterSeq: number, timeoutMs: number): Promise<Result<{ messages: Message[]; last_seq: number }>> {
    const denied = this.#denied(userId);
    if (denied) return err(denied);
    if (this.#store.lastSeq > afterSeq || this.#pollers.size >= MAX_POLLERS) return ok(this.#pollPage(afterSeq));
    const page = await new Promise<{ messages: Message[]; last_seq: number }>((resolve) => {
      const waiter: PollWaiter = { afterSeq, resolve };
      this.#pollers.add(waiter);
      setTimeout(() => {
        if (this.#pollers.delete(waiter)) resolve({ messages: [], last_seq: this.#store.lastSeq });
      }, Math.min(Math.max(0, timeoutMs), MAX_POLL_MS));
    });
    return ok(page);
  }

  /** Adds members (groups; admins and the owner). Already present ones are left as they are. */
  addMembers(actorId: string, members: Member[]): Result<{ conversation: ConversationView; added: Member[] }> {
    return this.#asMember(actorId, (actor) => addMembers(this.#membership, actor, members));
  }

  /** Removes a member, or lets one leave (`actorId === targetId`). */
  removeMember(actorId: string, targetId: string): Result<{ conversation: ConversationView }> {
    return this.#asMember(actorId, (actor) => removeMember(this.#membership, actor, targetId));
  }

  /** Changes a member's role; giving "owner" hands the group over. */
  setRole(actorId: string, targetId: string, role: Member["role"]): Result<{ conversation: ConversationView }> {
    return this.#asMember(actorId, (actor) => setRole(this.#membership, actor, targetId, role));
  }

  /** Renames a group. */
  setTitle(actorId: string, title: string): Result<{ conversation: ConversationView }> {
    return this.#asMember(actorId, (actor) => setTitle(this.#membership, actor, title));
  }

  /** Blocks or unblocks in this direct conversation (see membership.ts). */
  setBlock(blocker: string, blocked: string, on: boolean): Result<{ blocked: boolean }> {
    return ok(setBlock(this.#membership, blocker, blocked, on));
  }

  /** One message of this conversation, for a report; only members may cite it. */
  messageForReport(userId: string, seq: number): Result<Message> {
    return this.#asMember(userId, () => {
      const message = this.#messageAt(seq);
      if (!message) throw new ParleyError("not_found", `No message ${seq} in this conversation.`);
      return message;
    });
  }

  // -------------------------------------------------------------------------
  // Sockets
  // -------------------------------------------------------------------------

  /** The WebSocket upgrade, forwarded by the Worker after it authenticated the caller. */
  override async fetch(request: Request): Promise<Response> {
    const userId = request.headers.get(FORWARDED.userId);
    const username = request.headers.get(FORWARDED.username);
    const requestId = request.headers.get(FORWARDED.requestId) ?? randomId("r_", 12);
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return refusal(new ParleyError("bad_request", "Expected a WebSocket upgrade."), 426);
    }
    if (!userId || !username) return refusal(new ParleyError("unauthorized", "Missing identity."));
    const denied = this.#denied(userId);
    if (denied) return refusal(denied);
    if ([...this.#room.open(userId)].length >= MAX_SOCKETS_PER_USER) {
      return refusal(new ParleyError("rate_limited", `At most ${MAX_SOCKETS_PER_USER} open sockets per user and conversation.`, { retryAfterMs: 5000 }));
    }

    const pair = new WebSocketPair();
    const now = Date.now();
    const st: SocketState = {
      sid: randomId("s_", 16),
      uid: userId,
      uname: username,
      exp: Number(request.headers.get(FORWARDED.tokenExp) ?? 0),
      phase: "new",
      bad: [],
      seen: now,
      req: requestId,
    };
    this.#room.accept(pair[1], st, [userId]);
    this.#scheduleAlarm(now + this.#heartbeatMs);
    this.#log("info", "socket.connected", { session_id: st.sid, user_id: userId, request_id: requestId });
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const st = this.#room.state(ws);
    if (!st) return;
    this.#room.touch(ws, st);
    const parsed = parseClientFrame(raw);
    if (!parsed.ok) return this.#room.badFrame(ws, st, parsed.error, parsed.rid);
    const frame = parsed.frame;
    try {
      if (frame.type !== "auth.refresh" && st.exp <= Date.now()) {
        return this.#room.close(ws, st, CloseCode.TOKEN_EXPIRED, "token expired", { reason: "token_expired", retry: true });
      }
      await this.#dispatch(ws, st, frame);
    } catch (e) {
      const error = toParleyError(e);
      this.#log(error.code === "internal" ? "error" : "warn", "socket.request_failed", {
        session_id: st.sid, user_id: st.uid, type: frame.type, code: error.code, error: describeError(e),
      });
      sendText(ws, encodeError(error.toBody(), frame.rid));
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.#room.closed(ws, code, reason);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.#room.failed(ws, describeError(error));
  }

  /** Two duties: the heartbeat sweep and the delivery of the outbox. */
  override async alarm(): Promise<void> {
    this.#alarmAt = undefined;
    const open = this.#room.sweep(Date.now());
    if (this.#store.meta) {
      await deliverOutbox(
        this.#store,
        (userId, update) => this.env.USER.get(this.env.USER.idFromName(userId)).applyConversation(update),
        (userId, attempts, error) => this.#log("warn", "outbox.delivery_failed", { target_id: userId, attempts, error }),
        PRESENCE_FANOUT_MAX_MEMBERS,
      );
      await deliverNotifications(
        this.#store,
        this.#store.meta.conversationId,
        (userId, n) => this.env.USER.get(this.env.USER.idFromName(userId)).notify(n),
        (userId, attempts, error) => this.#log("warn", "notification.delivery_failed", { target_id: userId, attempts, error }),
      );
    }
    const next = [open > 0 ? Date.now() + this.#heartbeatMs : undefined, this.#store.nextOutboxAt()]
      .filter((t): t is number => t !== undefined);
    if (next.length > 0) this.#scheduleAlarm(Math.min(...next));
  }

  // -------------------------------------------------------------------------
  // Frame handlers
  // -------------------------------------------------------------------------

  async #dispatch(ws: WebSocket, st: SocketState, frame: ClientFrame): Promise<void> {
    const rid = frame.rid;
    if (st.phase === "new" && frame.type !== "hello") {
      return this.#room.badFrame(ws, st, new ParleyError("handshake_required", "Send hello first."), rid);
    }
    switch (frame.type) {
      case "hello":
        if (st.phase !== "new") return this.#room.badFrame(ws, st, new ParleyError("bad_request", "type: hello was already received."), rid);
        st.phase = "ready";
        this.#room.save(ws, st);
        sendText(ws, encode("hello.ack", {
          session_id: st.sid,
          user_id: st.uid,
          conversation_id: this.#store.view().id,
          server_time: Date.now(),
          heartbeat_ms: this.#heartbeatMs,
          limits: { max_body_chars: MAX_BODY_CHARS, max_frame_bytes: MAX_FRAME_BYTES, send_rate: { ...SEND_RATE } },
        }, rid));
        return;
      case "ping":
        sendText(ws, encode("pong", { server_time: Date.now() }, rid));
        return;
      case "auth.refresh":
        return this.#refresh(ws, st, frame.data.access_token, rid);
      case "conversation.join":
        return this.#join(ws, st, frame.data, rid);
    }
    if (!isJoined(st)) {
      return this.#room.badFrame(ws, st, new ParleyError("not_joined", `Send conversation.join before ${frame.type}.`), rid);
    }
    switch (frame.type) {
      case "message.send":
        this.#accept(st.uid, frame.data, { session_id: st.sid }, ws, rid);
        return;
      case "sync": {
        const taken = takeToken(this.#syncBuckets.get(ws), Date.now(), SYNC_RATE);
        this.#syncBuckets.set(ws, taken.bucket);
        if (!taken.ok) throw new ParleyError("rate_limited", `At most ${SYNC_RATE.messages} sync requests per ${SYNC_RATE.per_ms / 1000} s.`, { retryAfterMs: taken.retryAfterMs });
        const page = this.#store.page({ direction: "forward", after: frame.data.after_seq, before: undefined, limit: frame.data.limit ?? DEFAULT_PAGE_LIMIT });
        sendText(ws, encode("messages.batch", { messages: page.messages, has_more: page.hasMore }, rid));
        if (st.phase === "replaying" && !page.hasMore) {
          // The replay reached the end inside this same event: from here on,
          // live delivery takes over with no message in between.
          st.phase = "live";
          this.#room.save(ws, st);
        }
        return;
      }
      case "typing.start":
      case "typing.stop": {
        const state = frame.type === "typing.start" ? "start" : "stop";
        // Relayed to every member: a refresh faster than the interval is dropped, so one
        // client cannot turn a burst of frames into a burst for everyone.
        const now = Date.now();
        if (state === "start" && now - (this.#typingAt.get(st.uid) ?? 0) < TYPING_MIN_INTERVAL_MS) return;
        if (state === "start") this.#typingAt.set(st.uid, now);
        else this.#typingAt.delete(st.uid);
        const text = encode("typing", { user_id: st.uid, state, expires_in_ms: state === "start" ? TYPING_EXPIRES_MS : 0 });
        this.#room.broadcast(text, (other) => other.uid !== st.uid);
        return;
      }
      case "receipt.read":
      case "receipt.delivered": {
        const receipt = this.#moveReceipt(st.uid, frame.type === "receipt.read" ? "read" : "delivered", frame.data.up_to_seq, ws);
        sendText(ws, encode("receipt.updated", receipt, rid));
        return;
      }
    }
  }

  #join(ws: WebSocket, st: SocketState, data: { after_seq?: number; limit?: number }, rid?: string): void {
    if (isJoined(st)) {
      sendText(ws, encodeError(errorBody("conflict", "This socket has already joined; reconnect to join again."), rid));
      return;
    }
    const wasOnline = this.#room.online().has(st.uid);
    st.phase = data.after_seq !== undefined ? "replaying" : "live";
    sendText(ws, encode("conversation.joined", {
      conversation: this.#store.view(),
      online: [...this.#room.online()],
      receipts: this.#store.receipts(),
    }, rid));
    if (data.after_seq !== undefined) {
      const page = this.#store.page({ direction: "forward", after: data.after_seq, before: undefined, limit: data.limit ?? DEFAULT_PAGE_LIMIT });
      sendText(ws, encode("messages.batch", { messages: page.messages, has_more: page.hasMore }, rid));
      if (!page.hasMore) st.phase = "live";
    }
    this.#room.save(ws, st);
    if (!wasOnline) {
      this.#room.broadcast(encode("presence", { user_id: st.uid, status: "online" }), (other, w) => w !== ws && other.uid !== st.uid);
    }
    this.#log("info", "socket.joined", { session_id: st.sid, user_id: st.uid, after_seq: data.after_seq, phase: st.phase });
  }

  /**
   * Accepts a message (socket or REST): idempotency check, rate limit,
   * append with the next `seq`, outbox, ack, broadcast. Synchronous from the
   * check to the broadcast, so nothing interleaves; the ack and `message.new`
   * leave only after the write is durable, because the output gate holds
   * every outgoing frame and RPC reply until storage confirms it.
   */
  #accept(userId: string, input: SendData, ids: LogFields, ws?: WebSocket, rid?: string): MessageAck {
    const prior = this.#store.findByClientId(userId, input.client_msg_id);
    if (prior) {
      const ack = toAck(prior, true);
      if (ws) sendText(ws, encode("message.ack", ack, rid));
      return ack;
    }
    if (this.#store.meta?.kind === "direct" && this.#store.isBlocked(userId)) {
      throw new ParleyError("forbidden", "You cannot write in this conversation.");
    }
    if (input.reply_to_seq !== undefined && input.reply_to_seq > this.#store.lastSeq) {
      throw new ParleyError("bad_request", `data.reply_to_seq: no message ${input.reply_to_seq} in this conversation.`);
    }
    // Last check before the write, so a refused send spends no token.
    const now = Date.now();
    const taken = takeToken(this.#buckets.get(userId), now, SEND_RATE);
    this.#buckets.set(userId, taken.bucket);
    if (!taken.ok) {
      throw new ParleyError("rate_limited", `At most ${SEND_RATE.messages} messages per ${SEND_RATE.per_ms / 1000} s.`, { retryAfterMs: taken.retryAfterMs });
    }
    const message = this.#store.append({
      server_msg_id: randomId("m_", 20),
      client_msg_id: input.client_msg_id,
      sender_id: userId,
      body: input.body,
      created_at: now,
      ...(input.reply_to_seq !== undefined ? { reply_to_seq: input.reply_to_seq } : {}),
    });
    // Inbox updates of a busy conversation coalesce: one delivery per member per window.
    this.#store.markDirty("members", now + INBOX_COALESCE_MS);
    // Notifications are due at once; most messages have none, and then cost no scan of the members.
    let notified = false;
    if (input.reply_to_seq !== undefined || input.body.includes("@")) {
      const replied = input.reply_to_seq === undefined ? undefined : this.#messageAt(input.reply_to_seq)?.sender_id;
      for (const t of notificationTargets(input.body, userId, this.#store.members(), replied)) {
        if (this.#store.meta?.kind === "direct" && this.#store.isBlocked(t.user_id)) continue;
        this.#store.enqueueNotification({ id: `n:${message.conversation_id}:${message.seq}:${t.kind}`, user_id: t.user_id, kind: t.kind, seq: message.seq, created_at: now });
        notified = true;
      }
    }
    this.#scheduleAlarm(notified ? now : now + INBOX_COALESCE_MS);
    const ack = toAck(message, false);
    if (ws) sendText(ws, encode("message.ack", ack, rid));
    this.#room.broadcast(encode("message.new", { message }), (other) => other.phase === "live");
    for (const waiter of this.#pollers) {
      this.#pollers.delete(waiter);
      waiter.resolve(this.#pollPage(waiter.afterSeq));
    }
    this.#log("info", "message.accepted", { ...ids, user_id: userId, seq: message.seq });
    return ack;
  }

  /** Moves a receipt watermark; reading implies delivery. Tells others only when it moved. */
  #moveReceipt(userId: string, kind: "read" | "delivered", upTo: number, origin?: WebSocket): Receipt {
    const member = this.#store.member(userId);
    if (!member) throw new ParleyError("forbidden", "You are no longer a member of this conversation.");
    const last = this.#store.lastSeq;
    const read = kind === "read" ? advanceWatermark(member.read_seq, upTo, last) : member.read_seq;
    const delivered = advanceWatermark(member.delivered_seq, Math.max(read, kind === "delivered" ? upTo : 0), last);
    const receipt = { user_id: userId, read_seq: read, delivered_seq: delivered };
    const readMoved = read !== member.read_seq;
    if (readMoved || delivered !== member.delivered_seq) {
      this.#store.setReceipts(userId, read, delivered);
      this.#room.broadcast(encode("receipt.updated", receipt), (_, w) => w !== origin);
      // The unread count of this member's inbox changed.
      if (readMoved) {
        this.#store.markDirty([userId], Date.now());
        this.#scheduleAlarm(Date.now());
      }
    }
    return receipt;
  }

  async #refresh(ws: WebSocket, st: SocketState, token: string, rid?: string): Promise<void> {
    const principal = await verifyAccessToken(this.env.AUTH_SECRET, token);
    if (principal.userId !== st.uid) {
      sendText(ws, encodeError(errorBody("forbidden", "The new token belongs to another user."), rid));
      this.#room.close(ws, st, CloseCode.FORBIDDEN, "token of another user");
      return;
    }
    st.exp = principal.expiresAt;
    this.#room.save(ws, st);
    sendText(ws, encode("auth.refreshed", { expires_at: principal.expiresAt }, rid));
  }

  // -------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------

  /** Why `userId` may not use this conversation, if they may not. */
  #denied(userId: string, options: { allowBlocked?: boolean } = {}): ParleyError | undefined {
    if (!this.#store.meta) return new ParleyError("not_found", "No such conversation.");
    if (!this.#store.member(userId)) return new ParleyError("forbidden", "You are not a member of this conversation.");
    if (!options.allowBlocked && this.#store.meta.kind === "direct" && this.#store.isBlocked(userId)) {
      return new ParleyError("forbidden", "You cannot open this conversation.");
    }
    return undefined;
  }

  /** Runs an RPC body for a member; any ParleyError becomes the Result's error. */
  #asMember<T>(userId: string, body: (member: Member) => T, options: { allowBlocked?: boolean } = {}): Result<T> {
    const denied = this.#denied(userId, options);
    if (denied) return err(denied);
    try {
      return ok(body(this.#store.member(userId)!));
    } catch (e) {
      const error = toParleyError(e);
      if (error.code === "internal") this.#log("error", "rpc.fault", { user_id: userId, error: describeError(e) });
      return err(error);
    }
  }

  #messageAt(seq: number): Message | undefined {
    return this.#store.page({ direction: "forward", after: seq - 1, before: seq + 1, limit: 1 }).messages[0];
  }

  #pollPage(afterSeq: number): { messages: Message[]; last_seq: number } {
    const page = this.#store.page({ direction: "forward", after: afterSeq, before: undefined, limit: DEFAULT_PAGE_LIMIT });
    return { messages: page.messages, last_seq: this.#store.lastSeq };
  }

  /** A socket left the room: the member goes offline with their last joined socket. */
  #closed(st: SocketState): void {
    if (isJoined(st) && !this.#room.online().has(st.uid)) {
      this.#room.broadcast(encode("presence", { user_id: st.uid, status: "offline", last_seen_at: Date.now() }), () => true);
    }
  }

  /** Brings the alarm forward to `at` (never pushes it back). */
  #scheduleAlarm(at: number): void {
    at = Math.max(at, Date.now()); // rows due "now" are stored with next_at 0
    if (this.#alarmAt !== undefined && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  #log(level: "info" | "warn" | "error", event: string, fields: LogFields): void {
    const id = this.#store?.meta?.conversationId;
    log(level, event, { actor: `Conversation:${id ?? this.ctx.id.toString()}`, conversation_id: id, ...fields });
  }
}

function toAck(message: Message, duplicate: boolean): MessageAck {
  return {
    client_msg_id: message.client_msg_id,
    server_msg_id: message.server_msg_id,
    seq: message.seq,
    created_at: message.created_at,
    duplicate,
  };
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}
