/**
 * Helpers for end-to-end tests and benchmarks that drive the real engine
 * (`Engine` from ./engine.ts) from Node, over real HTTP and real WebSockets
 * (the `ws` package), on 127.0.0.1 only.
 *
 * - REST steps: `login`, `api`, `directPair`, `history`.
 * - Socket steps: `openSocket` (a `Client` once the upgrade succeeded),
 *   `joinedClient` (open, hello, join), `refusedUpgrade` (the plain HTTP
 *   answer when the upgrade is refused).
 * - `ResumingClient`: a client that survives the server's death. It notices
 *   the close, reconnects with capped backoff, joins with `after_seq` = the
 *   highest `seq` it has seen, pages the replay with `sync` while `has_more`,
 *   and resends every message that was not acked, under the same
 *   `client_msg_id`. It records everything it received and every ack, so a
 *   test can check "nothing lost, nothing doubled".
 *
 * To extend: keep each function one protocol step, so tests still read as the
 * protocol; put any new timing constant in RESUME_DEFAULTS with a comment.
 */
import WebSocket from "ws";
import { isTerminal, type Message, type MessageAck, type SendData } from "../../src/protocol/index.ts";
import { Client, type AnyFrame } from "./client.ts";

// ---------------------------------------------------------------------------
// REST
// ---------------------------------------------------------------------------

export interface Session {
  token: string;
  userId: string;
  username: string;
}

export interface ApiResponse {
  status: number;
  body: any;
  headers: Headers;
}

let nameCounter = 0;

/** A username (3–32 of [A-Za-z0-9_]) that no other test of this run uses. */
export function uniqueName(prefix = "user"): string {
  nameCounter += 1;
  const suffix = `${Date.now().toString(36)}${nameCounter}${Math.floor(Math.random() * 1e4)}`;
  return `${prefix}_${suffix}`.slice(0, 32);
}

/** One REST call; the body is parsed as JSON when it is JSON, else left as text. */
export async function api(
  baseUrl: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<ApiResponse> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: keep the text, the test will say so.
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** `POST /v1/auth/dev-login`; throws unless it answers 200 with a token. */
export async function login(baseUrl: string, username = uniqueName()): Promise<Session> {
  const res = await api(baseUrl, "POST", "/v1/auth/dev-login", undefined, { username });
  if (res.status !== 200 || typeof res.body?.access_token !== "string") {
    throw new Error(`dev-login of ${username} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return { token: res.body.access_token, userId: res.body.user.id, username: res.body.user.username };
}

/** Two fresh users and their direct conversation. */
export async function directPair(baseUrl: string): Promise<{ a: Session; b: Session; conversationId: string }> {
  const a = await login(baseUrl, uniqueName("alice"));
  const b = await login(baseUrl, uniqueName("bob"));
  const res = await api(baseUrl, "POST", "/v1/conversations", a.token, { kind: "direct", with: b.username });
  if (res.status !== 201 && res.status !== 200) {
    throw new Error(`POST /v1/conversations answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return { a, b, conversationId: res.body.conversation.id as string };
}

/** The conversation's history after `afterSeq`, one page of up to 1000 (`has_more` is returned, not followed). */
export async function history(
  baseUrl: string,
  token: string,
  conversationId: string,
  afterSeq = 0,
): Promise<{ messages: Message[]; has_more: boolean }> {
  const res = await api(baseUrl, "GET", `/v1/conversations/${conversationId}/messages?after_seq=${afterSeq}&limit=1000`, token);
  if (res.status !== 200) throw new Error(`GET history answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as { messages: Message[]; has_more: boolean };
}

// ---------------------------------------------------------------------------
// Sockets
// ---------------------------------------------------------------------------

/** The conversation socket's URL on an engine (`engine.wsUrl`). */
export function socketUrl(wsUrl: string, conversationId: string): string {
  return `${wsUrl}/v1/conversations/${conversationId}/ws`;
}

/** Opens the conversation socket with `Authorization: Bearer`; resolves once the upgrade succeeded. */
export async function openSocket(wsUrl: string, conversationId: string, token: string, timeoutMs = 5000): Promise<Client> {
  const ws = new WebSocket(socketUrl(wsUrl, conversationId), {
    headers: { authorization: `Bearer ${token}` },
    handshakeTimeout: timeoutMs,
  });
  // A `ws` socket without an error listener throws on the first error.
  ws.on("error", () => undefined);
  const client = new Client(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("close", (code) => reject(new Error(`the socket closed (${code}) before it opened`)));
  });
  return client;
}

export interface Joined {
  client: Client;
  hello: AnyFrame;
  joined: AnyFrame;
}

/** Opens the socket, says hello and joins; throws unless both are answered as expected. */
export async function joinedClient(
  wsUrl: string,
  session: Session,
  conversationId: string,
  join: { after_seq?: number; limit?: number } = {},
): Promise<Joined> {
  const client = await openSocket(wsUrl, conversationId, session.token);
  const hello = await client.request("hello", { client: { name: "parley-e2e", version: "1" } });
  if (hello.type !== "hello.ack") throw new Error(`hello answered ${JSON.stringify(hello)}`);
  const joined = await client.request("conversation.join", join);
  if (joined.type !== "conversation.joined") throw new Error(`join answered ${JSON.stringify(joined)}`);
  return { client, hello, joined };
}

export interface Refusal {
  status: number;
  contentType: string | undefined;
  /** Parsed JSON when the body is JSON, else the text. */
  body: unknown;
}

/**
 * Tries a WebSocket upgrade that the server should refuse and returns its
 * plain HTTP answer. Rejects if the upgrade succeeds.
 */
export async function refusedUpgrade(url: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<Refusal> {
  const ws = new WebSocket(url, { headers, handshakeTimeout: timeoutMs });
  return new Promise<Refusal>((resolve, reject) => {
    ws.on("error", (e) => reject(new Error(`upgrade failed without an HTTP answer: ${e.message}`)));
    ws.on("open", () => {
      ws.terminate();
      reject(new Error(`the upgrade of ${url} succeeded; a refusal was expected`));
    });
    ws.on("unexpected-response", (_req, res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: keep the text.
        }
        resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"], body });
        ws.terminate();
      });
    });
  });
}

// ---------------------------------------------------------------------------
// ResumingClient
// ---------------------------------------------------------------------------

/** Timing and flow constants of the resuming client. */
export const RESUME_DEFAULTS = {
  /** Reconnect delay cap of the first attempt; doubles per failed attempt (full jitter below the cap). */
  backoffInitialMs: 50,
  /** Largest reconnect delay. */
  backoffMaxMs: 800,
  /** Consecutive connection attempts before giving up. */
  maxAttempts: 80,
  /** Time without a successful join before giving up. */
  reconnectDeadlineMs: 45_000,
  /** A socket that is not live (upgrade, hello, join, replay) by then is dropped and retried. */
  handshakeTimeoutMs: 5_000,
  /**
   * Messages sent and not yet acked, at most (a bounded outbox on the wire).
   * A `rate_limited` answer shrinks the window to one; each ack widens it by
   * one again, so a client under the limit probes instead of flooding.
   */
  window: 8,
  /** Page size asked for in join and sync. */
  pageLimit: 100,
  /** Delay after `rate_limited` when the server gives no `retry_after_ms`. */
  rateLimitFallbackMs: 500,
  /** A message rate-limited more often than this is dropped and reported as a problem. */
  maxRateLimitedPerMessage: 100,
} as const;

export type ResumeOptions = {
  wsUrl: string;
  conversationId: string;
  token: string;
  /** Name used in diagnostics. */
  name: string;
} & Partial<{ -readonly [K in keyof typeof RESUME_DEFAULTS]: number }>;

type Status = "idle" | "connecting" | "joining" | "replaying" | "live" | "backoff" | "stopped" | "failed";

interface Outgoing {
  data: SendData;
  state: "queued" | "inflight";
  rateLimited: number;
}

/** How a message reached the client: in a replay page or live. */
export interface Received {
  message: Message;
  via: "replay" | "live";
  /** Which connection attempt (1, 2, …) delivered it. */
  connection: number;
}

export class ResumingClient {
  /** Every message received, in arrival order, over all connections (replay and live). */
  readonly received: Received[] = [];
  /** Every ack received, in arrival order. */
  readonly acks: MessageAck[] = [];
  /** Every `client_msg_id` handed to `send`, in order. */
  readonly sent: string[] = [];
  /** Anything a correct engine would not cause; a test asserts it stays empty. */
  readonly problems: string[] = [];
  /** Close codes of sockets that had opened, in order. */
  readonly closeCodes: number[] = [];
  /** Connection attempts that ended before the socket opened (refused, failed upgrade, timeout). */
  failedAttempts = 0;
  /** Recent events, for failure messages. */
  readonly events: string[] = [];
  /** Successful joins (the first connection and every resume). */
  joins = 0;
  /** Highest `seq` seen: the `after_seq` of the next join. */
  highestSeq = 0;
  /** `rate_limited` answers received (each one is retried after `retry_after_ms`). */
  rateLimited = 0;

  readonly #o: Required<ResumeOptions>;
  readonly #outbox = new Map<string, Outgoing>();
  readonly #used = new Set<string>();
  readonly #clients: Client[] = [];
  #status: Status = "idle";
  #ws: WebSocket | undefined;
  #client: Client | undefined;
  #gen = 0;
  #attempts = 0;
  #outageSince: number | undefined;
  #pausedUntil = 0;
  #window = 1;
  #timers = { handshake: undefined as NodeJS.Timeout | undefined, reconnect: undefined as NodeJS.Timeout | undefined, resume: undefined as NodeJS.Timeout | undefined };
  #waiters = new Set<() => void>();

  constructor(options: ResumeOptions) {
    this.#o = { ...RESUME_DEFAULTS, ...options } as Required<ResumeOptions>;
    this.#window = this.#o.window;
  }

  get status(): Status {
    return this.#status;
  }

  /** `client_msg_id`s handed to `send` and not acked yet. */
  get unacked(): string[] {
    return [...this.#outbox.keys()];
  }

  /** Messages sent on the current socket whose ack has not arrived. */
  get inFlight(): number {
    let n = 0;
    for (const out of this.#outbox.values()) if (out.state === "inflight") n += 1;
    return n;
  }

  /** Frames of any connection that failed the server-frame schema. */
  get violations(): string[] {
    return this.#clients.flatMap((c) => c.violations);
  }

  /** Connects and joins; resolves once the first join's replay is complete. */
  async start(timeoutMs = 15_000): Promise<void> {
    if (this.#status !== "idle") throw new Error(`${this.#o.name}: start() called twice`);
    this.#open();
    await this.waitUntil(() => this.#status === "live", timeoutMs, "the first join");
  }

  /** Queues a message; it goes out now if the socket is live, else after the next join. */
  send(clientMsgId: string, body: string): void {
    if (this.#status === "stopped" || this.#status === "failed") {
      throw new Error(`${this.#o.name}: send(${clientMsgId}) after the client ${this.#status}`);
    }
    if (this.#used.has(clientMsgId)) throw new Error(`${this.#o.name}: client_msg_id ${clientMsgId} used twice by the caller`);
    this.#used.add(clientMsgId);
    this.sent.push(clientMsgId);
    this.#outbox.set(clientMsgId, { data: { client_msg_id: clientMsgId, body }, state: "queued", rateLimited: 0 });
    this.#pump();
  }

  /** Resolves when `predicate` holds; rejects on timeout or when the client gives up. */
  waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (predicate()) return finish(resolve);
        if (this.#status === "failed") return finish(() => reject(this.#failure(`gave up before ${what}`)));
      };
      const timer = setTimeout(() => finish(() => reject(this.#failure(`timed out after ${timeoutMs} ms waiting for ${what}`))), timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        settle();
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Resolves when every message handed to `send` has been acked. */
  whenAllAcked(timeoutMs = 30_000): Promise<void> {
    return this.waitUntil(() => this.#outbox.size === 0, timeoutMs, `acks of ${this.#outbox.size} messages`);
  }

  /** Resolves when a message with `seq >= n` has arrived. */
  whenSeen(n: number, timeoutMs = 10_000): Promise<void> {
    return this.waitUntil(() => this.highestSeq >= n, timeoutMs, `seq ${n}`);
  }

  /** Closes the socket (1000) and stops reconnecting. */
  stop(): void {
    if (this.#status === "stopped") return;
    this.#status = "stopped";
    this.#clearTimers();
    try {
      this.#ws?.close(1000, "done");
    } catch {
      // Still connecting: drop it.
      this.#ws?.terminate();
    }
    this.#wake();
  }

  // --- connection -----------------------------------------------------------

  #open(): void {
    const gen = ++this.#gen;
    this.#attempts += 1;
    this.#status = "connecting";
    const ws = new WebSocket(socketUrl(this.#o.wsUrl, this.#o.conversationId), {
      headers: { authorization: `Bearer ${this.#o.token}` },
      handshakeTimeout: this.#o.handshakeTimeoutMs,
    });
    const client = new Client(ws);
    this.#ws = ws;
    this.#client = client;
    this.#clients.push(client);
    ws.on("error", (e) => {
      if (gen === this.#gen) this.#note(`socket error: ${e.message}`);
    });
    ws.on("open", () => {
      if (gen !== this.#gen) return;
      this.#status = "joining";
      client.send("hello", { client: { name: "resuming-client", version: "1" } }, "hello");
    });
    ws.addEventListener("message", (e) => {
      if (gen !== this.#gen || typeof e.data !== "string" || e.data === "pong") return;
      let frame: AnyFrame;
      try {
        frame = JSON.parse(e.data) as AnyFrame;
      } catch {
        this.problems.push(`${this.#o.name}: a frame that is not JSON: ${e.data.slice(0, 200)}`);
        return;
      }
      this.#onFrame(client, frame);
      this.#wake();
    });
    let opened = false;
    ws.once("open", () => (opened = true));
    ws.on("close", (code) => this.#onClose(gen, code, opened));
    clearTimeout(this.#timers.handshake);
    this.#timers.handshake = setTimeout(() => {
      if (gen !== this.#gen || this.#status === "live" || this.#status === "stopped") return;
      this.#note(`not live after ${this.#o.handshakeTimeoutMs} ms (${this.#status}); dropping the socket`);
      ws.terminate();
    }, this.#o.handshakeTimeoutMs);
  }

  #onClose(gen: number, code: number, opened: boolean): void {
    if (gen !== this.#gen) return;
    if (opened) this.closeCodes.push(code);
    else this.failedAttempts += 1;
    clearTimeout(this.#timers.handshake);
    clearTimeout(this.#timers.resume);
    this.#timers.resume = undefined;
    // Whatever was in flight on the dead socket may or may not have been
    // committed: all of it goes out again, under the same client_msg_id.
    for (const out of this.#outbox.values()) out.state = "queued";
    if (this.#status === "stopped") return;
    this.#note(`closed ${code} (was ${this.#status}${opened ? "" : ", never opened"})`);
    if (isTerminal(code) || (code >= 4100 && code <= 4199)) {
      this.problems.push(`${this.#o.name}: closed with ${code}, which forbids a plain reconnect`);
      return this.#fail();
    }
    const now = Date.now();
    this.#outageSince ??= now;
    if (this.#attempts >= this.#o.maxAttempts || now - this.#outageSince > this.#o.reconnectDeadlineMs) {
      this.problems.push(`${this.#o.name}: gave up reconnecting after ${this.#attempts} attempts in ${now - this.#outageSince} ms`);
      return this.#fail();
    }
    const cap = Math.min(this.#o.backoffMaxMs, this.#o.backoffInitialMs * 2 ** (this.#attempts - 1));
    const delay = Math.max(10, Math.floor(Math.random() * cap));
    this.#status = "backoff";
    this.#timers.reconnect = setTimeout(() => this.#open(), delay);
    this.#wake();
  }

  #fail(): void {
    this.#status = "failed";
    this.#clearTimers();
    this.#wake();
  }

  // --- frames ---------------------------------------------------------------

  #onFrame(client: Client, frame: AnyFrame): void {
    switch (frame.type) {
      case "hello.ack":
        client.send("conversation.join", { after_seq: this.highestSeq, limit: this.#o.pageLimit }, "join");
        return;
      case "conversation.joined":
        this.#status = "replaying";
        return;
      case "messages.batch": {
        for (const message of frame.data.messages as Message[]) this.#receive(message, "replay");
        if (frame.data.has_more) {
          client.send("sync", { after_seq: this.highestSeq, limit: this.#o.pageLimit }, "sync");
        } else if (this.#status === "replaying") {
          this.#goLive();
        } else {
          this.problems.push(`${this.#o.name}: messages.batch while ${this.#status}`);
        }
        return;
      }
      case "message.new":
        if (this.#status !== "live") this.problems.push(`${this.#o.name}: message.new seq ${frame.data.message.seq} while ${this.#status}`);
        this.#receive(frame.data.message as Message, "live");
        return;
      case "message.ack":
        return this.#onAck(frame.data as MessageAck);
      case "error":
        return this.#onError(frame);
      case "connection.closing":
        this.#note(`connection.closing ${JSON.stringify(frame.data)}`);
        return;
      default:
        // presence, receipts, typing, pong: not this client's concern.
        return;
    }
  }

  #receive(message: Message, via: "replay" | "live"): void {
    if (message.seq <= this.highestSeq) {
      this.#note(`seq ${message.seq} arrived (${via}) after seq ${this.highestSeq}`);
    }
    this.received.push({ message, via, connection: this.#gen });
    this.highestSeq = Math.max(this.highestSeq, message.seq);
  }

  #goLive(): void {
    clearTimeout(this.#timers.handshake);
    this.#status = "live";
    this.joins += 1;
    this.#attempts = 0;
    this.#outageSince = undefined;
    this.#note(`live (join ${this.joins}, after_seq reached ${this.highestSeq}, ${this.#outbox.size} unacked)`);
    this.#pump();
  }

  #onAck(ack: MessageAck): void {
    this.acks.push(ack);
    this.#window = Math.min(this.#o.window, this.#window + 1);
    if (this.#outbox.delete(ack.client_msg_id)) this.#pump();
  }

  #onError(frame: AnyFrame): void {
    const data = frame.data as { code: string; message: string; retry_after_ms?: number };
    const out = frame.rid === undefined ? undefined : this.#outbox.get(frame.rid);
    if (data.code === "rate_limited" && out) {
      out.state = "queued";
      out.rateLimited += 1;
      this.rateLimited += 1;
      this.#window = 1;
      if (out.rateLimited > this.#o.maxRateLimitedPerMessage) {
        this.problems.push(`${this.#o.name}: ${frame.rid} was rate-limited ${out.rateLimited} times; dropped`);
        this.#outbox.delete(frame.rid!);
      }
      this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + (data.retry_after_ms ?? this.#o.rateLimitFallbackMs));
      this.#pump();
      return;
    }
    this.problems.push(`${this.#o.name}: error ${JSON.stringify(frame)}`);
    // Any other answer to a send is final for this client: the message is
    // dropped (and reported above) rather than retried until a timeout.
    if (out) {
      this.#outbox.delete(frame.rid!);
      this.#pump();
    }
  }

  // --- outbox ---------------------------------------------------------------

  /** Sends queued messages while the socket is live, the window has room and no rate limit holds. */
  #pump(): void {
    if (this.#status !== "live" || !this.#client) return;
    const wait = this.#pausedUntil - Date.now();
    if (wait > 0) {
      if (this.#timers.resume === undefined) {
        this.#timers.resume = setTimeout(() => {
          this.#timers.resume = undefined;
          this.#pump();
        }, wait);
      }
      return;
    }
    let inflight = 0;
    for (const out of this.#outbox.values()) if (out.state === "inflight") inflight += 1;
    for (const out of this.#outbox.values()) {
      if (inflight >= this.#window) break;
      if (out.state !== "queued") continue;
      out.state = "inflight";
      inflight += 1;
      this.#client.send("message.send", out.data, out.data.client_msg_id);
    }
  }

  // --- plumbing -------------------------------------------------------------

  #wake(): void {
    for (const check of [...this.#waiters]) check();
  }

  #note(event: string): void {
    this.events.push(`${new Date().toISOString().slice(11, 23)} ${event}`);
    if (this.events.length > 200) this.events.splice(0, this.events.length - 200);
  }

  #clearTimers(): void {
    clearTimeout(this.#timers.handshake);
    clearTimeout(this.#timers.reconnect);
    clearTimeout(this.#timers.resume);
    this.#timers.resume = undefined;
  }

  #failure(what: string): Error {
    return new Error(
      `${this.#o.name}: ${what} (status ${this.#status}, highest seq ${this.highestSeq}, ${this.#outbox.size} unacked, ` +
        `problems ${JSON.stringify(this.problems.slice(0, 5))})\nrecent events:\n${this.events.slice(-20).join("\n")}`,
    );
  }
}
