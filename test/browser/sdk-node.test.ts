/**
 * The SDK in Node 20 (with the `ws` package's WebSocket) against the real
 * engine (`wrangler dev` on 127.0.0.1): two users talk, the engine dies and
 * comes back on the same state, and the SDK resumes with nothing lost,
 * nothing doubled and nothing out of order — messages sent while the engine
 * was down included. And the token is refreshed ahead of its expiry, the
 * refresh token rotating, the new token swapped into the open sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ParleyApi, ParleyClient, type ConversationHandle, type Message } from "../../client/src/index.ts";
import { uniqueName } from "../support/e2e-helpers.ts";
import { Engine } from "../support/engine.ts";

let engine: Engine;
const clients: ParleyClient[] = [];

beforeAll(async () => {
  engine = await Engine.start();
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await engine?.stop();
});

/** Short backoff so a restart is noticed in about a second. */
const FAST = { BACKOFF_BASE_MS: 100, BACKOFF_MAX_MS: 1_000, CONNECT_TIMEOUT_MS: 10_000 };

function clientFor(token: string): ParleyClient {
  const client = new ParleyClient({ baseUrl: engine.url, token, WebSocket, timing: FAST, clientInfo: { name: "sdk-node-test", version: "1" } });
  clients.push(client);
  return client;
}

/** Collects a handle's messages and statuses. */
function watch(chat: ConversationHandle) {
  const seen = { messages: [] as Message[], statuses: [] as string[], errors: [] as string[] };
  chat.on("message", (m) => seen.messages.push(m));
  chat.on("status", (s) => seen.statuses.push(s));
  chat.on("error", (e) => seen.errors.push(`${e.kind}: ${e.message}`));
  return seen;
}

async function until(what: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("the SDK in Node against the real engine", () => {
  it("two users exchange messages in seq order, and resume across an engine crash with nothing lost or doubled", async () => {
    const alice = await ParleyApi.devLogin(engine.url, uniqueName("alice"));
    const bob = await ParleyApi.devLogin(engine.url, uniqueName("bob"));
    const a = clientFor(alice.access_token);
    const b = clientFor(bob.access_token);
    const conversation = await a.api.createDirect(bob.user.username);
    expect(conversation.members.map((m) => m.username).sort()).toEqual([alice.user.username, bob.user.username].sort());

    const chatA = a.conversation(conversation.id);
    const chatB = b.conversation(conversation.id);
    const seenA = watch(chatA);
    const seenB = watch(chatB);
    chatA.connect();
    chatB.connect();
    await until("both connected", () => chatA.status === "connected" && chatB.status === "connected");

    // Ten each, interleaved, without waiting.
    const bodies: string[] = [];
    for (let i = 0; i < 20; i++) {
      const body = `${i % 2 === 0 ? "a" : "b"} says ${i}`;
      bodies.push(body);
      (i % 2 === 0 ? chatA : chatB).send(body);
    }
    await until("20 messages on both", () => seenA.messages.length >= 20 && seenB.messages.length >= 20);
    expect(seenA.messages.map((m) => m.seq)).toEqual(range(1, 20));
    expect(seenB.messages).toEqual(seenA.messages);
    // Each sender's own messages keep the order they were sent in.
    expect(seenA.messages.map((m) => m.body).filter((x) => x.startsWith("a "))).toEqual(bodies.filter((x) => x.startsWith("a ")));

    // The engine dies. Messages sent now wait in the outbox.
    await engine.kill();
    await until("both notice", () => chatA.status === "reconnecting" && chatB.status === "reconnecting", 15_000);
    const offline = [chatA.send("sent while the engine was down"), chatB.send("me too")];
    expect(offline.map((r) => r.status)).toEqual(["queued", "queued"]);

    await engine.restart();
    await until("both back", () => chatA.status === "connected" && chatB.status === "connected", 30_000);
    await until("the outbox drained", () => chatA.pending.length === 0 && chatB.pending.length === 0);
    chatB.send("after the restart");
    await until("23 messages on both", () => seenA.messages.length >= 23 && seenB.messages.length >= 23);

    expect(seenA.messages.map((m) => m.seq)).toEqual(range(1, 23));
    expect(seenB.messages).toEqual(seenA.messages);
    expect(new Set(seenA.messages.map((m) => m.client_msg_id)).size).toBe(23);
    expect(seenA.messages.slice(20).map((m) => m.body).sort()).toEqual(["after the restart", "me too", "sent while the engine was down"].sort());
    expect(seenA.statuses).toEqual(["connecting", "connected", "reconnecting", "connected"]);

    // REST history agrees, exactly.
    const page = await a.api.history(conversation.id, { afterSeq: 0, limit: 1000 });
    expect(page.messages).toEqual(seenA.messages);
    expect([...seenA.errors, ...seenB.errors]).toEqual([]);
  });

  it("a handle that starts from history (afterSeq) replays only what came later; the inbox shows unread counts", async () => {
    const alice = await ParleyApi.devLogin(engine.url, uniqueName("alice"));
    const bob = await ParleyApi.devLogin(engine.url, uniqueName("bob"));
    const a = clientFor(alice.access_token);
    const b = clientFor(bob.access_token);
    const { id } = await a.api.createDirect(bob.user.username);
    const chatA = a.conversation(id).connect();
    await until("a connected", () => chatA.status === "connected");
    for (let i = 1; i <= 5; i++) chatA.send(`m${i}`);
    await until("acked", () => chatA.pending.length === 0);

    const inbox = b.inbox();
    const unread: number[] = [];
    inbox.on("snapshot", (s) => unread.push(s.conversations.find((c) => c.id === id)?.unread ?? -1));
    inbox.on("updated", (c) => c.id === id && unread.push(c.unread));
    inbox.connect();
    // The conversation tells the user's inbox through its durable outbox, a moment after the acks.
    await until("5 unread in the inbox", () => unread.at(-1) === 5);

    const history = await b.api.history(id, { limit: 3 });
    expect(history.messages.map((m) => m.seq)).toEqual([3, 4, 5]);
    expect(history.has_more).toBe(true);
    const chatB = b.conversation(id, { afterSeq: 5 });
    const seenB = watch(chatB);
    chatB.connect();
    await until("b connected", () => chatB.status === "connected");
    chatA.send("m6");
    await until("m6", () => seenB.messages.length === 1);
    expect(seenB.messages.map((m) => [m.seq, m.body])).toEqual([[6, "m6"]]);

    chatB.markRead(6);
    await until("unread back to 0", () => unread.at(-1) === 0);
  });

  it("refreshes the token ahead of its expiry, rotating the refresh token, and swaps it into every open socket without a reconnect", async () => {
    const bob = await ParleyApi.devLogin(engine.url, uniqueName("bob"));
    let session = await ParleyApi.devLogin(engine.url, uniqueName("alice"));
    const spent: string[] = [];
    /** Every frame the server sent to each socket of Alice's client. */
    const received: string[][] = [];
    class SpySocket extends WebSocket {
      constructor(url: string) {
        super(url);
        const frames: string[] = [];
        received.push(frames);
        this.addEventListener("message", (e) => frames.push(String(e.data)));
      }
    }
    const a = new ParleyClient({
      baseUrl: engine.url,
      token: session,
      refreshToken: async () => {
        spent.push(session.refresh_token!);
        session = await ParleyApi.refreshSession(engine.url, session.refresh_token!);
        return session;
      },
      WebSocket: SpySocket,
      // Parley's tokens live 15 minutes: a margin 3 s short of that makes a refresh due every 2–3 s.
      timing: { ...FAST, TOKEN_REFRESH_MARGIN_MS: 15 * 60_000 - 3_000, TOKEN_REFRESH_JITTER_MS: 0 },
    });
    clients.push(a);
    const clientErrors: string[] = [];
    a.on("error", (e) => clientErrors.push(`${e.kind}: ${e.message}`));
    const b = clientFor(bob.access_token);
    const { id } = await a.api.createDirect(bob.user.username);
    const chatA = a.conversation(id);
    const seenA = watch(chatA);
    const inbox = a.inbox();
    const inboxStatuses: string[] = [];
    inbox.on("status", (s) => inboxStatuses.push(s));
    chatA.connect();
    inbox.connect();
    await until("both sockets connected", () => chatA.status === "connected" && inbox.status === "connected");

    // Two refreshes, each with the refresh token the previous one returned (a reuse would revoke the session).
    await until("two refreshes answered on both sockets", () => received.length === 2 && received.every((f) => f.filter((x) => x.includes('"auth.refreshed"')).length >= 2));
    expect(spent.length).toBeGreaterThanOrEqual(2);
    expect(new Set(spent).size).toBe(spent.length);
    expect(received).toHaveLength(2); // no reconnect
    for (const frames of received) expect(frames.filter((x) => x.includes('"type":"error"'))).toEqual([]);
    expect(seenA.statuses).toEqual(["connecting", "connected"]);
    expect(inboxStatuses).toEqual(["connecting", "connected"]);

    // The sockets carry on under the new tokens.
    const chatB = b.conversation(id).connect();
    await until("b connected", () => chatB.status === "connected");
    chatB.send("after the refreshes");
    await until("the message arrives", () => seenA.messages.length === 1);
    expect(seenA.messages[0]!.body).toBe("after the refreshes");
    expect([...seenA.errors, ...clientErrors]).toEqual([]);

    // Destroyed, the client refreshes no more.
    a.destroy();
    const refreshes = spent.length;
    await new Promise((r) => setTimeout(r, 4_000));
    expect(spent).toHaveLength(refreshes);
  });
});
