import { describe, expect, it } from "vitest";
import { api, createDirect, joined, login, restartActor } from "./helpers.ts";


describe("an actor restarted between messages", () => {
  it("continues seq without gap or repeat", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    for (let i = 1; i <= 3; i++) {
      const res = await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: `before-${i}`, body: `m${i}` });
      expect(res.body.seq).toBe(i);
    }
    await restartActor(id);
    const { client } = await joined(b, id, { after_seq: 0 });
    const batch = await client.next("messages.batch");
    expect(batch.data.messages.map((m: { seq: number }) => m.seq)).toEqual([1, 2, 3]);
    const res = await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "after-1", body: "m4" });
    expect(res.body.seq).toBe(4);
    const live = await client.next("message.new");
    expect(live.data.message.seq).toBe(4);
    client.close();
  });
});
