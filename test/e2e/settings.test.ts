/**
 * Limits are deployment settings: an engine started with its own SEND_RATE,
 * MAX_SOCKETS_PER_USER, MAX_INBOX_SOCKETS, GROUP_ADD_RATE and
 * INBOX_SNAPSHOT_MAX announces and enforces those, not the defaults.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../support/client.ts";
import { Engine } from "../support/engine.ts";
import { type Joined, api, directPair, joinedClient, login, refusedUpgrade, socketUrl } from "../support/e2e-helpers.ts";

let engine: Engine;
const open: Joined[] = [];

beforeAll(async () => {
  engine = await Engine.start({
    vars: {
      SEND_RATE: "3/60000", MAX_SOCKETS_PER_USER: "2", MAX_INBOX_SOCKETS: "1", GROUP_ADD_RATE: "3/600000", INBOX_SNAPSHOT_MAX: "1",
      LOG_LEVEL: "warn",
    },
  });
});

afterAll(async () => {
  for (const j of open) j.client.close();
  await engine?.stop();
});

describe("limits set by the deployment", () => {
  it("announces SEND_RATE in hello.ack and refuses the send past it", async () => {
    const { a, conversationId } = await directPair(engine.url);
    const joined = await joinedClient(engine.wsUrl, a, conversationId);
    open.push(joined);
    expect(joined.hello.data.limits.send_rate).toEqual({ messages: 3, per_ms: 60_000 });
    for (let i = 1; i <= 3; i++) {
      expect((await joined.client.request("message.send", { client_msg_id: `k${i}`, body: `m${i}` })).type).toBe("message.ack");
    }
    const refused = await joined.client.request("message.send", { client_msg_id: "k4", body: "one too many" });
    expect(refused.type).toBe("error");
    expect(refused.data).toMatchObject({ code: "rate_limited", retryable: true });
    expect(refused.data.retry_after_ms).toBeGreaterThan(10_000);
  });

  it("caps sockets per user and conversation at MAX_SOCKETS_PER_USER, and inbox sockets at MAX_INBOX_SOCKETS", async () => {
    const { a, conversationId } = await directPair(engine.url);
    open.push(await joinedClient(engine.wsUrl, a, conversationId), await joinedClient(engine.wsUrl, a, conversationId));
    const third = await refusedUpgrade(socketUrl(engine.wsUrl, conversationId), { authorization: `Bearer ${a.token}` });
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({ code: "rate_limited" });

    const { default: WebSocket } = await import("ws");
    const first = new WebSocket(`${engine.wsUrl}/v1/inbox/ws`, { headers: { authorization: `Bearer ${a.token}` } });
    first.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      first.once("open", () => resolve());
      first.once("close", (code) => reject(new Error(`closed (${code}) before it opened`)));
    });
    try {
      const second = await refusedUpgrade(`${engine.wsUrl}/v1/inbox/ws`, { authorization: `Bearer ${a.token}` });
      expect(second.status).toBe(429);
    } finally {
      first.close();
    }
  });

  it("counts people added against GROUP_ADD_RATE, and caps inbox.snapshot at INBOX_SNAPSHOT_MAX", async () => {
    const owner = await login(engine.url);
    const people = await Promise.all([login(engine.url), login(engine.url), login(engine.url)]);
    const group = await api(engine.url, "POST", "/v1/conversations", owner.token, { kind: "group", title: "three", members: people.slice(0, 2).map((p) => p.username) });
    expect(group.status).toBe(201);
    const id = group.body.conversation.id as string;
    expect((await api(engine.url, "POST", `/v1/conversations/${id}/members`, owner.token, { usernames: [people[2]!.username] })).status).toBe(200);
    const refused = await api(engine.url, "POST", "/v1/conversations", owner.token, { kind: "group", title: "more", members: [people[0]!.username] });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: "rate_limited", retryable: true });

    // people[0] now belongs to two conversations: a direct one and the group.
    const direct = await api(engine.url, "POST", "/v1/conversations", people[0]!.token, { kind: "direct", with: owner.username });
    expect(direct.status).toBe(201);
    const deadline = Date.now() + 10_000;
    let listed: Array<{ id: string }> = [];
    while (listed.length < 2 && Date.now() < deadline) {
      listed = (await api(engine.url, "GET", "/v1/conversations", people[0]!.token)).body.conversations;
      if (listed.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed).toHaveLength(2);
    const { default: WebSocket } = await import("ws");
    const ws = new WebSocket(`${engine.wsUrl}/v1/inbox/ws`, { headers: { authorization: `Bearer ${people[0]!.token}` } });
    ws.on("error", () => undefined);
    const client = new Client(ws);
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("close", (code) => reject(new Error(`closed (${code}) before it opened`)));
      });
      await client.request("hello");
      const snapshot = (await client.next("inbox.snapshot" as never)).data;
      expect(snapshot.conversations.map((c: { id: string }) => c.id)).toEqual([listed[0]!.id]);
      expect(snapshot.has_more).toBe(true);
      const rest = await api(engine.url, "GET", `/v1/conversations?cursor=${snapshot.next_cursor}`, people[0]!.token);
      expect(rest.body.conversations.map((c: { id: string }) => c.id)).toEqual([listed[1]!.id]);
    } finally {
      ws.close();
    }
  });
});
