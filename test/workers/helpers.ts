/**
 * Helpers for tests that run inside workerd (Vitest Workers pool). They talk
 * to the real Worker through `SELF` and to real actors; nothing is mocked.
 *
 * To extend: add a function here only when three or more test files need it;
 * keep each helper a thin wrapper over one protocol step, so the tests still
 * read as the protocol.
 */
import { SELF } from "cloudflare:test";
import { expect } from "vitest";
import { ServerFrame, type ServerData, type ServerFrameType } from "../../src/protocol/index.ts";

const BASE = "https://parley.test";
let counter = 0;

/** A username no other test uses. */
export function uniqueName(prefix = "user"): string {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}${counter}${Math.floor(Math.random() * 1e4)}`.slice(0, 32);
}

export interface Session {
  token: string;
  userId: string;
  username: string;
}

export async function login(username = uniqueName()): Promise<Session> {
  const res = await SELF.fetch(`${BASE}/v1/auth/dev-login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token: string; user: { id: string; username: string } };
  return { token: body.access_token, userId: body.user.id, username: body.user.username };
}

export async function api(
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await SELF.fetch(`${BASE}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON; leave the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export async function createDirect(a: Session, b: Session): Promise<string> {
  const res = await api("POST", "/v1/conversations", a.token, { kind: "direct", with: b.username });
  expect([200, 201]).toContain(res.status);
  return res.body.conversation.id as string;
}

export async function createGroup(owner: Session, members: Session[], title = "group"): Promise<string> {
  const res = await api("POST", "/v1/conversations", owner.token, {
    kind: "group", title, members: members.map((m) => m.username),
  });
  expect(res.status).toBe(201);
  return res.body.conversation.id as string;
}

type AnyFrame = { v: number; type: string; rid?: string; data: any };

/** A real WebSocket client of the conversation socket, with a frame queue. */
export class Client {
  readonly frames: AnyFrame[] = [];
  /** Frames that failed the server-frame schema: must stay empty. */
  readonly violations: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: Array<() => void> = [];
  #rid = 0;
  #cursor = 0;

  constructor(readonly ws: WebSocket) {
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
        const check = ServerFrame.safeParse(value);
        if (!check.success) this.violations.push(`${text}: ${check.error.message}`);
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

/** Opens the conversation socket; returns the HTTP response when it is not an upgrade. */
export async function openSocket(
  token: string | undefined,
  conversationId: string,
  options: { query?: boolean; headers?: Record<string, string> } = {},
): Promise<{ client?: Client; status: number; body?: any }> {
  const url = new URL(`${BASE}/v1/conversations/${conversationId}/ws`);
  const headers: Record<string, string> = { upgrade: "websocket", ...options.headers };
  if (token && options.query) url.searchParams.set("access_token", token);
  else if (token) headers.authorization = `Bearer ${token}`;
  const res = await SELF.fetch(url, { headers });
  if (!res.webSocket) {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // leave text
    }
    return { status: res.status, body };
  }
  res.webSocket.accept();
  return { client: new Client(res.webSocket), status: res.status };
}

/** Connects, says hello and joins; returns the client and the join answer. */
export async function joined(
  session: Session,
  conversationId: string,
  join: { after_seq?: number; limit?: number } = {},
): Promise<{ client: Client; joinedFrame: AnyFrame }> {
  const { client, status } = await openSocket(session.token, conversationId);
  expect(status).toBe(101);
  const hello = await client!.request("hello", { client: { name: "test", version: "1" } });
  expect(hello.type).toBe("hello.ack");
  const joinedFrame = await client!.request("conversation.join", join);
  expect(joinedFrame.type).toBe("conversation.joined");
  return { client: client!, joinedFrame };
}
