import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Message } from "../../src/protocol/index.ts";
import type { AccessToken } from "./auth.ts";
import { ParleyClient } from "./client.ts";
import type { ConversationHandle } from "./conversation.ts";
import type { ParleyEventError, WebSocketLike } from "./socket.ts";
import { TIMING } from "./timing.ts";

/**
 * The conversation handle against a scripted server: a fake WebSocket whose
 * "server side" the test drives frame by frame. Timings are shrunk so that
 * backoff, heartbeat and pong timeouts take milliseconds.
 */
class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  readonly sent: string[] = [];
  readonly #listeners = new Map<string, Array<(e: unknown) => void>>();

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }

  static last(): FakeSocket {
    return FakeSocket.all[FakeSocket.all.length - 1]!;
  }

  addEventListener(type: string, listener: (e: any) => void): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(data);
  }

  close(code = 1005, reason = ""): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.#emit("close", { code, reason });
  }

  // --- the server side ---

  open(): void {
    this.readyState = 1;
    this.#emit("open", {});
  }

  receive(frame: unknown): void {
    this.#emit("message", { data: typeof frame === "string" ? frame : JSON.stringify(frame) });
  }

  serverClose(code: number, reason = ""): void {
    this.readyState = 3;
    this.#emit("close", { code, reason });
  }

  /** JSON frames the client sent (the text pings left out). */
  frames(): Array<{ type: string; rid?: string; data: any }> {
    return this.sent.filter((s) => s !== "ping").map((s) => JSON.parse(s));
  }

  lastFrame(type: string): { type: string; rid?: string; data: any } | undefined {
    return this.frames().filter((f) => f.type === type).at(-1);
  }

  #emit(type: string, event: unknown): void {
    for (const l of this.#listeners.get(type) ?? []) l(event);
  }
}

const CID = "c_dtest";
const ME = "u_me";

function msg(seq: number, extra: Partial<Message> = {}): Message {
  return {
    conversation_id: CID,
    seq,
    server_msg_id: `m_${seq}`,
    client_msg_id: `k${seq}`,
    sender_id: "u_other",
    body: `message ${seq}`,
    created_at: 1_763_769_600_000 + seq,
    ...extra,
  };
}

const helloAck = (heartbeat_ms = 30_000) => ({
  v: 1,
  type: "hello.ack",
  rid: "hello",
  data: {
    session_id: "s_1",
    user_id: ME,
    conversation_id: CID,
    server_time: Date.now(),
    heartbeat_ms,
    limits: { max_body_chars: 4000, max_frame_bytes: 65536, send_rate: { messages: 30, per_ms: 10_000 } },
  },
});
const joined = {
  v: 1,
  type: "conversation.joined",
  rid: "join",
  data: {
    conversation: { id: CID, kind: "direct", members: [{ user_id: ME, username: "me", role: "member" }], last_seq: 0 },
    online: [ME],
    receipts: [],
  },
};
const batch = (messages: Message[], has_more = false, rid = "join") => ({ v: 1, type: "messages.batch", rid, data: { messages, has_more } });
const fresh = (message: Message) => ({ v: 1, type: "message.new", data: { message } });
const ack = (client_msg_id: string, seq: number, duplicate = false) => ({
  v: 1,
  type: "message.ack",
  rid: client_msg_id,
  data: { client_msg_id, server_msg_id: `m_${seq}`, seq, created_at: 1, duplicate },
});

interface Setup {
  client: ParleyClient;
  chat: ConversationHandle;
  received: Message[];
  errors: ParleyEventError[];
  statuses: string[];
  probes: string[];
}

let clients: ParleyClient[] = [];

function setup(
  options: { afterSeq?: number; probeStatus?: number; refreshToken?: () => Promise<AccessToken>; token?: AccessToken } = {},
): Setup {
  FakeSocket.all = [];
  const probes: string[] = [];
  const fakeFetch = (async (url: string | URL | Request) => {
    probes.push(String(url));
    const status = options.probeStatus ?? 200;
    const body = status === 200 ? {} : { code: status === 401 ? "unauthorized" : "forbidden", message: `probe ${status}`, retryable: false };
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  const client = new ParleyClient({
    baseUrl: "http://parley.test",
    token: options.token ?? "t1",
    ...(options.refreshToken ? { refreshToken: options.refreshToken } : {}),
    WebSocket: FakeSocket,
    fetch: fakeFetch,
    timing: { BACKOFF_BASE_MS: 5, BACKOFF_MAX_MS: 20, BACKOFF_MIN_MS: 1, PONG_TIMEOUT_MS: 40, CONNECT_TIMEOUT_MS: 2_000, PAGE_LIMIT: 2 },
  });
  clients.push(client);
  const chat = client.conversation(CID, options.afterSeq !== undefined ? { afterSeq: options.afterSeq } : {});
  const s: Setup = { client, chat, received: [], errors: [], statuses: [], probes };
  chat.on("message", (m) => s.received.push(m));
  chat.on("error", (e) => s.errors.push(e));
  chat.on("status", (st) => s.statuses.push(st));
  return s;
}

/** Waits for the n-th socket and completes its handshake up to the join request. */
async function handshake(n: number, heartbeatMs?: number): Promise<FakeSocket> {
  await eventually(() => expect(FakeSocket.all.length).toBe(n));
  const ws = FakeSocket.all[n - 1]!;
  ws.open();
  expect(ws.frames()[0]).toMatchObject({ type: "hello", rid: "hello" });
  ws.receive(helloAck(heartbeatMs));
  return ws;
}

const seqs = (ms: Message[]) => ms.map((m) => m.seq);

/** vi.waitFor with room for a machine busy with the other test projects. */
function eventually(check: () => void): Promise<void> {
  return vi.waitFor(check, { timeout: 5_000, interval: 5 });
}

afterEach(() => {
  for (const c of clients) c.destroy();
  clients = [];
  vi.restoreAllMocks();
});

describe("a conversation handle", () => {
  it("joins after the seq it has, pages the replay with sync while has_more, then is connected", async () => {
    const s = setup({ afterSeq: 2 });
    s.chat.connect();
    const ws = await handshake(1);
    expect(ws.url).toBe(`ws://parley.test/v1/conversations/${CID}/ws?access_token=t1`);
    expect(ws.lastFrame("conversation.join")!.data).toEqual({ after_seq: 2, limit: 2 });
    ws.receive(joined);
    ws.receive(batch([msg(3), msg(4)], true));
    expect(ws.lastFrame("sync")!.data).toEqual({ after_seq: 4, limit: 2 });
    expect(s.chat.status).toBe("connecting");
    ws.receive(batch([msg(5)], false, "sync"));
    expect(s.chat.status).toBe("connected");
    ws.receive(fresh(msg(6)));
    expect(seqs(s.received)).toEqual([3, 4, 5, 6]);
    expect(s.statuses).toEqual(["connecting", "connected"]);
    expect(s.errors).toEqual([]);
  });

  it("resumes after a drop from the highest seq delivered and never delivers a message twice", async () => {
    const s = setup();
    s.chat.connect();
    let ws = await handshake(1);
    ws.receive(joined);
    ws.receive(batch([msg(1), msg(2)]));
    ws.receive(fresh(msg(3)));
    ws.serverClose(4200, "server shutdown");
    expect(s.chat.status).toBe("reconnecting");
    ws = await handshake(2);
    expect(ws.lastFrame("conversation.join")!.data.after_seq).toBe(3);
    ws.receive(joined);
    // An overlapping replay and a repeated live message change nothing.
    ws.receive(batch([msg(2), msg(3), msg(4)]));
    ws.receive(fresh(msg(4)));
    ws.receive(fresh(msg(5)));
    expect(seqs(s.received)).toEqual([1, 2, 3, 4, 5]);
    expect(s.statuses).toEqual(["connecting", "connected", "reconnecting", "connected"]);
  });

  it("holds a message that skips a seq, asks for the gap with sync, and delivers in order", async () => {
    const s = setup();
    s.chat.connect();
    const ws = await handshake(1);
    ws.receive(joined);
    ws.receive(batch([msg(1)]));
    ws.receive(fresh(msg(3)));
    expect(seqs(s.received)).toEqual([1]);
    expect(ws.lastFrame("sync")!.data).toEqual({ after_seq: 1, limit: 2 });
    ws.receive(fresh(msg(4)));
    expect(ws.frames().filter((f) => f.type === "sync")).toHaveLength(1);
    ws.receive(batch([msg(2), msg(3)], true, "sync"));
    expect(seqs(s.received)).toEqual([1, 2, 3, 4]);
  });

  it("queues a send until it is connected, resends unacked ones after a reconnect with the same id, and reports acks", async () => {
    const s = setup();
    const acks: string[] = [];
    s.chat.on("ack", (a) => acks.push(`${a.client_msg_id}:${a.duplicate}`));
    const first = s.chat.send("before connecting");
    expect(first.status).toBe("queued");
    s.chat.connect();
    let ws = await handshake(1);
    ws.receive(joined);
    ws.receive(batch([]));
    expect(ws.lastFrame("message.send")).toMatchObject({ rid: first.clientMsgId, data: { client_msg_id: first.clientMsgId, body: "before connecting" } });
    // One in flight at a time: the second waits its turn.
    const second = s.chat.send("second", { replyToSeq: 1 });
    expect(second.status).toBe("queued");
    ws.serverClose(1006);
    ws = await handshake(2);
    ws.receive(joined);
    ws.receive(batch([]));
    expect(ws.frames().filter((f) => f.type === "message.send").map((f) => f.data.client_msg_id)).toEqual([first.clientMsgId]);
    ws.receive(ack(first.clientMsgId, 1, true));
    expect(ws.lastFrame("message.send")!.data).toEqual({ client_msg_id: second.clientMsgId, body: "second", reply_to_seq: 1 });
    ws.receive(ack(second.clientMsgId, 2));
    expect(acks).toEqual([`${first.clientMsgId}:true`, `${second.clientMsgId}:false`]);
    expect(s.chat.pending).toEqual([]);
    const third = s.chat.send("third");
    expect(third.status).toBe("sent");
  });

  it("waits retry_after_ms after rate_limited, then resends the same message", async () => {
    const s = setup();
    s.chat.connect();
    const ws = await handshake(1);
    ws.receive(joined);
    ws.receive(batch([]));
    const { clientMsgId } = s.chat.send("hi");
    ws.receive({ v: 1, type: "error", rid: clientMsgId, data: { code: "rate_limited", message: "slow down", retryable: true, retry_after_ms: 30 } });
    expect(ws.frames().filter((f) => f.type === "message.send")).toHaveLength(1);
    await eventually(() => expect(ws.frames().filter((f) => f.type === "message.send")).toHaveLength(2));
    expect(ws.lastFrame("message.send")!.data.client_msg_id).toBe(clientMsgId);
    expect(s.errors).toEqual([]);
  });

  it("reports a send refused for good and drops it from the outbox", async () => {
    const s = setup();
    const failed: string[] = [];
    s.chat.on("send-failed", (f) => failed.push(`${f.clientMsgId}:${f.error.code}`));
    s.chat.connect();
    const ws = await handshake(1);
    ws.receive(joined);
    ws.receive(batch([]));
    const { clientMsgId } = s.chat.send("hi", { replyToSeq: 99 });
    ws.receive({ v: 1, type: "error", rid: clientMsgId, data: { code: "bad_request", message: "data.reply_to_seq: beyond last_seq", retryable: false } });
    expect(failed).toEqual([`${clientMsgId}:bad_request`]);
    expect(s.chat.pending).toEqual([]);
    expect(s.errors.map((e) => e.kind)).toEqual(["send_failed"]);
  });

  it("reports invalid frames on the error event and carries on", async () => {
    const s = setup();
    s.chat.connect();
    const ws = await handshake(1);
    ws.receive(joined);
    ws.receive(batch([]));
    expect(() => {
      ws.receive("not json");
      ws.receive({ v: 1, type: "no.such.frame", data: {} });
      ws.receive({ v: 1, type: "message.new", data: { message: { ...msg(1), reply_to_seq: null } } });
      ws.receive({ v: 2, type: "message.new", data: { message: msg(1) } });
    }).not.toThrow();
    ws.receive(fresh(msg(1)));
    expect(s.errors.map((e) => e.kind)).toEqual(["invalid_frame", "invalid_frame", "invalid_frame", "invalid_frame"]);
    expect(s.errors[0]!.raw).toBe("not json");
    expect(seqs(s.received)).toEqual([1]);
    expect(s.chat.status).toBe("connected");
  });

  it("a handler that throws does not break delivery", async () => {
    const s = setup();
    const errorSpy = vi.spyOn(console, "error").mockImplementation(() => undefined);
    s.chat.on("message", () => {
      throw new Error("app bug");
    });
    s.chat.connect();
    const ws = await handshake(1);
    ws.receive(joined);
    ws.receive(batch([msg(1), msg(2)]));
    expect(seqs(s.received)).toEqual([1, 2]);
    expect(errorSpy).toHaveBeenCalledTimes(2);
  });

  it("stops on 4003 and 4008 without reconnecting", async () => {
    for (const code of [4003, 4008]) {
      const s = setup();
      s.chat.connect();
      const ws = await handshake(1);
      ws.receive(joined);
      ws.receive(batch([]));
      ws.receive({ v: 1, type: "connection.closing", data: { reason: "removed", retry: false } });
      ws.serverClose(code, "removed");
      expect(s.chat.status).toBe("failed");
      expect(s.chat.stopReason).toMatchObject({ code, message: "removed" });
      expect(s.errors.at(-1)).toMatchObject({ kind: "stopped", code });
      await new Promise((r) => setTimeout(r, 60));
      expect(FakeSocket.all).toHaveLength(1);
    }
  });

  it("on 4101 gets a new token, then reconnects with it", async () => {
    const refresh = vi.fn(async () => "t2");
    const s = setup({ refreshToken: refresh });
    s.chat.connect();
    const ws = await handshake(1);
    ws.receive(joined);
    ws.receive(batch([msg(1)]));
    ws.receive({ v: 1, type: "connection.closing", data: { reason: "token_expired", retry: true } });
    ws.serverClose(4101, "token expired");
    const ws2 = await handshake(2);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(ws2.url).toMatch(/access_token=t2$/);
    expect(ws2.lastFrame("conversation.join")!.data.after_seq).toBe(1);
  });

  it("learns from a REST probe why an upgrade failed: 403 stops, 401 without a refresh hook stops", async () => {
    for (const status of [403, 401]) {
      const s = setup({ probeStatus: status });
      s.chat.connect();
      await eventually(() => expect(FakeSocket.all).toHaveLength(1));
      FakeSocket.last().serverClose(1006);
      await eventually(() => expect(s.chat.status).toBe("failed"));
      expect(s.probes).toEqual([`http://parley.test/v1/conversations/${CID}`]);
      expect(s.chat.stopReason?.status).toBe(status);
    }
  });

  it("pings every heartbeat_ms and replaces a socket that stops answering", async () => {
    const s = setup();
    s.chat.connect();
    const ws = await handshake(1, 20);
    ws.receive(joined);
    ws.receive(batch([]));
    await eventually(() => expect(ws.sent).toContain("ping"));
    ws.receive("pong");
    // No more pongs: within PONG_TIMEOUT_MS the socket is given up and a new one opens.
    await eventually(() => expect(FakeSocket.all.length).toBe(2));
    expect(ws.readyState).toBe(3);
    expect(s.statuses).toContain("reconnecting");
  });

  it("warns once, clearly, about sends after destroy, and validates bodies", async () => {
    const s = setup();
    expect(() => s.chat.send("   ")).toThrow(/white space/);
    expect(() => s.chat.send("x".repeat(4001))).toThrow(/4000/);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    s.chat.destroy();
    expect(s.chat.send("late").status).toBe("dropped");
    expect(s.chat.send("later").status).toBe("dropped");
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/after destroy\(\)/);
    // A new handle for the same id can be made.
    expect(s.client.conversation(CID)).not.toBe(s.chat);
  });
});

describe("the proactive token refresh on open sockets", () => {
  /** Long enough that no text ping (and pong timeout) happens while the clock jumps minutes ahead. */
  const HOUR = 3_600_000;
  const LIFETIME_MS = 15 * 60_000;
  const snapshot = { v: 1, type: "inbox.snapshot", rid: "hello", data: { conversations: [], notifications_unread: 0 } };
  const authFrames = (ws: FakeSocket) => ws.frames().filter((f) => f.type === "auth.refresh");

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("swaps the new token into every open socket with auth.refresh before the old one expires, with no reconnect", async () => {
    const refresh = vi.fn(async (): Promise<AccessToken> => ({ access_token: "t2", expires_at: Date.now() + LIFETIME_MS }));
    const expiresAt = Date.now() + LIFETIME_MS;
    const s = setup({ token: { access_token: "t1", expires_at: expiresAt }, refreshToken: refresh });
    s.chat.connect();
    const chatWs = await handshake(1, HOUR);
    chatWs.receive(joined);
    chatWs.receive(batch([msg(1)]));
    const inbox = s.client.inbox().connect();
    const inboxWs = await handshake(2, HOUR);
    inboxWs.receive(snapshot);
    expect([s.chat.status, inbox.status]).toEqual(["connected", "connected"]);
    expect(authFrames(chatWs)).toEqual([]);

    // The margin before expiry: the refresh has happened, and both sockets have the new token.
    await vi.advanceTimersByTimeAsync(expiresAt - TIMING.TOKEN_REFRESH_MARGIN_MS - TIMING.TOKEN_REFRESH_JITTER_MS - 1 - Date.now());
    expect(refresh).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(TIMING.TOKEN_REFRESH_JITTER_MS + 1);
    expect(refresh).toHaveBeenCalledTimes(1);
    for (const ws of [chatWs, inboxWs]) expect(authFrames(ws)).toEqual([{ v: 1, type: "auth.refresh", rid: "auth", data: { access_token: "t2" } }]);
    chatWs.receive({ v: 1, type: "auth.refreshed", rid: "auth", data: { expires_at: Date.now() + LIFETIME_MS } });
    inboxWs.receive({ v: 1, type: "auth.refreshed", rid: "auth", data: { expires_at: Date.now() + LIFETIME_MS } });
    expect(FakeSocket.all).toHaveLength(2);
    expect(s.statuses).toEqual(["connecting", "connected"]);
    chatWs.receive(fresh(msg(2)));
    expect(seqs(s.received)).toEqual([1, 2]);
    expect(s.errors).toEqual([]);

    // Destroying the client leaves no timer behind: no refresh of t2 is pending any more.
    s.client.destroy();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a socket still opening when the token is refreshed gets it right after hello.ack; one opened with it gets none", async () => {
    let answer!: (token: AccessToken) => void;
    const refresh = vi.fn(() => new Promise<AccessToken>((resolve) => (answer = resolve)));
    // Inside the margin: the refresh starts at once, and answers while the socket is handshaking.
    const s = setup({ token: { access_token: "t1", expires_at: Date.now() + 30_000 }, refreshToken: refresh });
    s.chat.connect();
    await eventually(() => expect(FakeSocket.all).toHaveLength(1));
    const ws = FakeSocket.last();
    expect(ws.url).toMatch(/access_token=t1$/);
    ws.open();
    expect(refresh).toHaveBeenCalledTimes(1);
    answer({ access_token: "t2", expires_at: Date.now() + LIFETIME_MS });
    await vi.advanceTimersByTimeAsync(0);
    expect(authFrames(ws)).toEqual([]); // not before hello.ack: it would be handshake_required
    ws.receive(helloAck(HOUR));
    expect(ws.frames().map((f) => f.type)).toEqual(["hello", "auth.refresh", "conversation.join"]);
    expect(authFrames(ws)[0]!.data).toEqual({ access_token: "t2" });

    ws.serverClose(1006);
    const ws2 = await handshake(2, HOUR);
    expect(ws2.url).toMatch(/access_token=t2$/);
    expect(authFrames(ws2)).toEqual([]);
    expect(refresh).toHaveBeenCalledTimes(1);
  });
});

describe("a replay refused by the server's replay budget", () => {
  it("drops the socket and joins again on a new one after the wait the server named", async () => {
    const s = setup({ afterSeq: 0 });
    s.chat.connect();
    const ws = await handshake(1);
    const started = Date.now();
    ws.receive({ v: 1, type: "error", rid: "join", data: { code: "rate_limited", message: "At most 20000 replayed messages per 20 s; try again later.", retryable: true, retry_after_ms: 150 } });
    expect(s.chat.status).toBe("reconnecting");
    expect(ws.readyState).toBe(3);
    const again = await handshake(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(again.lastFrame("conversation.join")!.data).toEqual({ after_seq: 0, limit: 2 });
    again.receive(joined);
    again.receive(batch([msg(1)]));
    expect(s.chat.status).toBe("connected");
    expect(seqs(s.received)).toEqual([1]);
    expect(s.errors).toEqual([]);
  });
});
