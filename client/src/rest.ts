import type { z } from "zod";
import {
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
} from "../../src/protocol/index.ts";
import type { TokenSource } from "./auth.ts";
import type { Timing } from "./timing.ts";

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
}

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
      ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
      ...(raw ? { "content-type": raw.contentType } : body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(raw ? { body: raw.bytes } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const value: unknown = await res.json().catch(() => undefined);
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

  constructor(baseUrl: string, tokens: TokenSource, fetchImpl: typeof fetch, timing: Timing) {
    this.#baseUrl = baseUrl;
    this.#tokens = tokens;
    this.#fetch = fetchImpl;
    this.#timing = timing;
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

  me(): Promise<MeResponse> {
    return this.#call("GET", "/v1/me", undefined, MeResponse);
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
      this.#fetch(url, { headers: token !== undefined ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(this.#timing.REQUEST_TIMEOUT_MS) });
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

  async #call<S extends z.ZodType>(method: string, path: string, body: unknown, schema: S): Promise<z.infer<S>> {
    const url = joinUrl(this.#baseUrl, path);
    const options = { fetch: this.#fetch, timeoutMs: this.#timing.REQUEST_TIMEOUT_MS };
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

function messagePath(id: string, seq: number): string {
  return `/v1/conversations/${encodeURIComponent(id)}/messages/${seq}`;
}
