import { TokenSource, type AuthOptions } from "./auth.ts";
import { ConversationHandle, type ConversationOptions, type HandleContext } from "./conversation.ts";
import { Emitter } from "./emitter.ts";
import { InboxHandle } from "./inbox.ts";
import type { PresenceOptions } from "./presence.ts";
import { TopicHandle, type TopicOptions } from "./topic.ts";
import { ParleyApi, defaultFetch } from "./rest.ts";
import type { ParleyEventError, WebSocketConstructor } from "./socket.ts";
import { defaultStorage, type ParleyStorage } from "./storage.ts";
import { TIMING, type Timing } from "./timing.ts";

export interface ParleyClientOptions extends AuthOptions {
  /** Where the engine is: `https://chat.example.com`, `http://127.0.0.1:8787`. Sockets use the matching ws(s) URL. */
  baseUrl: string;
  /** The WebSocket class; default `globalThis.WebSocket`. In Node 20, pass the `ws` package's `WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** The fetch function; default the global one. */
  fetch?: typeof fetch;
  /** Overrides of the timing constants (timing.ts). */
  timing?: Partial<Timing>;
  /** Sent in `hello`; shows in the server's logs. */
  clientInfo?: { name: string; version: string };
  /** The inbox's automatic `away` for a hidden tab (presence.ts): `{ autoAwayMs: 300_000 }` by default, `false` turns it off. */
  presence?: PresenceOptions;
  /**
   * Where conversations (outbox, newest messages, cursors) are kept between
   * page loads. Default: IndexedDB in browsers, memory elsewhere; `null`
   * keeps nothing.
   */
  storage?: ParleyStorage | null;
  /** Whether a conversation whose WebSocket keeps failing falls back to long-polling (default true). */
  pollingFallback?: boolean;
}

/** Events of the client as a whole. */
export interface ClientEvents {
  /** Every error of every handle, with the conversation it concerns. Never thrown. */
  error: ParleyEventError & { conversationId?: string };
}

/**
 * The SDK's version, sent in `hello` unless `clientInfo` says otherwise: the
 * protocol's version first (1.2), then the SDK's own patch level.
 */
export const SDK_VERSION = "1.2.0";

/**
 * The Parley client: REST (`api`), one live handle per conversation
 * (`conversation(id)`) and the inbox (`inbox()`). Handles share the client's
 * tokens. With a `refreshToken` hook, the client refreshes a token shortly
 * before it expires and swaps the new one into every open socket in place
 * (`auth.refresh`), so sockets are not closed with 4101 and replayed every
 * 15 minutes; 4101 (and HTTP 401) still trigger a refresh if that fails.
 *
 * ```ts
 * const client = new ParleyClient({ baseUrl, token: login, refreshToken: () => renewSession() });
 * const chat = client.conversation(id);
 * chat.on("message", (m) => render(m));
 * chat.on("status", (s) => showStatus(s));
 * chat.connect();
 * chat.send("hello");               // { status: "sent" | "queued", clientMsgId }
 * ```
 */
export class ParleyClient {
  readonly api: ParleyApi;
  readonly #ctx: HandleContext;
  readonly #tokens: TokenSource;
  readonly #events = new Emitter<ClientEvents>();
  readonly #conversations = new Map<string, ConversationHandle>();
  readonly #topics = new Map<string, TopicHandle>();
  readonly #presence: PresenceOptions;
  #inbox: InboxHandle | undefined;
  #destroyed = false;

  constructor(options: ParleyClientOptions) {
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketImpl) {
      throw new TypeError("Parley: this runtime has no global WebSocket; pass one, e.g. `new ParleyClient({ WebSocket })` with `import { WebSocket } from \"ws\"`.");
    }
    if (!/^https?:\/\//.test(options.baseUrl)) {
      throw new TypeError(`Parley: baseUrl must start with http:// or https:// (got ${JSON.stringify(options.baseUrl)}).`);
    }
    const timing: Timing = { ...TIMING, ...options.timing };
    const tokens = new TokenSource(options, timing, (error) => this.#events.emit("error", error));
    const fetchImpl = options.fetch ?? defaultFetch;
    this.#ctx = {
      baseUrl: options.baseUrl,
      tokens,
      WebSocket: WebSocketImpl,
      fetch: fetchImpl,
      timing,
      clientInfo: options.clientInfo ?? { name: "parley-sdk", version: SDK_VERSION },
      report: (error) => this.#events.emit("error", error),
    };
    this.#tokens = tokens;
    this.#presence = options.presence ?? {};
    this.api = new ParleyApi(options.baseUrl, tokens, fetchImpl, timing);
    this.#ctx.api = this.api;
    this.#ctx.fallback = options.pollingFallback !== false;
    const storage = options.storage === undefined ? defaultStorage() : options.storage;
    if (storage) this.#ctx.storage = storage;
    tokens.onRefreshed((token) => {
      for (const handle of this.#conversations.values()) handle.refreshInPlace(token);
      for (const handle of this.#topics.values()) handle.refreshInPlace(token);
      this.#inbox?.refreshInPlace(token);
    });
  }

  /**
   * The handle of a conversation: the same one for the same id until it is
   * destroyed. It does not connect until `connect()`.
   */
  conversation(id: string, options: ConversationOptions = {}): ConversationHandle {
    this.#assertAlive("conversation()");
    let handle = this.#conversations.get(id);
    if (!handle) {
      handle = new ConversationHandle(id, this.#ctx, options, () => this.#conversations.delete(id));
      this.#conversations.set(id, handle);
    }
    return handle;
  }

  /** The inbox handle (one per client). It does not connect until `connect()`. */
  inbox(): InboxHandle {
    this.#assertAlive("inbox()");
    this.#inbox ??= new InboxHandle(this.#ctx, () => (this.#inbox = undefined), this.#presence);
    return this.#inbox;
  }

  /**
   * The handle of a live topic (protocol v1.2, docs/topics.md): the same one
   * for the same name until it is destroyed. It does not connect until
   * `connect()`.
   */
  topic(name: string, options: TopicOptions = {}): TopicHandle {
    this.#assertAlive("topic()");
    let handle = this.#topics.get(name);
    if (!handle) {
      handle = new TopicHandle(name, this.#ctx, options, () => this.#topics.delete(name));
      this.#topics.set(name, handle);
    }
    return handle;
  }

  on<K extends keyof ClientEvents>(event: K, handler: (payload: ClientEvents[K]) => void): () => void {
    return this.#events.on(event, handler);
  }

  /** Connects every handle made so far. */
  connect(): void {
    for (const handle of this.#conversations.values()) handle.connect();
    for (const handle of this.#topics.values()) handle.connect();
    this.#inbox?.connect();
  }

  /** Disconnects every handle; they keep their state and reconnect on `connect()`. */
  disconnect(): void {
    for (const handle of this.#conversations.values()) handle.disconnect();
    for (const handle of this.#topics.values()) handle.disconnect();
    this.#inbox?.disconnect();
  }

  /** Destroys every handle and the client. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const handle of [...this.#conversations.values()]) handle.destroy();
    for (const handle of [...this.#topics.values()]) handle.destroy();
    this.#inbox?.destroy();
    this.#tokens.destroy();
    this.#events.clear();
  }

  #assertAlive(what: string): void {
    if (this.#destroyed) throw new Error(`Parley: ${what} on a destroyed client; create a new ParleyClient.`);
  }
}
