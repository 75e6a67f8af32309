import { DurableObject } from "cloudflare:workers";
import { hashToken, maxSessions, newFamilyId, newRefreshToken, parseRefreshToken } from "../auth/sessions.ts";
import { verifyAccessToken } from "../auth/tokens.ts";
import { FORWARDED } from "../shared/sockets.ts";
import type { Env } from "../env.ts";
import {
  CloseCode,
  DEFAULT_HEARTBEAT_MS,
  InboxUpdate,
  MAX_BODY_CHARS,
  MAX_FRAME_BYTES,
  MAX_INBOX_SOCKETS,
  Notification,
  PING_TEXT,
  PONG_TEXT,
  ParleyError,
  PatchMeRequest,
  PresenceStatus,
  SEND_RATE,
  UserId,
  describeIssue,
  errorBody,
  parseInboxClientFrame,
  toParleyError,
  type InboxClientFrame,
  type InboxConversation,
  type MeResponse,
} from "../protocol/index.ts";
import { randomId } from "../shared/ids.ts";
import { describeError, log, type LogFields } from "../shared/log.ts";
import { runMigrations } from "../shared/migrations.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { InboxSockets, encodeInbox, encodeInboxError, refusal, sendText, type InboxSocketState } from "./inbox-sockets.ts";
import { Profiles } from "./profile.ts";
import { USER_MIGRATIONS } from "./migrations.ts";
import { Presence } from "./presence.ts";
import { notificationAllowed } from "./rules.ts";
import { SessionStore } from "./session-store.ts";
import { UserStore } from "./store.ts";

/** What a login or a refresh gets from the actor; the Worker adds the access token (`sid` = `family_id`). */
export interface SessionGrant {
  refresh_token: string;
  family_id: string;
  user: { id: string; username: string };
}

/**
 * One user: profile, settings, sessions, the inbox index, notifications,
 * presence, and the user's inbox sockets. Single-threaded like every actor:
 * a handler that reads and writes without an `await` in between is atomic
 * with respect to every other request, which is what makes a refresh-token
 * rotation and a version check safe without locks.
 */
export class User extends DurableObject<Env> {
  #store!: UserStore;
  #sessions!: SessionStore;
  #presence!: Presence;
  #profiles!: Profiles;
  readonly #sockets: InboxSockets;
  readonly #heartbeatMs: number;
  readonly #maxSessions: number;
  /** When the stored alarm fires (undefined: none is set). */
  #alarmAt: number | undefined;
  /** This actor's user, once known (for log lines). */
  #userId: string | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const n = Number(env.HEARTBEAT_MS);
    this.#heartbeatMs = Number.isInteger(n) && n > 0 ? n : DEFAULT_HEARTBEAT_MS;
    this.#maxSessions = maxSessions(env.MAX_SESSIONS);
    const logger = (level: "info" | "warn" | "error", event: string, fields: LogFields) => this.#log(level, event, fields);
    this.#sockets = new InboxSockets(ctx, this.#heartbeatMs, (before, _code, ws) => this.#forgotten(before, ws), logger);
    // The runtime answers the text frame "ping" itself, without waking the
    // actor, and records when it did (read back by the heartbeat sweep).
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT));
    void ctx.blockConcurrencyWhile(async () => {
      runMigrations(ctx.storage, USER_MIGRATIONS);
      this.#store = new UserStore(ctx.storage);
      this.#sessions = new SessionStore(ctx.storage);
      this.#profiles = new Profiles(this.#store, env, (at) => this.#scheduleAlarm(at), logger);
      this.#presence = new Presence(this.#store, this.#sockets, env, logger);
      this.#alarmAt = (await ctx.storage.getAlarm()) ?? undefined;
      // A restart that skipped the close events (a crash, a deploy) can leave
      // the user "online" with no socket: sockets that survived hibernation
      // are still listed here, so none listed means none open.
      const me = this.#store.profile();
      if (me && this.#sockets.readyCount() === 0) this.#presence.disconnected(me.user_id, Date.now());
    });
  }

  // -------------------------------------------------------------------------
  // RPC: sessions (called by the Worker's /v1/auth routes)
  // -------------------------------------------------------------------------

  /**
   * Opens a session for a login (the Directory already knows the user).
   * Past MAX_SESSIONS live sessions, the least recently used is revoked.
   */
  async createSession(userId: string, username: string): Promise<Result<SessionGrant>> {
    const familyId = newFamilyId();
    const token = await newRefreshToken(this.env.AUTH_SECRET, userId, familyId);
    const hash = await hashToken(token);
    const now = Date.now();
    const profile = this.#store.createProfile(userId, username, now);
    if (profile.user_id !== userId) return err(new ParleyError("forbidden", "This actor belongs to another user."));
    const evicted = this.#sessions.create(familyId, hash, now, this.#maxSessions);
    this.#log("info", "session.created", { family_id: familyId, evicted: evicted.join(",") || undefined });
    return ok({ refresh_token: token, family_id: familyId, user: { id: userId, username: profile.username } });
  }

  /**
   * Exchanges a refresh token for the next one of its family. Both hashes
   * are computed first; the check and the rotation then run in one
   * synchronous step, so of two concurrent refreshes of one token exactly
   * one rotates, and the other is a reuse that revokes the family.
   */
  async refresh(refreshToken: string): Promise<Result<SessionGrant>> {
    const parts = parseRefreshToken(refreshToken);
    const profile = this.#store.profile();
    if (!parts || !profile || parts.userId !== profile.user_id) return err(invalidRefreshToken());
    const next = await newRefreshToken(this.env.AUTH_SECRET, parts.userId, parts.familyId);
    const [oldHash, newHash] = await Promise.all([hashToken(refreshToken), hashToken(next)]);
    // No await from here to the return.
    const decision = this.#sessions.rotate(oldHash, newHash, parts.familyId, Date.now());
    this.#log(decision === "rotate" ? "info" : "warn", "session.refresh", { family_id: parts.familyId, decision });
    switch (decision) {
      case "rotate":
        return ok({ refresh_token: next, family_id: parts.familyId, user: { id: profile.user_id, username: profile.username } });
      case "reuse":
        return err(new ParleyError("unauthorized", "This refresh token was already used, so the session is revoked; log in again."));
      case "revoked":
      case "expired":
        return err(new ParleyError("unauthorized", "This session has ended; log in again."));
      case "unknown":
        return err(invalidRefreshToken());
    }
  }

  /** Logout with an access token: ends the session its `sid` names. Idempotent. */
  revokeSession(familyId: string): Result<{ revoked: boolean }> {
    const revoked = this.#sessions.revoke(familyId, Date.now(), "logout");
    if (revoked) this.#log("info", "session.revoked", { family_id: familyId, reason: "logout" });
    return ok({ revoked });
  }

  /** Logout with a refresh token (current or already used): ends its session. */
  async logout(refreshToken: string): Promise<Result<{ revoked: boolean }>> {
    if (!parseRefreshToken(refreshToken)) return err(invalidRefreshToken());
    const familyId = this.#sessions.familyOf(await hashToken(refreshToken));
    if (!familyId) return err(invalidRefreshToken());
    return this.revokeSession(familyId);
  }

  // -------------------------------------------------------------------------
  // RPC: profile and settings (GET/PATCH /v1/me)
  // -------------------------------------------------------------------------

  /** The user as they see themselves; registers them first when their token was minted elsewhere. */
  async me(userId: string, username: string): Promise<Result<MeResponse>> {
    const profile = await this.#profiles.ensure(userId, username);
    return profile.ok ? ok(this.#profiles.me(profile.value)) : profile;
  }

  /** The stored profile and settings, or `not_found` for a user never seen. */
  profile(): Result<MeResponse> {
    const profile = this.#store.profile();
    return profile ? ok(this.#profiles.me(profile)) : err(new ParleyError("not_found", "No such user."));
  }

  /** Applies `PATCH /v1/me`, then copies display name and avatar to the Directory for search. */
  async updateMe(userId: string, username: string, patch: PatchMeRequest): Promise<Result<MeResponse>> {
    const parsed = PatchMeRequest.safeParse(patch);
    if (!parsed.success) return err(new ParleyError("bad_request", describeIssue(parsed.error.issues)));
    const profile = await this.#profiles.ensure(userId, username);
    if (!profile.ok) return profile;
    const { settings, ...fields } = parsed.data;
    this.#store.updateProfile(fields, Date.now());
    if (settings) this.#store.updateSettings(settings);
    const answer = this.#profiles.me(this.#store.profile()!);
    await this.#profiles.syncDirectory();
    return ok(answer);
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
    const result = this.#store.applyConversation(parsed.data, Date.now());
    if (!result.applied) return;
    if (result.change === "updated") this.#sockets.broadcast("inbox.updated", { conversation: result.conversation });
    else if (result.change === "removed") this.#sockets.broadcast("inbox.removed", { conversation_id: result.conversationId });
  }

  /** The user's conversations, latest activity first (`GET /v1/conversations`). */
  listConversations(): Result<InboxConversation[]> {
    return ok(this.#store.conversations());
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
    this.#sockets.broadcast("notifications.read", data, origin);
    return ok(data);
  }

  /** Stores a notification once (by id) if the user's settings want it, and pushes it to their sockets. */
  notify(notification: Notification): Result<{ delivered: boolean }> {
    const parsed = Notification.safeParse(notification);
    if (!parsed.success) return err(new ParleyError("bad_request", `Notification ${describeIssue(parsed.error.issues)}`));
    const n = parsed.data;
    if (!notificationAllowed(this.#store.settings().notifications, n.kind) || !this.#store.addNotification(n)) {
      return ok({ delivered: false });
    }
    this.#sockets.broadcast("notification.new", { notification: this.#store.notification(n.id)! });
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
  // The inbox socket
  // -------------------------------------------------------------------------

  /** The WebSocket upgrade of `GET /v1/inbox/ws`, forwarded by the Worker after it authenticated the caller. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return refusal(new ParleyError("bad_request", "Expected a WebSocket upgrade."), 426);
    }
    const userId = request.headers.get(FORWARDED.userId);
    const username = request.headers.get(FORWARDED.username);
    const requestId = request.headers.get(FORWARDED.requestId) ?? randomId("r_", 12);
    if (!userId || !username) return refusal(new ParleyError("unauthorized", "Missing identity."));
    const profile = await this.#profiles.ensure(userId, username);
    if (!profile.ok) return refusal(new ParleyError(profile.error.code, profile.error.message));
    // No await from the count to the accept: concurrent upgrades cannot both take the last place.
    if (this.#sockets.openCount() >= MAX_INBOX_SOCKETS) {
      const retryAfterMs = this.#heartbeatMs;
      return refusal(new ParleyError("rate_limited", `At most ${MAX_INBOX_SOCKETS} inbox sockets per user; close one first.`, { retryAfterMs }));
    }
    const pair = new WebSocketPair();
    const now = Date.now();
    const st: InboxSocketState = {
      sid: randomId("s_", 16), uid: userId, uname: username, exp: Number(request.headers.get(FORWARDED.tokenExp) ?? 0),
      phase: "new", bad: [], seen: now, req: requestId,
    };
    this.#sockets.accept(pair[1], st);
    this.#scheduleAlarm(now + this.#heartbeatMs);
    this.#log("info", "socket.connected", { session_id: st.sid, request_id: requestId });
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const st = this.#sockets.state(ws);
    if (!st || st.phase === "closed") return;
    this.#sockets.touch(ws, st);
    const parsed = parseInboxClientFrame(raw);
    if (!parsed.ok) return this.#sockets.badFrame(ws, st, parsed.error, parsed.rid);
    const frame = parsed.frame;
    try {
      if (frame.type !== "auth.refresh" && st.exp <= Date.now()) {
        return this.#sockets.close(ws, st, CloseCode.TOKEN_EXPIRED, "token expired", { reason: "token_expired", retry: true });
      }
      await this.#dispatch(ws, st, frame);
    } catch (e) {
      const error = toParleyError(e);
      this.#log(error.code === "internal" ? "error" : "warn", "socket.request_failed", {
        session_id: st.sid, type: frame.type, code: error.code, error: describeError(e),
      });
      sendText(ws, encodeInboxError(error.toBody(), frame.rid));
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.#sockets.closed(ws, code, reason);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.#sockets.failed(ws, describeError(error));
  }

  /** Heartbeat sweep, and the retry of a profile copy the Directory missed. */
  override async alarm(): Promise<void> {
    this.#alarmAt = undefined;
    const open = this.#sockets.sweep(Date.now());
    if (open > 0) this.#scheduleAlarm(Date.now() + this.#heartbeatMs);
    await this.#profiles.syncDirectory();
  }

  // -------------------------------------------------------------------------
  // Frame handlers and helpers
  // -------------------------------------------------------------------------

  async #dispatch(ws: WebSocket, st: InboxSocketState, frame: InboxClientFrame): Promise<void> {
    const rid = frame.rid;
    if (st.phase === "new" && frame.type !== "hello") {
      return this.#sockets.badFrame(ws, st, new ParleyError("handshake_required", "Send hello first."), rid);
    }
    switch (frame.type) {
      case "hello": {
        if (st.phase !== "new") return this.#sockets.badFrame(ws, st, new ParleyError("bad_request", "type: hello was already received."), rid);
        st.phase = "ready";
        this.#sockets.save(ws, st);
        sendText(ws, encodeInbox("hello.ack", {
          session_id: st.sid,
          user_id: st.uid,
          server_time: Date.now(),
          heartbeat_ms: this.#heartbeatMs,
          limits: { max_body_chars: MAX_BODY_CHARS, max_frame_bytes: MAX_FRAME_BYTES, send_rate: { ...SEND_RATE } },
        }, rid));
        sendText(ws, encodeInbox("inbox.snapshot", {
          conversations: this.#store.conversations(),
          notifications_unread: this.#store.unreadNotifications(),
        }, rid));
        this.#presence.replay(ws, st.uid);
        this.#presence.connected(st.uid, Date.now());
        return;
      }
      case "ping":
        sendText(ws, encodeInbox("pong", { server_time: Date.now() }, rid));
        return;
      case "auth.refresh": {
        const principal = await verifyAccessToken(this.env.AUTH_SECRET, frame.data.access_token);
        if (principal.userId !== st.uid) {
          sendText(ws, encodeInboxError(errorBody("forbidden", "The new token belongs to another user."), rid));
          this.#sockets.close(ws, st, CloseCode.FORBIDDEN, "token of another user");
          return;
        }
        st.exp = principal.expiresAt;
        this.#sockets.save(ws, st);
        sendText(ws, encodeInbox("auth.refreshed", { expires_at: principal.expiresAt }, rid));
        return;
      }
      case "presence.set":
        this.#presence.set(st.uid, frame.data.status, Date.now(), { ws, rid });
        return;
      case "notification.read":
        this.readNotifications(frame.data.ids, { ws, rid });
        return;
    }
  }

  /** A socket is gone: with the last ready one, the user goes offline. */
  #forgotten(before: InboxSocketState, ws: WebSocket): void {
    if (before.phase === "ready" && this.#sockets.readyCount(ws) === 0) this.#presence.disconnected(before.uid, Date.now());
  }

  /** Sets the alarm unless one is due sooner. */
  #scheduleAlarm(at: number): void {
    if (this.#alarmAt !== undefined && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  #log(level: "info" | "warn" | "error", event: string, fields: LogFields): void {
    this.#userId ??= this.#store?.profile()?.user_id;
    log(level, event, { actor: `User:${this.#userId ?? this.ctx.id.toString()}`, user_id: this.#userId, ...fields });
  }
}

function invalidRefreshToken(): ParleyError {
  return new ParleyError("unauthorized", "The refresh token is invalid; log in again.");
}
