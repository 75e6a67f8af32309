import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createDirect, joined, login } from "./helpers.ts";

/** Makes the conversation's storage refuse new messages, as a failing disk would; `heal` undoes it. */
async function failWrites(conversationId: string): Promise<{ heal: () => Promise<void> }> {
  const stub = () => env.CONVERSATION.get(env.CONVERSATION.idFromName(conversationId));
  await runInDurableObject(stub(), (_i, state) => {
    state.storage.sql.exec("CREATE TRIGGER refuse_messages BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk refused the write'); END");
  });
  return {
    heal: () =>
      runInDurableObject(stub(), (_i, state) => {
        state.storage.sql.exec("DROP TRIGGER refuse_messages");
      }),
  };
}

describe("no ack without a durable write", () => {
  it("a send whose write fails gets internal, no ack, no message.new, and uses no seq", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const { client: ca } = await joined(a, id);
    const { client: cb } = await joined(b, id);
    expect((await ca.request("message.send", { client_msg_id: "ok-1", body: "first" })).data.seq).toBe(1);
    await cb.next("message.new");

    const fault = await failWrites(id);
    const failed = await ca.request("message.send", { client_msg_id: "lost-1", body: "refused by the disk" });
    expect(failed.type).toBe("error");
    expect(failed.data).toMatchObject({ code: "internal", retryable: true });
    // The reason stays on the server: no internals reach the client.
    expect(failed.data.message).not.toMatch(/disk|SQL|trigger/i);
    const rest = await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "lost-2", body: "also refused" });
    expect(rest.status).toBe(500);
    expect(rest.body.code).toBe("internal");
    await cb.quiet(200);
    expect(cb.all("message.new")).toHaveLength(1);

    await fault.heal();
    // The retry of the refused message succeeds with the next seq: nothing was half-written.
    const retried = await ca.request("message.send", { client_msg_id: "lost-1", body: "refused by the disk" });
    expect(retried.data).toMatchObject({ seq: 2, duplicate: false });
    expect((await cb.next("message.new")).data.message.seq).toBe(2);
    const history = await api("GET", `/v1/conversations/${id}/messages`, b.token);
    expect(history.body.messages.map((m: { seq: number; client_msg_id: string }) => [m.seq, m.client_msg_id])).toEqual([
      [1, "ok-1"],
      [2, "lost-1"],
    ]);
    ca.close();
    cb.close();
    await Promise.all([ca.closed, cb.closed]);
  });
});
