import {
  DeleteData,
  EditData,
  ReactionData,
  SendData,
  ServerFrame,
  describeIssue,
  type ChangeAck,
  type ErrorBody,
  type Message,
  type MessageAck,
  type ServerData,
} from "../../src/protocol/index.ts";
import type { TokenSource } from "./auth.ts";
import { PendingChanges } from "./changes.ts";
import { Emitter } from "./emitter.ts";
import type { ConnectionStatus, Phase, StopReason } from "./machine.ts";
import { hasSocket } from "./machine.ts";
import { Outbox, newClientMsgId } from "./outbox.ts";
import { SeqBuffer } from "./seq-buffer.ts";
import { Poller } from "./poller.ts";
import { Receipts } from "./receipts.ts";
import type { ParleyApi } from "./rest.ts";
import { ManagedSocket, type ParleyEventError, type WebSocketConstructor } from "./socket.ts";
import { mergeMessages, type ParleyStorage } from "./storage.ts";
import { StoredRecord } from "./stored-record.ts";
import type { Timing } from "./timing.ts";
import { cancelTimeout, type Timer } from "./timers.ts";

/** Events of a conversation handle. */
export interface ConversationEvents {
  /** The connection's status changed. */
  status: ConnectionStatus;
  /** A message, each exactly once and in `seq` order: the replay first, then live ones. */
  message: Message;
  /**
   * A message already delivered changed (an edit, a deletion, a reaction),
   * here or elsewhere, live or while this handle was away: the message as it
   * is now. Each change once, in the order they happened.
   */
  updated: Message;
  /** The server stored one of this handle's messages (`duplicate` when a resend found it stored). */
  ack: MessageAck;
  /** The server refused one of this handle's messages for good; it left the outbox. */
  "send-failed": { clientMsgId: string; body: string; error: ErrorBody };
  /** The join was answered: members, who is online, read receipts. */
  joined: ServerData<"conversation.joined">;
  typing: ServerData<"typing">;
  presence: ServerData<"presence">;
  receipt: ServerData<"receipt.updated">;
  "member.joined": ServerData<"member.joined">;
  "member.left": ServerData<"member.left">;
  /** Invalid frames, server errors, a stopped connection. Never thrown. */
  error: ParleyEventError;
  /**
   * The conversation as storage kept it (a reload, a reopened tab): its
   * newest messages and the cursor the handle resumes from. Emitted once,
   * before any `message`, when the handle was made without `afterSeq`.
   */
  restored: { messages: Message[]; lastSeq: number };
}

export interface SendOptions {
  /** The `seq` of the message this one answers. */
  replyToSeq?: number;
  /** Ids of files uploaded to this conversation with `api.upload` (protocol v1.1). */
  attachments?: string[];
}

export interface SendResult {
  /**
   * - `sent`: on the wire now (the `ack` event follows);
   * - `queued`: in the outbox, waiting for the connection or its turn; it is sent (and resent after a reconnect) until acked;
   * - `dropped`: the handle was destroyed; nothing will be sent.
   */
  status: "sent" | "queued" | "dropped";
  clientMsgId: string;
}

export interface ConversationOptions {
  /** The highest `seq` the application already has (from history); the replay starts after it. Default 0: everything. */
  afterSeq?: number;
  /**
   * The highest `rev` among the messages the application already has (from
   * history, protocol v1.1): the replay then also brings every edit,
   * deletion and reaction since, as `updated` events.
   */
  afterRev?: number;
}

/** What the client hands each handle. */
export interface HandleContext {
  baseUrl: string;
  tokens: TokenSource;
  WebSocket: WebSocketConstructor;
  fetch: typeof fetch;
  timing: Timing;
  clientInfo: { name: string; version: string };
  /** Reports an error on the client's own `error` event too. */
  report(error: ParleyEventError & { conversationId?: string }): void;
  /** The REST API (`markRead` when not connected; the long-poll fallback). */
  api?: ParleyApi;
  /** Whether a socket that keeps failing falls back to long-polling (needs `api`). */
  fallback?: boolean;
  /** Where conversations are kept between page loads; none: memory only. */
  storage?: ParleyStorage;
}

/** Request ids of the SDK's own requests; message sends use their `client_msg_id`. */
const RID = { join: "join", sync: "sync" } as const;

/**
 * One conversation, live: joins with `after_seq` = the highest `seq` it
 * delivered, pages the replay with `sync` while `has_more`, delivers every
 * message once and in order (SeqBuffer), and keeps unacknowledged messages
 * in a bounded outbox that it resends, under the same `client_msg_id`,
 * after every reconnect.
 */
export class ConversationHandle {
  readonly id: string;
  readonly #events = new Emitter<ConversationEvents>();
  readonly #socket: ManagedSocket<ServerFrame>;
  readonly #buffer: SeqBuffer;
  readonly #outbox: Outbox;
  readonly #ctx: HandleContext;
  readonly #onDestroy: () => void;
  #syncInFlight = false;
  #pumpTimer: Timer | undefined;
  #warnedAfterDestroy = false;
  /** The highest `rev` seen: the cursor of the next join once known (it catches changes too). */
  #lastRev = 0;
  /** Whether the replay in progress pages by `rev` (else by `seq`), and where its last page ended. */
  #replayByRev = false;
  #replayRev = 0;
  /** Edits, deletions and reactions waiting for their answer (changes.ts). */
  readonly #changes: PendingChanges;
  /** Read and delivery receipts (receipts.ts). */
  readonly #receipts: Receipts;
  /** The long-poll fallback (docs/protocol.md §15.18), running while the socket falls back. */
  readonly #poller: Poller | undefined;
  /** The newest messages delivered (up to `CACHE_MESSAGES`), and where they are kept (stored-record.ts). */
  #cache: Message[] = [];
  readonly #record: StoredRecord;
  /** Settles once the stored record (if any) was read; `connect` waits for it. */
  readonly #restored: Promise<void>;
  #connectWanted = false;
  /** In browsers: the page going away writes what storage does not have yet. */
  readonly #onPageHide: (() => void) | undefined;

  constructor(id: string, ctx: HandleContext, options: ConversationOptions, onDestroy: () => void) {
    this.id = id;
    this.#ctx = ctx;
    this.#onDestroy = onDestroy;
    this.#buffer = new SeqBuffer(options.afterSeq ?? 0, ctx.timing.REORDER_CAPACITY);
    this.#lastRev = options.afterRev ?? 0;
    this.#outbox = new Outbox(ctx.timing.OUTBOX_CAPACITY, ctx.timing.MAX_IN_FLIGHT);
    const api = ctx.fallback ? ctx.api : undefined;
    this.#poller = api
      ? new Poller({
          conversationId: id,
          api,
          timing: ctx.timing,
          outbox: this.#outbox,
          active: () => this.#pollingActive(),
          // By rev whenever the handle has a rev to start from (or nothing yet: then a poll from rev 0 is the whole
          // history, as from seq 0): edits and deletions arrive while polling too.
          cursor: () => (this.#lastRev > 0 || this.#buffer.delivered === 0 ? { afterRev: this.#lastRev } : { afterSeq: this.#buffer.delivered }),
          // A poll by seq carries no changes: it must not move the rev cursor, or a change made meanwhile
          // (a lower rev) would be skipped by the next poll or join by rev.
          deliver: (messages, byRev) => this.#deliver(messages, byRev),
          acked: (ack) => this.#acked(ack),
          sendFailed: (clientMsgId, body, error) => this.#sendFailed(clientMsgId, body, error),
          refused: (status, message) => this.#socket.dispatch({ type: "refused", status, message }),
        })
      : undefined;
    const path = `/v1/conversations/${encodeURIComponent(id)}`;
    this.#socket = new ManagedSocket<ServerFrame>({
      baseUrl: ctx.baseUrl,
      path: `${path}/ws`,
      probePath: path,
      schema: ServerFrame,
      tokens: ctx.tokens,
      WebSocket: ctx.WebSocket,
      fetch: ctx.fetch,
      timing: ctx.timing,
      clientInfo: ctx.clientInfo,
      onEnter: (phase, from) => this.#onEnter(phase, from),
      onFrame: (frame) => this.#onFrame(frame),
      onStatus: (status) => this.#events.emit("status", status),
      onError: (error) => this.#error(error),
      fallback: api !== undefined,
    });
    const live = () => this.#socket.state.phase === "live";
    const send = (type: string, data: unknown, rid: string) => this.#socket.send(type, data, rid);
    this.#changes = new PendingChanges({
      conversationId: id,
      restWhilePolling: () => (this.#pollingActive() ? ctx.api : undefined),
      live,
      send,
    });
    this.#receipts = new Receipts({
      conversationId: id,
      live,
      closed: () => this.#socket.state.phase === "closed",
      send,
      api: ctx.api,
      coalesceMs: ctx.timing.DELIVERED_COALESCE_MS,
      onReceipt: (receipt) => this.#events.emit("receipt", receipt),
    });
    this.#record = new StoredRecord({
      storage: ctx.storage,
      conversationId: id,
      writeMs: ctx.timing.CACHE_WRITE_MS,
      state: () => ({ lastSeq: this.#buffer.delivered, lastRev: this.#lastRev, messages: this.#cache, outbox: this.#outbox.pending() }),
      restored: () => this.#restored,
      failed: (message) => this.#error({ kind: "storage_failed", message }),
    });
    this.#restored = this.#restore(options);
    const page = globalThis as { addEventListener?: (type: string, listener: () => void) => void };
    if (ctx.storage && typeof page.addEventListener === "function") {
      this.#onPageHide = () => void this.flush();
      page.addEventListener("pagehide", this.#onPageHide);
    }
  }

  // --- facade ---------------------------------------------------------------

  /** The connection's status, as the application should show it. */
  get status(): ConnectionStatus {
    return this.#socket.status;
  }

  /** Why the connection stopped, while `status` is `failed`. */
  get stopReason(): StopReason | undefined {
    return this.#socket.state.stopReason;
  }

  /** Every message up to this `seq` has been delivered. */
  get lastSeq(): number {
    return this.#buffer.delivered;
  }

  /** Messages handed to `send` and not acked yet, oldest first. */
  get pending(): { clientMsgId: string; body: string; replyToSeq?: number }[] {
    return this.#outbox.pending().map((d) => ({
      clientMsgId: d.client_msg_id,
      body: d.body,
      ...(d.reply_to_seq !== undefined ? { replyToSeq: d.reply_to_seq } : {}),
    }));
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof ConversationEvents>(event: K, handler: (payload: ConversationEvents[K]) => void): () => void {
    return this.#events.on(event, handler);
  }

  /**
   * Connects (or, after a stop, tries again). Does nothing while connecting
   * or connected. With storage, the first connect waits for the stored
   * record, so the join resumes from the stored cursor.
   */
  connect(): this {
    this.#connectWanted = true;
    void this.#restored.then(() => {
      if (this.#connectWanted) this.#socket.dispatch({ type: "connect" });
    });
    return this;
  }

  /** Closes the socket and stops reconnecting; unacked messages stay queued for the next `connect`. */
  disconnect(): this {
    this.#connectWanted = false;
    this.#socket.dispatch({ type: "disconnect" });
    return this;
  }

  /** Closes for good: the socket, the timers, the handlers. Sends after this are dropped with a warning. */
  destroy(): void {
    if (this.#socket.state.phase === "closed") return;
    this.#connectWanted = false;
    this.#socket.dispatch({ type: "destroy" });
    cancelTimeout(this.#pumpTimer);
    this.#receipts.destroy();
    void this.flush();
    if (this.#onPageHide) (globalThis as { removeEventListener?: (type: string, listener: () => void) => void }).removeEventListener?.("pagehide", this.#onPageHide);
    this.#events.clear();
    this.#onDestroy();
  }

  /**
   * Writes what storage does not have yet (the outbox is written at once,
   * messages seen within `CACHE_WRITE_MS`); resolves when it is stored.
   * Call it before a page goes away if you cannot wait that long.
   */
  flush(): Promise<void> {
    return this.#record.flush();
  }

  /** The newest messages delivered (kept for storage, up to `CACHE_MESSAGES`), ascending. */
  get messages(): readonly Message[] {
    return this.#cache;
  }

  /**
   * Sends a message: at once when connected and nothing is ahead of it, else
   * it waits in the outbox. Either way it is delivered exactly once, resent
   * under the same `client_msg_id` across reconnects until acked. Throws
   * (a caller bug) when the body breaks the contract or the outbox is full.
   */
  send(body: string, options: SendOptions = {}): SendResult {
    const clientMsgId = newClientMsgId();
    if (this.#socket.state.phase === "closed") {
      if (!this.#warnedAfterDestroy) {
        this.#warnedAfterDestroy = true;
        console.warn(
          `Parley: send() on conversation ${this.id} after destroy() — the message was dropped. ` +
            "Create a new handle with client.conversation(id) to keep sending.",
        );
      }
      return { status: "dropped", clientMsgId };
    }
    const data = SendData.safeParse({
      client_msg_id: clientMsgId,
      body,
      ...(options.replyToSeq !== undefined ? { reply_to_seq: options.replyToSeq } : {}),
      ...(options.attachments?.length ? { attachments: options.attachments } : {}),
    });
    if (!data.success) throw new TypeError(`Parley: send(): ${describeIssue(data.error.issues)}.`);
    if (this.#outbox.isFull) {
      throw new RangeError(
        `Parley: send(): the outbox already holds ${this.#outbox.capacity} unacknowledged messages; ` +
          "wait for the connection (status \"connected\") before sending more.",
      );
    }
    this.#outbox.add(data.data);
    this.#record.persist(true);
    const sent = this.#pump();
    return { status: sent.includes(clientMsgId) ? "sent" : "queued", clientMsgId };
  }

  /**
   * Marks everything up to `seq` read (max-wins): a `receipt.read` frame
   * when connected, else `POST …/read` (and the frame again once connected,
   * if that failed).
   */
  markRead(seq: number): void {
    this.#receipts.markRead(seq);
  }

  /** Changes the body of one of this user's messages. Resolves with the `change.ack` (`duplicate` when it changed nothing). */
  edit(seq: number, body: string): Promise<ChangeAck> {
    return this.#changes.request("message.edit", EditData, { seq, body });
  }

  /** Deletes a message (this user's own; an owner or admin of a group may delete any). */
  delete(seq: number): Promise<ChangeAck> {
    return this.#changes.request("message.delete", DeleteData, { seq });
  }

  /** Adds this user's reaction (one emoji or a `:name:`) to a message. */
  react(seq: number, reaction: string): Promise<ChangeAck> {
    return this.#changes.request("reaction.add", ReactionData, { seq, reaction });
  }

  /** Removes this user's reaction. */
  unreact(seq: number, reaction: string): Promise<ChangeAck> {
    return this.#changes.request("reaction.remove", ReactionData, { seq, reaction });
  }

  /** Tells the others this user is typing (or stopped); dropped when not connected. */
  typing(active: boolean): void {
    if (this.#socket.state.phase === "live") this.#socket.send(active ? "typing.start" : "typing.stop", {});
  }

  /** For the client: a refreshed token goes into the open socket in place. */
  refreshInPlace(token: string): void {
    this.#socket.refreshInPlace(token);
  }

  // --- protocol -------------------------------------------------------------

  #onEnter(phase: Phase, from: Phase): void {
    if (hasSocket(from) && !hasSocket(phase)) {
      // The socket is gone: whatever was in flight is sent again after the next join.
      this.#outbox.requeueInFlight();
      this.#syncInFlight = false;
      this.#receipts.disconnected();
      // Changes are not queued: the caller learns at once and may try again (they are idempotent).
      this.#changes.disconnected();
    }
    if (phase === "joining") {
      // Always with a cursor, even 0: the replay then covers everything this
      // handle has not seen, and the server switches the socket to live at
      // the end of it with nothing lost or doubled at the seam. Once a rev is
      // known, the cursor is the rev: the replay then brings edits,
      // deletions and reactions too (protocol v1.1).
      this.#replayByRev = this.#lastRev > 0;
      this.#replayRev = this.#lastRev;
      const cursor = this.#replayByRev ? { after_rev: this.#lastRev } : { after_seq: this.#buffer.delivered };
      this.#socket.send("conversation.join", { ...cursor, limit: this.#ctx.timing.PAGE_LIMIT }, RID.join);
    } else if (phase === "live") {
      this.#pump();
      this.#receipts.flush();
    }
    if (this.#pollingActive()) this.#poller?.start();
    else this.#poller?.stop();
  }

  /** Polling carries the conversation: the socket fell back, and no socket is live. */
  #pollingActive(): boolean {
    const state = this.#socket.state;
    return state.fallback === true && state.phase !== "live" && state.phase !== "idle" && state.phase !== "stopped" && state.phase !== "closed";
  }

  #onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case "conversation.joined":
        this.#events.emit("joined", frame.data);
        // A join with after_seq is always followed by a replay page.
        this.#socket.dispatch({ type: "joined", replay: true });
        return;
      case "messages.batch":
        return this.#onBatch(frame.data.messages, frame.data.has_more);
      case "message.new":
      case "message.updated":
        this.#deliver([frame.data.message]);
        this.#fillGap();
        return;
      case "change.ack":
        return this.#changes.acked(frame.rid, frame.data);
      case "message.ack":
        if (this.#outbox.ack(frame.data.client_msg_id)) this.#acked(frame.data);
        return;
      case "error":
        return this.#onErrorFrame(frame.rid, frame.data);
      case "typing":
        return this.#events.emit("typing", frame.data);
      case "presence":
        return this.#events.emit("presence", frame.data);
      case "receipt.updated":
        return this.#events.emit("receipt", frame.data);
      // Large rooms batch presence and receipts (protocol v1.1): the handle
      // unfolds them, so an app hears the same events whatever the room's size.
      case "presence.batch":
        for (const update of frame.data.updates) this.#events.emit("presence", update);
        return;
      case "receipts.batch":
        for (const receipt of frame.data.receipts) this.#events.emit("receipt", receipt);
        return;
      case "member.joined":
        return this.#events.emit("member.joined", frame.data);
      case "member.left":
        return this.#events.emit("member.left", frame.data);
      case "hello.ack":
        this.#receipts.userId = frame.data.user_id;
        return;
      case "auth.refreshed":
      case "pong":
      case "connection.closing":
        // Handled by the managed socket.
        return;
      default: {
        const unreachable: never = frame;
        return unreachable;
      }
    }
  }

  #onBatch(messages: Message[], hasMore: boolean): void {
    const before = this.#buffer.delivered;
    const revBefore = this.#replayRev;
    this.#deliver(messages);
    this.#syncInFlight = false;
    if (this.#socket.state.phase === "replaying") {
      if (this.#replayByRev) {
        const last = messages.at(-1)?.rev;
        if (last !== undefined) this.#replayRev = Math.max(this.#replayRev, last);
        if (hasMore && this.#replayRev > revBefore) this.#sync();
        else this.#socket.dispatch({ type: "replayed" });
        this.#fillGap();
        return;
      }
      // A page that says "more" but moved nothing would loop forever; take it as the end.
      if (hasMore && this.#buffer.delivered > before) this.#sync();
      else this.#socket.dispatch({ type: "replayed" }); // live now: #onEnter sends the outbox
      this.#fillGap();
      return;
    }
    // A gap-fill answer on a live socket: go on while something is still
    // missing and the last page helped (a gap the server cannot fill is
    // asked about again at the next message.new, not in a loop).
    if ((hasMore || this.#buffer.hasGap) && this.#buffer.delivered > before) this.#fillGap(true);
  }

  /**
   * New messages go through the SeqBuffer (each once, in `seq` order); a
   * message already delivered that comes again has changed and is an
   * `updated` event. Every message's `rev` moves the cursor of the next join.
   */
  #deliver(messages: Message[], moveRev = true): void {
    const fresh: Message[] = [];
    const updated: Message[] = [];
    for (const m of messages) {
      if (m.conversation_id !== this.id) continue;
      if (moveRev && m.rev !== undefined && m.rev > this.#lastRev) this.#lastRev = m.rev;
      if (m.seq > this.#buffer.delivered) fresh.push(m);
      else if (!this.#isRepeat(m)) updated.push(m);
    }
    const delivered = this.#buffer.accept(fresh);
    // The cache first, so that `messages` already holds what each event announces.
    if (delivered.length > 0 || updated.length > 0) {
      this.#cache = mergeMessages(this.#cache, [...updated, ...delivered], this.#ctx.timing.CACHE_MESSAGES);
      this.#record.persist(false);
    }
    for (const m of updated) this.#events.emit("updated", m);
    for (const m of delivered) this.#events.emit("message", m);
    if (delivered.length > 0) this.#receipts.delivered(delivered);
  }

  /**
   * A message delivered before that comes again unchanged (the same `rev`):
   * a poll and a socket's replay overlapping while the handle moves from
   * polling back to its socket. Not an update.
   */
  #isRepeat(m: Message): boolean {
    if (m.rev === undefined) return false;
    const cache = this.#cache;
    let lo = 0;
    let hi = cache.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const seq = cache[mid]!.seq;
      if (seq === m.seq) return cache[mid]!.rev === m.rev;
      if (seq < m.seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  // --- storage --------------------------------------------------------------

  /**
   * Reads the stored record of this conversation, for this user (the JWT's
   * `sub`): the outbox goes back in under its ids, and the cursor moves to
   * the stored one — with the cached messages as `restored` (no `afterSeq`
   * given), or as `message` events when they follow on from `afterSeq`.
   */
  async #restore(options: ConversationOptions): Promise<void> {
    const record = await this.#record.read(() => this.#ctx.tokens.current());
    if (!record || this.#socket.state.phase === "closed") return;
    for (const data of record.outbox) {
      if (!this.#outbox.has(data.client_msg_id) && !this.#outbox.isFull) this.#outbox.add(data);
    }
    const cached = record.messages.filter((m) => m.conversation_id === this.id);
    if (options.afterSeq === undefined) {
      this.#cache = cached;
      if (record.lastSeq > this.#buffer.delivered) {
        this.#buffer.advanceTo(record.lastSeq);
        this.#lastRev = Math.max(this.#lastRev, record.lastRev);
      }
      this.#events.emit("restored", { messages: cached, lastSeq: this.#buffer.delivered });
    } else {
      const from = this.#buffer.delivered;
      const next = cached.filter((m) => m.seq > from);
      // Only a cache that follows on from the application's own history is used; else the server replays.
      if (next[0]?.seq === from + 1 && next.every((m, i) => m.seq === from + 1 + i) && next.at(-1)!.seq === record.lastSeq) {
        this.#deliver(next);
        this.#lastRev = Math.max(this.#lastRev, record.lastRev);
      }
    }
  }

  /** Asks for what is missing below a held message (the server should never leave a gap; the SDK copes if it does). */
  #fillGap(force = false): void {
    if ((this.#buffer.hasGap || force) && !this.#syncInFlight && this.#socket.state.phase === "live") this.#sync();
  }

  #sync(): void {
    const replayingByRev = this.#replayByRev && this.#socket.state.phase === "replaying";
    const cursor = replayingByRev ? { after_rev: this.#replayRev } : { after_seq: this.#buffer.delivered };
    this.#syncInFlight = this.#socket.send("sync", { ...cursor, limit: this.#ctx.timing.PAGE_LIMIT }, RID.sync);
  }

  #onErrorFrame(rid: string | undefined, error: ErrorBody): void {
    if (rid !== undefined && this.#outbox.has(rid)) {
      if (error.code === "rate_limited" || error.code === "internal" || error.code === "not_joined") {
        const wait =
          error.retry_after_ms ??
          (error.code === "rate_limited" ? this.#ctx.timing.RATE_LIMIT_FALLBACK_MS : this.#ctx.timing.INTERNAL_RETRY_MS);
        this.#outbox.retryAt(rid, Date.now() + wait);
        this.#pump();
        return;
      }
      const dropped = this.#outbox.drop(rid);
      this.#sendFailed(rid, dropped?.data.body ?? "", error);
      return;
    }
    if (rid === RID.sync) this.#syncInFlight = false;
    // A replay refused by the server's replay budget (§22.11): drop this socket and come back after the wait it names.
    if ((rid === RID.join || rid === RID.sync) && error.code === "rate_limited") {
      this.#socket.retryLater(error.retry_after_ms ?? this.#ctx.timing.RATE_LIMIT_FALLBACK_MS, `replay rate_limited: ${error.message}`);
      return;
    }
    if (this.#changes.refused(rid, error)) return;
    this.#error({ kind: "server_error", code: error.code, message: error.message });
  }

  #acked(ack: MessageAck): void {
    this.#events.emit("ack", ack);
    this.#record.persist(true);
    this.#pump();
  }

  #sendFailed(clientMsgId: string, body: string, error: ErrorBody): void {
    this.#events.emit("send-failed", { clientMsgId, body, error });
    this.#error({ kind: "send_failed", code: error.code, message: `A message was refused: ${error.message}` });
    this.#record.persist(true);
    this.#pump();
  }

  /** Puts what the outbox allows on the wire; returns the ids sent. While polling, the outbox goes over REST. */
  #pump(): string[] {
    if (this.#pollingActive()) {
      void this.#poller?.pump();
      return [];
    }
    if (this.#socket.state.phase !== "live") return [];
    const now = Date.now();
    const wait = this.#outbox.pausedFor(now);
    if (wait > 0) {
      if (this.#pumpTimer === undefined) {
        this.#pumpTimer = setTimeout(() => {
          this.#pumpTimer = undefined;
          this.#pump();
        }, wait);
      }
      return [];
    }
    const sent: string[] = [];
    for (const data of this.#outbox.take(now)) {
      if (!this.#socket.send("message.send", data, data.client_msg_id)) {
        this.#outbox.requeueInFlight();
        break;
      }
      sent.push(data.client_msg_id);
    }
    return sent;
  }

  #error(error: ParleyEventError): void {
    this.#events.emit("error", error);
    this.#ctx.report({ ...error, conversationId: this.id });
  }
}
