/**
 * A lean conversation-socket client for measurements, on the `ws` package.
 *
 * Unlike test/support/client.ts it does not check frames against the zod
 * schemas and keeps no frame log: on a 2-core machine the client shares the
 * CPU with workerd, and every microsecond it spends is a microsecond the
 * engine does not get. Correctness of frames is the e2e suite's job; here a
 * frame is parsed once and either settles the request that its `rid` answers
 * or goes to `onFrame` with its arrival time.
 */
import WebSocket from "ws";
import type { ErrorBody, MessageAck, ServerData } from "../../src/protocol/index.ts";

export interface Frame {
  v: number;
  type: string;
  rid?: string;
  data: any;
}

/** The server answered a request with an `error` frame. */
export class FrameError extends Error {
  constructor(readonly body: ErrorBody) {
    super(`error frame: ${body.code}: ${body.message}`);
  }
}

/** The socket did not open; `reason` is short and stable enough to count ("http_429", "timeout", …). */
export class OpenError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (reply: { frame: Frame; at: number }) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export type HelloAck = ServerData<"hello.ack">;

export class BenchSocket {
  /** Frames that answer no pending request (message.new, presence, …), with `performance.now()` at arrival. */
  onFrame: ((frame: Frame, at: number) => void) | undefined;
  /** Set once the socket has closed. */
  closedWith: { code: number; reason: string } | undefined;
  /** Text frames that were not JSON (other than the keep-alive "pong"). */
  garbled = 0;
  /** The answer to `hello`, once the handshake got that far. */
  helloAck: HelloAck | undefined;
  readonly #ws: WebSocket;
  readonly #pending = new Map<string, Pending>();
  #rid = 0;
  #keepalive: NodeJS.Timeout | undefined;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on("message", (raw, isBinary) => {
      const at = performance.now();
      if (isBinary) {
        this.garbled++;
        return;
      }
      const text = raw.toString();
      if (text === "pong") return;
      let frame: Frame;
      try {
        frame = JSON.parse(text) as Frame;
      } catch {
        this.garbled++;
        return;
      }
      const pending = frame.rid === undefined ? undefined : this.#pending.get(frame.rid);
      if (pending && frame.rid !== undefined) {
        this.#pending.delete(frame.rid);
        clearTimeout(pending.timer);
        if (frame.type === "error") pending.reject(new FrameError(frame.data as ErrorBody));
        else pending.resolve({ frame, at });
        return;
      }
      this.onFrame?.(frame, at);
    });
    ws.on("close", (code, reason) => {
      this.closedWith = { code, reason: reason.toString() };
      if (this.#keepalive) clearInterval(this.#keepalive);
      for (const [rid, p] of this.#pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`socket closed (${code}) before the answer to ${rid}`));
      }
      this.#pending.clear();
    });
    // Errors after the open surface as a close; the listener keeps them from being thrown.
    ws.on("error", () => {});
  }

  /** Opens the socket (HTTP upgrade only; no protocol frame yet). Without a token, no Authorization header (the floor). */
  static open(url: string, token: string | undefined, timeoutMs: number): Promise<BenchSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        perMessageDeflate: false,
        handshakeTimeout: timeoutMs,
      });
      const fail = (e: Error) => {
        const status = /Unexpected server response: (\d+)/.exec(e.message)?.[1];
        const reason = status ? `http_${status}` : /timed out/i.test(e.message) ? "timeout" : "network";
        reject(new OpenError(reason, `WebSocket upgrade failed: ${e.message}`));
      };
      ws.once("error", fail);
      ws.once("open", () => {
        ws.off("error", fail);
        resolve(new BenchSocket(ws));
      });
    });
  }

  /** `hello` → `hello.ack`, then `conversation.join` → `conversation.joined`. Starts the keep-alive. */
  async handshake(timeoutMs: number): Promise<{ ack: HelloAck; joined: ServerData<"conversation.joined"> }> {
    const hello = await this.request("hello", { client: { name: "parley-bench", version: "1" } }, timeoutMs);
    const ack = hello.frame.data as HelloAck;
    this.helloAck = ack;
    // The runtime answers the text "ping" without waking the actor; keeps the
    // heartbeat sweep from closing a socket that sits idle between steps.
    this.#keepalive = setInterval(() => this.#ws.readyState === WebSocket.OPEN && this.#ws.send("ping"), ack.heartbeat_ms);
    this.#keepalive.unref();
    const join = await this.request("conversation.join", {}, timeoutMs);
    return { ack, joined: join.frame.data as ServerData<"conversation.joined"> };
  }

  /**
   * Sends a request with a fresh `rid`; resolves with the frame that echoes it
   * and its arrival time, rejects with a FrameError on an `error` frame.
   */
  request(type: string, data: unknown, timeoutMs: number): Promise<{ frame: Frame; at: number }> {
    const rid = `b${++this.#rid}`;
    return new Promise((resolve, reject) => {
      if (this.#ws.readyState !== WebSocket.OPEN) {
        reject(new Error(`socket not open (state ${this.#ws.readyState}) for ${type}`));
        return;
      }
      const timer = setTimeout(() => {
        this.#pending.delete(rid);
        reject(new Error(`no answer to ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(rid, { resolve, reject, timer });
      this.#ws.send(JSON.stringify({ v: 1, type, rid, data }));
    });
  }

  /** `message.send`; resolves with the ack and the time it arrived. */
  async send(clientMsgId: string, body: string, timeoutMs: number): Promise<{ ack: MessageAck; at: number }> {
    const reply = await this.request("message.send", { client_msg_id: clientMsgId, body }, timeoutMs);
    return { ack: reply.frame.data as MessageAck, at: reply.at };
  }

  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  close(): void {
    if (this.#keepalive) clearInterval(this.#keepalive);
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) this.#ws.close(1000, "bench done");
  }

  /** Closes and waits for the closing handshake (bounded). */
  async closeAndWait(timeoutMs: number): Promise<void> {
    if (this.closedWith) return;
    const done = new Promise<void>((resolve) => this.#ws.once("close", () => resolve()));
    this.close();
    const timer = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([done, timer]);
    if (!this.closedWith) this.#ws.terminate();
  }
}
