/**
 * What a send and the inbox fan-out cost, as counts (never timings): rows
 * written by one send, whatever the size of the room; inbox updates a
 * member's User actor receives from a hot conversation; what a joining socket
 * of a large room is sent.
 *
 * Rooms larger than this project's MAX_GROUP_MEMBERS (12 in these tests, to
 * test the limit cheaply) are made by writing member rows into the real
 * actor's storage and restarting it, as a deployment with a larger limit
 * would have stored them.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { LARGE_ROOM_MEMBERS } from "../../src/conversation/members.ts";
import { SWEEP_MIN_INTERVAL_MS } from "../../src/conversation/fanout.ts";
import { MemberPage } from "../../src/protocol/index.ts";
import { api, createGroup, inbox, joined, login, restartActor, type Client } from "./helpers.ts";

const conversationStub = (id: string) => env.CONVERSATION.get(env.CONVERSATION.idFromName(id));

/** Adds `n` members (ids u_seed…) straight into the actor's storage, then restarts it so it loads them. */
async function seedMembers(id: string, n: number): Promise<void> {
  await runInDurableObject(conversationStub(id), async (_instance, state) => {
    for (let i = 0; i < n; i++) {
      state.storage.sql.exec(
        "INSERT INTO members (user_id, username, role, joined_at) VALUES (?, ?, 'member', ?)",
        `u_seed${String(i).padStart(4, "0")}`, `seed_${i}`, Date.now(),
      );
    }
    // As if every inbox had been swept already: no sweep to a thousand actors
    // that do not exist (costly in the test runtime); these tests measure the send.
    state.storage.sql.exec("UPDATE meta SET fanout_version = version, broadcast_version = 0");
    await state.storage.deleteAlarm();
  });
  await restartActor(id);
}

/** Rows written by `body`, summed over every SQL statement the actor runs meanwhile (instrumented, not replaced). */
async function rowsWrittenBy(id: string, body: (instance: any) => unknown): Promise<number> {
  return runInDurableObject(conversationStub(id), async (instance, state) => {
    const sql = state.storage.sql;
    const original = sql.exec;
    let written = 0;
    sql.exec = function (this: SqlStorage, query: string, ...bindings: unknown[]) {
      const cursor = original.call(this, query, ...bindings);
      written += cursor.rowsWritten;
      return cursor;
    } as typeof sql.exec;
    try {
      await body(instance);
    } finally {
      sql.exec = original;
    }
    await state.storage.deleteAlarm();
    return written;
  });
}

/**
 * Counts the `applyConversation` RPCs a user's real User actor receives from
 * now on: the method is wrapped on the class (RPC dispatches through it),
 * still runs, and is put back by `stop`, which returns the count.
 */
async function countInboxUpdates(userId: string): Promise<{ stop: () => Promise<number> }> {
  const stub = () => env.USER.get(env.USER.idFromName(userId));
  await runInDurableObject(stub(), (actor) => {
    // Untyped: the User class's RPC type is too deep for tsc to check this body against (TS2589).
    const instance = actor as any;
    const proto = Object.getPrototypeOf(instance);
    const original = proto.applyConversation;
    instance.received = 0;
    proto.applyConversation = function (this: any, update: unknown) {
      if (this === instance) instance.received += 1;
      return original.call(this, update);
    };
    instance.restore = () => {
      proto.applyConversation = original;
    };
  });
  return {
    stop: () =>
      runInDurableObject(stub(), (actor) => {
        const instance = actor as any;
        instance.restore();
        return instance.received as number;
      }),
  };
}

const open: Client[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
});

describe("the cost of a send does not grow with the room", () => {
  it("writes the same few rows in a room of 2 members and of 1 000", async () => {
    const a = await login();
    const b = await login();
    const small = await createGroup(a, [b], "two");
    const large = await createGroup(a, [b], "a thousand");
    await seedMembers(large, 998);
    const send = (key: string) => (instance: any) => {
      const r = instance.send(a.userId, { client_msg_id: key, body: "hello everyone" });
      expect(r.ok, JSON.stringify(r)).toBe(true);
    };
    const inSmall = await rowsWrittenBy(small, send("s1"));
    const inLarge = await rowsWrittenBy(large, send("l1"));
    expect((await api("GET", `/v1/conversations/${large}`, a.token)).body.conversation.member_count).toBe(1000);
    expect(inSmall).toBe(inLarge);
    // The message (its row and its two unique index entries) and the
    // sender's watermarks: 4 today; nothing per member.
    expect(inLarge).toBeGreaterThan(0);
    expect(inLarge).toBeLessThanOrEqual(5);
    // A repeat writes nothing.
    expect(await rowsWrittenBy(large, send("l1"))).toBe(0);
  });
});

describe("a send is one transaction", () => {
  it("a failure after the message row (the sender's watermark) rolls it back: no ack, no message.new, no seq used", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    const { client: ca } = await joined(a, id);
    const { client: cb } = await joined(b, id);
    open.push(ca, cb);
    expect((await ca.request("message.send", { client_msg_id: "ok-1", body: "first" })).data.seq).toBe(1);
    await cb.next("message.new");
    // The second write of a send fails, as a storage fault would.
    await runInDurableObject(conversationStub(id), (_i, state) => {
      state.storage.sql.exec("CREATE TRIGGER refuse_watermarks BEFORE UPDATE ON members BEGIN SELECT RAISE(ABORT, 'disk refused the write'); END");
    });
    const failed = await ca.request("message.send", { client_msg_id: "half", body: "half written?" });
    expect(failed.type).toBe("error");
    expect(failed.data.code).toBe("internal");
    await cb.quiet(200);
    expect(cb.all("message.new")).toHaveLength(1);
    const rows = await runInDurableObject(conversationStub(id), (_i, state) => {
      state.storage.sql.exec("DROP TRIGGER refuse_watermarks");
      return state.storage.sql.exec("SELECT seq, client_msg_id FROM messages ORDER BY seq").toArray();
    });
    expect(rows).toEqual([{ seq: 1, client_msg_id: "ok-1" }]);
    // The retry takes seq 2: the failed attempt used none.
    const retried = await ca.request("message.send", { client_msg_id: "half", body: "half written?" });
    expect(retried.data).toMatchObject({ seq: 2, duplicate: false });
    expect((await cb.next("message.new")).data.message.seq).toBe(2);
  });
});

describe("the inbox fan-out of a hot conversation", () => {
  it("reaches each member's actor a bounded number of times per interval, whatever the message rate", async () => {
    const a = await login();
    const b = await login();
    const c = await login();
    const id = await createGroup(a, [b, c]);
    const counter = await countInboxUpdates(c.userId);
    const started = Date.now();
    const sends = [];
    for (let i = 0; i < 20; i++) {
      sends.push(api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: `a${i}`, body: `from a ${i}` }));
      sends.push(api("POST", `/v1/conversations/${id}/messages`, b.token, { client_msg_id: `b${i}`, body: `from b ${i}` }));
    }
    for (const res of await Promise.all(sends)) expect(res.status).toBe(200);
    const sentFor = Date.now() - started;
    // The last of them reaches c's inbox, with the unread count of all 40.
    const deadline = Date.now() + 8000;
    let entry: any;
    while (Date.now() < deadline) {
      entry = (await api("GET", "/v1/conversations", c.token)).body.conversations.find((x: { id: string }) => x.id === id);
      if (entry?.last_seq === 40) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(entry).toMatchObject({ last_seq: 40, unread: 40 });
    const received = await counter.stop();
    // One sweep per interval while the messages came, plus the creation's and the last one.
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThanOrEqual(2 + Math.ceil(sentFor / SWEEP_MIN_INTERVAL_MS));
    expect(received).toBeLessThan(40);
  });
});

describe("a large room", () => {
  it("sends a joining socket a bounded part of the lists, batches presence, and pages the members over REST", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    const seeded = LARGE_ROOM_MEMBERS + 10;
    await seedMembers(id, seeded);
    const total = seeded + 2;

    const { client: ca, joinedFrame } = await joined(a, id);
    open.push(ca);
    const data = joinedFrame.data;
    expect(data.conversation.member_count).toBe(total);
    expect(data.conversation.members.length).toBeLessThanOrEqual(LARGE_ROOM_MEMBERS);
    // The joiner is listed first, with their receipt.
    expect(data.conversation.members[0].user_id).toBe(a.userId);
    expect(data.receipts.map((r: { user_id: string }) => r.user_id)).toEqual(data.conversation.members.map((m: { user_id: string }) => m.user_id));
    expect(data.online_count).toBe(1);

    // b comes online: a hears it in a batch (with a's own arrival if it fell
    // in the same window), never as a single presence frame.
    const { client: cb } = await joined(b, id);
    open.push(cb);
    const batch = await ca.next((f) => f.type === "presence.batch" && f.data.updates.some((u: { user_id: string }) => u.user_id === b.userId), 3000);
    expect(batch.data.updates).toContainEqual({ user_id: b.userId, status: "online" });
    expect(ca.all("presence")).toHaveLength(0);

    // A read moves b's watermark: a hears it in a receipts batch; b's own answer is immediate.
    expect((await ca.request("message.send", { client_msg_id: "m1", body: "hi" })).data.seq).toBe(1);
    const answer = await cb.request("receipt.read", { up_to_seq: 1 });
    expect(answer.type).toBe("receipt.updated");
    const receipts = await ca.next("receipts.batch" as never, 3000);
    expect(receipts.data.receipts).toContainEqual({ user_id: b.userId, read_seq: 1, delivered_seq: 1 });

    // Every member, once, over REST pages.
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await api("GET", `/v1/conversations/${id}/members?limit=25${after ? `&after=${after}` : ""}`, a.token);
      expect(res.status).toBe(200);
      const body = MemberPage.parse(res.body);
      seen.push(...body.members.map((m) => m.user_id));
      after = body.next_after;
      if (!after) break;
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    const me = await api("GET", `/v1/conversations/${id}/members?limit=500`, a.token);
    expect(me.body.members.find((m: { user_id: string }) => m.user_id === a.userId)).toMatchObject({ online: true, role: "owner" });
    // Only members may list them; anyone else is answered as for an unknown id.
    const stranger = await login();
    const refused = await api("GET", `/v1/conversations/${id}/members`, stranger.token);
    expect(refused.status).toBe(404);
    expect(refused.body).toEqual((await api("GET", "/v1/conversations/c_dnoSuchConversation0000/members", stranger.token)).body);
  });
});

describe("the inboxes of a large room", () => {
  it("are not sent its messages: an inbox pulls them when listed, and an open inbox watches them", async () => {
    const a = await login();
    const b = await login();
    const c = await login();
    const id = await createGroup(a, [b, c]);
    await seedMembers(id, LARGE_ROOM_MEMBERS);
    // A change for everyone reaches every member, and tells them the room is large now.
    expect((await api("PATCH", `/v1/conversations/${id}`, a.token, { title: "large now" })).status).toBe(200);
    const deadline = Date.now() + 8000;
    for (;;) {
      const list = (await api("GET", "/v1/conversations", b.token)).body.conversations;
      if (list.some((x: { id: string; title?: string }) => x.id === id && x.title === "large now")) break;
      if (Date.now() > deadline) throw new Error("the title never reached b's inbox");
      await new Promise((r) => setTimeout(r, 50));
    }
    // Count the updates b's actor is sent from now on.
    const counter = await countInboxUpdates(b.userId);
    // c watches the room: its open inbox gets inbox.updated for each burst.
    const { client: cInbox } = await inbox(c);
    open.push(cInbox);
    for (let i = 1; i <= 3; i++) {
      expect((await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: `big${i}`, body: `to many ${i}` })).status).toBe(200);
    }
    const updated = await cInbox.next((f) => f.type === "inbox.updated" && f.data.conversation.id === id && f.data.conversation.last_seq === 3, 8000);
    expect(updated.data.conversation).toMatchObject({ last_seq: 3, unread: 3 });
    // b has no inbox open: nothing was pushed to b's actor for these messages…
    await new Promise((r) => setTimeout(r, 2500));
    const pushed = await counter.stop();
    expect(pushed).toBe(0);
    // …yet b's list is current: it pulled the room when listing.
    const entry = (await api("GET", "/v1/conversations", b.token)).body.conversations.find((x: { id: string }) => x.id === id);
    expect(entry).toMatchObject({ last_seq: 3, unread: 3, last_message: { body: "to many 3" } });
  });
});

describe("the cost of a send with integrations", () => {
  it("a message that calls a bot, or that a webhook wants, writes its outbox row in the message's transaction, and only then", async () => {
    const op = await login("operator_root");
    const botName = `cost_bot_${Date.now().toString(36)}`.slice(0, 32);
    const created = await api("POST", "/v1/admin/bots", op.token, { username: botName });
    expect(created.status).toBe(201);
    expect(created.body.bot.user.bot).toBe(true);
    const a = await login();
    const b = await login();
    const plain = await createGroup(a, [b], "no integrations");
    const withBot = await createGroup(a, [b], "with a bot");
    expect((await api("POST", `/v1/conversations/${withBot}/members`, a.token, { usernames: [botName] })).status).toBe(200);
    const send = (key: string, body: string) => (instance: any) => {
      const r = instance.send(a.userId, { client_msg_id: key, body });
      expect(r.ok, JSON.stringify(r)).toBe(true);
    };
    const base = await rowsWrittenBy(plain, send("p1", "hello"));
    // A message in the bot's room that does not mention it costs what any message costs.
    expect(await rowsWrittenBy(withBot, send("b0", "hello"))).toBe(base);
    // Mentioning the bot adds its call (one row and its key).
    const mention = await rowsWrittenBy(withBot, send("b1", `hello @${botName}`));
    expect(mention).toBeGreaterThan(base);
    expect(mention).toBeLessThanOrEqual(base + 3);
    const owed = await runInDurableObject(conversationStub(withBot), (_i, state) => state.storage.sql.exec("SELECT bot_id, seq FROM bot_outbox").toArray());
    expect(owed).toEqual([{ bot_id: created.body.bot.user.id, seq: 2 }]);

    // A webhook endpoint that wants message.created: conversations created from now on owe it each message.
    expect((await api("POST", "/v1/admin/webhooks", op.token, { url: "http://127.0.0.1:9/never", events: ["message.created"] })).status).toBe(201);
    const hooked = await createGroup(a, [b], "hooked");
    const withHook = await rowsWrittenBy(hooked, send("h1", "hello"));
    expect(withHook).toBeGreaterThan(base);
    expect(withHook).toBeLessThanOrEqual(base + 2);
    // The room created before the endpoint learns of it at its next look at the registry; until then it writes nothing more.
    expect(await rowsWrittenBy(plain, send("p2", "hello again"))).toBe(base);
  });
});
