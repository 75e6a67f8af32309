import type { z } from "zod";
import {
  AddMembersResponse,
  BlockResponse,
  HealthResponse,
  MemberPage,
  MessageAck,
  MuteResponse,
  NotificationsResponse,
  PollResponse,
  ReadNotificationsResponse,
  Receipt,
  ReportResponse,
  SearchResponse,
  UserResponse,
  Role,
  ChangeAck,
  ConversationList,
  ConversationResponse,
  GlobalSearchResponse,
  HistoryPage,
  LoginResponse,
  MeResponse,
  MessageSearchPage,
  UploadResponse,
  CeremonyOptions,
  CreateInviteResponse,
  InvitePreview,
  JoinInviteResponse,
  PushSubscribeResponse,
  SetPresenceResponse,
  SignInMethods,
  TopicEventsPage,
  type PatchMeRequest,
  type ReportRequest,
  type UserView,
  type Attachment,
  type ConversationView,
  type InboxConversation,
  type AuthenticationResponseJson,
  type IdentityView,
  type InviteView,
  type OAuthProvider,
  type PasskeyView,
  type PushSubscriptionRequest,
  type RegistrationResponseJson,
  type SessionView,
  type SettablePresence,
} from "../../src/protocol/index.ts";
import * as auth from "./rest-auth.ts";
import * as invites from "./rest-invites.ts";
import type { HistoryOptions, PageOptions, PollOptions, RestSendOptions, SearchOptions } from "./rest-options.ts";
import { NO_CONTENT, RawBody, RestTransport, conversationPath, defaultFetch, messagePath, queryString } from "./rest-request.ts";
import { ParleyAdmin } from "./admin.ts";
import { TokenSource } from "./auth.ts";
import { TIMING, type Timing } from "./timing.ts";
import { jwtSubject } from "./token-expiry.ts";

export { defaultFetch } from "./rest-request.ts";
export type { HistoryOptions, PageOptions, PollOptions, RestSendOptions, SearchOptions } from "./rest-options.ts";

/**
 * The REST side of Parley (PROTOCOL §7) that an application needs around
 * its sockets: sign-in, the conversation list, history. A call answered 401
 * gets one new token (single-flight, through the client's `refreshToken`)
 * and is tried once more.
 */
export class ParleyApi {
  readonly #rest: RestTransport;
  #admin: ParleyAdmin | undefined;

  constructor(baseUrl: string, tokens: TokenSource, fetchImpl: typeof fetch, timing: Timing, scheme: "Bearer" | "Bot" = "Bearer") {
    this.#rest = new RestTransport(baseUrl, tokens, fetchImpl, timing, scheme);
  }

  /** `POST /v1/auth/dev-login`: only on deployments with `DEV_LOGIN` on. */
  static devLogin(baseUrl: string, username: string, fetchImpl: typeof fetch = defaultFetch): Promise<LoginResponse> {
    return auth.devLogin(baseUrl, username, fetchImpl);
  }

  /** `POST /v1/auth/refresh`: a new access token and a new refresh token (the one sent is spent). */
  static refreshSession(baseUrl: string, refreshToken: string, fetchImpl: typeof fetch = defaultFetch): Promise<LoginResponse> {
    return auth.refreshSession(baseUrl, refreshToken, fetchImpl);
  }

  /**
   * `POST /v1/auth/logout` with a refresh token: ends that session (also when
   * the access token has expired). Resolves when the session is over.
   */
  static logoutSession(baseUrl: string, refreshToken: string, fetchImpl: typeof fetch = defaultFetch): Promise<void> {
    return auth.logoutSession(baseUrl, refreshToken, fetchImpl);
  }

  /** `GET /v1/healthz`: no token needed. */
  static health(baseUrl: string, fetchImpl: typeof fetch = defaultFetch): Promise<z.infer<typeof HealthResponse>> {
    return auth.health(baseUrl, fetchImpl);
  }

  /**
   * A `ParleyApi` for a bot's backend (protocol §22.14): every call carries
   * `Authorization: Bot <token>` — a bot token `pbt_…` from
   * `api.admin.createBot` or `rotateBotToken`. Bots use REST only (a socket
   * upgrade with a bot token is `forbidden`) and have no session to
   * refresh: a revoked or rotated token makes every call `unauthorized`.
   */
  static forBot(baseUrl: string, botToken: string, options: { fetch?: typeof fetch; timing?: Partial<Timing> } = {}): ParleyApi {
    if (!/^https?:\/\//.test(baseUrl)) throw new TypeError(`Parley: baseUrl must start with http:// or https:// (got ${JSON.stringify(baseUrl)}).`);
    if (!botToken.startsWith("pbt_")) throw new TypeError("Parley: ParleyApi.forBot takes a bot token (pbt_…), as api.admin.createBot answered it.");
    const timing: Timing = { ...TIMING, ...options.timing };
    return new ParleyApi(baseUrl, new TokenSource({ token: botToken }, timing), options.fetch ?? defaultFetch, timing, "Bot");
  }

  /** `GET /v1/auth/methods`: which ways to sign in this deployment offers (no token, no budget). */
  static signInMethods(baseUrl: string, fetchImpl: typeof fetch = defaultFetch): Promise<SignInMethods> {
    return auth.signInMethods(baseUrl, fetchImpl);
  }

  /**
   * `POST /v1/auth/passkeys/register/options {username}`: the first step of
   * signing up with a passkey. Hand `options` to
   * `navigator.credentials.create` (after
   * `PublicKeyCredential.parseCreationOptionsFromJSON`), then pass the
   * credential's `toJSON()` to `passkeySignUp`.
   */
  static passkeySignUpOptions(baseUrl: string, username: string, fetchImpl: typeof fetch = defaultFetch): Promise<CeremonyOptions> {
    return auth.passkeySignUpOptions(baseUrl, username, fetchImpl);
  }

  /** `POST /v1/auth/passkeys/register/verify`: the new account's session. */
  static passkeySignUp(
    baseUrl: string,
    ceremonyId: string,
    response: RegistrationResponseJson,
    options: { name?: string; fetch?: typeof fetch } = {},
  ): Promise<LoginResponse> {
    return auth.passkeySignUp(baseUrl, ceremonyId, response, options.name, options.fetch ?? defaultFetch);
  }

  /**
   * `POST /v1/auth/passkeys/login/options`: any passkey of this site, or
   * only `username`'s. Hand `options` to `navigator.credentials.get`, then
   * the credential's `toJSON()` to `passkeySignIn`.
   */
  static passkeySignInOptions(baseUrl: string, username?: string, fetchImpl: typeof fetch = defaultFetch): Promise<CeremonyOptions> {
    return auth.passkeySignInOptions(baseUrl, username, fetchImpl);
  }

  /** `POST /v1/auth/passkeys/login/verify`: the session. */
  static passkeySignIn(baseUrl: string, ceremonyId: string, response: AuthenticationResponseJson, fetchImpl: typeof fetch = defaultFetch): Promise<LoginResponse> {
    return auth.passkeySignIn(baseUrl, ceremonyId, response, fetchImpl);
  }

  /** `POST /v1/auth/logout` with the current access token: ends this session. Tokens already minted last until they expire. */
  async logout(): Promise<void> {
    await this.#rest.call("POST", "/v1/auth/logout", undefined, NO_CONTENT);
  }

  /** `GET /v1/me`: the user and their settings (registers a user whose token another backend minted). */
  me(): Promise<MeResponse> {
    return this.#rest.call("GET", "/v1/me", undefined, MeResponse);
  }

  /** `PATCH /v1/me`: display name, avatar, settings; every field optional, `null` clears. */
  updateMe(patch: PatchMeRequest): Promise<MeResponse> {
    return this.#rest.call("PATCH", "/v1/me", patch, MeResponse);
  }

  /** `GET /v1/users/{username}` (regardless of case). */
  async user(username: string): Promise<UserView> {
    return (await this.#rest.call("GET", `/v1/users/${encodeURIComponent(username)}`, undefined, UserResponse)).user;
  }

  /** `GET /v1/users/search`: by username prefix, then display-name words; page with `next_cursor`. */
  searchUsers(query: string, options: PageOptions = {}): Promise<SearchResponse> {
    return this.#rest.call("GET", `/v1/users/search?${queryString({ q: query, limit: options.limit, cursor: options.cursor })}`, undefined, SearchResponse);
  }

  /** One page of `GET /v1/conversations` (latest activity first); pass `next_cursor` as `cursor` for the next. */
  conversations(options: PageOptions = {}): Promise<ConversationList> {
    const qs = queryString({ limit: options.limit, cursor: options.cursor });
    return this.#rest.call("GET", `/v1/conversations${qs ? `?${qs}` : ""}`, undefined, ConversationList);
  }

  /** Every conversation of the user, page after page. */
  async *allConversations(pageSize = 100): AsyncGenerator<InboxConversation> {
    let cursor: string | undefined;
    do {
      const page = await this.conversations({ limit: pageSize, ...(cursor !== undefined ? { cursor } : {}) });
      yield* page.conversations;
      cursor = page.next_cursor;
    } while (cursor !== undefined);
  }

  /** `PATCH /v1/conversations/{id}`: renames a group (owner and admins). */
  async renameGroup(id: string, title: string): Promise<ConversationView> {
    return (await this.#rest.call("PATCH", conversationPath(id), { title }, ConversationResponse)).conversation;
  }

  /** `POST …/members`: adds people to a group by username; `added` lists those who were not in it yet. */
  addMembers(id: string, usernames: string[]): Promise<AddMembersResponse> {
    return this.#rest.call("POST", `${conversationPath(id)}/members`, { usernames }, AddMembersResponse);
  }

  /** `DELETE …/members/{user_id}`: removes a member, or, with the user's own id, leaves. */
  async removeMember(id: string, userId: string): Promise<ConversationView> {
    return (await this.#rest.call("DELETE", `${conversationPath(id)}/members/${encodeURIComponent(userId)}`, undefined, ConversationResponse)).conversation;
  }

  /** `PATCH …/members/{user_id}`: the owner changes a member's role (`owner` hands the group over). */
  async setRole(id: string, userId: string, role: z.infer<typeof Role>): Promise<ConversationView> {
    return (await this.#rest.call("PATCH", `${conversationPath(id)}/members/${encodeURIComponent(userId)}`, { role }, ConversationResponse)).conversation;
  }

  /** `GET …/members`: a page of the member list in user-id order, with receipts and who is online; pass `next_after` as `after`. */
  members(id: string, options: { after?: string; limit?: number } = {}): Promise<MemberPage> {
    const qs = queryString({ after: options.after, limit: options.limit });
    return this.#rest.call("GET", `${conversationPath(id)}/members${qs ? `?${qs}` : ""}`, undefined, MemberPage);
  }

  /**
   * `POST …/messages`: sends over REST, with the same idempotency as the
   * socket — repeat it with the same `clientMsgId` and the message is stored
   * once (`duplicate: true` on the repeat).
   */
  send(id: string, body: string, options: RestSendOptions = {}): Promise<MessageAck> {
    return this.#rest.call(
      "POST",
      `${conversationPath(id)}/messages`,
      {
        client_msg_id: options.clientMsgId ?? crypto.randomUUID(),
        body,
        ...(options.replyToSeq !== undefined ? { reply_to_seq: options.replyToSeq } : {}),
        ...(options.attachments?.length ? { attachments: options.attachments } : {}),
      },
      MessageAck,
    );
  }

  /** `POST …/read`: moves the read watermark (max-wins); answers the user's receipt. */
  markRead(id: string, upToSeq: number): Promise<Receipt> {
    return this.#rest.call("POST", `${conversationPath(id)}/read`, { up_to_seq: upToSeq }, Receipt);
  }

  /**
   * `GET …/poll`: messages after `afterSeq` (up to 100) at once when there
   * are any, else held until one arrives or `timeoutMs` passes.
   */
  poll(id: string, afterSeq: number, options: PollOptions = {}): Promise<z.infer<typeof PollResponse>> {
    const qs = queryString({ after_seq: afterSeq, timeout_ms: options.timeoutMs });
    // The server may hold the request for timeout_ms; the request's own timeout comes on top.
    const hold = options.timeoutMs ?? 25_000;
    return this.#rest.call("GET", `${conversationPath(id)}/poll?${qs}`, undefined, PollResponse, { timeoutMs: hold + this.#rest.timing.REQUEST_TIMEOUT_MS, ...(options.signal ? { signal: options.signal } : {}) });
  }

  /**
   * `GET …/poll?after_rev=` (protocol v1.2): every change after `afterRev` —
   * new messages and edits, deletions and reactions, each in its current
   * state, in `rev` order (up to 100) — at once when there are any, else
   * held until the next change or `timeoutMs`.
   */
  pollChanges(id: string, afterRev: number, options: PollOptions = {}): Promise<z.infer<typeof PollResponse>> {
    const qs = queryString({ after_rev: afterRev, timeout_ms: options.timeoutMs });
    const hold = options.timeoutMs ?? 25_000;
    return this.#rest.call("GET", `${conversationPath(id)}/poll?${qs}`, undefined, PollResponse, { timeoutMs: hold + this.#rest.timing.REQUEST_TIMEOUT_MS, ...(options.signal ? { signal: options.signal } : {}) });
  }

  /** `PUT …/mute`: no notifications from this conversation until `until` (ms), or for ever. */
  mute(id: string, until?: number): Promise<MuteResponse> {
    return this.#rest.call("PUT", `${conversationPath(id)}/mute`, until !== undefined ? { until } : {}, MuteResponse);
  }

  /** `DELETE …/mute`. */
  unmute(id: string): Promise<MuteResponse> {
    return this.#rest.call("DELETE", `${conversationPath(id)}/mute`, undefined, MuteResponse);
  }

  /** `POST /v1/blocks/{username}`: blocks everywhere (direct conversation, group adds, notifications, presence). */
  block(username: string): Promise<BlockResponse> {
    return this.#rest.call("POST", `/v1/blocks/${encodeURIComponent(username)}`, undefined, BlockResponse);
  }

  /** `DELETE /v1/blocks/{username}`. */
  unblock(username: string): Promise<BlockResponse> {
    return this.#rest.call("DELETE", `/v1/blocks/${encodeURIComponent(username)}`, undefined, BlockResponse);
  }

  /** `POST /v1/reports`: a user (`{kind: "user", username, reason}`) or a message (`{kind: "message", conversation_id, seq, reason}`). */
  report(report: ReportRequest): Promise<ReportResponse> {
    return this.#rest.call("POST", "/v1/reports", report, ReportResponse);
  }

  /** `GET /v1/notifications`: newest first, with the unread count. */
  notifications(options: { limit?: number; unreadOnly?: boolean } = {}): Promise<z.infer<typeof NotificationsResponse>> {
    const qs = queryString({ limit: options.limit, unread_only: options.unreadOnly });
    return this.#rest.call("GET", `/v1/notifications${qs ? `?${qs}` : ""}`, undefined, NotificationsResponse);
  }

  /** `POST /v1/notifications/read`: marks notifications read (1–100 ids); every inbox socket hears it. */
  readNotifications(ids: string[]): Promise<ReadNotificationsResponse> {
    return this.#rest.call("POST", "/v1/notifications/read", { ids }, ReadNotificationsResponse);
  }

  /**
   * The user's conversations, latest activity first, with unread counts: the
   * first page of `GET /v1/conversations` only (the newest 50, since v1.1);
   * older ones are not read yet (the list's `next_cursor` pages them).
   */
  async listConversations(): Promise<InboxConversation[]> {
    return (await this.#rest.call("GET", "/v1/conversations", undefined, ConversationList)).conversations;
  }

  async getConversation(id: string): Promise<ConversationView> {
    return (await this.#rest.call("GET", `/v1/conversations/${encodeURIComponent(id)}`, undefined, ConversationResponse)).conversation;
  }

  /** The direct conversation with `username`, created if it did not exist. */
  async createDirect(username: string): Promise<ConversationView> {
    return (await this.#rest.call("POST", "/v1/conversations", { kind: "direct", with: username }, ConversationResponse)).conversation;
  }

  async createGroup(title: string, members: string[]): Promise<ConversationView> {
    return (await this.#rest.call("POST", "/v1/conversations", { kind: "group", title, members }, ConversationResponse)).conversation;
  }

  /** A page of history, ascending `seq`. Without options: the newest `limit` messages. */
  history(id: string, options: HistoryOptions = {}): Promise<HistoryPage> {
    const query = new URLSearchParams();
    if (options.beforeSeq !== undefined) query.set("before_seq", String(options.beforeSeq));
    if (options.afterSeq !== undefined) query.set("after_seq", String(options.afterSeq));
    if (options.limit !== undefined) query.set("limit", String(options.limit));
    const qs = query.size > 0 ? `?${query}` : "";
    return this.#rest.call("GET", `/v1/conversations/${encodeURIComponent(id)}/messages${qs}`, undefined, HistoryPage);
  }

  /** Edits one of the user's messages over REST (the socket's `edit` is the same change). */
  editMessage(id: string, seq: number, body: string): Promise<ChangeAck> {
    return this.#rest.call("PATCH", `${messagePath(id, seq)}`, { body }, ChangeAck);
  }

  /** Deletes a message (the user's own; an owner or admin of a group may delete any). */
  deleteMessage(id: string, seq: number): Promise<ChangeAck> {
    return this.#rest.call("DELETE", messagePath(id, seq), undefined, ChangeAck);
  }

  /** Adds (`on`) or removes the user's reaction. */
  react(id: string, seq: number, reaction: string, on = true): Promise<ChangeAck> {
    return this.#rest.call(on ? "PUT" : "DELETE", `${messagePath(id, seq)}/reactions/${encodeURIComponent(reaction)}`, undefined, ChangeAck);
  }

  /** Full-text search in one conversation, best first; page with `next_cursor`. */
  search(id: string, query: string, options: SearchOptions = {}): Promise<MessageSearchPage> {
    const qs = new URLSearchParams({ q: query });
    if (options.limit !== undefined) qs.set("limit", String(options.limit));
    if (options.cursor !== undefined) qs.set("cursor", options.cursor);
    return this.#rest.call("GET", `/v1/conversations/${encodeURIComponent(id)}/search?${qs}`, undefined, MessageSearchPage);
  }

  /** Full-text search across the user's conversations; `partial` when some could not be searched in time. */
  searchAll(query: string, limit?: number): Promise<GlobalSearchResponse> {
    const qs = new URLSearchParams({ q: query });
    if (limit !== undefined) qs.set("limit", String(limit));
    return this.#rest.call("GET", `/v1/search?${qs}`, undefined, GlobalSearchResponse);
  }

  /**
   * Uploads a file to a conversation: its `id` then goes in a message's
   * attachments (`send(body, {attachments: [id]})`) within a day.
   */
  async upload(id: string, file: Blob | ArrayBuffer | Uint8Array, options: { name: string; contentType: string }): Promise<Attachment> {
    const qs = new URLSearchParams({ name: options.name });
    const path = `/v1/conversations/${encodeURIComponent(id)}/attachments?${qs}`;
    return (await this.#rest.call("POST", path, new RawBody(file, options.contentType), UploadResponse)).attachment;
  }

  /** A file's bytes (members only), as a Blob of its content type: for an `<img>`, `URL.createObjectURL` it. */
  async download(id: string, attachmentId: string): Promise<Blob> {
    return this.#rest.download(`/v1/conversations/${encodeURIComponent(id)}/attachments/${encodeURIComponent(attachmentId)}`);
  }

  // --- presence and topics (v1.2, §22.12, §22.13) --------------------------------

  /**
   * `PUT /v1/me/presence`: the user's chosen status, as the inbox socket's
   * `presence.set` (same budget). `conflict` while the user has no inbox
   * socket open (an offline user has no status to choose). With an inbox
   * handle, prefer `inbox.setPresence`, which also says it again after a
   * reconnect.
   */
  setPresence(status: SettablePresence): Promise<z.infer<typeof SetPresenceResponse>> {
    return this.#rest.call("PUT", "/v1/me/presence", { status }, SetPresenceResponse);
  }

  /**
   * `GET /v1/topics/{name}/events`: a topic's events after `afterSeq` without
   * a socket (at most `limit`, `has_more` when more follow; `reset: true`
   * when `afterSeq` is outside the topic's window). Without `afterSeq`: no
   * events, only `last_seq`.
   */
  topicEvents(name: string, options: { afterSeq?: number; limit?: number } = {}): Promise<TopicEventsPage> {
    const qs = queryString({ after_seq: options.afterSeq, limit: options.limit });
    return this.#rest.call("GET", `/v1/topics/${encodeURIComponent(name)}/events${qs ? `?${qs}` : ""}`, undefined, TopicEventsPage);
  }

  /**
   * Leaves a group: `removeMember` with the user's own id (taken from the
   * access token, else from `me()`). An owner hands the group over first.
   */
  async leave(id: string): Promise<void> {
    const own = jwtSubject(await this.#rest.token()) ?? (await this.me()).user.id;
    await this.#rest.call("DELETE", `${conversationPath(id)}/members/${encodeURIComponent(own)}`, undefined, ConversationResponse);
  }

  // --- the user's passkeys, identities and sessions (v1.2, §22.10) ----------------

  /** `GET /v1/me/passkeys`, oldest first. */
  passkeys(): Promise<PasskeyView[]> {
    return auth.passkeys(this.#rest.call);
  }

  /** `PATCH /v1/me/passkeys/{id}`: 1–64 characters, the rules of display names. */
  renamePasskey(id: string, name: string): Promise<PasskeyView> {
    return auth.renamePasskey(this.#rest.call, id, name);
  }

  /** `DELETE /v1/me/passkeys/{id}`: `conflict` when it is the user's last way to sign in. */
  deletePasskey(id: string): Promise<void> {
    return auth.deletePasskey(this.#rest.call, id);
  }

  /** `POST /v1/auth/passkeys/register/options` with the user's token: the first step of adding a passkey. */
  addPasskeyOptions(): Promise<CeremonyOptions> {
    return auth.addPasskeyOptions(this.#rest.call);
  }

  /** `POST /v1/auth/passkeys/register/verify` with the user's token: the passkey added. */
  addPasskey(ceremonyId: string, response: RegistrationResponseJson, name?: string): Promise<PasskeyView> {
    return auth.addPasskey(this.#rest.call, ceremonyId, response, name);
  }

  /** `GET /v1/me/identities`: the GitHub and Google accounts linked to the user. */
  identities(): Promise<IdentityView[]> {
    return auth.identities(this.#rest.call);
  }

  /** `DELETE /v1/me/identities/{provider}`: `conflict` when it is the user's last way to sign in. */
  unlinkIdentity(provider: OAuthProvider): Promise<void> {
    return auth.unlinkIdentity(this.#rest.call, provider);
  }

  /** `GET /v1/me/sessions`: most recently used first; `current` marks this one. */
  sessions(): Promise<SessionView[]> {
    return auth.sessions(this.#rest.call);
  }

  /** `DELETE /v1/me/sessions/{id}`: signs that device out (its refresh token stops working). */
  revokeSession(id: string): Promise<void> {
    return auth.revokeSession(this.#rest.call, id);
  }

  /** `POST /v1/me/sessions/revoke-others`: signs out every other device; answers how many sessions ended. */
  revokeOtherSessions(): Promise<number> {
    return auth.revokeOtherSessions(this.#rest.call);
  }

  // --- invite links (v1.2, §22.17) -------------------------------------------------

  /**
   * `POST …/invites` (owner and admins of a group): `code` is shown only
   * here; `url` is the web app's link to it. `expiresIn` 60 000 ms to 30
   * days (default 7 days), `maxUses` 1–10 000.
   */
  createInvite(id: string, options: { expiresIn?: number; maxUses?: number } = {}): Promise<CreateInviteResponse> {
    return invites.createInvite(this.#rest.call, id, options);
  }

  /** `GET …/invites` (owner and admins). */
  invites(id: string): Promise<InviteView[]> {
    return invites.invites(this.#rest.call, id);
  }

  /** `DELETE …/invites/{id or code}`: the invite, revoked. */
  revokeInvite(id: string, inviteIdOrCode: string): Promise<InviteView> {
    return invites.revokeInvite(this.#rest.call, id, inviteIdOrCode);
  }

  /** `GET /v1/invites/{code}`: the group's title and size, for a "join?" screen. Every bad code is one `not_found`. */
  previewInvite(code: string): Promise<InvitePreview["invite"]> {
    return invites.previewInvite(this.#rest.call, code);
  }

  /** `POST /v1/invites/{code}/join`: the group; `joined: false` when the user was in it already (nothing used). */
  joinInvite(code: string): Promise<JoinInviteResponse> {
    return invites.joinInvite(this.#rest.call, code);
  }

  // --- web push (v1.2, §22.16) -------------------------------------------------------

  /** `GET /v1/push/vapid-key`: the `applicationServerKey` for `pushManager.subscribe`; `not_found` when push is not configured. */
  vapidKey(): Promise<string> {
    return invites.vapidKey(this.#rest.call);
  }

  /** `POST /v1/me/push-subscriptions` with `subscription.toJSON()`: at most 10 per user (the oldest is `replaced`). */
  subscribePush(subscription: PushSubscriptionRequest): Promise<PushSubscribeResponse> {
    return invites.subscribePush(this.#rest.call, subscription);
  }

  /** `DELETE /v1/me/push-subscriptions?endpoint=`: `removed: false` when there was none. */
  unsubscribePush(endpoint: string): Promise<boolean> {
    return invites.unsubscribePush(this.#rest.call, endpoint);
  }

  // --- operators ----------------------------------------------------------------------

  /** The operators' routes (`/v1/admin/*`), apart from the rest: see `ParleyAdmin`. */
  get admin(): ParleyAdmin {
    this.#admin ??= new ParleyAdmin((method, path, body, schema) => this.#rest.call(method, path, body, schema));
    return this.#admin;
  }
}
