/**
 * Messages that live (protocol v1.1): edits, deletions, reactions, replies
 * and mentions, and the `rev` cursor that catches every change exactly once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Message } from "../../src/protocol/index.ts";
import type { AnyFrame, Client } from "../support/client.ts";
import { api, createGroup, joined, login, openSocket, restartActor, type Session } from "./helpers.ts";

const open: Client[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

async function send(who: Session, id: string, key: string, body: string, extra: Record<string, unknown> = {}): Promise<number> {
  const res = await api("POST", `/v1/conversations/${id}/messages`, who.token, { client_msg_id: key, body, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.seq as number;
}

const path = (id: string, seq: number) => `/v1/conversations/${id}/messages/${seq}`;
const reactionPath = (id: string, seq: number, reaction: string) => `${path(id, seq)}/reactions/${encodeURIComponent(reaction)}`;

async function history(who: Session, id: string): Promise<Message[]> {
  const res = await api("GET", `/v1/conversations/${id}/messages?after_seq=0&limit=1000`, who.token);
  expect(res.status).toBe(200);
  return res.body.messages.map((m: unknown) => Message.parse(m));
}

describe("edits", () => {
  it("the sender edits: change.ack after the commit, message.updated to every live socket, the same body again is a duplicate", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    const { client: ca } = await joined(a, id);
    const { client: cb } = await joined(b, id);
    open.push(ca, cb);
    const sent = await ca.request("message.send", { client_msg_id: "e1", body: "helo" });
    const firstRev = (await cb.next("message.new")).data.message.rev as number;
    expect(firstRev).toBeGreaterThan(0);

    const ack = await ca.request("message.edit", { seq: sent.data.seq, body: "hello" });
    expect(ack.type).toBe("change.ack");
    expect(ack.data).toEqual({ seq: sent.data.seq, rev: firstRev + 1, duplicate: false });
    const updated = (await cb.next("message.updated" as never)).data.message;
    expect(updated).toMatchObject({ seq: sent.data.seq, body: "hello", rev: firstRev + 1 });
    expect(updated.edited_at).toBeGreaterThan(0);

    const again = await ca.request("message.edit", { seq: sent.data.seq, body: "hello" });
    expect(again.data).toEqual({ seq: sent.data.seq, rev: firstRev + 1, duplicate: true });
    await cb.quiet(200);
    expect(cb.all("message.updated" as never)).toHaveLength(1);

    // Only the sender edits; a member who did not send it is refused.
    const refused = await cb.request("message.edit", { seq: sent.data.seq, body: "not mine" });
    expect(refused.data.code).toBe("forbidden");
    expect((await api("PATCH", path(id, 99), a.token, { body: "x" })).status).toBe(404);
    expect((await api("PATCH", path(id, sent.data.seq), a.token, { body: "   " })).status).toBe(400);
    const rest = await api("PATCH", path(id, sent.data.seq), a.token, { body: "hello again" });
    expect(rest.body).toMatchObject({ seq: sent.data.seq, rev: firstRev + 2, duplicate: false });
    expect((await history(b, id))[0]).toMatchObject({ body: "hello again", rev: firstRev + 2 });
  });
});

describe("deletions", () => {
  it("leave a tombstone, by the sender or a group's owner or admin; a second one is a duplicate; a tombstone takes no edit or reaction", async () => {
    const owner = await login();
    const m1 = await login();
    const m2 = await login();
    const id = await createGroup(owner, [m1, m2]);
    const one = await send(m1, id, "d1", "first, by m1");
    const two = await send(m1, id, "d2", "second, by m1");
    expect((await api("PUT", reactionPath(id, one, "👍"), m2.token)).status).toBe(200);

    // Another member may not delete it; the owner may.
    expect((await api("DELETE", path(id, one), m2.token)).body.code).toBe("forbidden");
    const byOwner = await api("DELETE", path(id, one), owner.token);
    expect(byOwner.body).toMatchObject({ seq: one, duplicate: false });
    expect((await api("DELETE", path(id, one), owner.token)).body).toMatchObject({ seq: one, duplicate: true });
    // The sender deletes their own.
    expect((await api("DELETE", path(id, two), m1.token)).body.duplicate).toBe(false);

    const [first, second] = await history(m2, id);
    expect(first).toMatchObject({ seq: one, sender_id: m1.userId, body: "" });
    expect(first!.deleted_at).toBeGreaterThan(0);
    expect(first!.reactions).toBeUndefined();
    expect(second!.deleted_at).toBeGreaterThan(0);
    expect((await api("PATCH", path(id, one), m1.token, { body: "back" })).body.code).toBe("conflict");
    expect((await api("PUT", reactionPath(id, one, "🎉"), m2.token)).body.code).toBe("conflict");
  });
});

describe("reactions", () => {
  it("one of each per member, counted with the first users, removable, capped per message, and only emoji or :names:", async () => {
    const a = await login();
    const b = await login();
    const c = await login();
    const id = await createGroup(a, [b, c]);
    const seq = await send(a, id, "r1", "react to me");
    for (const who of [b, c, b]) expect((await api("PUT", reactionPath(id, seq, "👍🏽"), who.token)).status).toBe(200);
    expect((await api("PUT", reactionPath(id, seq, ":party:"), a.token)).status).toBe(200);
    let [m] = await history(a, id);
    expect(m!.reactions).toEqual([
      { reaction: "👍🏽", count: 2, user_ids: [b.userId, c.userId] },
      { reaction: ":party:", count: 1, user_ids: [a.userId] },
    ]);
    // A repeat is a duplicate; removing works once.
    expect((await api("PUT", reactionPath(id, seq, "👍🏽"), b.token)).body.duplicate).toBe(true);
    expect((await api("DELETE", reactionPath(id, seq, "👍🏽"), b.token)).body.duplicate).toBe(false);
    expect((await api("DELETE", reactionPath(id, seq, "👍🏽"), b.token)).body.duplicate).toBe(true);
    [m] = await history(a, id);
    expect(m!.reactions?.[0]).toEqual({ reaction: "👍🏽", count: 1, user_ids: [c.userId] });

    for (const bad of ["a", "ab", "👍👍", ":Bad:", "::", "<script>"]) {
      expect((await api("PUT", reactionPath(id, seq, bad), a.token)).status, bad).toBe(400);
    }
    // The cap on distinct reactions.
    for (let i = 0; i < 18; i++) expect((await api("PUT", reactionPath(id, seq, `:r${i}:`), a.token)).status).toBe(200);
    expect((await api("PUT", reactionPath(id, seq, ":one_too_many:"), a.token)).body.code).toBe("conflict");
    // An existing reaction can still be joined at the cap.
    expect((await api("PUT", reactionPath(id, seq, ":r0:"), b.token)).body.duplicate).toBe(false);
  });
});

describe("replies and mentions", () => {
  it("a reply carries a preview of the message it answers, as it is now; mentions are user ids", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    const long = "x".repeat(150);
    const original = await send(b, id, "o1", long);
    await send(a, id, "reply", `@${b.username.toUpperCase()} agreed`, { reply_to_seq: original });
    let [, reply] = await history(a, id);
    expect(reply!.reply_to).toEqual({ seq: original, sender_id: b.userId, excerpt: "x".repeat(100) });
    expect(reply!.mentions).toEqual([b.userId]);
    expect((await api("DELETE", path(id, original), b.token)).status).toBe(200);
    [, reply] = await history(a, id);
    expect(reply!.reply_to).toEqual({ seq: original, sender_id: b.userId, excerpt: "", deleted: true });
  });
});

/** What a rejoin with after_rev reads: the replay pages (sync by rev while has_more), then live frames. */
async function drainByRev(client: Client, limit: number, first: AnyFrame): Promise<Message[]> {
  const seen: Message[] = [];
  let batch = first;
  for (let pages = 0; pages < 100; pages++) {
    seen.push(...batch.data.messages.map((m: unknown) => Message.parse(m)));
    if (!batch.data.has_more) return seen;
    batch = await client.request("sync", { after_rev: seen.at(-1)!.rev, limit });
    expect(batch.type).toBe("messages.batch");
  }
  throw new Error("replay did not end");
}

describe("one cursor catches everything", () => {
  it("a rejoin with after_rev gets every change it missed exactly once, in order, across paging, the replay/live seam and a restart", async () => {
    const a = await login();
    const b = await login();
    const reader = await login();
    const id = await createGroup(a, [b, reader]);
    const s1 = await send(a, id, "k1", "one");
    const s2 = await send(b, id, "k2", "two");
    const cursor = (await api("GET", `/v1/conversations/${id}`, reader.token)).body.conversation.last_rev as number;
    expect(cursor).toBe(2);

    // While the reader is away: new messages, an edit, a deletion, reactions; and a restart of the actor.
    const s3 = await send(a, id, "k3", "three");
    await api("PATCH", path(id, s1), a.token, { body: "one, edited" });
    await restartActor(id);
    await api("PUT", reactionPath(id, s2, "🔥"), a.token);
    await api("DELETE", path(id, s3), a.token);
    await send(b, id, "k4", "four");

    const { client } = await openSocket(reader.token, id);
    open.push(client!);
    await client!.request("hello");
    // More changes while the reader pages through the replay, two at a time.
    const during = (async () => {
      await api("PUT", reactionPath(id, s1, "✅"), b.token);
      await send(a, id, "k5", "five");
      await api("PATCH", path(id, s2), b.token, { body: "two, edited" });
    })();
    const joinedFrame = await client!.request("conversation.join", { after_rev: cursor, limit: 2 });
    expect(joinedFrame.type).toBe("conversation.joined");
    const replayed = await drainByRev(client!, 2, await client!.next("messages.batch"));
    await during;
    const finalRev = (await api("GET", `/v1/conversations/${id}`, reader.token)).body.conversation.last_rev as number;
    const replayedTo = replayed.at(-1)?.rev ?? cursor;
    // What the replay did not cover arrives live, once.
    const liveNeeded = finalRev - replayedTo;
    const live: Message[] = [];
    const deadline = Date.now() + 5000;
    while (live.length < liveNeeded && Date.now() < deadline) {
      live.splice(0, live.length, ...client!.all("message.new").map((d) => d.message), ...client!.all("message.updated" as never).map((d: any) => d.message));
      await new Promise((r) => setTimeout(r, 20));
    }
    await client!.quiet(200);
    const liveAll = [...client!.all("message.new").map((d) => d.message), ...client!.all("message.updated" as never).map((d: any) => d.message)]
      .map((m: unknown) => Message.parse(m))
      .sort((x, y) => x.rev! - y.rev!);
    const changes = [...replayed, ...liveAll];
    const revs = changes.map((m) => m.rev!);
    // Strictly increasing: no change twice, none out of order.
    expect(revs).toEqual([...revs].sort((x, y) => x - y));
    expect(new Set(revs).size).toBe(revs.length);
    expect(revs.at(-1)).toBe(finalRev);
    // Applying them by seq gives exactly the history.
    const view = new Map<number, Message>();
    for (const m of changes) view.set(m.seq, m);
    for (const m of await history(reader, id)) {
      if (m.rev! > cursor) expect(view.get(m.seq), `seq ${m.seq}`).toEqual(m);
    }
    expect(client!.violations).toEqual([]);
  });

  it("a socket that joins with after_seq (protocol v1) still gets a gapless message.new and may ignore message.updated", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    const { client } = await joined(b, id, { after_seq: 0 });
    open.push(client);
    await client.next("messages.batch");
    const one = await send(a, id, "v1", "one");
    await api("PATCH", path(id, one), a.token, { body: "one!" });
    await send(a, id, "v2", "two");
    const news = await client.waitFor("message.new", 2);
    expect(news.map((d) => d.message.seq)).toEqual([1, 2]);
    expect((await client.next("message.updated" as never)).data.message).toMatchObject({ seq: 1, body: "one!" });
  });
});

describe("pages of living messages", () => {
  it("a page of 1000 messages with replies and reactions is read in statements of a bounded size", async () => {
    const a = await login();
    const others = [await login(), await login(), await login()];
    const id = await createGroup(a, others);
    const members = [a, ...others];
    // Four senders stay within the send budget (30 each); each message replies to the one before.
    const total = 120;
    for (let i = 1; i <= total; i++) {
      await send(members[i % 4]!, id, `many-${i}`, `message ${i}`, i > 1 ? { reply_to_seq: i - 1 } : {});
    }
    const res = await api("GET", `/v1/conversations/${id}/messages?after_seq=0&limit=1000`, a.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.messages).toHaveLength(total);
    expect(res.body.messages[total - 1].reply_to).toMatchObject({ seq: total - 1 });
    const byRev = await joined(a, id, { after_rev: 0, limit: 1000 });
    open.push(byRev.client);
    expect((await byRev.client.next("messages.batch")).data.messages).toHaveLength(total);
  });
});

describe("mute", () => {
  it("a muted conversation notifies no one until the mute ends; its unread count still moves, and the inbox says it is muted", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    const muted = await api("PUT", `/v1/conversations/${id}/mute`, b.token, {});
    expect(muted.body).toEqual({ muted: true });
    await send(a, id, "m1", `@${b.username} are you there?`);
    // The unread count moves; no notification is kept.
    const deadline = Date.now() + 8000;
    let entry: any;
    while (Date.now() < deadline) {
      entry = (await api("GET", "/v1/conversations", b.token)).body.conversations.find((c: { id: string }) => c.id === id);
      if (entry?.last_seq === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(entry).toMatchObject({ last_seq: 1, unread: 1, muted: true });
    expect((await api("GET", "/v1/notifications", b.token)).body.notifications.filter((n: { kind: string }) => n.kind === "mention")).toEqual([]);

    // A mute with an end that has passed is no mute; unmuting works too.
    const soon = Date.now() + 200;
    expect((await api("PUT", `/v1/conversations/${id}/mute`, b.token, { until: soon })).body).toEqual({ muted: true, muted_until: soon });
    await new Promise((r) => setTimeout(r, 300));
    await send(a, id, "m2", `@${b.username} now?`);
    const seen = Date.now() + 8000;
    let mentions: unknown[] = [];
    while (Date.now() < seen && mentions.length === 0) {
      mentions = (await api("GET", "/v1/notifications", b.token)).body.notifications.filter((n: { kind: string }) => n.kind === "mention");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(mentions).toHaveLength(1);
    expect((await api("DELETE", `/v1/conversations/${id}/mute`, b.token)).body).toEqual({ muted: false });
    // Only members mute.
    const stranger = await login();
    expect([403, 404]).toContain((await api("PUT", `/v1/conversations/${id}/mute`, stranger.token, {})).status);
    expect((await api("PUT", `/v1/conversations/${id}/mute`, b.token, { until: "tomorrow" })).status).toBe(400);
  });
});
