import { SELF, env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { mintAccessToken } from "../../src/auth/tokens.ts";
import { ConversationList, ErrorBody, InboxServerFrame, type InboxUpdate, type Message } from "../../src/protocol/index.ts";
import { randomId } from "../../src/shared/ids.ts";
import { Client, api, createDirect, inbox, login, openInbox, type Session } from "./helpers.ts";

const SECRET = "test-secret-for-workerd-tests-only";
const BASE = "https://parley.test";

/** Every frame an inbox client received must be a valid inbox server frame. */
function expectValidFrames(client: Client): void {
  for (const f of client.frames) {
    if (f.type === "<pong-text>") continue;
    const check = InboxServerFrame.safeParse(f);
    expect(check.success, `${JSON.stringify(f)}: ${check.success ? "" : check.error.message}`).toBe(true);
  }
}

function userActor(userId: string) {
  return env.USER.get(env.USER.idFromName(userId));
}

function conversationId(): string {
  return randomId("c_t", 16);
}

function message(conversation: string, seq: number, createdAt: number): Message {
  return {
    conversation_id: conversation, seq, server_msg_id: randomId("m_", 12), client_msg_id: `k${seq}`,
    sender_id: "u_someone", body: `message ${seq}`, created_at: createdAt,
  };
}

function update(id: string, version: number, fields: Partial<InboxUpdate["conversation"]> & { role?: InboxUpdate["role"] | null; member_ids?: string[] } = {}): InboxUpdate {
  const { role, member_ids, ...conversation } = fields;
  return {
    conversation: { id, kind: "group", title: "Team", last_seq: 0, unread: 0, ...conversation },
    version,
    read_seq: 0,
    ...(role === null ? {} : { role: role ?? "member" }),
    ...(member_ids ? { member_ids } : {}),
  };
}

describe("the inbox socket before the upgrade", () => {
  it("answers 426 without an upgrade, 401 without a good token, 403 for a foreign Origin", async () => {
    const a = await login();
    const plain = await SELF.fetch(`${BASE}/v1/inbox/ws`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(plain.status).toBe(426);
    expect(ErrorBody.parse(await plain.json()).code).toBe("bad_request");
    const expired = await mintAccessToken(SECRET, { userId: a.userId, username: a.username, sessionId: "s" }, Date.now() - 3_600_000);
    for (const token of [undefined, "garbage", expired.token]) {
      const res = await openInbox(token);
      expect(res.status, String(token).slice(0, 20)).toBe(401);
      expect(ErrorBody.parse(res.body).code).toBe("unauthorized");
    }
    const evil = await openInbox(a.token, { headers: { origin: "https://evil.example" } });
    expect(evil.status).toBe(403);
    expect(ErrorBody.parse(evil.body).code).toBe("forbidden");
    const good = await openInbox(a.token, { query: true, headers: { origin: "https://app.example" } });
    expect(good.status).toBe(101);
    good.client!.close();
  });

  it("refuses the eleventh inbox socket of a user with 429 rate_limited and Retry-After", async () => {
    const a = await login();
    const open: Client[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await openInbox(a.token);
      expect(res.status, `socket ${i + 1}`).toBe(101);
      open.push(res.client!);
    }
    const refused = await openInbox(a.token);
    expect(refused.status).toBe(429);
    expect(ErrorBody.parse(refused.body)).toMatchObject({ code: "rate_limited", retryable: true });
    expect(refused.body.retry_after_ms).toBeGreaterThan(0);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another user is not affected.
    const b = await login();
    const other = await openInbox(b.token);
    expect(other.status).toBe(101);
    other.client!.close();
    // Closing one makes room again.
    open.pop()!.close();
    let again = await openInbox(a.token);
    for (let i = 0; i < 20 && again.status === 429; i++) {
      await new Promise((r) => setTimeout(r, 50));
      again = await openInbox(a.token);
    }
    expect(again.status).toBe(101);
    again.client!.close();
    for (const c of open) c.close();
  });
});

describe("inbox snapshot and updates", () => {
  it("hello is answered hello.ack without conversation_id, then inbox.snapshot, latest activity first", async () => {
    const a = await login();
    const [older, newer, empty] = [conversationId(), conversationId(), conversationId()];
    const now = Date.now();
    const latest = message(newer, 1, now - 1000);
    await userActor(a.userId).applyConversation(update(older, 1, { last_seq: 3, unread: 2, last_message: message(older, 3, now - 60_000) }));
    await userActor(a.userId).applyConversation(update(newer, 1, { kind: "direct", title: undefined, last_seq: 1, unread: 1, last_message: latest }));
    await userActor(a.userId).applyConversation(update(empty, 1, { last_seq: 0 }));

    const { client, status } = await openInbox(a.token);
    expect(status).toBe(101);
    // Anything before hello is handshake_required.
    expect((await client!.request("ping")).data.code).toBe("handshake_required");
    const ack = await client!.request("hello");
    expect(ack.type).toBe("hello.ack");
    expect(ack.data.user_id).toBe(a.userId);
    expect("conversation_id" in ack.data).toBe(false);
    const snapshot = (await client!.next("inbox.snapshot" as never)).data;
    // The empty conversation arrived last, so it is the latest activity; then by last message.
    expect(snapshot.conversations.map((c: { id: string }) => c.id)).toEqual([empty, newer, older]);
    expect(snapshot.conversations[1]).toEqual({ id: newer, kind: "direct", last_seq: 1, unread: 1, last_message: latest });
    expect(snapshot.notifications_unread).toBe(0);
    expect(snapshot.has_more).toBe(false);
    expect(snapshot.next_cursor).toBeUndefined();
    expect((await client!.request("hello")).data.code).toBe("bad_request");
    expect((await client!.request("ping")).type).toBe("pong");
    // GET /v1/conversations's source lists the same.
    const listed = await userActor(a.userId).listConversations();
    expect(listed.ok && listed.value.conversations.map((c) => c.id)).toEqual([empty, newer, older]);
    expectValidFrames(client!);
    client!.close();
  });

  it("applyConversation pushes inbox.updated; stale and repeated versions are ignored; role absent removes the entry", async () => {
    const a = await login();
    const id = conversationId();
    const { client } = await inbox(a);
    const actor = userActor(a.userId);

    await actor.applyConversation(update(id, 2, { last_seq: 5, unread: 5, title: "v2" }));
    expect((await client.next("inbox.updated" as never)).data.conversation).toEqual({ id, kind: "group", title: "v2", last_seq: 5, unread: 5 });

    // Repeated and older versions change nothing and push nothing.
    await actor.applyConversation(update(id, 2, { last_seq: 9, unread: 9, title: "again" }));
    await actor.applyConversation(update(id, 1, { last_seq: 1, unread: 1, title: "old" }));
    await client.quiet(200);
    expect(client.all("inbox.updated" as never)).toHaveLength(1);
    let listed = await actor.listConversations();
    expect(listed.ok && listed.value.conversations).toEqual([{ id, kind: "group", title: "v2", last_seq: 5, unread: 5 }]);

    await actor.applyConversation(update(id, 3, { last_seq: 6, unread: 0, title: "v3" }));
    expect((await client.next("inbox.updated" as never)).data.conversation).toMatchObject({ title: "v3", unread: 0 });

    // Removed (left or removed by an admin): dropped from the list, announced as inbox.removed.
    await actor.applyConversation(update(id, 4, { role: null }));
    expect((await client.next("inbox.removed" as never)).data).toEqual({ conversation_id: id });
    listed = await actor.listConversations();
    expect(listed.ok && listed.value.conversations).toEqual([]);
    // A late update from before the removal does not bring it back.
    await actor.applyConversation(update(id, 3, { last_seq: 6 }));
    listed = await actor.listConversations();
    expect(listed.ok && listed.value.conversations).toEqual([]);
    // Being added again (a newer version) does.
    await actor.applyConversation(update(id, 5, { last_seq: 7, unread: 1 }));
    expect((await client.next("inbox.updated" as never)).data.conversation).toMatchObject({ id, last_seq: 7 });
    // A new socket's snapshot sees the current state.
    const second = await inbox(a);
    expect(second.snapshot.conversations).toEqual([{ id, kind: "group", title: "Team", last_seq: 7, unread: 1 }]);
    expectValidFrames(client);
    client.close();
    second.client.close();
  });

  it("a malformed update is refused (so the sender's outbox keeps it) and stores nothing", async () => {
    const a = await login();
    const bad = { ...update(conversationId(), 1), version: -1 } as InboxUpdate;
    let refused: unknown;
    try {
      await userActor(a.userId).applyConversation(bad);
    } catch (e) {
      refused = e;
    }
    expect(String(refused)).toMatch(/version/);
    const listed = await userActor(a.userId).listConversations();
    expect(listed.ok && listed.value.conversations).toEqual([]);
  });
});

describe("inbox and conversations together", () => {
  it("a message sent in a conversation reaches the other member's inbox socket, and presence follows its members", async () => {
    const a = await login();
    const b = await login();
    const { client: cb } = await inbox(b);
    const id = await createDirect(a, b);
    const sent = await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "in1", body: "hello inbox" });
    expect(sent.status).toBe(200);
    // Delivered by the conversation's outbox (alarm-driven RPC); earlier versions may arrive first.
    const updated = await cb.next((f) => f.type === "inbox.updated" && f.data.conversation.last_seq === 1, 10_000);
    expect(updated.data.conversation).toMatchObject({ id, kind: "direct", last_seq: 1, unread: 1 });
    expect(updated.data.conversation.last_message).toMatchObject({ seq: 1, body: "hello inbox", sender_id: a.userId });
    const listed = await userActor(b.userId).listConversations();
    expect(listed.ok && listed.value.conversations.map((c) => c.id)).toContain(id);
    // The update carried the members, so A's coming online reaches B.
    for (let i = 0; i < 100; i++) {
      const mine = await userActor(a.userId).listConversations();
      if (mine.ok && mine.value.conversations.some((c) => c.id === id)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { client: ca } = await inbox(a);
    expect((await cb.next((f) => f.type === "presence" && f.data.user_id === a.userId)).data.status).toBe("online");
    expectValidFrames(cb);
    ca.close();
    cb.close();
  });
});

describe("notifications", () => {
  it("notification.new goes to the sockets, counts as unread, and notification.read marks it on every socket", async () => {
    const a = await login();
    const conv = conversationId();
    const { client } = await inbox(a);
    const other = await inbox(a);
    const n1 = { id: `n_${conv}_1`, kind: "mention" as const, conversation_id: conv, seq: 1, created_at: Date.now() };
    const delivered = await userActor(a.userId).notify(n1);
    expect(delivered).toEqual({ ok: true, value: { delivered: true } });
    expect((await client.next("notification.new" as never)).data.notification).toEqual(n1);
    // Idempotent by id.
    expect(await userActor(a.userId).notify(n1)).toEqual({ ok: true, value: { delivered: false } });
    await userActor(a.userId).notify({ ...n1, id: `n_${conv}_2`, seq: 2 });
    expect((await inbox(a)).snapshot.notifications_unread).toBe(2);
    const read = await client.request("notification.read", { ids: [n1.id, "n_unknown"] });
    expect(read).toMatchObject({ type: "notifications.read", data: { ids: [n1.id], notifications_unread: 1 } });
    expect((await other.client.next("notifications.read" as never)).data).toEqual({ ids: [n1.id], notifications_unread: 1 });
    // With notifications off, nothing is stored or pushed.
    await SELF.fetch(`${BASE}/v1/me`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${a.token}`, "content-type": "application/json" },
      body: JSON.stringify({ settings: { notifications: "none" } }),
    });
    expect(await userActor(a.userId).notify({ ...n1, id: `n_${conv}_3`, seq: 3 })).toEqual({ ok: true, value: { delivered: false } });
    await client.quiet(200);
    expect(client.all("notification.new" as never)).toHaveLength(2);
    expectValidFrames(client);
    client.close();
    other.client.close();
  });
});

describe("presence on the inbox socket", () => {
  it("reaches the inbox sockets of the people the user shares a conversation with, and no one else", async () => {
    const a = await login();
    const b = await login();
    const stranger = await login();
    const shared = conversationId();
    for (const who of [a, b]) {
      await userActor(who.userId).applyConversation(update(shared, 1, { member_ids: [a.userId, b.userId] }));
    }
    await userActor(stranger.userId).applyConversation(update(conversationId(), 1, { member_ids: [stranger.userId] }));
    const { client: cb } = await inbox(b);
    const { client: cs } = await inbox(stranger);

    const { client: ca } = await inbox(a);
    expect((await cb.next("presence")).data).toEqual({ user_id: a.userId, status: "online" });
    // B was online before A connected: A's socket learns it after the snapshot.
    expect((await ca.next("presence")).data).toEqual({ user_id: b.userId, status: "online" });

    const echo = await ca.request("presence.set", { status: "away" });
    expect(echo).toMatchObject({ type: "presence", data: { user_id: a.userId, status: "away" } });
    expect((await cb.next("presence")).data).toEqual({ user_id: a.userId, status: "away" });
    // Setting the same status again announces nothing new to contacts.
    await ca.request("presence.set", { status: "away" });

    ca.close();
    const offline = await cb.next("presence");
    expect(offline.data).toMatchObject({ user_id: a.userId, status: "offline" });
    expect(offline.data.last_seen_at).toBeGreaterThan(0);
    await cb.quiet(200);
    expect(cb.all("presence").map((p) => p.status)).toEqual(["online", "away", "offline"]);
    expect(cs.all("presence")).toEqual([]);
    expectValidFrames(cb);
    expectValidFrames(ca);
    cb.close();
    cs.close();
  });

  it("the user stays online while any inbox socket is open", async () => {
    const a = await login();
    const b = await login();
    const shared = conversationId();
    for (const who of [a, b]) await userActor(who.userId).applyConversation(update(shared, 1, { member_ids: [a.userId, b.userId] }));
    const { client: cb } = await inbox(b);
    const first = await inbox(a);
    await cb.next("presence");
    const second = await inbox(a);
    first.client.close();
    await cb.quiet(300);
    expect(cb.all("presence")).toHaveLength(1);
    second.client.close();
    expect((await cb.next("presence")).data).toMatchObject({ user_id: a.userId, status: "offline" });
    cb.close();
  });
});

describe("presence.set floods", () => {
  it("presence.set beyond the user's budget is rate_limited with retry_after_ms, on every socket of the user; the socket stays open", async () => {
    const a = await login();
    const { client } = await inbox(a);
    const other = await inbox(a);
    // The default PRESENCE_SET_RATE: 10 per 10 s, all the user's sockets together.
    for (let i = 0; i < 10; i++) {
      const echo = await (i % 2 === 0 ? client : other.client).request("presence.set", { status: i % 4 < 2 ? "away" : "busy" });
      expect(echo.type, `frame ${i + 1}`).toBe("presence");
    }
    for (const c of [client, other.client]) {
      const refused = await c.request("presence.set", { status: "online" });
      expect(refused).toMatchObject({ type: "error", data: { code: "rate_limited", retryable: true } });
      expect(refused.data.retry_after_ms).toBeGreaterThan(0);
    }
    expect((await client.request("ping")).type).toBe("pong");
    expectValidFrames(client);
    client.close();
    other.client.close();
  });

  it("a flurry of changes reaches a contact once, as the status it ended on; a change reversed inside the window reaches no one", async () => {
    const a = await login();
    const b = await login();
    const shared = conversationId();
    for (const who of [a, b]) await userActor(who.userId).applyConversation(update(shared, 1, { member_ids: [a.userId, b.userId] }));
    const { client: cb } = await inbox(b);
    const { client: ca } = await inbox(a);
    expect((await cb.next("presence")).data).toEqual({ user_id: a.userId, status: "online" });

    // Away and back inside the window: the contact hears nothing; A's own sockets get each echo.
    expect((await ca.request("presence.set", { status: "away" })).data.status).toBe("away");
    expect((await ca.request("presence.set", { status: "online" })).data.status).toBe("online");
    await cb.quiet(1500);
    expect(cb.all("presence").map((p) => p.status)).toEqual(["online"]);

    // A flurry: one report, of the last status.
    for (const status of ["away", "busy", "away", "busy"] as const) await ca.request("presence.set", { status });
    expect((await cb.next("presence")).data).toEqual({ user_id: a.userId, status: "busy" });
    await cb.quiet(1500);
    expect(cb.all("presence").map((p) => p.status)).toEqual(["online", "busy"]);
    expect(ca.all("presence").filter((p) => p.user_id === a.userId).map((p) => p.status)).toEqual(["away", "online", "away", "busy", "away", "busy"]);
    ca.close();
    cb.close();
  });
});

describe("the size of the inbox", () => {
  /** Gives `a` `n` conversations, one message each, newest first in the returned order. */
  async function fill(a: Session, n: number): Promise<string[]> {
    const now = Date.now();
    const ids = Array.from({ length: n }, () => conversationId());
    await Promise.all(ids.map((id, i) => userActor(a.userId).applyConversation(update(id, 1, { last_seq: 1, unread: 1, last_message: message(id, 1, now - 60_000 - i * 1000) }))));
    return ids;
  }

  async function page(a: Session, query: string): Promise<{ conversations: Array<{ id: string }>; next_cursor?: string }> {
    const res = await api("GET", `/v1/conversations${query}`, a.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return ConversationList.parse(res.body);
  }

  it("inbox.snapshot holds the newest 50 conversations and says that more exist; its cursor continues over REST", async () => {
    const a = await login();
    const ids = await fill(a, 55);
    const { client, snapshot } = await inbox(a);
    expect(snapshot.conversations.map((c: { id: string }) => c.id)).toEqual(ids.slice(0, 50));
    expect(snapshot.has_more).toBe(true);
    const rest = await page(a, `?cursor=${snapshot.next_cursor}`);
    expect(rest.conversations.map((c) => c.id)).toEqual(ids.slice(50));
    expect(rest.next_cursor).toBeUndefined();
    expectValidFrames(client);
    client.close();
  });

  it("GET /v1/conversations pages newest first with a cursor, 50 by default and at most 100 a page", async () => {
    const a = await login();
    const ids = await fill(a, 55);
    const first = await page(a, "");
    expect(first.conversations.map((c) => c.id)).toEqual(ids.slice(0, 50));
    expect(first.next_cursor).toBeDefined();
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const p = await page(a, `?limit=20${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...p.conversations.map((c) => c.id));
      cursor = p.next_cursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(ids);
    expect((await page(a, "?limit=100")).conversations).toHaveLength(55);
    for (const bad of ["?limit=0", "?limit=101", "?limit=1e2", "?limit=-1", "?limit=2.5", "?cursor=nope", `?cursor=${"x".repeat(201)}`]) {
      const res = await api("GET", `/v1/conversations${bad}`, a.token);
      expect(res.status, bad).toBe(400);
      expect(ErrorBody.parse(res.body).code).toBe("bad_request");
    }
  });

  it("paging is stable under concurrent updates: nothing is listed twice, and every entry that did not move is listed", async () => {
    const a = await login();
    const ids = await fill(a, 30);
    const actor = userActor(a.userId);
    const first = await page(a, "?limit=10");
    expect(first.conversations.map((c) => c.id)).toEqual(ids.slice(0, 10));
    // Meanwhile two conversations get a message (one already listed, one not yet) and a new one arrives.
    const now = Date.now();
    for (const id of [ids[4]!, ids[24]!]) await actor.applyConversation(update(id, 2, { last_seq: 2, unread: 2, last_message: message(id, 2, now) }));
    await actor.applyConversation(update(conversationId(), 1, { last_seq: 0 }));
    const seen = first.conversations.map((c) => c.id);
    let cursor = first.next_cursor;
    while (cursor) {
      const p = await page(a, `?limit=10&cursor=${cursor}`);
      seen.push(...p.conversations.map((c) => c.id));
      cursor = p.next_cursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) if (id !== ids[24]) expect(seen).toContain(id);
    // What moved is at the head of a fresh first page.
    expect((await page(a, "?limit=3")).conversations.slice(1).map((c) => c.id).sort()).toEqual([ids[4]!, ids[24]!].sort());
  });
});

describe("bad frames on the inbox socket", () => {
  it("get the conversation socket's error codes and leave the socket open", async () => {
    const a = await login();
    const first = await inbox(a);
    const cases: Array<[string | ArrayBuffer, string, RegExp?]> = [
      ["not json", "bad_request", /JSON/],
      [new Uint8Array([1, 2]).buffer, "bad_request", /Binary/],
      ["[1]", "bad_request"],
      [JSON.stringify({ v: 2, type: "ping", data: {} }), "unsupported_version"],
      [JSON.stringify({ type: "ping", data: {} }), "bad_request", /^v:/],
      [JSON.stringify({ v: 1, type: "message.send", data: {} }), "bad_request", /^type:/],
      [JSON.stringify({ v: 1, type: "presence.set", data: { status: "offline" } }), "bad_request", /^data\.status/],
      [JSON.stringify({ v: 1, type: "presence.set", data: {} }), "bad_request", /^data\.status/],
      [JSON.stringify({ v: 1, type: "notification.read", data: { ids: [] } }), "bad_request", /^data\.ids/],
      [JSON.stringify({ v: 1, type: "notification.read", data: { ids: Array.from({ length: 101 }, (_, i) => `n${i}`) } }), "bad_request", /^data\.ids/],
      [JSON.stringify({ v: 1, type: "notification.read", data: { ids: ["bad id!"] } }), "bad_request", /^data\.ids/],
      [JSON.stringify({ v: 1, type: "ping", rid: "r".repeat(65), data: {} }), "bad_request", /^rid/],
      [JSON.stringify({ v: 1, type: "ping", data: { pad: "€".repeat(22_000) } }), "payload_too_large"],
    ];
    let client = first.client;
    let n = 0;
    for (const [raw, code, msg] of cases) {
      if (n === 8) {
        client.close();
        client = (await inbox(a)).client;
        n = 0;
      }
      client.sendRaw(raw);
      const err = await client.next("error");
      expect(err.data.code, String(raw).slice(0, 60)).toBe(code);
      if (msg) expect(err.data.message).toMatch(msg);
      n++;
    }
    const pong = await client.request("ping");
    expect(pong.type).toBe("pong");
    expectValidFrames(client);
    client.close();
  });

  it("the tenth bad frame in a minute closes the socket with 4008; the user's other sockets are untouched", async () => {
    const a = await login();
    const { client: bystander } = await inbox(a);
    const { client } = await inbox(a);
    for (let i = 0; i < 9; i++) {
      client.sendRaw("garbage");
      await client.next("error");
    }
    expect((await client.request("ping")).type).toBe("pong");
    client.sendRaw("garbage");
    expect((await client.next("connection.closing")).data).toEqual({ reason: "policy_violation", retry: false });
    expect((await client.closed).code).toBe(4008);
    expect((await bystander.request("ping")).type).toBe("pong");
    bystander.close();
  });
});

describe("tokens on the inbox socket", () => {
  it("auth.refresh swaps the token; another user's token is forbidden and closes with 4003", async () => {
    const a = await login();
    const b = await login();
    const { client } = await inbox(a);
    const fresh = await mintAccessToken(SECRET, { userId: a.userId, username: a.username, sessionId: "s2" }, Date.now(), 30 * 60_000);
    expect(await client.request("auth.refresh", { access_token: fresh.token })).toMatchObject({ type: "auth.refreshed", data: { expires_at: fresh.expiresAt } });
    expect((await client.request("auth.refresh", { access_token: "garbage" })).data.code).toBe("unauthorized");
    const err = await client.request("auth.refresh", { access_token: b.token });
    expect(err.data.code).toBe("forbidden");
    expect((await client.closed).code).toBe(4003);
  });

  it("an expired token gets connection.closing{token_expired} at the next frame and close 4101", async () => {
    const a = await login();
    const short = await mintAccessToken(SECRET, { userId: a.userId, username: a.username, sessionId: "s" }, Date.now(), 1500);
    const { client } = await openInbox(short.token);
    expect((await client!.request("hello")).type).toBe("hello.ack");
    await new Promise((r) => setTimeout(r, Math.max(0, short.expiresAt - Date.now()) + 100));
    client!.send("ping");
    expect((await client!.next("connection.closing")).data).toEqual({ reason: "token_expired", retry: true });
    expect((await client!.closed).code).toBe(4101);
  });

  it("a socket that only listens is closed by the heartbeat sweep once its token expired", async () => {
    const a = await login();
    const short = await mintAccessToken(SECRET, { userId: a.userId, username: a.username, sessionId: "s" }, Date.now(), 1500);
    const { client: listener } = await openInbox(short.token);
    expect((await listener!.request("hello")).type).toBe("hello.ack");
    const { client: fresh } = await inbox(a);
    await new Promise((r) => setTimeout(r, Math.max(0, short.expiresAt - Date.now()) + 100));
    expect(await runDurableObjectAlarm(userActor(a.userId))).toBe(true);
    expect((await listener!.next("connection.closing")).data).toEqual({ reason: "token_expired", retry: true });
    expect((await listener!.closed).code).toBe(4101);
    // The socket with a live token stays.
    expect((await fresh.request("ping")).type).toBe("pong");
    fresh.close();
  });

  it("a token minted elsewhere registers its user when the inbox socket opens", async () => {
    const userId = randomId("u_ext", 12);
    const username = `inbox_${randomId("", 10)}`;
    const ext = await mintAccessToken(SECRET, { userId, username, sessionId: "theirs" });
    const { client } = await inbox({ token: ext.token, userId, username });
    const viewer = await login();
    const found = await SELF.fetch(`${BASE}/v1/users/${username}`, { headers: { authorization: `Bearer ${viewer.token}` } });
    expect(((await found.json()) as { user: { id: string } }).user.id).toBe(userId);
    client.close();
  });
});
