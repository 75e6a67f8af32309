/**
 * Live topics (docs/protocol.md §22.13): the backend publishes with the API
 * key, users subscribe with their token; bursts are coalesced into one frame
 * per interval and socket; a client resumes by seq within the retention
 * window and is told to refetch beyond it; restricted topics answer
 * non-listed users as unknown ones.
 */
import { SELF, env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { TopicServerFrame } from "../../src/protocol/index.ts";
import { Client, api, login, uniqueName, type Session } from "./helpers.ts";

const KEY = env.TOPICS_API_KEY!;
const BASE = "https://parley.test";

const open: Client[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

function topicName(prefix = "feed"): string {
  return `${prefix}:${uniqueName("t")}`;
}

/** `key`: the API key by default; `null` sends no Authorization header. */
function configure(name: string, body: unknown, key: string | null = KEY) {
  return api("PUT", `/v1/topics/${encodeURIComponent(name)}`, key ?? undefined, body);
}

function publish(name: string, data: unknown, key: string | null = KEY) {
  return api("POST", `/v1/topics/${encodeURIComponent(name)}/events`, key ?? undefined, data);
}

async function upgradeTopic(name: string, token: string | undefined): Promise<{ status: number; body?: any; client?: Client }> {
  const headers: Record<string, string> = { upgrade: "websocket" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await SELF.fetch(`${BASE}/v1/topics/${encodeURIComponent(name)}/ws`, { headers });
  if (!res.webSocket) return { status: res.status, body: await res.json().catch(() => undefined) };
  res.webSocket.accept();
  const client = new Client(res.webSocket, TopicServerFrame);
  open.push(client);
  return { status: res.status, client };
}

/** Opens, says hello and subscribes; returns the client and the subscribe answer. */
async function subscribed(name: string, user: Session, afterSeq?: number): Promise<{ client: Client; answer: any }> {
  const { client, status, body } = await upgradeTopic(name, user.token);
  expect(status, JSON.stringify(body)).toBe(101);
  const ack = await client!.request("hello", { client: { name: "test", version: "1" } });
  expect(ack).toMatchObject({ type: "hello.ack", data: { topic: name, user_id: user.userId } });
  const answer = await client!.request("topic.subscribe", afterSeq === undefined ? {} : { after_seq: afterSeq });
  expect(answer.type).toBe("topic.subscribed");
  return { client: client!, answer };
}

/** Every event a client received in topic.events frames, in arrival order. */
function received(client: Client): Array<{ seq: number; data: any }> {
  return client.all("topic.events" as never).flatMap((d: any) => d.events);
}

async function publishAll(name: string, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) expect((await publish(name, { n })).status).toBe(201);
}

describe("publishing and configuring", () => {
  it("need the API key: none, a wrong one, or a user's token is 401, and nothing is stored", async () => {
    const name = topicName();
    const user = await login();
    for (const key of [null, "wrong-key-of-some-length-that-is-not-it", user.token, `${KEY}x`]) {
      const put = await configure(name, { access: "public" }, key);
      expect(put.status, String(key)).toBe(401);
      expect(put.body.code).toBe("unauthorized");
      const post = await publish(name, { hello: 1 }, key);
      expect(post.status).toBe(401);
    }
    // A user token does not open the backend API; the API key does not open a user route.
    expect((await api("GET", `/v1/topics/${name}/events`, KEY)).status).toBe(401);
    expect((await upgradeTopic(name, KEY)).status).toBe(401);
    // Nothing was created by the refused calls.
    expect((await publish(name, { hello: 1 })).status).toBe(404);

    const created = await configure(name, { access: "public", coalesce_ms: 200 });
    expect(created.status).toBe(201);
    expect(created.body.topic).toEqual({ name, access: "public", coalesce_ms: 200, retention: { events: 1000, ms: 86_400_000 }, last_seq: 0 });
    expect((await configure(name, { access: "public" })).status).toBe(200);
    const first = await publish(name, { hello: 1 });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ seq: 1, created_at: expect.any(Number) });
    expect((await publish(name, [1, 2, 3])).body.seq).toBe(2);
  });

  it("refuse bad input with a clear error and change nothing", async () => {
    const name = topicName();
    expect((await configure(name, { access: "public" })).status).toBe(201);
    const cases: Array<[unknown, string]> = [
      [{ access: "secret" }, "access"],
      [{ access: "public", users: ["u_a"] }, "users"],
      [{ access: "restricted", users: ["not-a-user"] }, "users.0"],
      [{ access: "public", coalesce_ms: 1 }, "coalesce_ms"],
      [{ access: "public", retention: { events: 0 } }, "retention.events"],
      [{ access: "public", extra: true }, ""],
      ["not an object", ""],
    ];
    for (const [body, field] of cases) {
      const res = await configure(name, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe("bad_request");
      expect(res.body.message).toContain(field);
    }
    // Malformed names name no topic.
    for (const bad of ["a%20b", "x".repeat(129), "%2F"]) {
      expect((await api("PUT", `/v1/topics/${bad}`, KEY, { access: "public" })).status, bad).toBe(404);
      expect((await api("POST", `/v1/topics/${bad}/events`, KEY, { n: 1 })).status).toBe(404);
    }
    // A body that is not JSON, and a payload over TOPIC_MAX_EVENT_BYTES (16 KiB), store nothing.
    const notJson = await api("POST", `/v1/topics/${name}/events`, KEY, "{not json");
    expect(notJson.status).toBe(400);
    const big = await publish(name, { blob: "x".repeat(16_384) });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe("payload_too_large");
    expect((await publish(name, { blob: "x".repeat(16_000) })).status).toBe(201);
    // Over the REST body limit (64 KiB) it is refused before anything reads it.
    expect((await publish(name, { blob: "x".repeat(70_000) })).status).toBe(413);
    const user = await login();
    const page = await api("GET", `/v1/topics/${name}/events?after_seq=0`, user.token);
    expect(page.body.events.map((e: { seq: number }) => e.seq)).toEqual([1]);
  });

  it("a topic's publishes have a budget (TOPIC_PUBLISH_RATE); past it 429 with Retry-After, and other topics are unaffected", async () => {
    const name = topicName();
    const other = topicName();
    await configure(name, { access: "public" });
    await configure(other, { access: "public" });
    const results = await Promise.all(Array.from({ length: 31 }, (_, n) => publish(name, { n })));
    const refused = results.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0]!.body).toMatchObject({ code: "rate_limited", retryable: true });
    expect(Number(refused[0]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await publish(other, { n: 1 })).status).toBe(201);
  });
});

describe("access", () => {
  it("a restricted topic answers users not on its list as an unknown topic (404), at the upgrade and over REST", async () => {
    const [listed, stranger] = [await login(), await login()];
    const name = topicName("private");
    const unknown = topicName("nothing");
    expect((await configure(name, { access: "restricted", users: [listed.userId] })).body.topic.user_count).toBe(1);
    const refusedSocket = await upgradeTopic(name, stranger.token);
    const unknownSocket = await upgradeTopic(unknown, stranger.token);
    expect(refusedSocket.status).toBe(404);
    expect(refusedSocket.body).toEqual(unknownSocket.body);
    expect(refusedSocket.body).toEqual({ code: "not_found", message: "No such topic.", retryable: false });
    const refusedRest = await api("GET", `/v1/topics/${name}/events?after_seq=0`, stranger.token);
    expect(refusedRest.status).toBe(404);
    expect(refusedRest.body).toEqual((await api("GET", `/v1/topics/${unknown}/events?after_seq=0`, stranger.token)).body);
    // No token at all: 401 before anything else.
    expect((await upgradeTopic(name, undefined)).status).toBe(401);
    // The listed user reads it.
    const { client } = await subscribed(name, listed);
    await publish(name, { secret: 1 });
    expect((await client.next("topic.events" as never)).data.events[0].data).toEqual({ secret: 1 });
    expect(client.violations).toEqual([]);
  });

  it("removing a user from the list closes their sockets with connection.closing{removed} and 4003; the others stay", async () => {
    const [kept, dropped] = [await login(), await login()];
    const name = topicName("private");
    await configure(name, { access: "restricted", users: [kept.userId, dropped.userId], coalesce_ms: 100 });
    const a = await subscribed(name, kept);
    const b = await subscribed(name, dropped);
    await configure(name, { access: "restricted", users: [kept.userId], coalesce_ms: 100 });
    expect((await b.client.next("connection.closing")).data).toEqual({ reason: "removed", retry: false });
    expect((await b.client.closed).code).toBe(4003);
    expect((await upgradeTopic(name, dropped.token)).status).toBe(404);
    await publish(name, { n: 1 });
    expect((await a.client.next("topic.events" as never)).data.events.map((e: { seq: number }) => e.seq)).toEqual([1]);
    // Making it public again lets anyone in.
    await configure(name, { access: "public" });
    await subscribed(name, dropped);
  });

  it("frames before hello are handshake_required; a second subscribe is a conflict", async () => {
    const name = topicName();
    const user = await login();
    await configure(name, { access: "public" });
    const { client } = await upgradeTopic(name, user.token);
    expect((await client!.request("topic.subscribe", {})).data.code).toBe("handshake_required");
    await client!.request("hello", {});
    expect((await client!.request("topic.subscribe", { after_seq: -1 })).data.code).toBe("bad_request");
    expect((await client!.request("topic.subscribe", {})).type).toBe("topic.subscribed");
    expect((await client!.request("topic.subscribe", {})).data.code).toBe("conflict");
    expect((await client!.request("conversation.join", {})).data.message).toContain("on a topic socket");
  });
});

describe("coalescing", () => {
  it("a burst of publishes within one interval reaches each socket as one frame, every event once, in order", async () => {
    const name = topicName("hot");
    const users = [await login(), await login(), await login()];
    await configure(name, { access: "public", coalesce_ms: 5000 });
    const clients = await Promise.all(users.map(async (u) => (await subscribed(name, u)).client));
    const results = await Promise.all(Array.from({ length: 25 }, (_, n) => publish(name, { n })));
    expect(results.map((r) => r.status)).toEqual(Array(25).fill(201));
    // The interval (5 s) has not ended: nothing was sent yet.
    for (const c of clients) expect(c.all("topic.events" as never)).toEqual([]);
    for (const c of clients) {
      const frame = await c.next("topic.events" as never, 10_000);
      expect(frame.data.events.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(frame.data.last_seq).toBe(25);
      expect(frame.rid).toBeUndefined();
    }
    await clients[0]!.quiet(500);
    for (const c of clients) {
      expect(c.all("topic.events" as never)).toHaveLength(1);
      expect(c.violations).toEqual([]);
    }
  });

  it("a hot feed sends at most one frame per interval per socket, however fast it publishes", async () => {
    const name = topicName("hot");
    const user = await login();
    await configure(name, { access: "public", coalesce_ms: 400 });
    const { client } = await subscribed(name, user);
    const started = Date.now();
    await publishAll(name, 1, 25);
    const elapsed = Date.now() - started;
    await client.quiet(1000);
    const frames = client.all("topic.events" as never);
    // One frame per interval that saw a publish: never more than the intervals the publishing spanned, plus the last.
    expect(frames.length).toBeLessThanOrEqual(Math.ceil(elapsed / 400) + 1);
    expect(frames.length).toBeLessThan(25);
    expect(received(client).map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });
});

describe("resuming", () => {
  it("within the window, a client gets what it missed in order, exactly once, then live events", async () => {
    const name = topicName();
    const user = await login();
    await configure(name, { access: "public", coalesce_ms: 100 });
    const first = await subscribed(name, user);
    expect(first.answer.data).toEqual({ topic: name, last_seq: 0, coalesce_ms: 100 });
    await publishAll(name, 1, 5);
    await first.client.waitFor("topic.events" as never, 1);
    while (received(first.client).length < 5) await first.client.next("topic.events" as never);
    const lastSeen = received(first.client).at(-1)!.seq;
    expect(lastSeen).toBe(5);
    first.client.close();
    // Missed while away.
    await publishAll(name, 6, 9);
    const again = await subscribed(name, user, lastSeen);
    expect(again.answer.data.last_seq).toBe(9);
    const replay = await again.client.next("topic.events" as never);
    expect(replay.rid).toBe(again.answer.rid);
    expect(replay.data.events.map((e: { seq: number; data: any }) => [e.seq, e.data.n])).toEqual([[6, 6], [7, 7], [8, 8], [9, 9]]);
    await publishAll(name, 10, 12);
    while (received(again.client).at(-1)!.seq < 12) await again.client.next("topic.events" as never);
    await again.client.quiet(400);
    expect(received(again.client).map((e) => e.seq)).toEqual([6, 7, 8, 9, 10, 11, 12]);
    // A subscribe at the end gets an empty replay; one without after_seq gets none.
    const atEnd = await subscribed(name, user, 12);
    expect((await atEnd.client.next("topic.events" as never)).data).toEqual({ events: [], last_seq: 12 });
    const fresh = await subscribed(name, user);
    await fresh.client.quiet(300);
    expect(fresh.client.all("topic.events" as never)).toEqual([]);
  });

  it("beyond the window, a client gets topic.reset with the topic's last seq, then only what follows", async () => {
    const name = topicName();
    const user = await login();
    await configure(name, { access: "public", coalesce_ms: 100, retention: { events: 3 } });
    const watcher = await subscribed(name, user);
    await publishAll(name, 1, 5);
    while ((received(watcher.client).at(-1)?.seq ?? 0) < 5) await watcher.client.next("topic.events" as never);
    // Sent, so the next publishes cut the window to the last 3 events sent (seq 1..2 go, then more).
    await publishAll(name, 6, 10);
    while ((received(watcher.client).at(-1)?.seq ?? 0) < 10) await watcher.client.next("topic.events" as never);
    await publish(name, { n: 11 });
    // The window now starts after seq 8 at least: a client at 2 is beyond it.
    const late = await subscribed(name, user, 2);
    const reset = await late.client.next((f) => f.type === "topic.reset" || f.type === "topic.events");
    expect(reset).toMatchObject({ type: "topic.reset", rid: late.answer.rid, data: { last_seq: 11 } });
    await publish(name, { n: 12 });
    expect((await late.client.next("topic.events" as never)).data.events.map((e: { seq: number }) => e.seq)).toEqual([12]);
    // Over REST: reset, or the page after a cursor inside the window.
    const rest = await api("GET", `/v1/topics/${name}/events?after_seq=2`, user.token);
    expect(rest.body).toEqual({ events: [], last_seq: 12, has_more: false, reset: true });
    const inside = await api("GET", `/v1/topics/${name}/events?after_seq=10&limit=1`, user.token);
    expect(inside.body).toMatchObject({ events: [{ seq: 11, data: { n: 11 } }], last_seq: 12, has_more: true });
    expect((await api("GET", `/v1/topics/${name}/events`, user.token)).body).toEqual({ events: [], last_seq: 12, has_more: false });
    expect((await api("GET", `/v1/topics/${name}/events?after_seq=-1`, user.token)).status).toBe(400);
    // Ahead of the topic: also a reset (the client cannot know what it holds).
    const ahead = await subscribed(name, user, 99);
    expect((await ahead.client.next("topic.reset" as never)).data).toEqual({ last_seq: 12 });
  });
});

describe("a topic nobody configured", () => {
  it("is 404 to subscribers and publishers and stores nothing", async () => {
    const name = topicName("ghost");
    const user = await login();
    expect((await upgradeTopic(name, user.token)).status).toBe(404);
    expect((await publish(name, { n: 1 })).status).toBe(404);
    const stub = env.TOPIC.get(env.TOPIC.idFromName(name));
    const { runInDurableObject } = await import("cloudflare:test");
    const tables = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray());
    expect(tables.filter((t) => !String(t.name).startsWith("_cf"))).toEqual([]);
  });
});
