import type { Env } from "../env.ts";
import {
  DEFAULT_CONVERSATION_PAGE,
  InboxUpdate,
  Notification,
  NotificationDelivery,
  ParleyError,
  PatchMeRequest,
  PresenceStatus,
  SettablePresence,
  UserId,
  describeIssue,
  parseInboxClientFrame,
  type ConversationList,
  type InboxClientFrame,
  type MeResponse,
  type GlobalSearchResponse,
  type ParseResult,
  type SessionList,
} from "../protocol/index.ts";
import { withTimeout } from "../shared/async.ts";
import type { LogFields } from "../shared/log.ts";
import { runMigrations } from "../shared/migrations.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { takeToken, type Bucket } from "../shared/rules.ts";
import { SocketActor, type Identity } from "../shared/socket-actor.ts";
import { BlockStore } from "./block-store.ts";
import { GroupAccess, rateLimited } from "./group-access.ts";
import { InboxSockets, encodeInbox, sendText, type InboxSocketState } from "./inbox-sockets.ts";
import { Profiles } from "./profile.ts";
import { USER_MIGRATIONS } from "./migrations.ts";
import { Presence, type VisiblePresence } from "./presence.ts";
import { PrivacySync } from "./privacy.ts";
import { decodeInboxCursor, encodeInboxCursor, notificationAllowed } from "./rules.ts";
import { SessionStore, type SessionMeta } from "./session-store.ts";
import { LoginSessions, type SessionGrant } from "./login-sessions.ts";
import { UserStore } from "./store.ts";
import { searchConversations } from "./search.ts";
import { Standing, suspendedError } from "./standing.ts";
import { sessionEndedError } from "../auth/tokens.ts";
import { mayPushDirect, pushDirect, pushIfAway, type PushContext } from "./push.ts";
import { rotateBotToken, setupBot, type BotAccountContext } from "./bot-account.ts";
import { BotStore } from "../bots/bot-store.ts";
import type { BotCall } from "../bots/outbox.ts";
import { PushStore } from "../push/push-store.ts";
import { vapidKeysOf } from "../push/webpush.ts";
import { flushCounters } from "../admin/metrics.ts";
import { pushFor } from "../push/payloads.ts";
import type { BotReply } from "../protocol/index.ts";

export { SEARCH_FANOUT_MAX } from "./search.ts";

/** How long a pull of a large conversation may take before its last known state is used. */
const PULL_TIMEOUT_MS = 2000;
/** Watches of large conversations are renewed this often while an inbox socket is open (they last WATCH_TTL_MS). */
const WATCH_RENEW_MS = 60_000;


export type { SessionGrant } from "./login-sessions.ts";

/**
 * One user: profile, settings, sessions, the inbox index, notifications,
 * presence, and the user's inbox sockets. Single-threaded like every actor:
 * a handler that reads and writes without an `await` in between is atomic
 * with respect to every other request, which is what makes a refresh-token
 * rotation and a version check safe without locks.
 *
 * The bodies behind some RPCs live beside it: search across conversations
 * (search.ts), suspension (standing.ts), web push (push.ts), a bot's account
 * (bot-account.ts), presence, privacy, profile and group access.
 */
export class User extends SocketActor<InboxSocketState, InboxClientFrame, InboxSockets> {
  #store!: UserStore;
  #logins!: LoginSessions;
  #presence!: Presence;
  #privacy!: PrivacySync;
  #profiles!: Profiles;
  #access!: GroupAccess;
  /** This actor's user, once known (for log lines). */
  #userId: string | undefined;
  /** When the watches on large conversations were last renewed. */
  #watchedAt = 0;
  /** The `presence.set` budget of all the user's inbox sockets (in memory: a flood keeps the actor awake). */
  #presenceBucket: Bucket | undefined;
  /** A bot's credentials (§22.14) and the user's web push (§22.16). */
  #bot!: BotStore;
  #push!: PushStore;
  /** Suspension by an operator (standing.ts). */
  #standing!: Standing;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, (c, heartbeatMs, onClosed, log) => new InboxSockets(c, heartbeatMs, onClosed, log));
  }

  protected override onStart(): void {
    runMigrations(this.ctx.storage, USER_MIGRATIONS);
    this.#store = new UserStore(this.ctx.storage);
    this.#profiles = new Profiles(this.#store, this.env, (at) => this.scheduleAlarm(at), this.log);
    this.#presence = new Presence(this.#store, this.sockets, this.env, this.log, {
      offlineDelayMs: this.config.presenceOfflineDelayMs,
      schedule: (at) => this.scheduleAlarm(at),
    });
    this.#privacy = new PrivacySync(this.#store, this.env, this.log, (at) => this.scheduleAlarm(at));
    this.#bot = new BotStore(this.ctx.storage.sql);
    this.#push = new PushStore(this.ctx.storage.sql);
    this.#access = new GroupAccess(new BlockStore(this.ctx.storage), this.#store, this.config, this.log, (other) => this.#presence.blocked(other));
    this.#standing = new Standing(this.ctx.storage.sql, this.#store, this.sockets, this.env, this.log);
    this.#logins = new LoginSessions({
      sessions: new SessionStore(this.ctx.storage),
      store: this.#store,
      standing: this.#standing,
      secret: this.env.AUTH_SECRET,
      maxSessions: this.config.maxSessions,
      log: this.log,
      waitUntil: (work) => this.ctx.waitUntil(work),
    });
    // A restart that skipped the close events (a crash, a deploy) can leave
    // the user "online" with no socket: sockets that survived hibernation
    // are still listed here, so none listed means none open. The user is
    // then leaving (offline after the delay, unless a socket comes back).
    const me = this.#store.profile();
    if (me && this.sockets.readyCount() === 0) this.#presence.disconnected(Date.now());
    if (this.#store.privacy().pending) this.scheduleAlarm(Date.now());
  }

  // -------------------------------------------------------------------------
  // RPC: sessions (called by the Worker's /v1/auth routes)
  // -------------------------------------------------------------------------

  /** Opens a session for a login; past MAX_SESSIONS live sessions, the least recently used ends (login-sessions.ts). */
  createSession(userId: string, username: string, meta: SessionMeta = {}): Promise<Result<SessionGrant>> {
    return this.#logins.create(userId, username, meta);
  }

  /** Exchanges a refresh token for the next one of its family; a reuse revokes the family. */
  refresh(refreshToken: string): Promise<Result<SessionGrant>> {
    return this.#logins.refresh(refreshToken);
  }

  /** Logout with an access token: ends the session its `sid` names. Idempotent. */
  revokeSession(familyId: string): Promise<Result<{ revoked: boolean }>> {
    return this.#logins.logout(familyId);
  }

  /** Logout with a refresh token (current or already used): ends its session. */
  logout(refreshToken: string): Promise<Result<{ revoked: boolean }>> {
    return this.#logins.logoutByToken(refreshToken);
  }

  /** The user's live sessions (`GET /v1/me/sessions`); `current` is the asking token's. */
  listSessions(currentFamilyId: string): Result<SessionList> {
    return this.#logins.list(currentFamilyId);
  }

  /** Ends every live session but `keepFamilyId` ("sign out other devices"); answers how many ended. */
  revokeOtherSessions(keepFamilyId: string): Promise<Result<{ revoked: number }>> {
    return this.#logins.endOthers(keepFamilyId);
  }

  /** Ends one live session of the user's (`DELETE /v1/me/sessions/{id}`); `not_found` for any other id. */
  revokeOwnSession(familyId: string): Promise<Result<{ revoked: true }>> {
    return this.#logins.endOne(familyId);
  }

  /** Whether a refresh token is the current one of a live session, without spending it (linking an account). */
  sessionOf(refreshToken: string): Promise<Result<{ family_id: string; user: { id: string; username: string } }>> {
    return this.#logins.sessionOf(refreshToken);
  }

  // -------------------------------------------------------------------------
  // RPC: profile and settings (GET/PATCH /v1/me)
  // -------------------------------------------------------------------------

  /** The user as they see themselves; registers them first when their token was minted elsewhere. */
  async me(userId: string, username: string): Promise<Result<MeResponse>> {
    const profile = await this.#profiles.ensure(userId, username);
    return profile.ok ? ok(this.#me()) : profile;
  }

  /** The stored profile and settings, or `not_found` for a user never seen. */
  profile(): Result<MeResponse> {
    return this.#store.profile() ? ok(this.#me()) : err(new ParleyError("not_found", "No such user."));
  }

  /** Applies `PATCH /v1/me`, then copies display name and avatar to the Directory for search. */
  async updateMe(userId: string, username: string, patch: PatchMeRequest): Promise<Result<MeResponse>> {
    const parsed = PatchMeRequest.safeParse(patch);
    if (!parsed.success) return err(new ParleyError("bad_request", describeIssue(parsed.error.issues)));
    const profile = await this.#profiles.ensure(userId, username);
    if (!profile.ok) return profile;
    const { settings, ...fields } = parsed.data;
    this.#store.updateProfile(fields, Date.now());
    const sharedPresence = this.#store.settings().share_presence;
    if (settings) this.#store.updateSettings(settings);
    const now = this.#store.settings();
    // What the user shares changed: the conversations learn it before the
    // answer (they decide what to relay), and contacts hear the presence
    // they may now see.
    await this.#privacy.settingsChanged(userId, now);
    if (now.share_presence !== sharedPresence) this.#presence.sharingChanged(userId, Date.now());
    const answer = this.#me();
    await this.#profiles.syncDirectory();
    return ok(answer);
  }

  /**
   * `PUT /v1/me/presence`: chooses a status, as the inbox socket's
   * `presence.set` does, from the same budget. Only an online user has one
   * to choose: without an inbox socket the answer is `conflict`.
   */
  setPresence(status: SettablePresence): Result<{ status: SettablePresence }> {
    const parsed = SettablePresence.safeParse(status);
    const me = this.#store.profile();
    if (!parsed.success) return err(new ParleyError("bad_request", "status: must be online, away or busy."));
    if (!me || this.#presence.offline) {
      return err(new ParleyError("conflict", "You are offline: a status holds while an inbox socket is open (GET /v1/inbox/ws); open one first."));
    }
    try {
      this.#takePresenceToken();
    } catch (e) {
      return err(e as ParleyError);
    }
    this.#presence.set(me.user_id, parsed.data, Date.now());
    return ok({ status: parsed.data });
  }

  /** This user's presence as `viewerId` may see it (a UserView of search or `GET /v1/users/{username}`). */
  presenceFor(viewerId: string): VisiblePresence {
    return this.#presence.visibleTo(viewerId);
  }

  /** The privacy mask and its version, asked by a conversation that holds none for this member yet (decision 0028). */
  privacy(): { mask: number; version: number } {
    return this.#privacy.current();
  }

  // -------------------------------------------------------------------------
  // RPC: inbox, notifications, presence
  // -------------------------------------------------------------------------

  /**
   * A Conversation actor reports a change the member must learn. Idempotent:
   * applies only when `version` is newer than the stored one (max-wins);
   * `role` absent means the user is no longer a member. Pushes the result to
   * the user's inbox sockets. Throws on a malformed update, so the sender's
   * outbox keeps it and logs the failure instead of losing it.
   */
  applyConversation(update: InboxUpdate): void {
    const parsed = InboxUpdate.safeParse(update);
    if (!parsed.success) throw new ParleyError("bad_request", `InboxUpdate ${describeIssue(parsed.error.issues)}`);
    this.#privacy.updateSeen(parsed.data);
    // Where the conversation stood, read only when a push could follow (push.ts).
    const before = mayPushDirect(this.#pushContext, parsed.data) ? (this.#store.conversation(parsed.data.conversation.id)?.last_seq ?? 0) : undefined;
    const result = this.#store.applyConversation(parsed.data, Date.now(), this.sockets.readyCount() > 0);
    if (!result.applied) return;
    if (result.joined) {
      const reached = this.#standing.reachJoined(parsed.data.conversation.id, () => this.#logins.recentlyEnded());
      if (reached) this.ctx.waitUntil(reached);
    }
    if (before !== undefined) pushDirect(this.#pushContext, parsed.data, before);
    if (result.change === "updated") this.sockets.broadcast("inbox.updated", { conversation: result.conversation });
    else if (result.change === "removed") this.sockets.broadcast("inbox.removed", { conversation_id: result.conversationId });
  }

  /**
   * A page of the user's conversations, latest activity first
   * (`GET /v1/conversations?cursor=&limit=`). Every large conversation is
   * pulled fresh first, whichever page is asked for: a pull can move a large
   * conversation ahead of others, so the order is exact only with all of
   * them current.
   */
  async listConversations(options: { cursor?: string; limit?: number } = {}): Promise<Result<ConversationList>> {
    const after = options.cursor === undefined ? undefined : decodeInboxCursor(options.cursor);
    if (options.cursor !== undefined && !after) {
      return err(new ParleyError("bad_request", "cursor: not a cursor of this list; pass next_cursor back unchanged."));
    }
    await this.#pullLarge(false);
    const page = this.#store.conversationPage(options.limit ?? DEFAULT_CONVERSATION_PAGE, after);
    return ok({ conversations: page.conversations, ...(page.next ? { next_cursor: encodeInboxCursor(page.next) } : {}) });
  }

  /**
   * Searches the user's conversations (`GET /v1/search`): the
   * SEARCH_FANOUT_MAX most recently active, CONCURRENCY at a time, within
   * SEARCH_BUDGET_MS in all; the best `limit` matches by rank. `partial`
   * when some conversation was left out, failed or was too slow.
   */
  async search(query: string, limit: number): Promise<Result<GlobalSearchResponse>> {
    return searchConversations(this.env, this.#store, query, limit);
  }

  /**
   * Mutes a conversation (`until` a time, or for ever) or unmutes it;
   * every inbox socket hears the conversation's new state when the inbox
   * holds it. The Worker checked membership first.
   */
  setMute(conversationId: string, until: number | undefined | false): Result<{ muted: boolean; muted_until?: number }> {
    this.#store.setMute(conversationId, until);
    const conversation = this.#store.conversation(conversationId);
    if (conversation) this.sockets.broadcast("inbox.updated", { conversation });
    if (until === false) return ok({ muted: false });
    if (until === undefined) return ok({ muted: true });
    return ok(until > Date.now() ? { muted: true, muted_until: until } : { muted: false });
  }

  /** The kept notifications, newest first (`GET /v1/notifications`). */
  listNotifications(limit: number, unreadOnly: boolean): Result<{ notifications: Notification[]; notifications_unread: number }> {
    return ok({ notifications: this.#store.notifications(limit, unreadOnly), notifications_unread: this.#store.unreadNotifications() });
  }

  /**
   * Marks notifications read (REST or the inbox socket's `notification.read`);
   * every inbox socket of the user learns it, the asking one with its rid.
   */
  readNotifications(ids: string[], origin?: { ws: WebSocket; rid: string | undefined }): Result<{ ids: string[]; notifications_unread: number }> {
    const changed = this.#store.markNotificationsRead(ids, Date.now());
    const data = { ids: changed, notifications_unread: this.#store.unreadNotifications() };
    this.sockets.broadcast("notifications.read", data, origin);
    return ok(data);
  }

  /**
   * Stores a notification once (by id) if the user's settings want it and
   * whoever caused it is not blocked either way, and pushes it to their
   * sockets. `caused_by` stays here: it is not stored or sent.
   */
  notify(notification: NotificationDelivery): Result<{ delivered: boolean }> {
    const parsed = NotificationDelivery.safeParse(notification);
    if (!parsed.success) return err(new ParleyError("bad_request", `Notification ${describeIssue(parsed.error.issues)}`));
    const { caused_by: causedBy, sender_name: senderName, excerpt, ...n } = parsed.data;
    if (causedBy !== undefined && this.#access.isBlockedEitherWay(causedBy)) return ok({ delivered: false });
    // A muted conversation notifies no one (its unread count still moves: that is the inbox's, not a notification).
    if (this.#store.isMuted(n.conversation_id, Date.now())) return ok({ delivered: false });
    if (!notificationAllowed(this.#store.settings().notifications, n.kind) || !this.#store.addNotification(n)) {
      return ok({ delivered: false });
    }
    this.sockets.broadcast("notification.new", { notification: this.#store.notification(n.id)! });
    if (n.kind !== "added") pushIfAway(this.#pushContext, pushFor(n.kind, n.conversation_id, n.seq, senderName, excerpt));
    return ok({ delivered: true });
  }

  /** Another user's actor reports their status; forwarded to this user's sockets if they are a contact. */
  presenceChanged(userId: string, status: string, lastSeenAt?: number, at: number = Date.now()): void {
    const who = UserId.safeParse(userId);
    const what = PresenceStatus.safeParse(status);
    if (!who.success || !what.success) return;
    this.#presence.received(who.data, what.data, lastSeenAt, at);
  }

  // -------------------------------------------------------------------------
  // RPC: blocks and groups (decision 0013)
  // -------------------------------------------------------------------------

  /** Records or lifts a block that concerns this user (the Worker's block route; group-access.ts). */
  setBlock(otherId: string, direction: "out" | "in", on: boolean): Promise<Result<{ blocked: boolean }>> {
    return this.#access.setBlock(otherId, direction, on);
  }

  /** After an unblock: tells `otherId` this user's status, which they heard nothing of while blocked. */
  announcePresenceTo(otherId: string): void {
    const me = this.#store.profile();
    if (me && UserId.safeParse(otherId).success) this.#presence.announceTo(me.user_id, otherId);
  }

  /** "May `adderId` add you to this group?", asked by the conversation before it adds this user (group-access.ts). */
  admitToGroup(adderId: string, conversationId: string, until: number): Result<{ expires_at: number }> {
    return this.#access.admit(adderId, conversationId, until);
  }

  /** Spends this user's budget of group creations and people added, asked by the conversation first (group-access.ts). */
  spendGroupBudget(action: "create" | "add", people: number): Result<{ spent: true }> {
    return this.#access.spend(action, people);
  }

  // -------------------------------------------------------------------------
  // RPC: bots (§22.14), suspension (§22.18), web push (§22.16)
  // -------------------------------------------------------------------------

  /** Makes this actor's user a bot (the operators' route registered its id and username first). */
  async setupBot(botId: string, username: string, webhookUrl: string | undefined, profile: { display_name?: string; avatar_url?: string }): Promise<Result<{ token: string; webhook_secret: string }>> {
    return setupBot(this.#botAccount, botId, username, webhookUrl, profile);
  }

  /** A new token for this bot (the old one stops at once), or none (`revoke`). */
  async rotateBotToken(revoke: boolean): Promise<Result<{ token?: string }>> {
    return rotateBotToken(this.#botAccount, revoke);
  }

  setBotWebhook(url: string | null): Result<{ webhook_url?: string }> {
    if (!this.#bot.get()) return err(new ParleyError("not_found", "No such bot."));
    this.#bot.setWebhook(url);
    return ok(url ? { webhook_url: url } : {});
  }

  /** The bot this token is, if it is this bot's current token and the bot is not suspended. */
  async verifyBotToken(token: string): Promise<Result<{ user_id: string; username: string }>> {
    const profile = this.#store.profile();
    if (!profile || !(await this.#bot.verify(token))) return err(new ParleyError("unauthorized", "The bot token is invalid or was revoked."));
    if (this.#standing.suspended()) return err(suspendedError());
    return ok({ user_id: profile.user_id, username: profile.username });
  }

  /** Posts a message to this bot's webhook and returns its answer (bots/bot-store.ts). */
  async callBot(call: BotCall): Promise<Result<{ reply?: BotReply }>> {
    if (this.#standing.suspended()) return err(new ParleyError("forbidden", "This bot is suspended."));
    return this.#bot.call(call);
  }

  /** Whether a block stands, either way, between this user and any of `userIds` (an invite join asks, §22.17). */
  blockedWithAny(userIds: string[]): boolean {
    const blocked = new Set(this.ctx.storage.sql.exec<{ other_id: string }>("SELECT DISTINCT other_id FROM blocks").toArray().map((r) => r.other_id));
    return blocked.size > 0 && userIds.some((id) => blocked.has(id));
  }

  /**
   * The user's standing (the Worker asks before every authenticated route,
   * worker/standing.ts): suspended or not, and the login sessions that ended
   * recently enough for one of their access tokens to be still unexpired —
   * the Worker refuses those tokens.
   */
  standing(): { suspended: boolean; suspended_at?: number; reason?: string; ended_sessions: string[] } {
    return { ...this.#standing.view(), ended_sessions: this.#logins.recentlyEnded() };
  }

  /**
   * Suspends the user (an operator): every request, sign-in and refresh is
   * refused from now, and every open socket closes with 4003 — the inbox
   * sockets here, the conversation sockets in each conversation of the inbox.
   */
  async suspend(by: string, reason: string | undefined): Promise<Result<{ suspended: true; sockets_closed: number }>> {
    const closed = await this.#standing.suspend(by, reason);
    return ok({ suspended: true, sockets_closed: closed });
  }

  unsuspend(by: string): Result<{ suspended: false }> {
    this.#standing.unsuspend(by);
    return ok({ suspended: false });
  }

  subscribePush(endpoint: string, p256dh: string, auth: string): Result<{ subscriptions: number; replaced?: string }> {
    const { replaced } = this.#push.subscribe(endpoint, p256dh, auth, Date.now());
    return ok({ subscriptions: this.#push.count(), ...(replaced ? { replaced } : {}) });
  }

  unsubscribePush(endpoint: string): Result<{ removed: boolean }> {
    return ok({ removed: this.#push.unsubscribe(endpoint) });
  }

  // -------------------------------------------------------------------------
  // The inbox socket (SocketActor hooks)
  // -------------------------------------------------------------------------

  protected override parse(raw: string | ArrayBuffer): ParseResult<InboxClientFrame> {
    return parseInboxClientFrame(raw);
  }

  /** Registers a user whose token was minted elsewhere, on their first socket. */
  protected override async admit(identity: Identity): Promise<ParleyError | undefined> {
    // The Worker checked both, from a standing it may have cached a few seconds; this is the source.
    if (this.#standing.suspended()) return suspendedError();
    if (identity.sessionId !== undefined && this.#logins.recentlyEnded().includes(identity.sessionId)) return sessionEndedError();
    const profile = await this.#profiles.ensure(identity.userId, identity.username);
    return profile.ok ? undefined : new ParleyError(profile.error.code, profile.error.message);
  }

  protected override atCapacity(): ParleyError | undefined {
    const max = this.config.maxInboxSockets;
    if (this.sockets.openCount() < max) return undefined;
    return new ParleyError("rate_limited", `At most ${max} inbox sockets per user; close one first.`, { retryAfterMs: this.config.heartbeatMs });
  }

  /**
   * After `hello.ack`: the inbox as it is (large conversations pulled fresh,
   * and watched from now on), then who among the contacts is online; the
   * user is online from now.
   */
  protected override async onHello(ws: WebSocket, st: InboxSocketState, rid: string | undefined): Promise<void> {
    await this.#pullLarge(true);
    // The newest part of the inbox only: the rest is paged over REST.
    const page = this.#store.conversationPage(this.config.inboxSnapshotMax);
    sendText(ws, encodeInbox("inbox.snapshot", {
      conversations: page.conversations,
      notifications_unread: this.#store.unreadNotifications(),
      has_more: page.next !== undefined,
      ...(page.next ? { next_cursor: encodeInboxCursor(page.next) } : {}),
      presence: this.#presence.snapshot(),
    }, rid));
    this.#presence.replay(ws, st.uid);
    this.#presence.connected(st.uid, Date.now());
  }

  protected override onFrame(ws: WebSocket, st: InboxSocketState, frame: InboxClientFrame): void {
    switch (frame.type) {
      case "presence.set":
        this.#takePresenceToken();
        this.#presence.set(st.uid, frame.data.status, Date.now(), { ws, rid: frame.rid });
        return;
      case "notification.read":
        this.readNotifications(frame.data.ids, { ws, rid: frame.rid });
        return;
    }
  }

  /** A socket is gone: with the last ready one, the user is leaving (offline after the delay, decision 0029). */
  protected override onClose(before: InboxSocketState, _code: number, ws: WebSocket): void {
    if (before.phase === "ready" && this.sockets.readyCount(ws) === 0) this.#presence.disconnected(Date.now());
  }

  /**
   * The retry of a profile copy the Directory missed (it schedules its own
   * next attempt), and, while an inbox socket is open, the renewal of the
   * watches on large conversations (the heartbeat keeps this alarm coming).
   */
  protected override async onAlarm(now: number): Promise<number | undefined> {
    const offlineAt = this.#presence.due(now, this.sockets.readyCount() > 0);
    await this.#profiles.syncDirectory();
    await this.#privacy.retry(this.#store.profile()?.user_id);
    if (this.sockets.readyCount() > 0 && now - this.#watchedAt >= WATCH_RENEW_MS) await this.#pullLarge(true);
    if (this.#store.profile()) {
      await this.#push.deliver(vapidKeysOf(this.env), Date.now(), this.counters, this.log);
      if (this.counters.dirty) {
        this.counters.gauge("sockets.inbox_open", this.sockets.openCount());
        this.counters.gauge("outbox.push_backlog", this.#push.backlog());
      }
      await flushCounters(this.env, this.counters, `User:${this.#store.profile()!.user_id}`, "user");
    }
    const due = [offlineAt, this.#store.profile() ? this.#push.nextAt() : undefined, this.counters.dueAt()].filter((t): t is number => t !== undefined);
    return due.length > 0 ? Math.min(...due) : undefined;
  }

  /** What the push decisions (push.ts) work with. */
  get #pushContext(): PushContext {
    return { push: this.#push, store: this.#store, sockets: this.sockets, access: this.#access, env: this.env, schedule: (at) => this.scheduleAlarm(at) };
  }

  /** What the bot account operations (bot-account.ts) work with. */
  get #botAccount(): BotAccountContext {
    return { store: this.#store, profiles: this.#profiles, bot: this.#bot, log: this.log };
  }

  /** Takes one `presence.set` token: each accepted change echoes to every inbox socket and may fan out to every contact. */
  #takePresenceToken(): void {
    const rate = this.config.presenceSetRate;
    const taken = takeToken(this.#presenceBucket, Date.now(), rate);
    this.#presenceBucket = taken.bucket;
    if (!taken.ok) throw rateLimited("presence.set frames", rate, taken.retryAfterMs);
  }

  /** The user as they see themselves. */
  #me(): MeResponse {
    return this.#profiles.me(this.#store.profile()!);
  }

  /**
   * Pulls every large conversation of the inbox (they do not push each
   * message to every member, decision 0012) and applies what they answer,
   * max-wins like a pushed update; with `watch`, asks them to push to this
   * user while the watch lasts. A conversation that does not answer in time
   * keeps its last known state.
   */
  async #pullLarge(watch: boolean): Promise<void> {
    const userId = this.#store.profile()?.user_id;
    if (!userId) return;
    const ids = this.#store.largeConversations();
    if (watch) this.#watchedAt = Date.now();
    if (ids.length === 0) return;
    await Promise.allSettled(ids.map(async (id) => {
      const stub = this.env.CONVERSATION.get(this.env.CONVERSATION.idFromName(id));
      const view: Result<InboxUpdate> = await withTimeout(Promise.resolve(stub.inboxView(userId, watch)), PULL_TIMEOUT_MS);
      if (view.ok) this.applyConversation(view.value);
    }));
  }

  protected override logFields(): LogFields {
    this.#userId ??= this.#store?.profile()?.user_id;
    return { actor: `User:${this.#userId ?? this.ctx.id.toString()}`, user_id: this.#userId };
  }
}
