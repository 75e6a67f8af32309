import { DurableObject } from "cloudflare:workers";
import { verifyAccessToken } from "../auth/tokens.ts";
import type { Env } from "../env.ts";
import {
  BAD_FRAME_LIMIT,
  CloseCode,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_PAGE_LIMIT,
  MAX_BODY_CHARS,
  MAX_FRAME_BYTES,
  PING_TEXT,
  PONG_TEXT,
  ParleyError,
  SEND_RATE,
  TYPING_EXPIRES_MS,
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
  type SendData,
} from "../protocol/index.ts";
import { randomId } from "../shared/ids.ts";
import { describeError, log, type LogFields } from "../shared/log.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { advanceWatermark, historyWindow, recordBadFrame, takeToken, type Bucket } from "./rules.ts";
import { encode, encodeError, isJoined, sendText, type SocketState } from "./sockets.ts";
import { ConversationStore } from "./store.ts";

/** Headers the Worker sets on the upgrade it forwards; it strips any a client sent. */
export const FORWARDED = {
  userId: "x-parley-user-id",
  username: "x-parley-username",
  tokenExp: "x-parley-token-exp",
  requestId: "x-parley-request-id",
} as const;

export interface CreateInput {
  conversation_id: string;
  kind: "direct" | "group";
  title?: string;
  created_by: string;
  members: Member[];
}

/**
 * One conversation: its sockets, its `seq`, its idempotency keys and its
 * messages. The actor is single-threaded, so `seq = last_seq + 1` needs no
 * lock; every handler below that reads and writes does so without an `await`
 * in between, which makes it atomic with respect to every other event.
 */
export class Conversation extends DurableObject<Env> {
  #store!: ConversationStore;
  /** Attachments of open sockets, read once after each wake from hibernation. */
  readonly #sockets = new Map<WebSocket, SocketState>();
  /** Send-rate buckets per user. In memory: a wake from hibernation refills them. */
  readonly #buckets = new Map<string, Bucket>();
  readonly #heartbeatMs: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#heartbeatMs = parsePositiveInt(env.HEARTBEAT_MS, DEFAULT_HEARTBEAT_MS);
    // The runtime answers the text frame "ping" itself, without waking the
    // actor, and records when it did (read back by the heartbeat sweep).
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT));
    void ctx.blockConcurrencyWhile(async () => {
      this.#store = new ConversationStore(ctx.storage);
    });
  }

  // -------------------------------------------------------------------------
  // RPC (called by the Worker)
  // -------------------------------------------------------------------------

  /** Creates the conversation; for an existing one, returns it unchanged. */
  create(input: CreateInput): Result<{ conversation: ConversationView; created: boolean }> {
    const now = Date.now();
    const created = this.#store.create(
      { conversationId: input.conversation_id, kind: input.kind, title: input.title, createdBy: input.created_by, createdAt: now },
      input.members,
      now,
    );
    if (created) this.#log("info", "conversation.created", { kind: input.kind, members: input.members.length });
    else if (this.#store.meta?.kind !== input.kind) {
      return err(new ParleyError("conflict", "A conversation with this id exists with another kind."));
    }
    return ok({ conversation: this.#store.view(), created });
  }

  /** The conversation as a member sees it. */
  describe(userId: string): Result<ConversationView> {
    const denied = this.#checkMember(userId);
    return denied ? err(denied) : ok(this.#store.view());
  }

  /** A page of history, ascending (`GET …/messages`). */
  history(userId: string, query: HistoryQuery): Result<HistoryPage> {
    const denied = this.#checkMember(userId);
    if (denied) return err(denied);
    const page = this.#store.page(historyWindow({ ...query, limit: query.limit ?? DEFAULT_PAGE_LIMIT }));
    return ok({ messages: page.messages, has_more: page.hasMore });
  }

  /** A send over REST: same idempotency and broadcast as the socket. */
  send(userId: string, input: SendData, requestId?: string): Result<MessageAck> {
    const denied = this.#checkMember(userId);
    if (denied) return err(denied);
    try {
      return ok(this.#accept(userId, input, { request_id: requestId }));
    } catch (e) {
      return err(toParleyError(e));
    }
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
      return httpError(426, new ParleyError("bad_request", "Expected a WebSocket upgrade."));
    }
    if (!userId || !username) return httpError(401, new ParleyError("unauthorized", "Missing identity."));
    if (!this.#store.meta) return httpError(404, new ParleyError("not_found", "No such conversation."));
    if (!this.#store.member(userId)) {
      return httpError(403, new ParleyError("forbidden", "You are not a member of this conversation."));
    }

    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
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
    // Tagged by user, so a member's sockets can be found without a scan.
    this.ctx.acceptWebSocket(server, [userId]);
    this.#save(server, st);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + this.#heartbeatMs);
    this.#log("info", "socket.connected", { session_id: st.sid, user_id: userId, request_id: requestId });
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const st = this.#state(ws);
    if (!st || st.phase === "closed") return;
    this.#touch(ws, st);
    const parsed = parseClientFrame(raw);
    if (!parsed.ok) return this.#badFrame(ws, st, parsed.error, parsed.rid);
    const frame = parsed.frame;
    try {
      if (frame.type !== "auth.refresh" && st.exp <= Date.now()) {
        return this.#closeWith(ws, st, CloseCode.TOKEN_EXPIRED, { reason: "token_expired", retry: true });
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
    const st = this.#state(ws);
    // Complete the closing handshake; 1005/1006/1015 are never sent on the wire.
    try {
      ws.close(isSendableCloseCode(code) ? code : 1000, reason.slice(0, 120));
    } catch {
      // Already closed.
    }
    if (st) this.#forget(ws, st, code);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    const st = this.#state(ws);
    if (st) {
      this.#log("warn", "socket.error", { session_id: st.sid, error: describeError(error) });
      this.#forget(ws, st, 1011);
    }
  }

  /** Heartbeat sweep: closes sockets silent for more than two intervals. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    let open = 0;
    for (const ws of this.ctx.getWebSockets()) {
      const st = this.#state(ws);
      if (!st || ws.readyState !== WebSocket.READY_STATE_OPEN) continue;
      const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      if (now - Math.max(st.seen, pinged) > 2 * this.#heartbeatMs) {
        this.#log("info", "socket.timeout", { session_id: st.sid, user_id: st.uid });
        this.#close(ws, st, CloseCode.HEARTBEAT_TIMEOUT, "heartbeat timeout");
      } else {
        open++;
      }
    }
    if (open > 0) await this.ctx.storage.setAlarm(now + this.#heartbeatMs);
  }

  // -------------------------------------------------------------------------
  // Frame handlers
  // -------------------------------------------------------------------------

  async #dispatch(ws: WebSocket, st: SocketState, frame: ClientFrame): Promise<void> {
    const rid = frame.rid;
    if (st.phase === "new" && frame.type !== "hello") {
      return this.#badFrame(ws, st, new ParleyError("handshake_required", "Send hello first."), rid);
    }
    switch (frame.type) {
      case "hello":
        if (st.phase !== "new") return this.#badFrame(ws, st, new ParleyError("bad_request", "type: hello was already received."), rid);
        st.phase = "ready";
        this.#save(ws, st);
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
      return this.#badFrame(ws, st, new ParleyError("not_joined", `Send conversation.join before ${frame.type}.`), rid);
    }
    switch (frame.type) {
      case "message.send":
        this.#accept(st.uid, frame.data, { session_id: st.sid }, ws, rid);
        return;
      case "sync": {
        const page = this.#store.page({ direction: "forward", after: frame.data.after_seq, before: undefined, limit: frame.data.limit ?? DEFAULT_PAGE_LIMIT });
        sendText(ws, encode("messages.batch", { messages: page.messages, has_more: page.hasMore }, rid));
        if (st.phase === "replaying" && !page.hasMore) {
          // The replay reached the end inside this same event: from here on,
          // live delivery takes over with no message in between.
          st.phase = "live";
          this.#save(ws, st);
        }
        return;
      }
      case "typing.start":
      case "typing.stop": {
        const state = frame.type === "typing.start" ? "start" : "stop";
        const text = encode("typing", { user_id: st.uid, state, expires_in_ms: state === "start" ? TYPING_EXPIRES_MS : 0 });
        this.#broadcast(text, (other) => other.uid !== st.uid);
        return;
      }
      case "receipt.read":
      case "receipt.delivered":
        return this.#receipt(ws, st, frame.type === "receipt.read" ? "read" : "delivered", frame.data.up_to_seq, rid);
    }
  }

  #join(ws: WebSocket, st: SocketState, data: { after_seq?: number; limit?: number }, rid?: string): void {
    if (isJoined(st)) {
      sendText(ws, encodeError(errorBody("conflict", "This socket has already joined; reconnect to join again."), rid));
      return;
    }
    const wasOnline = this.#online().has(st.uid);
    st.phase = data.after_seq !== undefined ? "replaying" : "live";
    sendText(ws, encode("conversation.joined", {
      conversation: this.#store.view(),
      online: [...this.#online()],
      receipts: this.#store.receipts(),
    }, rid));
    if (data.after_seq !== undefined) {
      const page = this.#store.page({ direction: "forward", after: data.after_seq, before: undefined, limit: data.limit ?? DEFAULT_PAGE_LIMIT });
      sendText(ws, encode("messages.batch", { messages: page.messages, has_more: page.hasMore }, rid));
      if (!page.hasMore) st.phase = "live";
    }
    this.#save(ws, st);
    if (!wasOnline) {
      this.#broadcast(encode("presence", { user_id: st.uid, status: "online" }), (other, w) => w !== ws && other.uid !== st.uid);
    }
    this.#log("info", "socket.joined", { session_id: st.sid, user_id: st.uid, after_seq: data.after_seq, phase: st.phase });
  }

  /**
   * Accepts a message (socket or REST): idempotency check, rate limit,
   * append with the next `seq`, ack, broadcast. Synchronous from the check to
   * the broadcast, so nothing interleaves; the ack and `message.new` leave
   * only after the write is durable, because the output gate holds every
   * outgoing frame and RPC reply until storage confirms it.
   */
  #accept(userId: string, input: SendData, ids: LogFields, ws?: WebSocket, rid?: string): MessageAck {
    const prior = this.#store.findByClientId(userId, input.client_msg_id);
    if (prior) {
      const ack = toAck(prior, true);
      if (ws) sendText(ws, encode("message.ack", ack, rid));
      return ack;
    }
    const now = Date.now();
    const taken = takeToken(this.#buckets.get(userId), now, SEND_RATE);
    this.#buckets.set(userId, taken.bucket);
    if (!taken.ok) {
      throw new ParleyError("rate_limited", `At most ${SEND_RATE.messages} messages per ${SEND_RATE.per_ms / 1000} s.`, { retryAfterMs: taken.retryAfterMs });
    }
    if (input.reply_to_seq !== undefined && input.reply_to_seq > this.#store.lastSeq) {
      throw new ParleyError("bad_request", `data.reply_to_seq: no message ${input.reply_to_seq} in this conversation.`);
    }
    const message = this.#store.append({
      server_msg_id: randomId("m_", 20),
      client_msg_id: input.client_msg_id,
      sender_id: userId,
      body: input.body,
      created_at: now,
      ...(input.reply_to_seq !== undefined ? { reply_to_seq: input.reply_to_seq } : {}),
    });
    const ack = toAck(message, false);
    if (ws) sendText(ws, encode("message.ack", ack, rid));
    this.#broadcast(encode("message.new", { message }), (other) => other.phase === "live");
    this.#log("info", "message.accepted", { ...ids, user_id: userId, seq: message.seq });
    return ack;
  }

  #receipt(ws: WebSocket, st: SocketState, kind: "read" | "delivered", upTo: number, rid?: string): void {
    const member = this.#store.member(st.uid);
    if (!member) throw new ParleyError("forbidden", "You are no longer a member of this conversation.");
    const last = this.#store.lastSeq;
    const read = kind === "read" ? advanceWatermark(member.read_seq, upTo, last) : member.read_seq;
    // Whatever was read was delivered.
    const delivered = advanceWatermark(member.delivered_seq, Math.max(read, kind === "delivered" ? upTo : 0), last);
    const changed = read !== member.read_seq || delivered !== member.delivered_seq;
    const update = { user_id: st.uid, read_seq: read, delivered_seq: delivered };
    if (changed) {
      this.#store.setReceipts(st.uid, read, delivered);
      this.#broadcast(encode("receipt.updated", update), (_, w) => w !== ws);
    }
    sendText(ws, encode("receipt.updated", update, rid));
  }

  async #refresh(ws: WebSocket, st: SocketState, token: string, rid?: string): Promise<void> {
    const principal = await verifyAccessToken(this.env.AUTH_SECRET, token);
    if (principal.userId !== st.uid) {
      sendText(ws, encodeError(errorBody("forbidden", "The new token belongs to another user."), rid));
      this.#close(ws, st, CloseCode.FORBIDDEN, "token of another user");
      return;
    }
    st.exp = principal.expiresAt;
    this.#save(ws, st);
    sendText(ws, encode("auth.refreshed", { expires_at: principal.expiresAt }, rid));
  }

  // -------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------

  #checkMember(userId: string): ParleyError | undefined {
    if (!this.#store.meta) return new ParleyError("not_found", "No such conversation.");
    if (!this.#store.member(userId)) return new ParleyError("forbidden", "You are not a member of this conversation.");
    return undefined;
  }

  /** Answers a bad frame; the tenth in a minute closes the socket (4008). */
  #badFrame(ws: WebSocket, st: SocketState, error: ParleyError, rid?: string): void {
    sendText(ws, encodeError(error.toBody(), rid));
    const now = Date.now();
    const { times, exceeded } = recordBadFrame(st.bad, now, BAD_FRAME_LIMIT);
    st.bad = times;
    this.#save(ws, st);
    this.#log("warn", "socket.bad_frame", { session_id: st.sid, user_id: st.uid, code: error.code, error: error.message });
    if (exceeded) this.#closeWith(ws, st, CloseCode.POLICY_VIOLATION, { reason: "policy_violation", retry: false });
  }

  #closeWith(
    ws: WebSocket,
    st: SocketState,
    code: CloseCode,
    closing: { reason: "token_expired" | "removed" | "policy_violation" | "server_shutdown" | "replaced"; retry: boolean },
  ): void {
    sendText(ws, encode("connection.closing", closing));
    this.#close(ws, st, code, closing.reason);
  }

  #close(ws: WebSocket, st: SocketState, code: number, reason: string): void {
    try {
      ws.close(code, reason);
    } catch {
      // Already closing.
    }
    this.#forget(ws, st, code);
  }

  /** Drops a socket from the actor's view; the member goes offline with their last socket. */
  #forget(ws: WebSocket, st: SocketState, code: number): void {
    if (st.phase === "closed") return;
    const wasJoined = isJoined(st);
    st.phase = "closed";
    try {
      ws.serializeAttachment(st);
    } catch {
      // The socket is gone; the in-memory state is enough until it is dropped.
    }
    this.#sockets.delete(ws);
    this.#log("info", "socket.closed", { session_id: st.sid, user_id: st.uid, code });
    if (wasJoined && !this.#online(ws).has(st.uid)) {
      this.#broadcast(encode("presence", { user_id: st.uid, status: "offline", last_seen_at: Date.now() }), (_, w) => w !== ws);
    }
  }

  /** Users with at least one joined, open socket (other than `except`). */
  #online(except?: WebSocket): Set<string> {
    const users = new Set<string>();
    for (const ws of this.ctx.getWebSockets()) {
      if (ws === except || ws.readyState !== WebSocket.READY_STATE_OPEN) continue;
      const st = this.#state(ws);
      if (st && isJoined(st)) users.add(st.uid);
    }
    return users;
  }

  /** Sends a frame to every open, joined socket that `to` selects. */
  #broadcast(text: string, to: (st: SocketState, ws: WebSocket) => boolean): void {
    for (const ws of this.ctx.getWebSockets()) {
      if (ws.readyState !== WebSocket.READY_STATE_OPEN) continue;
      const st = this.#state(ws);
      if (st && isJoined(st) && to(st, ws)) sendText(ws, text);
    }
  }

  #state(ws: WebSocket): SocketState | undefined {
    let st = this.#sockets.get(ws);
    if (!st) {
      st = (ws.deserializeAttachment() as SocketState | null) ?? undefined;
      if (st && st.phase !== "closed") this.#sockets.set(ws, st);
    }
    return st;
  }

  #save(ws: WebSocket, st: SocketState): void {
    this.#sockets.set(ws, st);
    ws.serializeAttachment(st);
  }

  /** Records activity; persisted at most every half heartbeat to keep frames cheap. */
  #touch(ws: WebSocket, st: SocketState): void {
    const now = Date.now();
    if (now - st.seen > this.#heartbeatMs / 2) {
      st.seen = now;
      this.#save(ws, st);
    }
  }

  #log(level: "info" | "warn" | "error", event: string, fields: LogFields): void {
    log(level, event, { actor: `Conversation:${this.#store?.meta?.conversationId ?? this.ctx.id.toString()}`, conversation_id: this.#store?.meta?.conversationId, ...fields });
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

function httpError(status: number, error: ParleyError): Response {
  return Response.json(error.toBody(), { status });
}

function parsePositiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** Codes an endpoint may put on the wire (RFC 6455 §7.4). */
function isSendableCloseCode(code: number): boolean {
  return code === 1000 || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}
