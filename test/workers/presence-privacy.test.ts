/**
 * Privacy settings enforced by the server (docs/protocol.md §22.12,
 * decision 0028): `share_presence`, `share_read_receipts` (reciprocal) and
 * `share_typing`. The User actor owns them and tells the conversations,
 * which decide what each reader gets.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { ConversationList, MemberPage } from "../../src/protocol/index.ts";
import { Client, api, createDirect, createGroup, inbox, joined, login, type Session } from "./helpers.ts";

const open: Client[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

function keep<T extends { client: Client }>(got: T): T {
  open.push(got.client);
  return got;
}

async function listedUntil(s: Session, id: string): Promise<void> {
  const deadline = Date.now() + 8000;
  for (;;) {
    const list = ConversationList.parse((await api("GET", "/v1/conversations", s.token)).body).conversations;
    if (list.some((c) => c.id === id)) return;
    if (Date.now() > deadline) throw new Error(`${id} never reached ${s.username}'s inbox`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function contacts(): Promise<{ a: Session; b: Session; id: string }> {
  const [a, b] = [await login(), await login()];
  const id = await createDirect(a, b);
  await Promise.all([listedUntil(a, id), listedUntil(b, id)]);
  return { a, b, id };
}

async function share(s: Session, settings: Record<string, boolean>): Promise<void> {
  const res = await api("PATCH", "/v1/me", s.token, { settings });
  expect(res.status).toBe(200);
  expect(res.body.settings).toMatchObject(settings);
}

function about(client: Client, type: "presence" | "receipt.updated" | "typing", userId: string): any[] {
  return client.all(type).filter((p: { user_id: string }) => p.user_id === userId);
}

describe("share_presence", () => {
  it("off: others see the user offline without a last seen, then nothing; on again: their status comes back", async () => {
    const { a, b, id } = await contacts();
    const ib = keep(await inbox(b)).client;
    const ia = keep(await inbox(a)).client;
    await ib.next((f) => f.type === "presence" && f.data.user_id === a.userId && f.data.status === "online");
    const roomB = keep(await joined(b, id)).client;
    keep(await joined(a, id));
    await roomB.next((f) => f.type === "presence" && f.data.user_id === a.userId && f.data.status === "online");

    await share(a, { share_presence: false });
    // At once, and once: offline without last_seen_at, on the inbox and in the room.
    expect((await ib.next((f) => f.type === "presence" && f.data.user_id === a.userId)).data).toEqual({ user_id: a.userId, status: "offline" });
    expect((await roomB.next((f) => f.type === "presence" && f.data.user_id === a.userId)).data).toEqual({ user_id: a.userId, status: "offline" });
    // Nothing of A from here: a chosen status, a room socket coming and going.
    await ia.request("presence.set", { status: "busy" });
    const second = await joined(a, id);
    second.client.close();
    await ib.quiet(1500);
    expect(about(ib, "presence", a.userId).map((p) => p.status)).toEqual(["online", "offline"]);
    expect(about(roomB, "presence", a.userId).map((p) => p.status)).toEqual(["online", "offline"]);
    // Views: no presence, no last seen; not online in the room's lists.
    expect((await api("GET", `/v1/users/${a.username}`, b.token)).body.user).toEqual({ id: a.userId, username: a.username });
    const page = MemberPage.parse((await api("GET", `/v1/conversations/${id}/members`, b.token)).body);
    const entry = page.members.find((m) => m.user_id === a.userId)!;
    expect(entry.online).toBe(false);
    expect(entry.last_seen_at).toBeUndefined();
    const late = keep(await joined(b, id)).joinedFrame.data;
    expect(late.online).toEqual([b.userId]);
    expect(late.online_count).toBe(1);
    // A still sees themselves.
    const own = keep(await joined(a, id)).joinedFrame.data;
    expect(own.online).toContain(a.userId);
    const { snapshot } = keep(await inbox(b));
    expect(snapshot.presence).toEqual([{ user_id: a.userId, status: "offline" }]);

    await share(a, { share_presence: true });
    expect((await ib.next((f) => f.type === "presence" && f.data.user_id === a.userId)).data).toEqual({ user_id: a.userId, status: "busy" });
    expect((await roomB.next((f) => f.type === "presence" && f.data.user_id === a.userId)).data).toEqual({ user_id: a.userId, status: "online" });
    expect((await api("GET", `/v1/users/${a.username}`, b.token)).body.user).toMatchObject({ presence: "busy" });
    expect(roomB.violations).toEqual([]);
  });
});

describe("share_read_receipts", () => {
  it("off: the user's reads are not relayed (deliveries are, with read_seq 0), their own devices still see them, and they see no one's reads either", async () => {
    const { a, b, id } = await contacts();
    await share(b, { share_read_receipts: false });
    const roomA = keep(await joined(a, id)).client;
    const roomB = keep(await joined(b, id)).client;
    const roomB2 = keep(await joined(b, id)).client;
    for (let i = 1; i <= 3; i++) await roomA.request("message.send", { client_msg_id: `k${i}`, body: `hello ${i}` });

    // B's delivery is relayed to A without the read watermark.
    const delivered = await roomB.request("receipt.delivered", { up_to_seq: 3 });
    expect(delivered.data).toEqual({ user_id: b.userId, read_seq: 0, delivered_seq: 3 });
    expect((await roomA.next((f) => f.type === "receipt.updated" && f.data.user_id === b.userId)).data).toEqual({ user_id: b.userId, read_seq: 0, delivered_seq: 3 });
    // B's read: the requester and B's other socket see it; A hears nothing (a frame now would tell the read).
    expect((await roomB.request("receipt.read", { up_to_seq: 2 })).data).toEqual({ user_id: b.userId, read_seq: 2, delivered_seq: 3 });
    expect((await roomB2.next((f) => f.type === "receipt.updated" && f.data.user_id === b.userId && f.data.read_seq === 2)).data.delivered_seq).toBe(3);
    const rest = await api("POST", `/v1/conversations/${id}/read`, b.token, { up_to_seq: 3 });
    expect(rest.body).toEqual({ user_id: b.userId, read_seq: 3, delivered_seq: 3 });
    await roomA.quiet(500);
    expect(about(roomA, "receipt.updated", b.userId)).toEqual([{ user_id: b.userId, read_seq: 0, delivered_seq: 3 }]);
    // Lists: A sees B's read as 0; B sees their own.
    const joinedA = keep(await joined(a, id)).joinedFrame.data;
    expect(joinedA.receipts.find((r: { user_id: string }) => r.user_id === b.userId)).toEqual({ user_id: b.userId, read_seq: 0, delivered_seq: 3 });
    const pageA = MemberPage.parse((await api("GET", `/v1/conversations/${id}/members`, a.token)).body);
    expect(pageA.members.find((m) => m.user_id === b.userId)).toMatchObject({ read_seq: 0, delivered_seq: 3 });
    const pageB = MemberPage.parse((await api("GET", `/v1/conversations/${id}/members`, b.token)).body);
    expect(pageB.members.find((m) => m.user_id === b.userId)).toMatchObject({ read_seq: 3, delivered_seq: 3 });

    // Reciprocity: A shares, but B does not see A's reads.
    await roomB.request("message.send", { client_msg_id: "kb", body: "from b" });
    await roomA.request("receipt.read", { up_to_seq: 4 });
    expect((await roomB.next((f) => f.type === "receipt.updated" && f.data.user_id === a.userId)).data).toEqual({ user_id: a.userId, read_seq: 0, delivered_seq: 4 });
    expect(pageB.members.find((m) => m.user_id === a.userId)).toMatchObject({ read_seq: 0 });

    // On again: reads pass both ways.
    await share(b, { share_read_receipts: true });
    await roomA.request("message.send", { client_msg_id: "k5", body: "five" });
    await roomB.request("receipt.read", { up_to_seq: 5 });
    expect((await roomA.next((f) => f.type === "receipt.updated" && f.data.user_id === b.userId && f.data.read_seq === 5)).data.delivered_seq).toBe(5);
    expect(roomA.violations).toEqual([]);
  });
});

describe("share_typing", () => {
  it("off: the user's typing is relayed to no one; others' typing still reaches them", async () => {
    const { a, b, id } = await contacts();
    await share(a, { share_typing: false });
    const roomA = keep(await joined(a, id)).client;
    const roomB = keep(await joined(b, id)).client;
    roomA.send("typing.start");
    roomA.send("typing.stop");
    roomB.send("typing.start");
    expect((await roomA.next("typing")).data).toMatchObject({ user_id: b.userId, state: "start" });
    await roomB.quiet(500);
    expect(about(roomB, "typing", a.userId)).toEqual([]);
    await share(a, { share_typing: true });
    await new Promise((r) => setTimeout(r, 2100)); // past the per-user relay interval of the earlier start
    roomA.send("typing.start");
    expect((await roomB.next("typing")).data).toMatchObject({ user_id: a.userId, state: "start" });
  });

  it("holds in a conversation created after the change, which is told at the member's first socket", async () => {
    const [owner, shy] = [await login(), await login()];
    await share(shy, { share_typing: false });
    const group = await createGroup(owner, [shy]);
    const roomOwner = keep(await joined(owner, group)).client;
    const roomShy = keep(await joined(shy, group)).client;
    roomShy.send("typing.start");
    await roomOwner.quiet(700);
    expect(about(roomOwner, "typing", shy.userId)).toEqual([]);
  });

  it("a conversation that lost the setting learns it again from its next inbox update", async () => {
    const { a, b, id } = await contacts();
    await share(a, { share_typing: false });
    // The conversation forgets (as if the push had been lost).
    const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(id));
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE members SET privacy = 0, privacy_version = 0 WHERE user_id = ?", a.userId);
    });
    await runInDurableObject(stub, (_i, state) => state.abort("reload the cache")).catch(() => undefined);
    // A message: the sweep tells A's actor that the conversation holds version 0; it tells it again.
    const roomB = keep(await joined(b, id)).client;
    await roomB.request("message.send", { client_msg_id: "k1", body: "hi" });
    const fresh = env.CONVERSATION.get(env.CONVERSATION.idFromName(id));
    const deadline = Date.now() + 8000;
    for (;;) {
      const mask = await runInDurableObject(fresh, (_i, state) =>
        state.storage.sql.exec<{ privacy: number }>("SELECT privacy FROM members WHERE user_id = ?", a.userId).one().privacy);
      if (mask !== 0) break;
      if (Date.now() > deadline) throw new Error("the conversation never learnt the setting again");
      await new Promise((r) => setTimeout(r, 100));
    }
    const roomA = keep(await joined(a, id)).client;
    roomA.send("typing.start");
    await roomB.quiet(700);
    expect(about(roomB, "typing", a.userId)).toEqual([]);
  });
});
