/**
 * The SDK falls back to long-polling and comes back: a client behind a proxy
 * (on 127.0.0.1, started by the test) that refuses WebSocket upgrades, or
 * holds them unanswered, carries on over `GET …/poll` and REST sends with
 * status `polling`, and returns to its WebSocket once the proxy lets
 * upgrades through — every message seen once, in order, on both sides,
 * nothing sent twice, and the statuses in order.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ParleyApi, ParleyClient, type ConversationHandle, type Message } from "../../client/src/index.ts";
import { uniqueName } from "../support/e2e-helpers.ts";
import { Engine } from "../support/engine.ts";
import { SdkProxy } from "./sdk-proxy.ts";

let engine: Engine;
let proxy: SdkProxy;
const clients: ParleyClient[] = [];

beforeAll(async () => {
  engine = await Engine.start({ vars: { SEND_RATE: "1000/1000" } });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await proxy?.stop();
});

afterAll(async () => {
  await engine?.stop();
});

/** Quick retries, a quick probe, short polls: the whole dance in a few seconds. */
const FAST = {
  BACKOFF_BASE_MS: 100,
  BACKOFF_MAX_MS: 400,
  CONNECT_TIMEOUT_MS: 1_500,
  FALLBACK_AFTER_FAILURES: 3,
  POLL_PROBE_MS: 1_000,
  POLL_TIMEOUT_MS: 3_000,
};

function clientFor(baseUrl: string, token: string): ParleyClient {
  const client = new ParleyClient({ baseUrl, token, WebSocket, timing: FAST, storage: null, clientInfo: { name: "sdk-fallback-test", version: "1" } });
  clients.push(client);
  return client;
}

function watch(chat: ConversationHandle) {
  const seen = { messages: [] as Message[], updated: [] as Message[], statuses: [] as string[], errors: [] as string[], acks: [] as string[] };
  chat.on("message", (m) => seen.messages.push(m));
  chat.on("updated", (m) => seen.updated.push(m));
  chat.on("status", (s) => seen.statuses.push(s));
  chat.on("ack", (a) => seen.acks.push(a.client_msg_id));
  chat.on("error", (e) => seen.errors.push(`${e.kind}: ${e.message}`));
  return seen;
}

async function until(what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function pair() {
  const alice = await ParleyApi.devLogin(engine.url, uniqueName("alice"));
  const bob = await ParleyApi.devLogin(engine.url, uniqueName("bob"));
  const conversation = await clientFor(engine.url, alice.access_token).api.createDirect(bob.user.username);
  return { alice, bob, id: conversation.id };
}

describe("the SDK when WebSockets do not get through", () => {
  it("falls back to polling when upgrades are refused, keeps order and once-only delivery both ways, and returns to its WebSocket when they are allowed", async () => {
    const { alice, bob, id } = await pair();
    proxy = await SdkProxy.start(engine.url);
    proxy.upgrades = "refuse";
    const chatA = clientFor(proxy.url, alice.access_token).conversation(id); // behind the proxy
    const chatB = clientFor(engine.url, bob.access_token).conversation(id); // direct
    const seenA = watch(chatA);
    const seenB = watch(chatB);
    chatB.connect();
    chatA.connect();
    await until("a polling", () => chatA.status === "polling");
    expect(proxy.counts.upgradesRefused).toBeGreaterThanOrEqual(FAST.FALLBACK_AFTER_FAILURES);
    await until("b connected", () => chatB.status === "connected");

    // Both write, interleaved, while a polls and sends over REST.
    for (let i = 0; i < 30; i++) (i % 2 === 0 ? chatA : chatB).send(`${i % 2 === 0 ? "a" : "b"} ${i}`);
    await until("30 messages on both", () => seenA.messages.length >= 30 && seenB.messages.length >= 30);
    expect(chatA.status).toBe("polling");
    expect(proxy.counts.polls).toBeGreaterThan(0);
    expect(proxy.counts.restSends).toBeGreaterThanOrEqual(15);

    // Changes reach the polling side too (polls by rev, protocol v1.2): b edits one of its messages and deletes
    // another; a polling a sees each once, in its new state.
    const [b1, b3] = [seenB.messages.find((m) => m.body === "b 1")!, seenB.messages.find((m) => m.body === "b 3")!];
    await chatB.edit(b1.seq, "b 1, edited");
    await chatB.delete(b3.seq);
    await until("a sees both changes", () => seenA.updated.length >= 2);
    expect(chatA.status).toBe("polling");
    expect(seenA.updated.map((m) => [m.seq, m.body, m.deleted_at !== undefined])).toEqual([[b1.seq, "b 1, edited", false], [b3.seq, "", true]]);

    // Upgrades get through again: a's next probe finds its socket, and polling stops.
    proxy.upgrades = "allow";
    const during = [chatA.send("a while switching"), chatB.send("b while switching")];
    await until("a connected", () => chatA.status === "connected");
    for (let i = 0; i < 10; i++) (i % 2 === 0 ? chatA : chatB).send(`after ${i}`);
    await until("43 messages on both", () => seenA.messages.length >= 42 && seenB.messages.length >= 42 && chatA.pending.length === 0);
    await new Promise((r) => setTimeout(r, 500)); // anything doubled would show up by now
    expect(seenA.updated).toHaveLength(2); // and the socket's replay on the way back did not bring the changes again

    expect(seenA.messages.map((m) => m.seq)).toEqual(range(1, 42));
    expect(seenB.messages).toEqual(seenA.messages);
    expect(new Set(seenA.messages.map((m) => m.client_msg_id)).size).toBe(42);
    expect(seenA.messages.map((m) => m.body).filter((b) => /^a \d+$/.test(b))).toEqual(range(0, 14).map((i) => `a ${i * 2}`));
    expect(seenA.acks.sort()).toEqual(seenA.messages.filter((m) => m.sender_id === alice.user.id).map((m) => m.client_msg_id).sort());
    expect(seenA.messages.map((m) => m.client_msg_id)).toContain(during[0]!.clientMsgId);
    expect(seenA.statuses).toEqual(["connecting", "reconnecting", "polling", "connected"]);
    expect(proxy.counts.upgradesAllowed).toBeGreaterThanOrEqual(1);
    const history = await clientFor(engine.url, bob.access_token).api.history(id, { afterSeq: 0, limit: 1000 });
    expect(history.messages.map((m) => m.client_msg_id)).toEqual(seenA.messages.map((m) => m.client_msg_id));
    expect([...seenA.errors, ...seenB.errors]).toEqual([]);
  });

  it("falls back when upgrades are held unanswered (a socket that never opens), and a message written meanwhile goes out once", async () => {
    const { alice, bob, id } = await pair();
    proxy = await SdkProxy.start(engine.url);
    proxy.upgrades = "hang";
    const chatA = clientFor(proxy.url, alice.access_token).conversation(id);
    const chatB = clientFor(engine.url, bob.access_token).conversation(id);
    const seenA = watch(chatA);
    const seenB = watch(chatB);
    chatB.connect();
    chatA.connect();
    const early = chatA.send("written before any connection");
    expect(early.status).toBe("queued");
    await until("a polling", () => chatA.status === "polling");
    expect(proxy.counts.upgradesHeld).toBeGreaterThanOrEqual(FAST.FALLBACK_AFTER_FAILURES);
    await until("b sees it", () => seenB.messages.length === 1);
    chatB.send("answer");
    await until("a sees both", () => seenA.messages.length === 2);
    expect(seenA.messages.map((m) => [m.seq, m.body])).toEqual([[1, "written before any connection"], [2, "answer"]]);
    expect(seenB.messages.map((m) => m.client_msg_id)).toEqual([early.clientMsgId, seenA.messages[1]!.client_msg_id]);
    expect(seenA.statuses).toEqual(["connecting", "reconnecting", "polling"]);
  });
});
