/**
 * The SDK's live topics and presence in Node 20 (the `ws` package's
 * WebSocket) against the real engine (`wrangler dev` on 127.0.0.1): the test
 * plays the app backend, publishing with the API key over HTTP, while
 * `client.topic(name)` receives coalesced batches, resumes after a
 * disconnect and after an engine crash with each event exactly once, and is
 * told to refetch once it fell outside the retention window. And the inbox's
 * presence state follows a contact: online, busy, offline with last seen.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ParleyApi, ParleyClient, type TopicEvent } from "../../client/src/index.ts";
import { uniqueName } from "../support/e2e-helpers.ts";
import { Engine } from "../support/engine.ts";

const API_KEY = "sdk-topics-test-api-key-of-at-least-32-bytes";
let engine: Engine;
const clients: ParleyClient[] = [];

beforeAll(async () => {
  engine = await Engine.start({ vars: { TOPICS_API_KEY: API_KEY, PRESENCE_OFFLINE_DELAY_MS: "2000" } });
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await engine?.stop();
});

const FAST = { BACKOFF_BASE_MS: 100, BACKOFF_MAX_MS: 1_000, CONNECT_TIMEOUT_MS: 10_000 };

function clientFor(token: string): ParleyClient {
  const client = new ParleyClient({ baseUrl: engine.url, token, WebSocket, timing: FAST, clientInfo: { name: "sdk-topics-test", version: "1" } });
  clients.push(client);
  return client;
}

/** The app backend: configure and publish with the API key. */
async function backend(method: "PUT" | "POST", path: string, body: unknown): Promise<any> {
  const res = await fetch(`${engine.url}/v1/topics/${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return res.json();
}

async function until(what: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("client.topic against the real engine", () => {
  it("receives coalesced batches, resumes after a disconnect and an engine crash with each event once, and learns when it fell behind", async () => {
    const name = `feed:${uniqueName("home")}`;
    await backend("PUT", encodeURIComponent(name), { access: "public", coalesce_ms: 500, retention: { events: 20 } });
    const login = await ParleyApi.devLogin(engine.url, uniqueName("reader"));
    const client = clientFor(login.access_token);
    const feed = client.topic(name);
    const batches: TopicEvent[][] = [];
    const statuses: string[] = [];
    const errors: string[] = [];
    feed.on("events", ({ events }) => batches.push(events));
    feed.on("status", (s) => statuses.push(s));
    feed.on("error", (e) => errors.push(`${e.kind}: ${e.message}`));
    feed.connect();
    await until("connected", () => feed.status === "connected");
    expect(feed.lastSeq).toBe(0);
    const seqs = () => batches.flat().map((e) => e.seq);

    // A burst well inside one interval (500 ms): one batch.
    await Promise.all(range(1, 10).map((n) => backend("POST", `${encodeURIComponent(name)}/events`, { n })));
    await until("10 events", () => seqs().length >= 10);
    expect(seqs()).toEqual(range(1, 10));
    expect(batches.length).toBeLessThanOrEqual(2);
    expect(batches.flat().map((e) => (e.data as { n: number }).n).sort((x, y) => x - y)).toEqual(range(1, 10));

    // Away, then back: what was missed arrives once, in order.
    feed.disconnect();
    for (const n of range(11, 15)) await backend("POST", `${encodeURIComponent(name)}/events`, { n });
    feed.connect();
    await until("15 events", () => seqs().length >= 15);
    expect(seqs()).toEqual(range(1, 15));
    expect(feed.lastSeq).toBe(15);

    // The engine dies and comes back on its state: the handle reconnects by itself and resumes.
    await engine.restart();
    for (const n of range(16, 18)) await backend("POST", `${encodeURIComponent(name)}/events`, { n });
    await until("18 events after the restart", () => seqs().length >= 18, 40_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(seqs()).toEqual(range(1, 18));
    expect(statuses).toContain("reconnecting");
    expect(errors).toEqual([]);

    // A reader that kept an old seq, from before the retention window (20 events): told to refetch.
    for (const n of range(19, 30)) await backend("POST", `${encodeURIComponent(name)}/events`, { n });
    await until("30 events", () => seqs().length >= 30);
    await backend("POST", `${encodeURIComponent(name)}/events`, { n: 31 });
    const late = clientFor(login.access_token).topic(name, { afterSeq: 2 });
    const resets: number[] = [];
    const lateSeqs: number[] = [];
    late.on("reset", ({ lastSeq }) => resets.push(lastSeq));
    late.on("events", ({ events }) => lateSeqs.push(...events.map((e) => e.seq)));
    late.connect();
    await until("a reset", () => resets.length > 0);
    expect(resets).toEqual([31]);
    await backend("POST", `${encodeURIComponent(name)}/events`, { n: 32 });
    await until("the next event after the reset", () => lateSeqs.length > 0);
    expect(lateSeqs).toEqual([32]);
    expect(late.lastSeq).toBe(32);
  });

  it("a restricted topic the user is not listed on stops the handle (404), without retrying", async () => {
    const name = `private:${uniqueName("x")}`;
    await backend("PUT", encodeURIComponent(name), { access: "restricted", users: [] });
    const login = await ParleyApi.devLogin(engine.url, uniqueName("outsider"));
    const handle = clientFor(login.access_token).topic(name);
    const errors: Array<string | number | undefined> = [];
    handle.on("error", (e) => errors.push(e.code));
    handle.connect();
    await until("failed", () => handle.status === "failed");
    expect(errors).toContain(404);
  });
});

describe("the inbox's presence state against the real engine", () => {
  it("follows a contact: online, a chosen status, then offline with last seen after the delay", async () => {
    const alice = await ParleyApi.devLogin(engine.url, uniqueName("alice"));
    const bob = await ParleyApi.devLogin(engine.url, uniqueName("bob"));
    const a = clientFor(alice.access_token);
    const b = clientFor(bob.access_token);
    await a.api.createDirect(bob.user.username);
    // Wait until both inboxes list the conversation (contacts are the people of one's conversations).
    const listed = async (c: ParleyClient) => (await c.api.listConversations()).length > 0;
    const deadline = Date.now() + 15_000;
    while (!((await listed(a)) && (await listed(b)))) {
      if (Date.now() > deadline) throw new Error("the conversation never reached both inboxes");
      await new Promise((r) => setTimeout(r, 100));
    }
    const inboxB = b.inbox().connect();
    const inboxA = a.inbox().connect();
    await until("A online for B", () => inboxB.presenceOf(alice.user.id)?.status === "online");
    inboxA.setPresence("busy");
    await until("A busy for B", () => inboxB.presenceOf(alice.user.id)?.status === "busy");
    expect(inboxA.presence).toBe("busy");
    inboxA.destroy();
    await until("A offline for B", () => inboxB.presenceOf(alice.user.id)?.status === "offline", 20_000);
    expect(inboxB.presenceOf(alice.user.id)?.last_seen_at).toBeGreaterThan(0);
    // A fresh inbox of B learns it from the snapshot.
    const again = clientFor(bob.access_token).inbox().connect();
    await until("snapshot", () => again.status === "connected");
    expect(again.presenceOf(alice.user.id)).toMatchObject({ status: "offline", last_seen_at: expect.any(Number) });
  });
});
