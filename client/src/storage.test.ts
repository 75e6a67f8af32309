import { describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.ts";
import { defaultStorage, memoryStorage, mergeMessages, type StoredConversation } from "./storage.ts";

const msg = (seq: number, rev = seq, body = `m${seq}`): Message => ({
  conversation_id: "c_1", seq, rev, server_msg_id: `m_${seq}`, client_msg_id: `k${seq}`, sender_id: "u_1", body, created_at: seq,
});

describe("mergeMessages", () => {
  it("keeps the newest, ascending, one per seq, a fresh copy replacing a cached one", () => {
    const merged = mergeMessages([msg(1), msg(2), msg(3)], [msg(2, 9, "edited"), msg(4)], 3);
    expect(merged.map((m) => [m.seq, m.body])).toEqual([[2, "edited"], [3, "m3"], [4, "m4"]]);
  });
});

describe("memoryStorage", () => {
  it("stores copies: a record changed after set or get does not change what is stored", async () => {
    const storage = memoryStorage();
    const record: StoredConversation = { userId: "u_1", conversationId: "c_1", lastSeq: 1, lastRev: 1, messages: [msg(1)], outbox: [], savedAt: 0 };
    await storage.set("u_1/c_1", record);
    record.lastSeq = 99;
    const got = await storage.get("u_1/c_1");
    expect(got?.lastSeq).toBe(1);
    got!.messages.push(msg(2));
    expect((await storage.get("u_1/c_1"))?.messages).toHaveLength(1);
    await storage.delete("u_1/c_1");
    expect(await storage.get("u_1/c_1")).toBeUndefined();
  });

  it("is the default where there is no IndexedDB (Node)", async () => {
    const storage = defaultStorage();
    await storage.set("k", { userId: "u", conversationId: "c", lastSeq: 0, lastRev: 0, messages: [], outbox: [], savedAt: 0 });
    expect((await storage.get("k"))?.userId).toBe("u");
  });
});
