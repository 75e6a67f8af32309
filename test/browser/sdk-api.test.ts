/**
 * Every REST method of the SDK (`client.api`, `ParleyApi.*`) against the
 * real engine, from Node: its answer typed and checked by the contract's
 * schema, its refusals thrown as `ParleyError` with the contract's code.
 * And the conversation handle's receipts: `receipt.delivered` sent as
 * others' messages arrive, coalesced; `markRead` over REST when the handle
 * is not connected.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ParleyApi, ParleyClient, ParleyError, type LoginResponse, type Receipt } from "../../client/src/index.ts";
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

function clientFor(login: LoginResponse): ParleyClient {
  const client = new ParleyClient({ baseUrl: engine.url, token: login, WebSocket, storage: null, timing: { DELIVERED_COALESCE_MS: 300 } });
  clients.push(client);
  return client;
}

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ParleyError);
    return (err as ParleyError).code;
  }
  throw new Error("expected a refusal");
}

describe("every REST method of the SDK against the engine", () => {
  it("sessions: health, dev login, refresh, logout by refresh token and by access token", async () => {
    expect(await ParleyApi.health(engine.url)).toEqual({ ok: true, protocol: 1 });
    const first = await ParleyApi.devLogin(engine.url, uniqueName("sess"));
    const rotated = await ParleyApi.refreshSession(engine.url, first.refresh_token!);
    expect(rotated.user).toEqual(first.user);
    expect(rotated.refresh_token).not.toBe(first.refresh_token);
    await ParleyApi.logoutSession(engine.url, rotated.refresh_token!);
    expect(await refusal(ParleyApi.refreshSession(engine.url, rotated.refresh_token!))).toBe("unauthorized");

    const second = await ParleyApi.devLogin(engine.url, first.user.username);
    await clientFor(second).api.logout();
    expect(await refusal(ParleyApi.refreshSession(engine.url, second.refresh_token!))).toBe("unauthorized");
    expect(await refusal(ParleyApi.devLogin(engine.url, "x"))).toBe("bad_request");
  });

  it("people: me, profile and settings, a user by name, search", async () => {
    const login = await ParleyApi.devLogin(engine.url, uniqueName("zoe"));
    const api = clientFor(login).api;
    expect((await api.me()).user).toEqual({ id: login.user.id, username: login.user.username });
    const patched = await api.updateMe({ display_name: "Zoé Q", settings: { notifications: "mentions", group_adds: "contacts" } });
    expect(patched).toEqual({ user: { id: login.user.id, username: login.user.username, display_name: "Zoé Q" }, settings: {
      notifications: "mentions", group_adds: "contacts", share_presence: true, share_read_receipts: true, share_typing: true, // the v1.2 privacy settings, on by default
    } });
    expect(await refusal(api.updateMe({ display_name: "" }))).toBe("bad_request");
    await until("the directory has the new name", async () => (await api.user(login.user.username.toUpperCase())).display_name === "Zoé Q");
    const found = await api.searchUsers(login.user.username, { limit: 5 });
    expect(found.users[0]?.id).toBe(login.user.id);
    expect(await refusal(api.user("no_such_user_here"))).toBe("not_found");
  });

  it("conversations and members: create, list in pages, get, rename, add, page members, roles, remove, leave", async () => {
    const [owner, m1, m2] = await Promise.all(["own", "mem", "mem"].map((n) => ParleyApi.devLogin(engine.url, uniqueName(n))));
    const api = clientFor(owner!).api;
    const direct = await api.createDirect(m1!.user.username);
    expect((await api.createDirect(m1!.user.username)).id).toBe(direct.id);
    const group = await api.createGroup("Team", [m1!.user.username]);
    expect(group.members.map((m) => m.role)).toEqual(["owner", "member"]);
    expect((await api.getConversation(group.id)).title).toBe("Team");
    expect((await api.renameGroup(group.id, "Team 2")).title).toBe("Team 2");

    const added = await api.addMembers(group.id, [m2!.user.username, m1!.user.username]);
    expect(added.added.map((m) => m.user_id)).toEqual([m2!.user.id]);
    const page = await api.members(group.id, { limit: 2 });
    expect(page.members).toHaveLength(2);
    expect(page.next_after).toBeDefined();
    const rest = await api.members(group.id, { after: page.next_after!, limit: 2 });
    expect([...page.members, ...rest.members].map((m) => m.user_id).sort()).toEqual([owner!.user.id, m1!.user.id, m2!.user.id].sort());
    expect((await api.setRole(group.id, m1!.user.id, "admin")).members.find((m) => m.user_id === m1!.user.id)?.role).toBe("admin");
    expect((await api.removeMember(group.id, m2!.user.id)).members.map((m) => m.user_id)).not.toContain(m2!.user.id);
    const leaving = clientFor(m1!).api;
    await leaving.removeMember(group.id, m1!.user.id);
    expect(await refusal(leaving.getConversation(group.id))).toBe("not_found");

    await until("both listed", async () => (await api.listConversations()).length === 2);
    const first = await api.conversations({ limit: 1 });
    expect(first.conversations).toHaveLength(1);
    expect(first.next_cursor).toBeDefined();
    const all = [];
    for await (const c of api.allConversations(1)) all.push(c.id);
    expect(all.sort()).toEqual([direct.id, group.id].sort());
    expect(await refusal(api.conversations({ cursor: "garbage" }))).toBe("bad_request");
  });

  it("messages: REST send (idempotent), history, poll, read, edit, delete, react, search, mute", async () => {
    const [a, b] = await Promise.all([ParleyApi.devLogin(engine.url, uniqueName("a")), ParleyApi.devLogin(engine.url, uniqueName("b"))]);
    const api = clientFor(a!).api;
    const other = clientFor(b!).api;
    const { id } = await api.createDirect(b!.user.username);

    const ack = await api.send(id, "first searchable words", { clientMsgId: "k-1" });
    expect(ack).toMatchObject({ client_msg_id: "k-1", seq: 1, duplicate: false });
    expect(await api.send(id, "first searchable words", { clientMsgId: "k-1" })).toMatchObject({ seq: 1, duplicate: true });
    await api.send(id, "a reply", { replyToSeq: 1 });
    const history = await api.history(id, { afterSeq: 0, limit: 10 });
    expect(history.messages.map((m) => [m.seq, m.body])).toEqual([[1, "first searchable words"], [2, "a reply"]]);
    expect(history.messages[1]!.reply_to?.seq).toBe(1);

    expect((await other.poll(id, 0, { timeoutMs: 0 })).messages).toHaveLength(2);
    const held = other.poll(id, 2, { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 200));
    await api.send(id, "wakes the poll");
    expect((await held).messages.map((m) => m.body)).toEqual(["wakes the poll"]);
    const aborted = new AbortController();
    const cancelled = other.poll(id, 3, { timeoutMs: 10_000, signal: aborted.signal });
    aborted.abort();
    await expect(cancelled).rejects.toThrow();

    const receipt: Receipt = await other.markRead(id, 2);
    expect(receipt).toEqual({ user_id: b!.user.id, read_seq: 2, delivered_seq: 2 });

    const before = await other.pollChanges(id, 0, { timeoutMs: 0 });
    expect(before.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    const changed = other.pollChanges(id, before.last_rev!, { timeoutMs: 10_000 });
    expect((await api.editMessage(id, 2, "an edited reply")).duplicate).toBe(false);
    expect((await changed).messages.map((m) => [m.seq, m.body])).toEqual([[2, "an edited reply"]]);
    expect((await other.react(id, 1, "👍")).duplicate).toBe(false);
    expect((await other.react(id, 1, "👍", false)).duplicate).toBe(false);
    expect((await api.deleteMessage(id, 3)).duplicate).toBe(false);
    expect(await refusal(other.editMessage(id, 1, "not mine"))).toBe("forbidden");

    await until("search finds it", async () => (await api.search(id, "searchable")).results.length === 1);
    expect((await api.searchAll("searchable")).results[0]?.conversation_id).toBe(id);

    expect(await api.mute(id)).toEqual({ muted: true });
    const until2 = Date.now() + 60_000;
    expect(await api.mute(id, until2)).toEqual({ muted: true, muted_until: until2 });
    expect(await api.unmute(id)).toEqual({ muted: false });
    expect(await refusal(api.history("c_nope"))).toBe("not_found");
  });

  it("safety and notifications: block, unblock, report; notifications listed and marked read", async () => {
    const [a, b] = await Promise.all([ParleyApi.devLogin(engine.url, uniqueName("a")), ParleyApi.devLogin(engine.url, uniqueName("b"))]);
    const api = clientFor(a!).api;
    const bApi = clientFor(b!).api;
    expect(await api.block(b!.user.username)).toEqual({ username: b!.user.username, blocked: true });
    expect(await refusal(bApi.createDirect(a!.user.username))).toBe("forbidden");
    expect(await api.unblock(b!.user.username)).toEqual({ username: b!.user.username, blocked: false });
    const filed = await api.report({ kind: "user", username: b!.user.username, reason: "spam" });
    expect(filed.report.id).toMatch(/^rp_/);
    expect(await refusal(api.report({ kind: "user", username: b!.user.username, reason: "spam again" }))).toBe("conflict");

    await bApi.createGroup("Added", [a!.user.username]);
    await until("the added notification", async () => (await api.notifications({ unreadOnly: true })).notifications.length === 1);
    const listed = await api.notifications({ limit: 10 });
    expect(listed.notifications[0]!.kind).toBe("added");
    expect(listed.notifications_unread).toBe(1);
    expect(await api.readNotifications([listed.notifications[0]!.id])).toEqual({ ids: [listed.notifications[0]!.id], notifications_unread: 0 });
    expect(await refusal(api.readNotifications([]))).toBe("bad_request");
  });
});

describe("receipts from the conversation handle", () => {
  it("sends receipt.delivered as others' messages arrive, coalesced, and markRead over REST while not connected", async () => {
    const [a, b] = await Promise.all([ParleyApi.devLogin(engine.url, uniqueName("a")), ParleyApi.devLogin(engine.url, uniqueName("b"))]);
    const ca = clientFor(a!);
    const cb = clientFor(b!);
    const { id } = await ca.api.createDirect(b!.user.username);
    const chatA = ca.conversation(id).connect();
    const chatB = cb.conversation(id).connect();
    const aboutA: Receipt[] = [];
    chatB.on("receipt", (r) => r.user_id === a!.user.id && aboutA.push(r));
    await until("both connected", () => chatA.status === "connected" && chatB.status === "connected");

    for (let i = 1; i <= 5; i++) chatB.send(`b ${i}`);
    await until("a delivered 5", () => aboutA.at(-1)?.delivered_seq === 5);
    // One receipt for the burst (two at most, if the burst straddled the interval), and no read.
    expect(aboutA.length).toBeLessThanOrEqual(2);
    expect(aboutA.at(-1)).toEqual({ user_id: a!.user.id, read_seq: 0, delivered_seq: 5 });

    // a's own message needs no receipt of a's: none comes after it.
    chatA.send("mine");
    await until("a's message acked", () => chatA.pending.length === 0);
    await new Promise((r) => setTimeout(r, 600));
    expect(aboutA.filter((r) => r.delivered_seq > 5)).toEqual([]);

    // Not connected: markRead goes over REST.
    chatA.disconnect();
    chatA.markRead(6);
    await until("read over REST", async () => (await cb.api.members(id)).members.find((m) => m.user_id === a!.user.id)?.read_seq === 6);
  });
});
