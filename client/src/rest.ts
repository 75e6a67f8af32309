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
  type PatchMeRequest,
  type ReportRequest,
  Role,
  type UserView,
  ChangeAck,
  ConversationList,
  ConversationResponse,
  ErrorBody,
  GlobalSearchResponse,
  HistoryPage,
  LoginResponse,
  MeResponse,
  MessageSearchPage,
  ParleyError,
  UploadResponse,
  describeIssue,
  type Attachment,
  type ConversationView,
  type InboxConversation,
  CeremonyOptions,
  CreateInviteResponse,
  IdentityList,
  InviteList,
  InvitePreview,
  InviteResponse,
  JoinInviteResponse,
  PasskeyList,
  PasskeyResponse,
  PushSubscribeResponse,
  PushUnsubscribeResponse,
  RevokeOthersResponse,
  SessionList,
  SetPresenceResponse,
  SignInMethods,
  TopicEventsPage,
  VapidKeyResponse,
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
import { ParleyAdmin } from "./admin.ts";
import { TokenSource } from "./auth.ts";
import { TIMING, type Timing } from "./timing.ts";
import { jwtSubject } from "./token-expiry.ts";

export interface HistoryOptions {
  /** Only messages with `seq` below this (pages backward). */
  beforeSeq?: number;
  /** Only messages with `seq` above this (pages forward). */
  afterSeq?: number;
  /** 1–1000, default 100. */
  limit?: number;
}

interface RequestOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  token?: string;
  /** `Bearer` unless said (`Bot` for a bot's token). */
  scheme?: "Bearer" | "Bot";
  /** Aborts the request early (a long-poll that is no longer wanted). */
  signal?: AbortSignal;
}

/** The answer of a route that answers `204 No Content`. */
const NO_CONTENT = { safeParse: (value: unknown) => ({ success: true as const, data: value as undefined }) } as unknown as z.ZodType<undefined>;

/**
 * One REST call, its answer checked against the contract's schema. A failure
 * the server explains is thrown as the contract's `ParleyError` (with its
 * `code` and `retryAfterMs`); a network failure is thrown as `fetch` threw it.
 */
async function requestJson<S extends z.ZodType>(
  url: string,
  method: string,
  body: unknown,
  schema: S,
  options: RequestOptions,
): Promise<z.infer<S>> {
  // A file goes as it is, with its own content type; anything else as JSON.
  const raw = body instanceof RawBody ? body : undefined;
  const res = await options.fetch(url, {
    method,
    headers: {
      ...(options.token !== undefined ? { authorization: `${options.scheme ?? "Bearer"} ${options.token}` } : {}),
      ...(raw ? { "content-type": raw.contentType } : body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(raw ? { body: raw.bytes } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]) : AbortSignal.timeout(options.timeoutMs),
  });
  const value: unknown = res.status === 204 ? undefined : await res.json().catch(() => undefined);
  if (!res.ok) {
    const error = ErrorBody.safeParse(value);
    if (error.success) {
      throw new ParleyError(error.data.code, error.data.message, error.data.retry_after_ms !== undefined ? { retryAfterMs: error.data.retry_after_ms } : undefined);
    }
    throw new ParleyError("internal", `${method} ${url} answered HTTP ${res.status} without an error object.`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ParleyError("internal", `${method} ${url} answered outside the contract (${describeIssue(parsed.error.issues)}).`);
  }
  return parsed.data;
}

/** A request body sent as bytes with its own content type (an upload), not as JSON. */
class RawBody {
  readonly bytes: Blob | ArrayBuffer;
  constructor(
    bytes: Blob | ArrayBuffer | Uint8Array,
    readonly contentType: string,
  ) {
    // A view is copied to its own ArrayBuffer: fetch takes a buffer, not any view of one.
    this.bytes = bytes instanceof Uint8Array ? bytes.slice().buffer : bytes;
  }
}

/** Options of `api.send`: the idempotency key (a fresh UUID when left out), a reply, attachments. */
export interface RestSendOptions {
  clientMsgId?: string;
  replyToSeq?: number;
  attachments?: string[];
}

/** Options of a page of the conversation list, of the member list, of a user search. */
export interface PageOptions {
  limit?: number;
  cursor?: string;
}

/** Options of a long-poll. */
export interface PollOptions {
  /** How long the server may hold the request when nothing is newer, 0–30 000 ms (default 25 000). */
  timeoutMs?: number;
  /** Aborts the poll. */
  signal?: AbortSignal;
}

/** Options of a search in one conversation. */
export interface SearchOptions {
  /** Results per page, 1–50 (default 20). */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

/** The global `fetch`, called unbound: a browser refuses `window.fetch` called as another object's method. */
export const defaultFetch: typeof fetch = (input, init) => globalThis.fetch(input, init);

function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${path}`;
}

/**
 * The REST side of Parley (PROTOCOL §7) that an application needs around
 * its sockets: sign-in, the conversation list, history. A call answered 401
 * gets one new token (single-flight, through the client's `refreshToken`)
 * and is tried once more.
 */
export class ParleyApi {
  readonly #baseUrl: string;
  readonly #tokens: TokenSource;
  readonly #fetch: typeof fetch;
  readonly #timing: Timing;
  /** The authorization scheme: `Bearer` (access tokens), or `Bot` for `forBot`. */
  readonly #scheme: "Bearer" | "Bot";
  #admin: ParleyAdmin | undefined;

  constructor(baseUrl: string, tokens: TokenSource, fetchImpl: typeof fetch, timing: Timing, scheme: "Bearer" | "Bot" = "Bearer") {
    this.#baseUrl = baseUrl;
    this.#tokens = tokens;
    this.#fetch = fetchImpl;
    this.#timing = timing;
    this.#scheme = scheme;
  }

  /** `POST /v1/auth/dev-login`: only on deployments with `DEV_LOGIN` on. */
  static devLogin(baseUrl: string, username: string, fetchImpl: typeof fetch = defaultFetch): Promise<LoginResponse> {
    return requestJson(joinUrl(baseUrl, "/v1/auth/dev-login"), "POST", { username }, LoginResponse, { fetch: fetchImpl, timeoutMs: 15_000 });
  }

  /** `POST /v1/auth/refresh`: a new access token and a new refresh token (the one sent is spent). */
  static refreshSession(baseUrl: string, refreshToken: string, fetchImpl: typeof fetch = defaultFetch): Promise<LoginResponse> {
    return requestJson(joinUrl(baseUrl, "/v1/auth/refresh"), "POST", { refresh_token: refreshToken }, LoginResponse, {
      fetch: fetchImpl,
      timeoutMs: 15_000,
    });
  }

  /**
   * `POST /v1/auth/logout` with a refresh token: ends that session (also when
   * the access token has expired). Resolves when the session is over.
   */
  static async logoutSession(baseUrl: string, refreshToken: string, fetchImpl: typeof fetch = defaultFetch): Promise<void> {
    await requestJson(joinUrl(baseUrl, "/v1/auth/logout"), "POST", { refresh_token: refreshToken }, NO_CONTENT, { fetch: fetchImpl, timeoutMs: 15_000 });
  }

  /** `GET /v1/healthz`: no token needed. */
  static health(baseUrl: string, fetchImpl: typeof fetch = defaultFetch): Promise<z.infer<typeof HealthResponse>> {
    return requestJson(joinUrl(baseUrl, "/v1/healthz"), "GET", undefined, HealthResponse, { fetch: fetchImpl, timeoutMs: 15_000 });
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
    return requestJson(joinUrl(baseUrl, "/v1/auth/methods"), "GET", undefined, SignInMethods, { fetch: fetchImpl, timeoutMs: 15_000 });
  }

  /**
   * `POST /v1/auth/passkeys/register/options {username}`: the first step of
   * signing up with a passkey. Hand `options` to
   * `navigator.credentials.create` (after
   * `PublicKeyCredential.parseCreationOptionsFromJSON`), then pass the
   * credential's `toJSON()` to `passkeySignUp`.
   */
  static passkeySignUpOptions(baseUrl: string, username: string, fetchImpl: typeof fetch = defaultFetch): Promise<CeremonyOptions> {
    return requestJson(joinUrl(baseUrl, "/v1/auth/passkeys/register/options"), "POST", { username }, CeremonyOptions, { fetch: fetchImpl, timeoutMs: 15_000 });
  }

  /** `POST /v1/auth/passkeys/register/verify`: the new account's session. */
  static passkeySignUp(
    baseUrl: string,
    ceremonyId: string,
    response: RegistrationResponseJson,
    options: { name?: string; fetch?: typeof fetch } = {},
  ): Promise<LoginResponse> {
    const body = { ceremony_id: ceremonyId, response, ...(options.name !== undefined ? { name: options.name } : {}) };
    return requestJson(joinUrl(baseUrl, "/v1/auth/passkeys/register/verify"), "POST", body, LoginResponse, { fetch: options.fetch ?? defaultFetch, timeoutMs: 15_000 });
  }

  /**
   * `POST /v1/auth/passkeys/login/options`: any passkey of this site, or
   * only `username`'s. Hand `options` to `navigator.credentials.get`, then
   * the credential's `toJSON()` to `passkeySignIn`.
   */
  static passkeySignInOptions(baseUrl: string, username?: string, fetchImpl: typeof fetch = defaultFetch): Promise<CeremonyOptions> {
    return requestJson(joinUrl(baseUrl, "/v1/auth/passkeys/login/options"), "POST", username !== undefined ? { username } : {}, CeremonyOptions, {
      fetch: fetchImpl,
      timeoutMs: 15_000,
    });
  }

  /** `POST /v1/auth/passkeys/login/verify`: the session. */
  static passkeySignIn(baseUrl: string, ceremonyId: string, response: AuthenticationResponseJson, fetchImpl: typeof fetch = defaultFetch): Promise<LoginResponse> {
    return requestJson(joinUrl(baseUrl, "/v1/auth/passkeys/login/verify"), "POST", { ceremony_id: ceremonyId, response }, LoginResponse, {
      fetch: fetchImpl,
      timeoutMs: 15_000,
    });
  }

  /** `POST /v1/auth/logout` with the current access token: ends this session. Tokens already minted last until they expire. */
  async logout(): Promise<void> {
    await this.#call("POST", "/v1/auth/logout", undefined, NO_CONTENT);
  }

  /** `GET /v1/me`: the user and their settings (registers a user whose token another backend minted). */
  me(): Promise<MeResponse> {
    return this.#call("GET", "/v1/me", undefined, MeResponse);
  }

  /** `PATCH /v1/me`: display name, avatar, settings; every field optional, `null` clears. */
  updateMe(patch: PatchMeRequest): Promise<MeResponse> {
    return this.#call("PATCH", "/v1/me", patch, MeResponse);
  }

  /** `GET /v1/users/{username}` (regardless of case). */
  async user(username: string): Promise<UserView> {
    return (await this.#call("GET", `/v1/users/${encodeURIComponent(username)}`, undefined, UserResponse)).user;
  }

  /** `GET /v1/users/search`: by username prefix, then display-name words; page with `next_cursor`. */
  searchUsers(query: string, options: PageOptions = {}): Promise<SearchResponse> {
    return this.#call("GET", `/v1/users/search?${queryString({ q: query, limit: options.limit, cursor: options.cursor })}`, undefined, SearchResponse);
  }

  /** One page of `GET /v1/conversations` (latest activity first); pass `next_cursor` as `cursor` for the next. */
  conversations(options: PageOptions = {}): Promise<ConversationList> {
    const qs = queryString({ limit: options.limit, cursor: options.cursor });
    return this.#call("GET", `/v1/conversations${qs ? `?${qs}` : ""}`, undefined, ConversationList);
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
    return (await this.#call("PATCH", conversationPath(id), { title }, ConversationResponse)).conversation;
  }

  /** `POST …/members`: adds people to a group by username; `added` lists those who were not in it yet. */
  addMembers(id: string, usernames: string[]): Promise<AddMembersResponse> {
    return this.#call("POST", `${conversationPath(id)}/members`, { usernames }, AddMembersResponse);
  }

  /** `DELETE …/members/{user_id}`: removes a member, or, with the user's own id, leaves. */
  async removeMember(id: string, userId: string): Promise<ConversationView> {
    return (await this.#call("DELETE", `${conversationPath(id)}/members/${encodeURIComponent(userId)}`, undefined, ConversationResponse)).conversation;
  }

  /** `PATCH …/members/{user_id}`: the owner changes a member's role (`owner` hands the group over). */
  async setRole(id: string, userId: string, role: z.infer<typeof Role>): Promise<ConversationView> {
    return (await this.#call("PATCH", `${conversationPath(id)}/members/${encodeURIComponent(userId)}`, { role }, ConversationResponse)).conversation;
  }

  /** `GET …/members`: a page of the member list in user-id order, with receipts and who is online; pass `next_after` as `after`. */
  members(id: string, options: { after?: string; limit?: number } = {}): Promise<MemberPage> {
    const qs = queryString({ after: options.after, limit: options.limit });
    return this.#call("GET", `${conversationPath(id)}/members${qs ? `?${qs}` : ""}`, undefined, MemberPage);
  }

  /**
   * `POST …/messages`: sends over REST, with the same idempotency as the
   * socket — repeat it with the same `clientMsgId` and the message is stored
   * once (`duplicate: true` on the repeat).
   */
  send(id: string, body: string, options: RestSendOptions = {}): Promise<MessageAck> {
    return this.#call(
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
    return this.#call("POST", `${conversationPath(id)}/read`, { up_to_seq: upToSeq }, Receipt);
  }

  /**
   * `GET …/poll`: messages after `afterSeq` (up to 100) at once when there
   * are any, else held until one arrives or `timeoutMs` passes.
   */
  poll(id: string, afterSeq: number, options: PollOptions = {}): Promise<z.infer<typeof PollResponse>> {
    const qs = queryString({ after_seq: afterSeq, timeout_ms: options.timeoutMs });
    // The server may hold the request for timeout_ms; the request's own timeout comes on top.
    const hold = options.timeoutMs ?? 25_000;
    return this.#call("GET", `${conversationPath(id)}/poll?${qs}`, undefined, PollResponse, { timeoutMs: hold + this.#timing.REQUEST_TIMEOUT_MS, ...(options.signal ? { signal: options.signal } : {}) });
  }

  /** `PUT …/mute`: no notifications from this conversation until `until` (ms), or for ever. */
  mute(id: string, until?: number): Promise<MuteResponse> {
    return this.#call("PUT", `${conversationPath(id)}/mute`, until !== undefined ? { until } : {}, MuteResponse);
  }

  /** `DELETE …/mute`. */
  unmute(id: string): Promise<MuteResponse> {
    return this.#call("DELETE", `${conversationPath(id)}/mute`, undefined, MuteResponse);
  }

  /** `POST /v1/blocks/{username}`: blocks everywhere (direct conversation, group adds, notifications, presence). */
  block(username: string): Promise<BlockResponse> {
    return this.#call("POST", `/v1/blocks/${encodeURIComponent(username)}`, undefined, BlockResponse);
  }

  /** `DELETE /v1/blocks/{username}`. */
  unblock(username: string): Promise<BlockResponse> {
    return this.#call("DELETE", `/v1/blocks/${encodeURIComponent(username)}`, undefined, BlockResponse);
  }

  /** `POST /v1/reports`: a user (`{kind: "user", username, reason}`) or a message (`{kind: "message", conversation_id, seq, reason}`). */
  report(report: ReportRequest): Promise<ReportResponse> {
    return this.#call("POST", "/v1/reports", report, ReportResponse);
  }

  /** `GET /v1/notifications`: newest first, with the unread count. */
  notifications(options: { limit?: number; unreadOnly?: boolean } = {}): Promise<z.infer<typeof NotificationsResponse>> {
    const qs = queryString({ limit: options.limit, unread_only: options.unreadOnly });
    return this.#call("GET", `/v1/notifications${qs ? `?${qs}` : ""}`, undefined, NotificationsResponse);
  }

  /** `POST /v1/notifications/read`: marks notifications read (1–100 ids); every inbox socket hears it. */
  readNotifications(ids: string[]): Promise<ReadNotificationsResponse> {
    return this.#call("POST", "/v1/notifications/read", { ids }, ReadNotificationsResponse);
  }

  /**
   * The user's conversations, latest activity first, with unread counts: the
   * first page of `GET /v1/conversations` only (the newest 50, since v1.1);
   * older ones are not read yet (the list's `next_cursor` pages them).
   */
  async listConversations(): Promise<InboxConversation[]> {
    return (await this.#call("GET", "/v1/conversations", undefined, ConversationList)).conversations;
  }

  async getConversation(id: string): Promise<ConversationView> {
    return (await this.#call("GET", `/v1/conversations/${encodeURIComponent(id)}`, undefined, ConversationResponse)).conversation;
  }

  /** The direct conversation with `username`, created if it did not exist. */
  async createDirect(username: string): Promise<ConversationView> {
    return (await this.#call("POST", "/v1/conversations", { kind: "direct", with: username }, ConversationResponse)).conversation;
  }

  async createGroup(title: string, members: string[]): Promise<ConversationView> {
    return (await this.#call("POST", "/v1/conversations", { kind: "group", title, members }, ConversationResponse)).conversation;
  }

  /** A page of history, ascending `seq`. Without options: the newest `limit` messages. */
  history(id: string, options: HistoryOptions = {}): Promise<HistoryPage> {
    const query = new URLSearchParams();
    if (options.beforeSeq !== undefined) query.set("before_seq", String(options.beforeSeq));
    if (options.afterSeq !== undefined) query.set("after_seq", String(options.afterSeq));
    if (options.limit !== undefined) query.set("limit", String(options.limit));
    const qs = query.size > 0 ? `?${query}` : "";
    return this.#call("GET", `/v1/conversations/${encodeURIComponent(id)}/messages${qs}`, undefined, HistoryPage);
  }

  /** Edits one of the user's messages over REST (the socket's `edit` is the same change). */
  editMessage(id: string, seq: number, body: string): Promise<ChangeAck> {
    return this.#call("PATCH", `${messagePath(id, seq)}`, { body }, ChangeAck);
  }

  /** Deletes a message (the user's own; an owner or admin of a group may delete any). */
  deleteMessage(id: string, seq: number): Promise<ChangeAck> {
    return this.#call("DELETE", messagePath(id, seq), undefined, ChangeAck);
  }

  /** Adds (`on`) or removes the user's reaction. */
  react(id: string, seq: number, reaction: string, on = true): Promise<ChangeAck> {
    return this.#call(on ? "PUT" : "DELETE", `${messagePath(id, seq)}/reactions/${encodeURIComponent(reaction)}`, undefined, ChangeAck);
  }

  /** Full-text search in one conversation, best first; page with `next_cursor`. */
  search(id: string, query: string, options: SearchOptions = {}): Promise<MessageSearchPage> {
    const qs = new URLSearchParams({ q: query });
    if (options.limit !== undefined) qs.set("limit", String(options.limit));
    if (options.cursor !== undefined) qs.set("cursor", options.cursor);
    return this.#call("GET", `/v1/conversations/${encodeURIComponent(id)}/search?${qs}`, undefined, MessageSearchPage);
  }

  /** Full-text search across the user's conversations; `partial` when some could not be searched in time. */
  searchAll(query: string, limit?: number): Promise<GlobalSearchResponse> {
    const qs = new URLSearchParams({ q: query });
    if (limit !== undefined) qs.set("limit", String(limit));
    return this.#call("GET", `/v1/search?${qs}`, undefined, GlobalSearchResponse);
  }

  /**
   * Uploads a file to a conversation: its `id` then goes in a message's
   * attachments (`send(body, {attachments: [id]})`) within a day.
   */
  async upload(id: string, file: Blob | ArrayBuffer | Uint8Array, options: { name: string; contentType: string }): Promise<Attachment> {
    const qs = new URLSearchParams({ name: options.name });
    const path = `/v1/conversations/${encodeURIComponent(id)}/attachments?${qs}`;
    return (await this.#call("POST", path, new RawBody(file, options.contentType), UploadResponse)).attachment;
  }

  /** A file's bytes (members only), as a Blob of its content type: for an `<img>`, `URL.createObjectURL` it. */
  async download(id: string, attachmentId: string): Promise<Blob> {
    const url = joinUrl(this.#baseUrl, `/v1/conversations/${encodeURIComponent(id)}/attachments/${encodeURIComponent(attachmentId)}`);
    const get = async (token: string | undefined) =>
      this.#fetch(url, { headers: token !== undefined ? { authorization: `${this.#scheme} ${token}` } : {}, signal: AbortSignal.timeout(this.#timing.REQUEST_TIMEOUT_MS) });
    let res = await get(await this.#tokens.current());
    if (res.status === 401) {
      const refreshed = await this.#tokens.refresh();
      if (refreshed.ok) res = await get(refreshed.token);
    }
    if (!res.ok) {
      const error = ErrorBody.safeParse(await res.json().catch(() => undefined));
      throw new ParleyError(error.success ? error.data.code : "internal", error.success ? error.data.message : `HTTP ${res.status}`);
    }
    return res.blob();
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
    return this.#call("PUT", "/v1/me/presence", { status }, SetPresenceResponse);
  }

  /**
   * `GET /v1/topics/{name}/events`: a topic's events after `afterSeq` without
   * a socket (at most `limit`, `has_more` when more follow; `reset: true`
   * when `afterSeq` is outside the topic's window). Without `afterSeq`: no
   * events, only `last_seq`.
   */
  topicEvents(name: string, options: { afterSeq?: number; limit?: number } = {}): Promise<TopicEventsPage> {
    const qs = queryString({ after_seq: options.afterSeq, limit: options.limit });
    return this.#call("GET", `/v1/topics/${encodeURIComponent(name)}/events${qs ? `?${qs}` : ""}`, undefined, TopicEventsPage);
  }

  /**
   * Leaves a group: `removeMember` with the user's own id (taken from the
   * access token, else from `me()`). An owner hands the group over first.
   */
  async leave(id: string): Promise<void> {
    const own = jwtSubject(await this.#tokens.current()) ?? (await this.me()).user.id;
    await this.#call("DELETE", `${conversationPath(id)}/members/${encodeURIComponent(own)}`, undefined, ConversationResponse);
  }

  // --- the user's passkeys, identities and sessions (v1.2, §22.10) ----------------

  /** `GET /v1/me/passkeys`, oldest first. */
  async passkeys(): Promise<PasskeyView[]> {
    return (await this.#call("GET", "/v1/me/passkeys", undefined, PasskeyList)).passkeys;
  }

  /** `PATCH /v1/me/passkeys/{id}`: 1–64 characters, the rules of display names. */
  async renamePasskey(id: string, name: string): Promise<PasskeyView> {
    return (await this.#call("PATCH", `/v1/me/passkeys/${encodeURIComponent(id)}`, { name }, PasskeyResponse)).passkey;
  }

  /** `DELETE /v1/me/passkeys/{id}`: `conflict` when it is the user's last way to sign in. */
  async deletePasskey(id: string): Promise<void> {
    await this.#call("DELETE", `/v1/me/passkeys/${encodeURIComponent(id)}`, undefined, NO_CONTENT);
  }

  /** `POST /v1/auth/passkeys/register/options` with the user's token: the first step of adding a passkey. */
  addPasskeyOptions(): Promise<CeremonyOptions> {
    return this.#call("POST", "/v1/auth/passkeys/register/options", {}, CeremonyOptions);
  }

  /** `POST /v1/auth/passkeys/register/verify` with the user's token: the passkey added. */
  async addPasskey(ceremonyId: string, response: RegistrationResponseJson, name?: string): Promise<PasskeyView> {
    const body = { ceremony_id: ceremonyId, response, ...(name !== undefined ? { name } : {}) };
    return (await this.#call("POST", "/v1/auth/passkeys/register/verify", body, PasskeyResponse)).passkey;
  }

  /** `GET /v1/me/identities`: the GitHub and Google accounts linked to the user. */
  async identities(): Promise<IdentityView[]> {
    return (await this.#call("GET", "/v1/me/identities", undefined, IdentityList)).identities;
  }

  /** `DELETE /v1/me/identities/{provider}`: `conflict` when it is the user's last way to sign in. */
  async unlinkIdentity(provider: OAuthProvider): Promise<void> {
    await this.#call("DELETE", `/v1/me/identities/${encodeURIComponent(provider)}`, undefined, NO_CONTENT);
  }

  /** `GET /v1/me/sessions`: most recently used first; `current` marks this one. */
  async sessions(): Promise<SessionView[]> {
    return (await this.#call("GET", "/v1/me/sessions", undefined, SessionList)).sessions;
  }

  /** `DELETE /v1/me/sessions/{id}`: signs that device out (its refresh token stops working). */
  async revokeSession(id: string): Promise<void> {
    await this.#call("DELETE", `/v1/me/sessions/${encodeURIComponent(id)}`, undefined, NO_CONTENT);
  }

  /** `POST /v1/me/sessions/revoke-others`: signs out every other device; answers how many sessions ended. */
  async revokeOtherSessions(): Promise<number> {
    return (await this.#call("POST", "/v1/me/sessions/revoke-others", undefined, RevokeOthersResponse)).revoked;
  }

  // --- invite links (v1.2, §22.17) -------------------------------------------------

  /**
   * `POST …/invites` (owner and admins of a group): `code` is shown only
   * here; `url` is the web app's link to it. `expiresIn` 60 000 ms to 30
   * days (default 7 days), `maxUses` 1–10 000.
   */
  createInvite(id: string, options: { expiresIn?: number; maxUses?: number } = {}): Promise<CreateInviteResponse> {
    const body = { ...(options.expiresIn !== undefined ? { expires_in: options.expiresIn } : {}), ...(options.maxUses !== undefined ? { max_uses: options.maxUses } : {}) };
    return this.#call("POST", `${conversationPath(id)}/invites`, body, CreateInviteResponse);
  }

  /** `GET …/invites` (owner and admins). */
  async invites(id: string): Promise<InviteView[]> {
    return (await this.#call("GET", `${conversationPath(id)}/invites`, undefined, InviteList)).invites;
  }

  /** `DELETE …/invites/{id or code}`: the invite, revoked. */
  async revokeInvite(id: string, inviteIdOrCode: string): Promise<InviteView> {
    return (await this.#call("DELETE", `${conversationPath(id)}/invites/${encodeURIComponent(inviteIdOrCode)}`, undefined, InviteResponse)).invite;
  }

  /** `GET /v1/invites/{code}`: the group's title and size, for a "join?" screen. Every bad code is one `not_found`. */
  async previewInvite(code: string): Promise<InvitePreview["invite"]> {
    return (await this.#call("GET", `/v1/invites/${encodeURIComponent(code)}`, undefined, InvitePreview)).invite;
  }

  /** `POST /v1/invites/{code}/join`: the group; `joined: false` when the user was in it already (nothing used). */
  joinInvite(code: string): Promise<JoinInviteResponse> {
    return this.#call("POST", `/v1/invites/${encodeURIComponent(code)}/join`, undefined, JoinInviteResponse);
  }

  // --- web push (v1.2, §22.16) -------------------------------------------------------

  /** `GET /v1/push/vapid-key`: the `applicationServerKey` for `pushManager.subscribe`; `not_found` when push is not configured. */
  async vapidKey(): Promise<string> {
    return (await this.#call("GET", "/v1/push/vapid-key", undefined, VapidKeyResponse)).public_key;
  }

  /** `POST /v1/me/push-subscriptions` with `subscription.toJSON()`: at most 10 per user (the oldest is `replaced`). */
  subscribePush(subscription: PushSubscriptionRequest): Promise<PushSubscribeResponse> {
    return this.#call("POST", "/v1/me/push-subscriptions", subscription, PushSubscribeResponse);
  }

  /** `DELETE /v1/me/push-subscriptions?endpoint=`: `removed: false` when there was none. */
  async unsubscribePush(endpoint: string): Promise<boolean> {
    return (await this.#call("DELETE", `/v1/me/push-subscriptions?${queryString({ endpoint })}`, undefined, PushUnsubscribeResponse)).removed;
  }

  // --- operators ----------------------------------------------------------------------

  /** The operators' routes (`/v1/admin/*`), apart from the rest: see `ParleyAdmin`. */
  get admin(): ParleyAdmin {
    this.#admin ??= new ParleyAdmin((method, path, body, schema) => this.#call(method, path, body, schema));
    return this.#admin;
  }

  async #call<S extends z.ZodType>(
    method: string,
    path: string,
    body: unknown,
    schema: S,
    extra: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<z.infer<S>> {
    const url = joinUrl(this.#baseUrl, path);
    const options = { fetch: this.#fetch, scheme: this.#scheme, timeoutMs: extra.timeoutMs ?? this.#timing.REQUEST_TIMEOUT_MS, ...(extra.signal ? { signal: extra.signal } : {}) };
    try {
      return await requestJson(url, method, body, schema, { ...options, token: await this.#tokens.current() });
    } catch (err) {
      if (!(err instanceof ParleyError) || err.code !== "unauthorized") throw err;
      const refreshed = await this.#tokens.refresh();
      if (!refreshed.ok) throw err;
      return await requestJson(url, method, body, schema, { ...options, token: refreshed.token });
    }
  }
}

function conversationPath(id: string): string {
  return `/v1/conversations/${encodeURIComponent(id)}`;
}

/** A query string of the defined values, in order. */
function queryString(values: Record<string, string | number | boolean | undefined>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined) qs.set(k, String(v));
  return qs.toString();
}

function messagePath(id: string, seq: number): string {
  return `/v1/conversations/${encodeURIComponent(id)}/messages/${seq}`;
}
