import { describe, expect, it } from "vitest";
import type { AnyFrame, Client } from "../support/client.ts";
import { api, createGroup, joined, login, openSocket, type Session } from "./helpers.ts";

/** Sends `count` messages over REST as `who`, numbered from `from`. */
async function sendMany(who: Session, id: string, prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await api("POST", `/v1/conversations/${id}/messages`, who.token, { client_msg_id: `${prefix}-${i}`, body: `${prefix} ${i}` });
    expect(res.status).toBe(200);
  }
}

/**
 * Collects what a rejoining socket receives: the replay batch, then `sync`
 * pages while `has_more`, then live `message.new` — the order a client reads them in.
 */
async function drainReplay(client: Client, pageLimit: number, first?: AnyFrame): Promise<number[]> {
  const seen: number[] = [];
  let batch = first ?? (await client.next("messages.batch"));
  for (let pages = 0; pages < 100; pages++) {
    seen.push(...batch.data.messages.map((m: { seq: number }) => m.seq));
    if (!batch.data.has_more) return seen;
    batch = await client.request("sync", { after_seq: seen.at(-1), limit: pageLimit });
    expect(batch.type).toBe("messages.batch");
  }
  throw new Error("replay did not end");
}

describe("a rejoin with after_seq", () => {
  it("receives every later message exactly once, across paging and the replay/live seam", async () => {
    const owner = await login();
    const m1 = await login();
    const m2 = await login();
    const reader = await login();
    const id = await createGroup(owner, [m1, m2, reader]);
    await sendMany(m1, id, "early", 12);

    // The reader saw up to seq 5, then left.
    const { client } = await openSocket(reader.token, id);
    await client!.request("hello");
    // Others keep sending while the reader replays in pages of 4.
    const senders = Promise.all([sendMany(m1, id, "during-a", 10), sendMany(m2, id, "during-b", 10)]);
    const joinAnswer = await client!.request("conversation.join", { after_seq: 5, limit: 4 });
    expect(joinAnswer.type).toBe("conversation.joined");
    const replayed = await drainReplay(client!, 4);
    await senders;
    // Everything after the replay arrives live.
    const last = (await api("GET", `/v1/conversations/${id}`, reader.token)).body.conversation.last_seq as number;
    expect(last).toBe(32);
    const liveNeeded = last - (replayed.at(-1) ?? 5);
    const live = (await client!.waitFor("message.new", liveNeeded)).map((d) => d.message.seq);
    await client!.quiet(200);
    const all = [...replayed, ...client!.all("message.new").map((d) => d.message.seq)];
    expect(all).toEqual(Array.from({ length: last - 5 }, (_, i) => i + 6));
    expect(live.length).toBe(liveNeeded);
    expect(client!.violations).toEqual([]);
    client!.close();
  });

  it("gets no message.new while it still has replay pages to fetch", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    await sendMany(a, id, "old", 6);
    const { client } = await joined(b, id, { after_seq: 0, limit: 2 });
    const first = await client.next("messages.batch");
    expect(first.data.messages.map((m: { seq: number }) => m.seq)).toEqual([1, 2]);
    expect(first.data.has_more).toBe(true);
    await sendMany(a, id, "new", 2); // seq 7, 8 while the socket is mid-replay
    await client.quiet(200);
    expect(client.all("message.new")).toEqual([]);
    const rest = await drainReplay(client, 100, first);
    expect(rest).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await sendMany(a, id, "later", 1);
    expect((await client.next("message.new")).data.message.seq).toBe(9);
    client.close();
  });

  it("with after_seq at the end gets an empty batch and goes live", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    await sendMany(a, id, "x", 3);
    const { client } = await joined(b, id, { after_seq: 3 });
    const batch = await client.next("messages.batch");
    expect(batch.data).toEqual({ messages: [], has_more: false });
    await sendMany(a, id, "y", 1);
    expect((await client.next("message.new")).data.message.seq).toBe(4);
    client.close();
  });

  it("without after_seq sends no replay and goes live at once", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    await sendMany(a, id, "x", 2);
    const { client, joinedFrame } = await joined(b, id);
    expect(joinedFrame.data.conversation.last_seq).toBe(2);
    await sendMany(a, id, "y", 1);
    expect((await client.next("message.new")).data.message.seq).toBe(3);
    expect(client.all("messages.batch")).toEqual([]);
    client.close();
  });

  it("a socket joins once; a second join is a conflict", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    const { client } = await joined(b, id);
    const again = await client.request("conversation.join", { after_seq: 0 });
    expect(again.type).toBe("error");
    expect(again.data.code).toBe("conflict");
    client.close();
  });
});
