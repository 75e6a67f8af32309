import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ConversationList, NotificationsResponse, type InboxConversation } from "../../src/protocol/index.ts";
import { api, createDirect, createGroup, inbox, login, type Session } from "./helpers.ts";

/** Waits until the caller's GET /v1/conversations satisfies `ok` (deliveries run from the sender's alarm). */
async function inboxUntil(s: Session, ok: (list: InboxConversation[]) => boolean, timeoutMs = 8000): Promise<InboxConversation[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api("GET", "/v1/conversations", s.token);
    expect(res.status).toBe(200);
    const list = ConversationList.parse(res.body).conversations;
    if (ok(list)) return list;
    if (Date.now() > deadline) throw new Error(`inbox never matched; last: ${JSON.stringify(list)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function outboxRows(conversationId: string) {
  const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(conversationId));
  return runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT user_id, version, attempts FROM outbox").toArray());
}

/**
 * Takes the receiver's inbox table away (renames it), so applying an update
 * fails inside the real User actor as a storage fault would; `heal` puts it
 * back. Nothing of either actor is replaced or mocked.
 */
async function breakInbox(userId: string): Promise<{ heal: () => Promise<void> }> {
  const stub = () => env.USER.get(env.USER.idFromName(userId));
  await runInDurableObject(stub(), (_i, state) => {
    state.storage.sql.exec("ALTER TABLE conversations RENAME TO conversations_offline");
  });
  return {
    heal: () =>
      runInDurableObject(stub(), (_i, state) => {
        state.storage.sql.exec("ALTER TABLE conversations_offline RENAME TO conversations");
      }),
  };
}

describe("the inbox index", () => {
  it("lists the caller's conversations with the last message and the unread count", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    for (let i = 1; i <= 3; i++) await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: `u${i}`, body: `m${i}` });
    const listB = await inboxUntil(b, (l) => l.some((c) => c.id === id && c.last_seq === 3));
    expect(listB.find((c) => c.id === id)).toMatchObject({ id, kind: "direct", last_seq: 3, unread: 3, last_message: { seq: 3, body: "m3" } });
    // Your own messages are not unread.
    const listA = await inboxUntil(a, (l) => l.some((c) => c.id === id && c.last_seq === 3));
    expect(listA.find((c) => c.id === id)?.unread).toBe(0);
    // Reading moves the count.
    expect((await api("POST", `/v1/conversations/${id}/read`, b.token, { up_to_seq: 2 })).status).toBe(200);
    await inboxUntil(b, (l) => l.some((c) => c.id === id && c.unread === 1));
  });

  it("follows title changes and drops a group the user left, latest activity first", async () => {
    const a = await login();
    const b = await login();
    const g1 = await createGroup(a, [b], "first");
    const g2 = await createGroup(a, [b], "second");
    // A conversation with no message yet counts as active when it reached the inbox.
    await inboxUntil(b, (l) => l.length === 2);
    await api("POST", `/v1/conversations/${g1}/messages`, a.token, { client_msg_id: "x", body: "bump" });
    const list = await inboxUntil(b, (l) => l.length === 2 && l[0]?.id === g1);
    expect(list.map((c) => c.title)).toEqual(["first", "second"]);
    await api("PATCH", `/v1/conversations/${g2}`, a.token, { title: "renamed" });
    await inboxUntil(b, (l) => l.some((c) => c.id === g2 && c.title === "renamed"));
    await api("DELETE", `/v1/conversations/${g2}/members/${b.userId}`, b.token);
    await inboxUntil(b, (l) => l.length === 1 && l[0]?.id === g1);
  });
});

describe("the durable outbox", () => {
  it("an update is not lost when a delivery attempt fails: it stays in the outbox and a later attempt delivers it", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    await inboxUntil(b, (l) => l.some((c) => c.id === id));
    // The receiver's storage fails until healed.
    const fault = await breakInbox(b.userId);
    const sent = await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "lost-1", body: "not lost" });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    // The failed attempt left the row in place with its attempt counted.
    const deadline = Date.now() + 5000;
    let rows = await outboxRows(id);
    while (!rows.some((r) => Number(r.attempts) >= 1) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      rows = await outboxRows(id);
    }
    expect(rows, JSON.stringify({ rows, b: b.userId })).toContainEqual(expect.objectContaining({ user_id: b.userId }));
    expect(rows.find((r) => r.user_id === b.userId)?.attempts).toBeGreaterThanOrEqual(1);
    // Still undelivered while the receiver is broken…
    expect((await api("GET", "/v1/conversations", b.token)).status).not.toBe(200);
    await fault.heal();
    // A later attempt (alarm, with backoff) delivers it.
    const list = await inboxUntil(b, (l) => l.some((c) => c.id === id && c.last_seq === 1), 15_000);
    expect(list.find((c) => c.id === id)).toMatchObject({ unread: 1, last_message: { body: "not lost" } });
    await inboxUntil(a, (l) => l.some((c) => c.id === id && c.last_seq === 1));
    // Once delivered, the outbox is empty.
    const end = Date.now() + 5000;
    while ((await outboxRows(id)).length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    expect(await outboxRows(id)).toEqual([]);
  });

  it("repeated and reordered deliveries are harmless: the receiver keeps the highest version", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "v1", body: "one" });
    await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "v2", body: "two" });
    const list = await inboxUntil(b, (l) => l.some((c) => c.id === id && c.last_seq === 2));
    const stub = env.USER.get(env.USER.idFromName(b.userId));
    // Replay an old update: nothing changes.
    await stub.applyConversation({ conversation: { id, kind: "direct", last_seq: 1, unread: 1 }, version: 1, read_seq: 0, role: "member" });
    const after = await inboxUntil(b, () => true);
    expect(after.find((c) => c.id === id)).toEqual(list.find((c) => c.id === id));
  });
});

describe("notifications", () => {
  it("a mention and a reply reach the member's inbox as notification.new, once each, durably", async () => {
    const a = await login();
    const b = await login();
    const c = await login();
    // b's inbox is open before the group exists, so the "added" notification arrives as a frame too.
    const { client } = await inbox(b);
    const id = await createGroup(a, [b, c]);
    await api("POST", `/v1/conversations/${id}/messages`, b.token, { client_msg_id: "q", body: "question?" });
    await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "m", body: `hey @${b.username.toUpperCase()} look` });
    await api("POST", `/v1/conversations/${id}/messages`, c.token, { client_msg_id: "r", body: "answer", reply_to_seq: 1 });
    await api("POST", `/v1/conversations/${id}/messages`, c.token, { client_msg_id: "n", body: "no mention of anyone" });
    // b was also added to the group at its creation: three notifications in all.
    const got = await client.waitFor("notification.new" as never, 3);
    const kinds = (got as any[]).map((d) => [d.notification.kind, d.notification.seq, d.notification.conversation_id]);
    expect(kinds.filter(([k]) => k !== "added")).toEqual([
      ["mention", 2, id],
      ["reply", 3, id],
    ]);
    expect(kinds.filter(([k]) => k === "added")).toEqual([["added", 0, id]]);
    await client.quiet(300);
    expect(client.all("notification.new" as never)).toHaveLength(3);
    const again = await inbox(b);
    expect(again.snapshot.notifications_unread).toBe(3);
    client.close();
    again.client.close();
  });

  it("being added to a group is a notification", async () => {
    const a = await login();
    const b = await login();
    const newcomer = await login();
    const id = await createGroup(a, [b]);
    await api("POST", `/v1/conversations/${id}/members`, a.token, { usernames: [newcomer.username] });
    const deadline = Date.now() + 8000;
    let unread = 0;
    while (Date.now() < deadline) {
      const { client, snapshot } = await inbox(newcomer);
      client.close();
      unread = snapshot.notifications_unread;
      if (unread > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(unread).toBe(1);
  });
});

describe("notifications over REST", () => {
  it("lists them newest first, narrows to unread, and marks them read for every inbox socket", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "m1", body: `@${b.username} one` });
    await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "m2", body: `@${b.username} two` });
    const deadline = Date.now() + 8000;
    let list = await api("GET", "/v1/notifications", b.token);
    while (list.body.notifications.length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      list = await api("GET", "/v1/notifications", b.token);
    }
    expect(NotificationsResponse.parse(list.body).notifications.map((n) => n.seq)).toEqual([2, 1]);
    expect(list.body.notifications_unread).toBe(2);
    const { client } = await inbox(b);
    const read = await api("POST", "/v1/notifications/read", b.token, { ids: [list.body.notifications[1].id, "n:unknown"] });
    expect(read.body).toEqual({ ids: [list.body.notifications[1].id], notifications_unread: 1 });
    expect((await client.next("notifications.read" as never)).data).toEqual(read.body);
    const unread = await api("GET", "/v1/notifications?unread_only=true", b.token);
    expect(unread.body.notifications.map((n: { seq: number }) => n.seq)).toEqual([2]);
    for (const [method, path, body] of [
      ["GET", "/v1/notifications?limit=0", undefined],
      ["GET", "/v1/notifications?limit=501", undefined],
      ["GET", "/v1/notifications?unread_only=yes", undefined],
      ["POST", "/v1/notifications/read", { ids: [] }],
      ["POST", "/v1/notifications/read", { ids: ["bad id"] }],
    ] as const) {
      const res = await api(method, path, b.token, body);
      expect(res.status, path).toBe(400);
    }
    expect((await api("GET", "/v1/notifications", undefined)).status).toBe(401);
    client.close();
  });
});
