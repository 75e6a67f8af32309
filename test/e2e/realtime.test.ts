/**
 * The conversation socket over the real network: `wrangler dev` on
 * 127.0.0.1, real `ws` clients, real HTTP. One engine for the file; each test
 * makes its own users and conversation, so no state (seq, rate buckets) is
 * shared between tests.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ErrorBody, type Message, type MessageAck } from "../../src/protocol/index.ts";
import type { Client } from "../support/client.ts";
import {
  api,
  directPair,
  history,
  joinedClient,
  login,
  openSocket,
  refusedUpgrade,
  socketUrl,
  uniqueName,
} from "../support/e2e-helpers.ts";
import { Engine } from "../support/engine.ts";

let engine: Engine;
const opened: Client[] = [];

beforeAll(async () => {
  engine = await Engine.start();
});

afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});

afterAll(async () => {
  await engine?.stop();
});

/** 1, 2, …, n */
function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** The error object of PROTOCOL §5, exactly: no other keys. */
function expectErrorBody(body: unknown, code: string): void {
  const parsed = ErrorBody.strict().safeParse(body);
  expect(parsed.success, `not a contract error object: ${JSON.stringify(body)}`).toBe(true);
  expect(body).toMatchObject({ code, retryable: false });
  expect((body as { message: string }).message.length).toBeGreaterThan(0);
}

/** A round trip on the socket: every frame the server queued before it has arrived. */
async function barrier(client: Client): Promise<void> {
  const pong = await client.request("ping");
  expect(pong.type).toBe("pong");
}

describe("realtime over the real network", () => {
  it("two clients handshake, join, and 50 interleaved sends are each acked and reach both in seq order 1..50", async () => {
    const { a, b, conversationId } = await directPair(engine.url);
    const ca = await joinedClient(engine.wsUrl, a, conversationId);
    const cb = await joinedClient(engine.wsUrl, b, conversationId);
    opened.push(ca.client, cb.client);

    for (const [joined, me] of [[ca, a], [cb, b]] as const) {
      expect(joined.hello.data).toMatchObject({ user_id: me.userId, conversation_id: conversationId });
      expect(joined.hello.data.heartbeat_ms).toBeGreaterThan(0);
      const conversation = joined.joined.data.conversation;
      expect(conversation).toMatchObject({ id: conversationId, kind: "direct", last_seq: 0 });
      expect(conversation.members.map((m: { user_id: string }) => m.user_id).sort()).toEqual([a.userId, b.userId].sort());
    }

    // Alternate senders without waiting for any ack: the actor sees two
    // sockets writing at once.
    const TOTAL = 50;
    const sentBy = new Map<string, { userId: string; body: string }>();
    const order = { a: [] as string[], b: [] as string[] };
    for (let i = 0; i < TOTAL; i++) {
      const side = i % 2 === 0 ? "a" : "b";
      const [client, me] = side === "a" ? [ca.client, a] : [cb.client, b];
      const cmid = `${side}-${i}`;
      const body = `message ${i} from ${side}`;
      sentBy.set(cmid, { userId: me.userId, body });
      order[side].push(cmid);
      client.send("message.send", { client_msg_id: cmid, body }, cmid);
    }

    const acksA = (await ca.client.waitFor("message.ack", TOTAL / 2)) as MessageAck[];
    const acksB = (await cb.client.waitFor("message.ack", TOTAL / 2)) as MessageAck[];
    await ca.client.waitFor("message.new", TOTAL);
    await cb.client.waitFor("message.new", TOTAL);
    // Anything sent in reply to the 50 sends is now in, including extras.
    await barrier(ca.client);
    await barrier(cb.client);

    // Each socket's acks: one per send, in its send order, none duplicate,
    // seq growing (a socket's frames are handled in order).
    for (const [acks, cmids] of [[ca.client.all("message.ack"), order.a], [cb.client.all("message.ack"), order.b]] as const) {
      expect(acks.map((k) => k.client_msg_id)).toEqual(cmids);
      expect(acks.every((k) => k.duplicate === false)).toBe(true);
      const seqs = acks.map((k) => k.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
    // Together the acks hand out 1..50, each seq once.
    const ackSeqs = [...acksA, ...acksB].map((k) => k.seq).sort((x, y) => x - y);
    expect(ackSeqs).toEqual(range(TOTAL));

    // Both clients got message.new for 1..50, in that order, the same messages.
    const newsA = ca.client.all("message.new").map((d) => d.message as Message);
    const newsB = cb.client.all("message.new").map((d) => d.message as Message);
    expect(newsA.map((m) => m.seq)).toEqual(range(TOTAL));
    expect(newsB.map((m) => m.seq)).toEqual(range(TOTAL));
    expect(newsB).toEqual(newsA);

    // Each message is the one its ack named.
    const ackBySeq = new Map([...acksA, ...acksB].map((k) => [k.seq, k]));
    for (const m of newsA) {
      const ack = ackBySeq.get(m.seq)!;
      const sent = sentBy.get(m.client_msg_id)!;
      expect(m).toMatchObject({
        conversation_id: conversationId,
        client_msg_id: ack.client_msg_id,
        server_msg_id: ack.server_msg_id,
        created_at: ack.created_at,
        sender_id: sent.userId,
        body: sent.body,
      });
    }

    // And REST history agrees.
    const page = await history(engine.url, a.token, conversationId);
    expect(page.has_more).toBe(false);
    expect(page.messages).toEqual(newsA);

    for (const c of [ca.client, cb.client]) {
      expect(c.all("error")).toEqual([]);
      expect(c.violations).toEqual([]);
    }
  });

  it("the text frame ping is answered pong by the runtime, before hello and after join, without reaching the actor", async () => {
    const { a, conversationId } = await directPair(engine.url);
    const client = await openSocket(engine.wsUrl, conversationId, a.token);
    opened.push(client);

    // Before hello: had the actor seen "ping", it would answer an error
    // (not JSON / handshake_required), which would arrive before hello.ack.
    client.sendRaw("ping");
    await client.next((f) => f.type === "<pong-text>");
    const hello = await client.request("hello");
    expect(hello.type).toBe("hello.ack");
    const joined = await client.request("conversation.join");
    expect(joined.type).toBe("conversation.joined");

    client.sendRaw("ping");
    await client.next((f) => f.type === "<pong-text>");
    // The JSON ping is the actor's, answered pong{server_time}.
    const pong = await client.request("ping");
    expect(pong.type).toBe("pong");
    expect(typeof pong.data.server_time).toBe("number");

    expect(client.frames.filter((f) => f.type === "<pong-text>")).toHaveLength(2);
    expect(client.all("error")).toEqual([]);
    expect(client.violations).toEqual([]);
  });

  it("refused upgrades answer plain HTTP with the error object: 426 without upgrade, 401 bad token, 404 non-member and unknown conversation alike", async () => {
    const { a, conversationId } = await directPair(engine.url);
    const carol = await login(engine.url, uniqueName("carol"));
    const url = socketUrl(engine.wsUrl, conversationId);
    const httpUrl = `${engine.url}/v1/conversations/${conversationId}/ws`;

    // A plain GET, with or without a valid token.
    for (const token of [undefined, a.token]) {
      const res = await fetch(httpUrl, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(426);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expectErrorBody(await res.json(), "bad_request");
    }

    // Bad, tampered or missing tokens, by header or query.
    const [head, payload, signature] = a.token.split(".");
    // The first character carries six bits of the MAC, so a change to it changes the bytes (the last one carries only four).
    const tampered = `${head}.${payload}.${signature!.startsWith("A") ? "B" : "A"}${signature!.slice(1)}`;
    const unauthorized = [
      { label: "garbage bearer", url, headers: { authorization: "Bearer not-a-token" } },
      { label: "tampered signature", url, headers: { authorization: `Bearer ${tampered}` } },
      { label: "no token", url, headers: {} },
      { label: "garbage query token", url: `${url}?access_token=not-a-token`, headers: {} },
    ];
    for (const attempt of unauthorized as Array<{ label: string; url: string; headers: Record<string, string> }>) {
      const refusal = await refusedUpgrade(attempt.url, attempt.headers);
      expect(refusal.status, attempt.label).toBe(401);
      expect(refusal.contentType).toMatch(/^application\/json/);
      expectErrorBody(refusal.body, "unauthorized");
    }

    // A valid user who is not a member: told what an unknown id is told.
    const stranger = await refusedUpgrade(url, { authorization: `Bearer ${carol.token}` });
    expect(stranger.status).toBe(404);
    expectErrorBody(stranger.body, "not_found");

    // A well-formed id that names no conversation.
    const missing = await refusedUpgrade(socketUrl(engine.wsUrl, "c_dnoSuchConversation0000"), { authorization: `Bearer ${a.token}` });
    expect(missing.status).toBe(404);
    expectErrorBody(missing.body, "not_found");
    expect(stranger.body).toEqual(missing.body);

    // The member herself is let in (so the refusals above are about the caller).
    const member = await openSocket(engine.wsUrl, conversationId, a.token);
    opened.push(member);
    expect((await member.request("hello")).type).toBe("hello.ack");
  });

  it("a duplicate client_msg_id after reconnecting is acked duplicate:true with the first seq and broadcasts nothing", async () => {
    const { a, b, conversationId } = await directPair(engine.url);
    const first = await joinedClient(engine.wsUrl, a, conversationId);
    const other = await joinedClient(engine.wsUrl, b, conversationId);
    opened.push(first.client, other.client);

    const ack1 = await first.client.request("message.send", { client_msg_id: "dup-1", body: "once" });
    expect(ack1.type).toBe("message.ack");
    expect(ack1.data).toMatchObject({ client_msg_id: "dup-1", seq: 1, duplicate: false });
    await other.client.next((f) => f.type === "message.new" && f.data.message.seq === 1);

    // The sender drops its socket and comes back, resuming after seq 1.
    first.client.close();
    await first.client.closed;
    const again = await joinedClient(engine.wsUrl, a, conversationId, { after_seq: 1 });
    opened.push(again.client);
    const replay = await again.client.next("messages.batch");
    expect(replay.data).toEqual({ messages: [], has_more: false });

    const dup = await again.client.request("message.send", { client_msg_id: "dup-1", body: "once" });
    expect(dup.type).toBe("message.ack");
    expect(dup.data).toEqual({ ...ack1.data, duplicate: true });

    // Over REST too, the same key is the same message.
    const rest = await api(engine.url, "POST", `/v1/conversations/${conversationId}/messages`, a.token, { client_msg_id: "dup-1", body: "once" });
    expect(rest.status).toBe(200);
    expect(rest.body).toEqual({ ...ack1.data, duplicate: true });

    // A fresh message is the barrier: its message.new follows anything the
    // duplicates could have broadcast, on both sockets.
    const ack2 = await again.client.request("message.send", { client_msg_id: "dup-2", body: "twice" });
    expect(ack2.data).toMatchObject({ client_msg_id: "dup-2", seq: 2, duplicate: false });
    await other.client.next((f) => f.type === "message.new" && f.data.message.seq === 2);
    await again.client.next((f) => f.type === "message.new" && f.data.message.seq === 2);

    expect(other.client.all("message.new").map((d) => [d.message.seq, d.message.client_msg_id])).toEqual([
      [1, "dup-1"],
      [2, "dup-2"],
    ]);
    expect(again.client.all("message.new").map((d) => d.message.seq)).toEqual([2]);
    const page = await history(engine.url, b.token, conversationId);
    expect(page.messages.map((m) => [m.seq, m.client_msg_id])).toEqual([
      [1, "dup-1"],
      [2, "dup-2"],
    ]);
    for (const c of [first.client, again.client, other.client]) {
      expect(c.all("error")).toEqual([]);
      expect(c.violations).toEqual([]);
    }
  });
});
