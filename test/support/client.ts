/**
 * A protocol client for tests, over any standard WebSocket (workerd's, or the
 * `ws` package's in Node). It queues every frame, checks each against the
 * server-frame schema (violations are collected, and tests assert none), and
 * lets a test wait for the frame it expects.
 *
 * To extend: add a method only for a protocol step several tests repeat.
 */
import { ServerFrame, type ServerData, type ServerFrameType } from "../../src/protocol/index.ts";

/** The part of the WebSocket interface the client needs (workerd and `ws` both have it). */
export interface SocketLike {
  send(data: string | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "message", listener: (e: { data: unknown }) => void): void;
  addEventListener(type: "close", listener: (e: { code: number; reason: string }) => void): void;
}

export type AnyFrame = { v: number; type: string; rid?: string; data: any };

/** A real WebSocket client of the conversation socket, with a frame queue. */
export class Client {
  readonly frames: AnyFrame[] = [];
  /** Frames that failed the server-frame schema: must stay empty. */
  readonly violations: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: Array<() => void> = [];
  #rid = 0;
  #cursor = 0;

  /** `schema`: what every server frame must pass; the conversation socket's by default (the inbox's and topics' differ). */
  constructor(readonly ws: SocketLike, readonly schema: { safeParse(value: unknown): { success: boolean; error?: { message: string } } } = ServerFrame) {
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (e) => {
        resolve({ code: e.code, reason: e.reason });
        this.#wake();
      });
    });
    ws.addEventListener("message", (e) => {
      const text = typeof e.data === "string" ? e.data : "<binary>";
      if (text === "pong") {
        this.frames.push({ v: 1, type: "<pong-text>", data: {} });
      } else {
        const value = JSON.parse(text) as AnyFrame;
        const check = this.schema.safeParse(value);
        if (!check.success) this.violations.push(`${text}: ${check.error?.message}`);
        this.frames.push(value);
      }
      this.#wake();
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  send(type: string, data: unknown = {}, rid?: string): void {
    this.ws.send(JSON.stringify(rid === undefined ? { v: 1, type, data } : { v: 1, type, rid, data }));
  }

  sendRaw(data: string | ArrayBuffer): void {
    this.ws.send(data);
  }

  /** Sends a request with a fresh rid and returns the first frame that echoes it. */
  async request(type: string, data: unknown = {}): Promise<AnyFrame> {
    const rid = `r${++this.#rid}`;
    this.send(type, data, rid);
    return this.next((f) => f.rid === rid);
  }

  /**
   * The next frame (after those already consumed) that matches; frames
   * skipped over stay available to `all()`.
   */
  async next(match: ((f: AnyFrame) => boolean) | ServerFrameType, timeoutMs = 5000): Promise<AnyFrame> {
    const pred = typeof match === "string" ? (f: AnyFrame) => f.type === match : match;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.#cursor; i < this.frames.length; i++) {
        const f = this.frames[i]!;
        if (pred(f)) {
          this.#cursor = i + 1;
          return f;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a frame; got ${JSON.stringify(this.frames.slice(this.#cursor).map((f) => f.type))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Every frame of a type received so far. */
  all<T extends ServerFrameType>(type: T): ServerData<T>[] {
    return this.frames.filter((f) => f.type === type).map((f) => f.data);
  }

  /** Waits until `count` frames of `type` have arrived in total. */
  async waitFor<T extends ServerFrameType>(type: T, count: number, timeoutMs = 10_000): Promise<ServerData<T>[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.all(type).length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.all(type).length}/${count} ${type} frames arrived`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.all(type);
  }

  /** Resolves when no frame arrives for `ms`; for asserting that nothing more came. */
  async quiet(ms = 300): Promise<void> {
    let seen = this.frames.length;
    for (;;) {
      await new Promise((r) => setTimeout(r, ms));
      if (this.frames.length === seen) return;
      seen = this.frames.length;
    }
  }

  close(code = 1000): void {
    try {
      this.ws.close(code, "bye");
    } catch {
      // already closed
    }
  }
}

