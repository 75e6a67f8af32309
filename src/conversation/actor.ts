import type { Env } from "../env.ts";
import {
  DEFAULT_PAGE_LIMIT,
  ParleyError,
  parseClientFrame,
  toParleyError,
  type Attachment,
  type ChangeAck,
  type ClientFrame,
  type ConversationView,
  type HistoryPage,
  type HistoryQuery,
  type InboxUpdate,
  type Member,
  type MemberPage,
  type MessageSearchPage,
  type Message,
  type MessageAck,
  type ParseResult,
  type Receipt,
  type SendData,
  type InviteView,
} from "../protocol/index.ts";
import { describeError, type LogFields } from "../shared/log.ts";
import { err, ok, type Result } from "../shared/result.ts";
import type { Bucket } from "../shared/rules.ts";
import { SocketActor, type Identity } from "../shared/socket-actor.ts";
import { InboxFanout } from "./fanout.ts";
import { memberPage } from "./join.ts";
import { addMembers, admitMembers, planAdd, removeMember, setBlock, setRole, setTitle, type MembershipContext } from "./membership.ts";
import { OutboxStore } from "./outbox-store.ts";
import { HeldPolls, type PollCursor, type PollPage } from "./polls.ts";
import { Room } from "./room.ts";
import { historyWindow, noSuchConversation } from "./rules.ts";
import { AttachmentStore, objectKey } from "./attachments.ts";
import { applyChange, type Change, type ChangeContext } from "./changes.ts";
import { SearchIndex } from "./search.ts";
import { acceptMessage, type SendContext } from "./send.ts";
import { FrameHandlers, isLarge, memberOf } from "./frames.ts";
import { ConversationIntegrations } from "./integrations.ts";
import { createConversation, type CreateInput } from "./create.ts";
import { ensurePrivacy, setMemberPrivacy, type PrivacyContext } from "./member-privacy.ts";
import { RecentSuspensions, closeUserSockets, operatorContext, operatorDelete } from "./operator.ts";
import { encode, isJoined, sendText, type SocketState } from "./sockets.ts";
import { ConversationStore } from "./store.ts";
import { createInvite, joinByInvite, listInvites, previewInvite, revokeInvite, type InviteContext } from "../invites/actions.ts";

export type { CreateInput } from "./create.ts";

/**
 * One conversation: its sockets, its `seq`, its idempotency keys, its
 * members and its messages. The actor is single-threaded, so
 * `seq = last_seq + 1` needs no lock; every handler below that reads and
 * writes does so without an `await` in between, which makes it atomic with
 * respect to every other event, and its writes commit together before any
 * frame or RPC reply it produced leaves the actor (the output gate).
 *
 * The socket mechanics (upgrade, frame loop, hello, ping, auth.refresh,
 * heartbeat sweep, alarm) are SocketActor's; the send path is send.ts; the
 * inbox and notification deliveries are fanout.ts; membership changes are
 * membership.ts, creation create.ts; join, sync, typing and receipts are
 * frames.ts; webhooks, bots, invites and the counters' flush are
 * integrations.ts; privacy settings member-privacy.ts; operators operator.ts.
 */
export class Conversation extends SocketActor<SocketState, ClientFrame, Room> {
  #store!: ConversationStore;
  #outbox!: OutboxStore;
  #fanout!: InboxFanout;
  /** What the send path (send.ts) works with. */
  #send!: SendContext;
  /** What edits, deletions and reactions (changes.ts) work with. */
  #changes!: ChangeContext;
  #search!: SearchIndex;
  #attachments!: AttachmentStore;
  readonly #buckets = new Map<string, Bucket>();
  /** Users a suspension closed sockets of lately (operator.ts). */
  readonly #suspensions = new RecentSuspensions();
  /** Held long-polls (polls.ts). */
  #polls!: HeldPolls;
  /** Integrations (§22.14–§22.17): calls owed to bots, webhook events, invite links. */
  #integrations!: ConversationIntegrations;
  /** join, sync, typing and receipts (frames.ts). */
  #frames!: FrameHandlers;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, (c, heartbeatMs, onClosed, log) => new Room(c, heartbeatMs, onClosed, log));
  }

  protected override onStart(): void {
    this.#store = new ConversationStore(this.ctx.storage);
    this.#outbox = new OutboxStore(this.ctx.storage.sql);
    this.#search = new SearchIndex(this.ctx.storage.sql, this.#store);
    this.#attachments = new AttachmentStore(this.ctx.storage.sql);
    this.#fanout = new InboxFanout(this.#store, this.#outbox, {
      deliver: (userId, update) => this.env.USER.get(this.env.USER.idFromName(userId)).applyConversation(update),
      notify: (userId, n) => this.env.USER.get(this.env.USER.idFromName(userId)).notify(n),
      log: this.log,
    });
    this.#integrations = new ConversationIntegrations({
      sql: this.ctx.storage.sql,
      env: this.env,
      store: this.#store,
      outbox: this.#outbox,
      room: this.sockets,
      log: this.log,
      counters: this.counters,
      send: () => this.#send,
    });
    // Built once: the send path runs per message and must not allocate its context each time.
    this.#send = {
      store: this.#store,
      outbox: this.#outbox,
      attachments: this.#attachments,
      room: this.sockets,
      sendRate: this.config.sendRate,
      botSendRate: this.config.botSendRate,
      hooks: this.#integrations.hooks,
      bots: this.#integrations.bots,
      buckets: this.#buckets,
      log: this.log,
      committed: (notified) => {
        this.counters.add("messages.accepted");
        const now = Date.now();
        this.scheduleAlarm(notified ? now : this.#fanout.changed(now));
        this.#polls.answerAll();
      },
    };
    this.#changes = {
      store: this.#store,
      attachments: this.#attachments,
      room: this.sockets,
      sendRate: this.config.sendRate,
      buckets: this.#buckets,
      committed: (message, kind) => {
        // Written in the same synchronous event as the change, so they commit together (the output gate holds both).
        const type = kind === "delete" ? "message.deleted" : kind === "edit" ? "message.edited" : undefined;
        if (type && this.#integrations.hooks.record(type, this.#store.meta!.conversationId, { message })) this.scheduleAlarm(Date.now());
        if (kind === "delete") this.scheduleAlarm(Date.now());
        // The inboxes show the last message: a change to it is a change for everyone.
        if (message.seq === this.#store.lastSeq) {
          this.#store.bumpVersion(true);
          this.scheduleAlarm(this.#fanout.changed(Date.now()));
        }
        this.#polls.answerChanges();
      },
    };
    this.#polls = new HeldPolls({
      page: (cursor) => this.#pollPage(cursor),
      lastSeq: () => this.#store.lastSeq,
      lastRev: () => this.#store.messages.lastRev,
      denied: (userId) => this.#denied(userId),
    });
    this.#frames = new FrameHandlers({
      store: this.#store,
      fanout: this.#fanout,
      room: this.sockets,
      config: this.config,
      log: this.log,
      schedule: (at) => this.scheduleAlarm(at),
    });
    const due = this.#fanout.resume(Date.now());
    if (due !== undefined) this.scheduleAlarm(due);
    for (const m of this.#store.members()) if (m.privacy) this.sockets.setPrivacy(m.user_id, m.privacy);
  }

  /** What the membership operations (membership.ts) work with. */
  get #membership(): MembershipContext {
    return {
      store: this.#store,
      outbox: this.#outbox,
      fanout: this.#fanout,
      room: this.sockets,
      maxMembers: this.config.maxGroupMembers,
      schedule: (at) => this.scheduleAlarm(at),
      log: this.log,
      admit: (userId, adderId, conversationId, until) => this.#user(userId).admitToGroup(adderId, conversationId, until),
      spend: (adderId, action, people) => this.#user(adderId).spendGroupBudget(action, people),
      event: (type, data) => {
        if (this.#integrations.hooks.record(type, this.#store.meta!.conversationId, data)) this.scheduleAlarm(Date.now());
      },
    };
  }

  /** What invite links (invites/actions.ts) work with. */
  get #inviteContext(): InviteContext {
    return { store: this.#store, invites: this.#integrations.invites, membership: this.#membership, hooks: this.#integrations.hooks, maxMembers: this.config.maxGroupMembers, log: this.log };
  }

  /** What the members' privacy settings (member-privacy.ts) work with. */
  get #privacy(): PrivacyContext {
    return { store: this.#store, room: this.sockets, log: this.log, ask: (userId) => this.#user(userId).privacy() };
  }

  // -------------------------------------------------------------------------
  // RPC (called by the Worker)
  // -------------------------------------------------------------------------

  /**
   * Creates the conversation; for an existing one, returns it unchanged. A
   * new group first spends its creator's budget and asks every other
   * member's User actor whether the creator may add them (membership.ts,
   * admitMembers).
   */
  async create(input: CreateInput): Promise<Result<{ conversation: ConversationView; created: boolean }>> {
    return createConversation(this.#membership, this.#integrations.hooks, input);
  }

  /** The conversation as a member sees it. */
  describe(userId: string): Result<ConversationView> {
    return this.#asMember(userId, () => this.#store.view());
  }

  /**
   * The conversation as `userId`'s inbox shows it now (the User actor pulls
   * large conversations this way); with `watch`, the member's open inbox also
   * gets its messages pushed for a while (fanout.ts, decision 0012). A member
   * blocked in a direct conversation is answered the view without a role.
   */
  inboxView(userId: string, watch: boolean): Result<InboxUpdate> {
    return this.#asMember(userId, () => {
      if (watch) this.#fanout.watch(userId, Date.now());
      return this.#fanout.view(userId);
    }, { allowBlocked: true });
  }

  /** A page of members with their watermarks and whether they are online (`GET …/members`), as the caller may see them. */
  async members(userId: string, after: string | undefined, limit: number): Promise<Result<MemberPage>> {
    const failed = await ensurePrivacy(this.#privacy, userId);
    if (failed) return err(failed);
    return this.#asMember(userId, () => memberPage(this.#store, this.sockets, after, limit, userId));
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
   * since (send.ts checks the block after the repeat).
   */
  send(userId: string, input: SendData, requestId?: string): Result<MessageAck> {
    return this.#asMember(userId, () => acceptMessage(this.#send, userId, input, { request_id: requestId }), { allowBlocked: true });
  }

  /** An edit, a deletion or a reaction over REST (`PATCH`/`DELETE …/messages/{seq}`, `…/reactions`); answered like a socket's `change.ack`. */
  change(userId: string, change: Change): Result<ChangeAck> {
    return this.#asMember(userId, (member) => applyChange(this.#changes, member, change));
  }

  /** Reserves an upload for a member: its id and R2 key, before the Worker stores the bytes. */
  reserveAttachment(userId: string, name: string, contentType: string): Result<{ id: string; key: string }> {
    return this.#asMember(userId, () => {
      const id = this.#attachments.reserve(userId, name, contentType, Date.now());
      this.scheduleAlarm(this.#attachments.nextDue() ?? Date.now());
      return { id, key: objectKey(this.#store.meta!.conversationId, id) };
    });
  }

  /** The Worker stored an upload's bytes: it may now be sent with a message. */
  attachmentReady(userId: string, id: string, size: number, width?: number, height?: number): Result<Attachment> {
    return this.#asMember(userId, () => {
      const attachment = this.#attachments.ready(userId, id, size, width, height, Date.now());
      this.scheduleAlarm(this.#attachments.nextDue() ?? Date.now());
      return attachment;
    });
  }

  /** Where a file a member may download is, and what it is (`GET …/attachments/{id}`). */
  attachmentFor(userId: string, id: string): Result<{ key: string; name: string; content_type: string; size: number }> {
    return this.#asMember(userId, () => {
      const row = this.#attachments.downloadable(id, userId);
      if (!row) throw new ParleyError("not_found", "No such attachment.");
      return { key: objectKey(this.#store.meta!.conversationId, id), name: row.name, content_type: row.content_type, size: row.size };
    });
  }

  /** Full-text search of this conversation's messages, ranked, paged by offset (`GET …/search`). */
  search(userId: string, query: string, limit: number, offset: number): Result<MessageSearchPage> {
    return this.#asMember(userId, () => {
      const { hits, more, partial } = this.#search.search(query, limit, offset);
      const page: MessageSearchPage = { results: hits };
      if (more) page.next_cursor = String(offset + limit);
      if (partial) page.partial = true;
      return page;
    });
  }

  /** `POST …/read`: the read watermark over REST (relayed as the member's privacy settings allow). */
  async markRead(userId: string, upToSeq: number): Promise<Result<Receipt>> {
    const failed = await ensurePrivacy(this.#privacy, userId);
    if (failed) return err(failed);
    return this.#asMember(userId, () => this.#frames.moveReceipt(userId, "read", upToSeq));
  }

  /**
   * A member's User actor tells what they do not share (decision 0028),
   * stamped with a version; the newest wins. Room presence follows at once:
   * a member who stops sharing it while online goes offline for the others
   * (without a last seen), and comes back online when they share it again.
   */
  setMemberPrivacy(userId: string, mask: number, version: number): Result<{ applied: boolean }> {
    return ok({ applied: setMemberPrivacy(this.#privacy, userId, mask, version) });
  }

  /**
   * Long-poll fallback: answers at once when anything newer than the cursor
   * exists, otherwise when the next message is accepted (or, for a poll by
   * rev, the next change) or after `timeoutMs` (polls.ts). A held poll belongs to its user: it is checked again when it
   * is answered, and answered at once, with the refusal, when its user is
   * removed or blocked, so it never carries a message to someone who lost
   * access while it waited.
   */
  async poll(userId: string, cursor: PollCursor, timeoutMs: number): Promise<Result<PollPage>> {
    const denied = this.#denied(userId);
    if (denied) return err(denied);
    return this.#polls.poll(userId, cursor, timeoutMs);
  }

  /**
   * Adds members (groups; admins and the owner). Already present ones are
   * left as they are. The rules are checked, then the adder's budget is spent
   * and each newcomer's User actor asked (admitMembers), then, since other
   * events ran meanwhile, everything is checked again and committed in one
   * synchronous step.
   */
  async addMembers(actorId: string, members: Member[]): Promise<Result<{ conversation: ConversationView; added: Member[] }>> {
    const planned = this.#asMember(actorId, (actor) => planAdd(this.#membership, actor, members));
    if (!planned.ok) return planned;
    let admittedUntil: number;
    try {
      admittedUntil = await admitMembers(this.#membership, this.#store.meta!.conversationId, actorId, "add", planned.value);
    } catch (e) {
      return err(toParleyError(e));
    }
    return this.#asMember(actorId, (actor) => addMembers(this.#membership, actor, planned.value, admittedUntil));
  }

  /** Removes a member, or lets one leave (`actorId === targetId`); their held long-polls are refused at once. */
  removeMember(actorId: string, targetId: string): Result<{ conversation: ConversationView }> {
    const result = this.#asMember(actorId, (actor) => removeMember(this.#membership, actor, targetId));
    if (result.ok) this.#polls.settle(targetId);
    return result;
  }

  /** Changes a member's role; giving "owner" hands the group over. */
  setRole(actorId: string, targetId: string, role: Member["role"]): Result<{ conversation: ConversationView }> {
    return this.#asMember(actorId, (actor) => setRole(this.#membership, actor, targetId, role));
  }

  /** Renames a group. */
  setTitle(actorId: string, title: string): Result<{ conversation: ConversationView }> {
    return this.#asMember(actorId, (actor) => setTitle(this.#membership, actor, title));
  }

  /** Blocks or unblocks in this direct conversation (see membership.ts); a block refuses the blocked user's held long-polls at once. */
  setBlock(blocker: string, blocked: string, on: boolean): Result<{ blocked: boolean }> {
    const result = setBlock(this.#membership, blocker, blocked, on);
    if (on) this.#polls.settle(blocked);
    return ok(result);
  }

  /** One message of this conversation, for a report; only members may cite it. */
  messageForReport(userId: string, seq: number): Result<Message> {
    return this.#asMember(userId, () => {
      const message = this.#store.messageAt(seq);
      if (!message) throw new ParleyError("not_found", `No message ${seq} in this conversation.`);
      return message;
    });
  }

  // -------------------------------------------------------------------------
  // RPC: invite links (§22.17) and operators (§22.18)
  // -------------------------------------------------------------------------

  async createInvite(actorId: string, hash: string, expiresIn: number | undefined, maxUses: number | undefined): Promise<Result<InviteView>> {
    return this.#asMember(actorId, (actor) => createInvite(this.#inviteContext, actor, hash, expiresIn, maxUses));
  }

  listInvites(actorId: string): Result<{ invites: InviteView[] }> {
    return this.#asMember(actorId, (actor) => listInvites(this.#inviteContext, actor));
  }

  revokeInvite(actorId: string, idOrHash: string): Result<InviteView> {
    return this.#asMember(actorId, (actor) => revokeInvite(this.#inviteContext, actor, idOrHash));
  }

  /** What a holder of a valid code may see before joining: the group's title and size. */
  previewInvite(hash: string): Result<{ title?: string; member_count: number; expires_at: number }> {
    return previewInvite(this.#inviteContext, hash);
  }

  /** Joins the group by a code: checks it, asks the joiner's User actor about blocks, then checks again and commits (invites/actions.ts). */
  async joinByInvite(userId: string, username: string, hash: string): Promise<Result<{ conversation: ConversationView; joined: boolean }>> {
    const result = await joinByInvite(this.#inviteContext, userId, username, hash, (memberIds) => this.#user(userId).blockedWithAny(memberIds));
    if (result.ok && result.value.joined) {
      this.scheduleAlarm(Date.now());
      this.scheduleAlarm(this.#fanout.changed(Date.now()));
    }
    return result;
  }

  /**
   * Messages around `seq` for an operator reviewing a report: read without
   * membership (the Worker allows operators only, and logs the read).
   */
  operatorContext(seq: number, around: number): Result<{ conversation: ConversationView; messages: Message[] }> {
    return operatorContext(this.#store, seq, around);
  }

  /** Deletes a message as an operator (a tombstone, as a deletion by its sender, §22.5; operator.ts). */
  operatorDelete(operatorId: string, seq: number): Result<ChangeAck> {
    return operatorDelete(this.#changes, this.log, operatorId, seq);
  }

  /** Closes every socket of a suspended user here (4003, §22.18). */
  closeUserSockets(userId: string): { closed: number } {
    this.#suspensions.note(userId);
    return closeUserSockets(this.sockets, userId);
  }

  /** Closes the user's sockets here whose token belongs to a login session that ended (4101, §22.19). */
  closeSessionSockets(userId: string, familyIds: string[]): { closed: number } {
    return { closed: this.sockets.endSessions(new Set(familyIds), userId) };
  }

  // -------------------------------------------------------------------------
  // Socket hooks (SocketActor)
  // -------------------------------------------------------------------------

  protected override parse(raw: string | ArrayBuffer): ParseResult<ClientFrame> {
    return parseClientFrame(raw);
  }

  protected override async admit(identity: Identity): Promise<ParleyError | undefined> {
    const uid = identity.userId;
    return this.#denied(uid) ?? (await this.#suspensions.refusal(uid, () => this.#user(uid).standing())) ?? (await ensurePrivacy(this.#privacy, uid));
  }

  protected override atCapacity(identity: Identity): ParleyError | undefined {
    let open = 0;
    for (const _ of this.sockets.open(identity.userId)) open++;
    if (open >= this.config.maxSocketsPerUser) {
      return new ParleyError("rate_limited", `At most ${this.config.maxSocketsPerUser} open sockets per user and conversation.`, { retryAfterMs: 5000 });
    }
    return undefined;
  }

  protected override socketTags(identity: Identity): string[] {
    return [identity.userId];
  }

  protected override helloFields(): Record<string, unknown> {
    return { conversation_id: this.#store.meta?.conversationId };
  }

  protected override onFrame(ws: WebSocket, st: SocketState, frame: ClientFrame): void {
    const rid = frame.rid;
    if (frame.type === "conversation.join") return this.#frames.join(ws, st, frame.data, rid);
    if (!isJoined(st)) {
      return this.sockets.badFrame(ws, st, new ParleyError("not_joined", `Send conversation.join before ${frame.type}.`), rid);
    }
    switch (frame.type) {
      case "message.send":
        acceptMessage(this.#send, st.uid, frame.data, { session_id: st.sid }, ws, rid);
        return;
      case "sync":
        return this.#frames.sync(ws, st, frame.data, rid);
      case "message.edit":
        applyChange(this.#changes, memberOf(this.#store, st.uid), { kind: "edit", seq: frame.data.seq, body: frame.data.body }, ws, rid);
        return;
      case "message.delete":
        applyChange(this.#changes, memberOf(this.#store, st.uid), { kind: "delete", seq: frame.data.seq }, ws, rid);
        return;
      case "reaction.add":
      case "reaction.remove":
        applyChange(this.#changes, memberOf(this.#store, st.uid), { kind: frame.type, seq: frame.data.seq, reaction: frame.data.reaction }, ws, rid);
        return;
      case "typing.start":
      case "typing.stop":
        return this.#frames.typing(ws, st, frame.type === "typing.start" ? "start" : "stop");
      case "receipt.read":
      case "receipt.delivered": {
        const receipt = this.#frames.moveReceipt(st.uid, frame.type === "receipt.read" ? "read" : "delivered", frame.data.up_to_seq, ws);
        sendText(ws, encode("receipt.updated", receipt, rid));
        return;
      }
    }
  }

  /** A socket left the room: the member goes offline with their last joined socket, seen last now. */
  protected override onClose(before: SocketState): void {
    if (isJoined(before) && !this.sockets.isOnline(before.uid)) {
      const now = Date.now();
      this.#store.setLastSeen(before.uid, now);
      this.sockets.presence({ user_id: before.uid, status: "offline", last_seen_at: now }, isLarge(this.#store));
    }
  }

  /** Deliveries to inboxes and notifications, then the search index's catching up. */
  protected override async onAlarm(now: number): Promise<number | undefined> {
    await this.#fanout.run(now);
    const integrations = this.#store.meta ? await this.#integrations.run(now) : undefined;
    if (this.#store.meta) this.#search.catchUp();
    const files = this.#store.meta ? await this.#attachments.sweep(this.env.FILES, this.#store.meta.conversationId, Date.now()) : undefined;
    const due = [this.#fanout.due(), files, integrations].filter((t): t is number => t !== undefined).reduce<number | undefined>((a, t) => (a === undefined ? t : Math.min(a, t)), undefined);
    // A burst larger than one pass of the index comes back for the rest soon.
    if (this.#store.meta && this.#search.behind) return Math.min(due ?? Infinity, Date.now() + 50);
    return due;
  }

  protected override logFields(): LogFields {
    const id = this.#store?.meta?.conversationId;
    return { actor: `Conversation:${id ?? this.ctx.id.toString()}`, conversation_id: id };
  }

  // -------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------

  /**
   * Why `userId` may not use this conversation, if they may not. Someone who
   * is not a member gets exactly the answer of an unknown id (404, same
   * words: noSuchConversation), so that no route tells a stranger whether a
   * conversation exists; a member refused by a rule (a block) gets 403.
   */
  #denied(userId: string, options: { allowBlocked?: boolean } = {}): ParleyError | undefined {
    if (!this.#store.meta || !this.#store.member(userId)) return noSuchConversation();
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
      if (error.code === "internal") this.log("error", "rpc.fault", { user_id: userId, error: describeError(e) });
      return err(error);
    }
  }

  #user(userId: string) {
    return this.env.USER.get(this.env.USER.idFromName(userId));
  }

  #pollPage(cursor: PollCursor): PollPage {
    const page = "after_rev" in cursor
      ? this.#store.messages.byRev(cursor.after_rev, DEFAULT_PAGE_LIMIT)
      : this.#store.page({ direction: "forward", after: cursor.after_seq, before: undefined, limit: DEFAULT_PAGE_LIMIT });
    return { messages: page.messages, last_seq: this.#store.lastSeq, last_rev: this.#store.messages.lastRev };
  }
}
