/**
 * A block holds everywhere, not only in the pair's direct conversation
 * (decision 0013): no group adds between the two, no notifications from one
 * to the other, no presence either way; and the `group_adds` setting.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ConversationList, ConversationView, ErrorBody, NotificationsResponse, type Notification } from "../../src/protocol/index.ts";
import { api, createDirect, createGroup, inbox, login, type Client, type Session } from "./helpers.ts";

function userActor(userId: string) {
  return env.USER.get(env.USER.idFromName(userId));
}

/** Waits until `s`'s inbox index lists `id` (the conversation's sweep delivers it shortly after the change). */
async function listedUntil(s: Session, id: string): Promise<void> {
  const deadline = Date.now() + 8000;
  for (;;) {
    const list = ConversationList.parse((await api("GET", "/v1/conversations", s.token)).body).conversations;
    if (list.some((c) => c.id === id)) return;
    if (Date.now() > deadline) throw new Error(`${id} never reached ${s.username}'s inbox`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `s` holds a notification that `match` accepts; answers all of them. */
async function notificationsUntil(s: Session, match: (n: Notification) => boolean): Promise<Notification[]> {
  const deadline = Date.now() + 8000;
  for (;;) {
    const list = NotificationsResponse.parse((await api("GET", "/v1/notifications", s.token)).body).notifications;
    if (list.some(match)) return list;
    if (Date.now() > deadline) throw new Error(`no such notification for ${s.username}: ${JSON.stringify(list)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function memberIds(s: Session, id: string): Promise<string[]> {
  return ConversationView.parse((await api("GET", `/v1/conversations/${id}`, s.token)).body.conversation).members.map((m) => m.user_id);
}

function presenceOf(client: Client, userId: string): Array<{ status: string }> {
  return client.all("presence").filter((p) => p.user_id === userId);
}

describe("a block and groups", () => {
  it("the blocked user can neither create a group with the blocker nor add them to one, not even again after they left; nor the other way round", async () => {
    const [a, m, x] = await Promise.all([login(), login(), login()]);
    const earlier = await createGroup(m, [a, x]);
    await listedUntil(a, earlier);
    // A leaves the group M made, then blocks M.
    expect((await api("DELETE", `/v1/conversations/${earlier}/members/${a.userId}`, a.token)).status).toBe(200);
    expect((await api("POST", `/v1/blocks/${m.username}`, a.token)).status).toBe(200);

    const create = await api("POST", "/v1/conversations", m.token, { kind: "group", title: "again", members: [x.username, a.username] });
    expect(create.status).toBe(403);
    expect(ErrorBody.parse(create.body)).toMatchObject({ code: "forbidden" });
    expect(create.body.message).toContain(a.username);
    expect(create.body.message).not.toContain(x.username);
    const readd = await api("POST", `/v1/conversations/${earlier}/members`, m.token, { usernames: [a.username] });
    expect(readd.status).toBe(403);
    expect(ErrorBody.parse(readd.body).code).toBe("forbidden");
    const other = await createGroup(m, [x]);
    expect((await api("POST", `/v1/conversations/${other}/members`, m.token, { usernames: [a.username, x.username] })).status).toBe(403);
    // The blocker cannot add the blocked user either: a block holds both ways.
    expect((await api("POST", "/v1/conversations", a.token, { kind: "group", title: "mine", members: [m.username] })).status).toBe(403);
    // Nothing was added anywhere.
    expect(await memberIds(m, earlier)).toEqual([m.userId, x.userId]);
    expect(await memberIds(m, other)).toEqual([m.userId, x.userId]);

    // Unblocked, M may add A again.
    expect((await api("DELETE", `/v1/blocks/${m.username}`, a.token)).status).toBe(200);
    const added = await api("POST", `/v1/conversations/${other}/members`, m.token, { usernames: [a.username] });
    expect(added.status).toBe(200);
    expect(added.body.added.map((x: { user_id: string }) => x.user_id)).toEqual([a.userId]);
  });

  it("a block answers only once no group add admitted before it can still land", async () => {
    const [a, m] = await Promise.all([login(), login()]);
    // The conversation has asked A's actor and got a yes; its add is "in flight".
    const admitted = await userActor(a.userId).admitToGroup(m.userId, "c_ginflight", Date.now() + 5000);
    expect(admitted.ok).toBe(true);
    const expiresAt = admitted.ok ? admitted.value.expires_at : 0;
    expect((await api("POST", `/v1/blocks/${m.username}`, a.token)).status).toBe(200);
    // The add must commit before its admission expires (membership.ts): by
    // the time the block answers, it has landed or can no longer land.
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    // From the block on, M is refused.
    expect((await userActor(a.userId).admitToGroup(m.userId, "c_glater", Date.now() + 5000)).ok).toBe(false);
    // No conversation can make a block wait long: an admission lasts 30 s at most.
    const [c, o] = await Promise.all([login(), login()]);
    const far = await userActor(c.userId).admitToGroup(o.userId, "c_gfar", Date.now() + 3_600_000);
    expect(far.ok && far.value.expires_at).toBeLessThanOrEqual(Date.now() + 30_000);
    // A block with no add in flight answers at once.
    const [b, n] = await Promise.all([login(), login()]);
    const started = Date.now();
    expect((await api("POST", `/v1/blocks/${n.username}`, b.token)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it("group creations racing a block either land before the block answers or are refused", async () => {
    const [a, m] = await Promise.all([login(), login()]);
    const creates = Array.from({ length: 5 }, (_, i) =>
      api("POST", "/v1/conversations", m.token, { kind: "group", title: `race ${i}`, members: [a.username] }),
    );
    const block = await api("POST", `/v1/blocks/${m.username}`, a.token);
    expect(block.status).toBe(200);
    const answeredAt = Date.now();
    const results = await Promise.all(creates);
    for (const r of results) expect([201, 403]).toContain(r.status);
    // Every group that holds A was written before the block answered.
    for (const r of results.filter((x) => x.status === 201)) {
      const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(r.body.conversation.id));
      const createdAt = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ created_at: number }>("SELECT created_at FROM meta").one().created_at);
      expect(createdAt).toBeLessThanOrEqual(answeredAt);
    }
    expect((await api("POST", "/v1/conversations", m.token, { kind: "group", title: "after", members: [a.username] })).status).toBe(403);
  });
});

describe("a block and notifications", () => {
  it("nothing the blocked user does in a shared group notifies the blocker, and the other way round", async () => {
    const [a, m, c] = await Promise.all([login(), login(), login()]);
    const id = await createGroup(c, [a, m]);
    expect((await api("POST", `/v1/blocks/${m.username}`, a.token)).status).toBe(200);
    const send = (s: Session, key: string, body: string, reply?: number) =>
      api("POST", `/v1/conversations/${id}/messages`, s.token, { client_msg_id: key, body, ...(reply ? { reply_to_seq: reply } : {}) });
    expect((await send(a, "a1", "hello all")).body.seq).toBe(1);
    await send(m, "m1", `@${a.username} look at this`, 1); // a mention (and a reply) of A by M
    await send(m, "m2", "a reply only", 1); // a reply to A by M
    await send(a, "a2", `@${m.username} hm`); // a mention of M by A
    await send(c, "c1", `@${a.username} @${m.username} from c`); // seq 5: reaches both

    const forA = await notificationsUntil(a, (n) => n.seq === 5);
    const forM = await notificationsUntil(m, (n) => n.seq === 5);
    // Notifications are delivered in order: anything from the blocked side would be here by now.
    expect(forA.map((n) => `${n.kind}:${n.seq}`).sort()).toEqual(["added:0", "mention:5"]);
    expect(forM.map((n) => `${n.kind}:${n.seq}`).sort()).toEqual(["added:0", "mention:5"]);
    // Who caused a notification stays inside the engine.
    for (const n of [...forA, ...forM]) expect(Object.keys(n).sort()).toEqual(["conversation_id", "created_at", "id", "kind", "seq"]);
  });
});

describe("a block and presence", () => {
  it("neither sees the other's presence through a shared group; an unblock brings it back", async () => {
    const [a, m, c] = await Promise.all([login(), login(), login()]);
    const id = await createGroup(c, [a, m]);
    await Promise.all([listedUntil(a, id), listedUntil(m, id)]);
    const { client: ia } = await inbox(a);
    const { client: im } = await inbox(m);
    // Contacts through the group: A hears M come online, M's replay shows A.
    await ia.next((f) => f.type === "presence" && f.data.user_id === m.userId && f.data.status === "online");
    await im.next((f) => f.type === "presence" && f.data.user_id === a.userId && f.data.status === "online");

    expect((await api("POST", `/v1/blocks/${m.username}`, a.token)).status).toBe(200);
    // Each side's sockets stop showing the other.
    expect((await ia.next((f) => f.type === "presence" && f.data.user_id === m.userId)).data).toEqual({ user_id: m.userId, status: "offline" });
    expect((await im.next((f) => f.type === "presence" && f.data.user_id === a.userId)).data).toEqual({ user_id: a.userId, status: "offline" });
    // Changes pass neither way, nor does a new socket's replay show the other.
    await im.request("presence.set", { status: "busy" });
    await ia.request("presence.set", { status: "away" });
    const { client: ia2 } = await inbox(a);
    await Promise.all([ia.quiet(1500), im.quiet(200), ia2.quiet(200)]);
    expect(presenceOf(ia, m.userId).map((p) => p.status)).toEqual(["online", "offline"]);
    expect(presenceOf(im, a.userId).map((p) => p.status)).toEqual(["online", "offline"]);
    expect(presenceOf(ia2, m.userId)).toEqual([]);
    // The third member still hears both.
    const { client: ic } = await inbox(c);
    await ic.quiet(300);
    expect(presenceOf(ic, a.userId).map((p) => p.status)).toEqual(["away"]);
    expect(presenceOf(ic, m.userId).map((p) => p.status)).toEqual(["busy"]);

    // Unblocked, each learns the other's current status.
    expect((await api("DELETE", `/v1/blocks/${m.username}`, a.token)).status).toBe(200);
    expect((await ia.next((f) => f.type === "presence" && f.data.user_id === m.userId)).data.status).toBe("busy");
    expect((await im.next((f) => f.type === "presence" && f.data.user_id === a.userId)).data.status).toBe("away");
    for (const client of [ia, ia2, im, ic]) client.close();
  });
});

describe("the group_adds setting", () => {
  it("with contacts, only people who share a direct conversation with the user may add them to a group", async () => {
    const [a, friend, stranger] = await Promise.all([login(), login(), login()]);
    const set = await api("PATCH", "/v1/me", a.token, { settings: { group_adds: "contacts" } });
    expect(set.status).toBe(200);
    expect(set.body.settings).toEqual({ notifications: "all", group_adds: "contacts", share_presence: true, share_read_receipts: true, share_typing: true });
    const direct = await createDirect(friend, a);
    await listedUntil(a, direct);

    const refused = await api("POST", "/v1/conversations", stranger.token, { kind: "group", title: "hi", members: [a.username] });
    expect(refused.status).toBe(403);
    expect(ErrorBody.parse(refused.body).code).toBe("forbidden");
    const open = await createGroup(stranger, [friend]);
    expect((await api("POST", `/v1/conversations/${open}/members`, stranger.token, { usernames: [a.username] })).status).toBe(403);
    expect((await api("POST", "/v1/conversations", friend.token, { kind: "group", title: "ok", members: [a.username] })).status).toBe(201);

    // Back to everyone (the default): the stranger may.
    expect((await api("PATCH", "/v1/me", a.token, { settings: { group_adds: "everyone" } })).status).toBe(200);
    expect((await api("POST", `/v1/conversations/${open}/members`, stranger.token, { usernames: [a.username] })).status).toBe(200);
  });
});
