import type { z } from "zod";
import { ErrorBody, PING_TEXT, PONG_TEXT, PROTOCOL_VERSION, describeIssue } from "../../src/protocol/index.ts";
import { errorText, type TokenSource } from "./auth.ts";
import { backoffDelay } from "./backoff.ts";
import {
  INITIAL_STATE,
  hasSocket,
  publicStatus,
  transition,
  type ConnectionEvent,
  type ConnectionState,
  type ConnectionStatus,
  type Phase,
} from "./machine.ts";
import type { Timing } from "./timing.ts";
import { cancelInterval, cancelTimeout, type Interval, type Timer } from "./timers.ts";

/**
 * The part of the WebSocket interface the SDK uses: the browser's
 * `WebSocket`, the `ws` package's in Node, and workerd's all fit.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // Events are read defensively (`data`, `code`, `reason`), so any event shape is accepted.
  addEventListener(type: "open" | "message" | "close" | "error", listener: (event: any) => void): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** What the SDK reports on its `error` event. It never throws these into the application. */
export interface ParleyEventError {
  /**
   * - `invalid_frame`: the server sent something that is not a valid frame of the contract (it is skipped);
   * - `server_error`: an `error` frame not tied to one of the SDK's sends;
   * - `send_failed`: the server refused a message for good (`bad_request`, `forbidden`, …);
   * - `stopped`: the connection stopped and will not reconnect on its own;
   * - `refresh_failed`: a refresh ahead of the token's expiry failed (on the client's `error` event only); the
   *   current token stays in use, and the message says whether and when it is tried again;
   * - `storage_failed`: the storage (IndexedDB) could not be read or written; the handle goes on in memory.
   */
  kind: "invalid_frame" | "server_error" | "send_failed" | "stopped" | "refresh_failed" | "storage_failed";
  message: string;
  /** The error code of the contract, or the close code or HTTP status that stopped the connection. */
  code?: string | number;
  /** The offending frame text, for `invalid_frame` (cut at 500 characters). */
  raw?: string;
}

/** The envelope fields every server frame has. */
interface AnyFrame {
  type: string;
  rid?: string | undefined;
  data: unknown;
}

/** WebSocket.OPEN, the same number everywhere. */
const OPEN = 1;

export interface ManagedSocketConfig<F extends AnyFrame> {
  /** `http(s)://host[:port]` of the engine. */
  baseUrl: string;
  /** The socket's path, e.g. `/v1/conversations/c_…/ws`. */
  path: string;
  /** A REST path that answers like the upgrade does (401, 403, 404), asked when an upgrade fails. */
  probePath: string;
  /** The schema every incoming frame must pass (`ServerFrame`, `InboxServerFrame`). */
  schema: z.ZodType<F>;
  tokens: TokenSource;
  WebSocket: WebSocketConstructor;
  fetch: typeof fetch;
  timing: Timing;
  clientInfo: { name: string; version: string };
  /** The protocol on top: called after every change of phase, and with every valid frame. */
  onEnter(phase: Phase, from: Phase): void;
  onFrame(frame: F): void;
  onStatus(status: ConnectionStatus): void;
  onError(error: ParleyEventError): void;
  /**
   * Whether this socket may fall back to polling (conversations may; the
   * inbox may not): after `FALLBACK_AFTER_FAILURES` attempts in a row whose
   * socket never opened although the server answers over HTTP, the machine
   * enters `polling`, and a probe socket is tried every `POLL_PROBE_MS`.
   */
  fallback?: boolean;
}

/**
 * One managed socket: the state machine of machine.ts wired to a real
 * WebSocket, timers and tokens. It owns everything every Parley socket
 * shares — token in the query string, `hello`, the text keep-alive, the
 * close-code rules, backoff, token refresh — and leaves what a socket is
 * for (join and replay, the inbox) to the `onEnter` and `onFrame` hooks.
 *
 * Every asynchronous continuation (a token, a probe, a timer) carries the
 * attempt it belongs to, and is dropped if the connection moved on since.
 */
export class ManagedSocket<F extends AnyFrame> {
  readonly #c: ManagedSocketConfig<F>;
  #state: ConnectionState = INITIAL_STATE;
  #reported: ConnectionStatus = publicStatus(INITIAL_STATE);
  #ws: WebSocketLike | undefined;
  /** Grows with every attempt and every teardown; stale continuations compare it. */
  #attemptId = 0;
  #heartbeatMs: number;
  /** A server-requested wait (`connection.closing.retry_after_ms`, HTTP 429) for the next backoff. */
  #serverDelayMs = 0;
  /** The reason of the last `connection.closing`, for the close that follows. */
  #closingReason: string | undefined;
  /** The token the server holds for this socket: the one it opened with, then each one swapped in. */
  #socketToken: string | undefined;
  /** A token refreshed while this socket was opening, before it could take `auth.refresh`. */
  #pendingToken: string | undefined;
  /** Attempts in a row whose socket never opened while HTTP got through (an upgrade refused or never answered). */
  #blocked = 0;
  /** Whether the current attempt's socket opened. */
  #opened = false;
  #timers: {
    connect?: Timer;
    backoff?: Timer;
    probe?: Timer;
    heartbeat?: Interval;
    pong?: Timer;
  } = {};

  constructor(config: ManagedSocketConfig<F>) {
    this.#c = config;
    this.#heartbeatMs = config.timing.DEFAULT_HEARTBEAT_MS;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get status(): ConnectionStatus {
    return publicStatus(this.#state);
  }

  /** Feeds the state machine and carries out what entering the new phase means. */
  dispatch(event: ConnectionEvent): void {
    const prev = this.#state;
    const next = transition(prev, event);
    if (next === prev) return;
    this.#state = next;
    if (hasSocket(prev.phase) && !hasSocket(next.phase)) this.#teardown();
    this.#enter(next);
    this.#c.onEnter(next.phase, prev.phase);
    // Reported against the last status reported, not `prev`: a hook may have
    // moved the machine on already, and each change is told exactly once.
    const status = publicStatus(this.#state);
    if (status !== this.#reported) {
      this.#reported = status;
      this.#c.onStatus(status);
    }
  }

  /** Drops the current socket and tries again after at least `ms` (a request the server refused with `rate_limited`). */
  retryLater(ms: number, reason: string): void {
    this.#serverDelayMs = Math.max(this.#serverDelayMs, ms);
    this.#abandon(reason);
  }

  /** Sends a frame if the socket is open; false if it is not. */
  send(type: string, data: unknown, rid?: string): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== OPEN) return false;
    ws.send(JSON.stringify(rid === undefined ? { v: PROTOCOL_VERSION, type, data } : { v: PROTOCOL_VERSION, type, rid, data }));
    return true;
  }

  /**
   * Swaps a refreshed token into the open socket (no reconnect). A socket
   * still opening cannot take `auth.refresh` before its `hello`; it gets the
   * token right after `hello.ack`, unless it opened with that token anyway.
   */
  refreshInPlace(token: string): void {
    switch (this.#state.phase) {
      case "joining":
      case "replaying":
      case "live":
        this.#sendToken(token);
        return;
      case "connecting":
      case "handshaking":
        this.#pendingToken = token;
        return;
      default:
        return;
    }
  }

  #sendToken(token: string): void {
    if (token !== this.#socketToken && this.send("auth.refresh", { access_token: token }, "auth")) this.#socketToken = token;
  }

  // --- phases ---------------------------------------------------------------

  #enter(state: ConnectionState): void {
    switch (state.phase) {
      case "connecting": {
        const id = ++this.#attemptId;
        this.#opened = false;
        this.#timers.connect = setTimeout(() => {
          if (id !== this.#attemptId) return;
          const reason = `not connected within ${this.#c.timing.CONNECT_TIMEOUT_MS} ms`;
          // A socket created and never opened is a blocked upgrade too (a proxy that holds it).
          if (this.#ws && !this.#opened) this.#blockedAttempt(reason);
          else this.#abandon(reason);
        }, this.#c.timing.CONNECT_TIMEOUT_MS);
        void this.#open(id);
        return;
      }
      case "handshaking":
        this.send("hello", { client: this.#c.clientInfo }, "hello");
        return;
      case "joining":
        if (this.#pendingToken !== undefined) this.#sendToken(this.#pendingToken);
        this.#pendingToken = undefined;
        return;
      case "live":
        cancelTimeout(this.#timers.connect);
        this.#blocked = 0;
        return;
      case "polling":
        // Polling carries the conversation meanwhile (the handle runs it); now and then a socket is tried again.
        this.#timers.probe = setTimeout(() => this.dispatch({ type: "retry" }), this.#c.timing.POLL_PROBE_MS);
        return;
      case "backoff": {
        const delay = Math.max(backoffDelay(state.attempt, this.#c.timing), this.#serverDelayMs);
        this.#serverDelayMs = 0;
        this.#timers.backoff = setTimeout(() => this.dispatch({ type: "retry" }), delay);
        return;
      }
      case "reauthenticating": {
        const id = ++this.#attemptId;
        void this.#c.tokens.refresh().then((result) => {
          if (id !== this.#attemptId) return;
          this.dispatch(result.ok ? { type: "token", ok: true } : { type: "token", ok: false, message: result.message });
        });
        return;
      }
      case "stopped":
        this.#c.onError({
          kind: "stopped",
          message: `${this.#c.path}: ${state.stopReason?.message ?? "stopped"}; call connect() to try again.`,
          ...(state.stopReason?.code !== undefined ? { code: state.stopReason.code } : {}),
          ...(state.stopReason?.status !== undefined ? { code: state.stopReason.status } : {}),
        });
        this.#clearTimers();
        return;
      case "idle":
      case "closed":
        this.#attemptId += 1;
        this.#blocked = 0;
        this.#clearTimers();
        return;
      case "replaying":
        return;
    }
  }

  /** Leaving the phases that have a socket: close it and stop its timers. */
  #teardown(): void {
    this.#attemptId += 1;
    this.#stopHeartbeat();
    cancelTimeout(this.#timers.connect);
    const ws = this.#ws;
    this.#ws = undefined;
    this.#closingReason = undefined;
    this.#socketToken = undefined;
    this.#pendingToken = undefined;
    if (ws) {
      try {
        ws.close(1000, "client closed");
      } catch {
        // Already closing or closed.
      }
    }
  }

  /** Gives up on the current socket (dead, or too slow to get live) and lets the machine decide what next. */
  #abandon(reason: string): void {
    this.dispatch({ type: "closed", code: 1006, reason });
  }

  /**
   * The socket never opened though the server answers over HTTP. Once this
   * happened `FALLBACK_AFTER_FAILURES` times in a row (or once, while already
   * falling back), a socket that may fall back goes to `polling`.
   */
  #blockedAttempt(reason: string): void {
    this.#blocked += 1;
    if (this.#c.fallback && (this.#state.fallback || this.#blocked >= this.#c.timing.FALLBACK_AFTER_FAILURES)) {
      this.dispatch({ type: "fallback" });
    } else {
      this.#abandon(reason);
    }
  }

  // --- the socket -----------------------------------------------------------

  async #open(id: number): Promise<void> {
    let token: string;
    try {
      token = await this.#c.tokens.current();
    } catch (err) {
      if (id === this.#attemptId) this.dispatch({ type: "refused", status: 401, message: `getToken failed: ${errorText(err)}` });
      return;
    }
    if (id !== this.#attemptId) return;
    this.#socketToken = token;
    const url = `${this.#c.baseUrl.replace(/^http/, "ws").replace(/\/+$/, "")}${this.#c.path}?access_token=${encodeURIComponent(token)}`;
    let ws: WebSocketLike;
    try {
      ws = new this.#c.WebSocket(url);
    } catch (err) {
      this.#abandon(`could not open a WebSocket: ${errorText(err)}`);
      return;
    }
    this.#ws = ws;
    let opened = false;
    ws.addEventListener("open", () => {
      if (this.#ws !== ws) return;
      opened = true;
      this.#opened = true;
      this.#blocked = 0;
      this.dispatch({ type: "opened" });
    });
    ws.addEventListener("message", (event: { data?: unknown }) => {
      if (this.#ws === ws) this.#onMessage(event.data);
    });
    ws.addEventListener("error", () => {
      // A close event always follows; it carries what there is to know.
    });
    ws.addEventListener("close", (event: { code?: number; reason?: string }) => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      this.#stopHeartbeat();
      if (!opened) {
        // A browser reports a refused upgrade as a bare 1006; ask the REST
        // API the same question to learn whether it was the token (401), the
        // membership (403, 404), a limit (429) or the network.
        void this.#probe(id);
        return;
      }
      const code = typeof event.code === "number" ? event.code : 1006;
      this.dispatch({ type: "closed", code, reason: this.#closingReason ?? event.reason ?? "" });
    });
  }

  async #probe(id: number): Promise<void> {
    let res: Response;
    try {
      const token = await this.#c.tokens.current();
      res = await this.#c.fetch(`${this.#c.baseUrl.replace(/\/+$/, "")}${this.#c.probePath}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(this.#c.timing.REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      if (id === this.#attemptId) this.#abandon(`the server is unreachable: ${errorText(err)}`);
      return;
    }
    if (id !== this.#attemptId) return;
    if (res.ok) {
      this.#blockedAttempt("the WebSocket upgrade failed, though the server answers");
      return;
    }
    const body = ErrorBody.safeParse(await res.json().catch(() => undefined));
    if (id !== this.#attemptId) return;
    if (body.success && body.data.retry_after_ms !== undefined) this.#serverDelayMs = body.data.retry_after_ms;
    this.dispatch({ type: "refused", status: res.status, ...(body.success ? { message: body.data.message } : {}) });
  }

  #onMessage(raw: unknown): void {
    // Any frame shows the socket is alive.
    cancelTimeout(this.#timers.pong);
    this.#timers.pong = undefined;
    if (raw === PONG_TEXT) return;
    if (typeof raw !== "string") {
      this.#c.onError({ kind: "invalid_frame", message: "The server sent a binary frame; Parley frames are JSON text." });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      this.#c.onError({ kind: "invalid_frame", message: "The server sent a frame that is not JSON.", raw: raw.slice(0, 500) });
      return;
    }
    const parsed = this.#c.schema.safeParse(value);
    if (!parsed.success) {
      this.#c.onError({
        kind: "invalid_frame",
        message: `The server sent a frame outside the protocol (${describeIssue(parsed.error.issues)}); it was skipped.`,
        raw: raw.slice(0, 500),
      });
      return;
    }
    const frame = parsed.data;
    if (frame.type === "hello.ack") {
      this.#startHeartbeat((frame.data as { heartbeat_ms: number }).heartbeat_ms);
      this.dispatch({ type: "hello.ack" });
    } else if (frame.type === "connection.closing") {
      const data = frame.data as { reason: string; retry_after_ms?: number };
      this.#closingReason = data.reason;
      if (data.retry_after_ms !== undefined) this.#serverDelayMs = data.retry_after_ms;
    }
    this.#c.onFrame(frame);
  }

  // --- keep-alive -----------------------------------------------------------

  /**
   * Sends the text `ping` every `heartbeat_ms` (the server's own interval,
   * so the server's sweep never closes a healthy socket). When nothing at all
   * comes back within `PONG_TIMEOUT_MS`, the socket is taken for dead.
   */
  #startHeartbeat(ms: number): void {
    this.#stopHeartbeat();
    this.#heartbeatMs = ms;
    this.#timers.heartbeat = setInterval(() => {
      const ws = this.#ws;
      if (!ws || ws.readyState !== OPEN) return;
      ws.send(PING_TEXT);
      this.#timers.pong ??= setTimeout(() => {
        this.#timers.pong = undefined;
        if (this.#ws === ws) this.#abandon(`no pong within ${this.#c.timing.PONG_TIMEOUT_MS} ms of a ping`);
      }, this.#c.timing.PONG_TIMEOUT_MS);
    }, this.#heartbeatMs);
  }

  #stopHeartbeat(): void {
    cancelInterval(this.#timers.heartbeat);
    cancelTimeout(this.#timers.pong);
    this.#timers.heartbeat = undefined;
    this.#timers.pong = undefined;
  }

  #clearTimers(): void {
    this.#stopHeartbeat();
    cancelTimeout(this.#timers.connect);
    cancelTimeout(this.#timers.backoff);
    cancelTimeout(this.#timers.probe);
  }
}
