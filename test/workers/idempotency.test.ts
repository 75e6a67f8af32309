import { describe, expect, it } from "vitest";
import { api, createDirect, joined, login, restartActor } from "./helpers.ts";

async function history(token: string, id: string) {
  const res = await api("GET", `/v1/conversations/${id}/messages?after_seq=0&limit=1000`, token);
  expect(res.status).toBe(200);
  return res.body.messages as Array<{ seq: number; client_msg_id: string; body: string }>;
}

describe("a repeated client_msg_id creates nothing", () => {
  it("on the same socket: the ack repeats seq and server_msg_id, duplicate:true, and no second message.new", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const { client: ca } = await joined(a, id);
    const { client: cb } = await joined(b, id);
    const first = await ca.request("message.send", { client_msg_id: "same", body: "once" });
    const again = await ca.request("message.send", { client_msg_id: "same", body: "once" });
    expect(again.type).toBe("message.ack");
    expect(again.data).toEqual({ ...first.data, duplicate: true });
    expect(first.data.duplicate).toBe(false);
    await cb.next("message.new");
    await cb.quiet(200);
    expect(cb.all("message.new")).toHaveLength(1);
    expect(ca.all("message.new")).toHaveLength(1);
    expect(await history(a.token, id)).toHaveLength(1);
    ca.close();
    cb.close();
  });

  it("after a reconnect", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const { client: cb } = await joined(b, id);
    const s1 = await joined(a, id);
    const first = await s1.client.request("message.send", { client_msg_id: "retry-me", body: "x" });
    s1.client.close();
    const s2 = await joined(a, id);
    const again = await s2.client.request("message.send", { client_msg_id: "retry-me", body: "x" });
    expect(again.data).toEqual({ ...first.data, duplicate: true });
    await cb.next("message.new");
    await cb.quiet(200);
    expect(cb.all("message.new")).toHaveLength(1);
    s2.client.close();
    cb.close();
  });

  it("over REST, including a key first used on the socket", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const { client: cb } = await joined(b, id);
    const r1 = await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "rest-1", body: "x" });
    const r2 = await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "rest-1", body: "x" });
    expect(r1.status).toBe(200);
    expect(r1.body.duplicate).toBe(false);
    expect(r2.status).toBe(200);
    expect(r2.body).toEqual({ ...r1.body, duplicate: true });
    const { client: ca } = await joined(a, id);
    const viaSocket = await ca.request("message.send", { client_msg_id: "rest-1", body: "x" });
    expect(viaSocket.data).toEqual({ ...r1.body, duplicate: true });
    await cb.next("message.new");
    await cb.quiet(200);
    expect(cb.all("message.new")).toHaveLength(1);
    expect(await history(a.token, id)).toHaveLength(1);
    ca.close();
    cb.close();
  });

  it("after the actor was restarted", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const r1 = await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "survives", body: "x" });
    await restartActor(id);
    const { client: cb } = await joined(b, id);
    const { client: ca } = await joined(a, id);
    const again = await ca.request("message.send", { client_msg_id: "survives", body: "x" });
    expect(again.data).toEqual({ ...r1.body, duplicate: true });
    await cb.quiet(200);
    expect(cb.all("message.new")).toHaveLength(0);
    expect(await history(a.token, id)).toHaveLength(1);
    ca.close();
    cb.close();
  });

  it("keys are per sender: the same client_msg_id from two users makes two messages", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const ra = await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "k", body: "from a" });
    const rb = await api("POST", `/v1/conversations/${id}/messages`, b.token, { client_msg_id: "k", body: "from b" });
    expect([ra.body.seq, rb.body.seq]).toEqual([1, 2]);
    expect(rb.body.duplicate).toBe(false);
  });
});
