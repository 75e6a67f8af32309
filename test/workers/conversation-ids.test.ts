/**
 * Conversation ids carry a MAC the Worker checks before it addresses an
 * actor, and a conversation actor that is only read stores nothing
 * (decision 0015). Whether an actor was ever instantiated is read from the
 * runtime's list of objects with storage (`listDurableObjectIds`: workerd
 * creates an object's database file when it is first instantiated).
 */
import { env, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ErrorBody } from "../../src/protocol/index.ts";
import { randomId } from "../../src/shared/ids.ts";
import { FORWARDED } from "../../src/shared/sockets.ts";
import { api, createDirect, createGroup, login, openSocket, restartActor } from "./helpers.ts";

/** True when the namespace holds an object (its storage) for this name. */
async function instantiated(name: string): Promise<boolean> {
  const want = env.CONVERSATION.idFromName(name).toString();
  return (await listDurableObjectIds(env.CONVERSATION)).some((id) => id.toString() === want);
}

/** Every conversation route, for a conversation id. */
function routes(id: string, userId: string): Array<{ method: string; path: string; body?: unknown }> {
  const base = `/v1/conversations/${id}`;
  return [
    { method: "GET", path: base },
    { method: "PATCH", path: base, body: { title: "t" } },
    { method: "GET", path: `${base}/members` },
    { method: "POST", path: `${base}/members`, body: { usernames: ["somebody"] } },
    { method: "DELETE", path: `${base}/members/${userId}` },
    { method: "PATCH", path: `${base}/members/${userId}`, body: { role: "admin" } },
    { method: "GET", path: `${base}/messages` },
    { method: "POST", path: `${base}/messages`, body: { client_msg_id: "k", body: "b" } },
    { method: "POST", path: `${base}/read`, body: { up_to_seq: 1 } },
    { method: "GET", path: `${base}/poll?after_seq=0&timeout_ms=0` },
  ];
}

describe("conversation ids the Worker did not mint", () => {
  it("reach no actor: every conversation route, the socket upgrade and a message report answer 404", async () => {
    const a = await login();
    const b = await login();
    const real = await createGroup(a, [b]);
    const direct = await createDirect(a, b);
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
    const forged = [
      // Well-formed guesses of either kind.
      `${randomId("c_g", 20)}${randomId("", 22)}`,
      `c_d${"0123456789abcdef".repeat(2)}${randomId("", 22)}`,
      // Real ids with their MAC changed.
      flip(real, real.length - 1),
      flip(direct, direct.length - 5),
      // The unsigned formats of before (decision 0015: no longer addressable).
      randomId("c_g", 20),
      `c_d${"fedcba9876543210".repeat(2)}`,
    ];
    for (const id of forged) {
      for (const r of routes(id, b.userId)) {
        const res = await api(r.method, r.path, a.token, r.body);
        expect(res.status, `${r.method} ${r.path}`).toBe(404);
        expect(ErrorBody.parse(res.body)).toMatchObject({ code: "not_found", message: "No such conversation." });
      }
      const socket = await openSocket(a.token, id);
      expect(socket.status, `ws ${id}`).toBe(404);
      const report = await api("POST", "/v1/reports", a.token, { kind: "message", conversation_id: id, seq: 1, reason: "x" });
      expect(report.status, `report ${id}`).toBe(404);
      expect(await instantiated(id), id).toBe(false);
    }
    // The real ones still answer, on the same routes.
    expect((await api("GET", `/v1/conversations/${real}`, a.token)).status).toBe(200);
    expect((await api("GET", `/v1/conversations/${direct}/messages`, b.token)).status).toBe(200);
  });

  it("a token is still checked first: no token is 401, whatever the id", async () => {
    const res = await api("GET", `/v1/conversations/${randomId("c_g", 20)}`, undefined);
    expect(res.status).toBe(401);
  });
});

describe("a conversation actor that is only read", () => {
  it("leaves no tables and no rows behind, whatever it is asked", async () => {
    const name = randomId("c_g", 20);
    const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(name));
    const who = "u_nobody";
    expect((await stub.describe(who)).ok).toBe(false);
    expect((await stub.members(who, undefined, 10)).ok).toBe(false);
    expect((await stub.history(who, {})).ok).toBe(false);
    expect((await stub.inboxView(who, true)).ok).toBe(false);
    expect((await stub.poll(who, { after_seq: 0 }, 0)).ok).toBe(false);
    expect((await stub.messageForReport(who, 1)).ok).toBe(false);
    expect((await stub.markRead(who, 1)).ok).toBe(false);
    // Lifting a block that was never placed has nothing to write either.
    expect((await stub.setBlock("u_x", "u_y", false)).ok).toBe(true);
    const upgrade = await stub.fetch("https://parley.test/ws", { headers: { upgrade: "websocket", [FORWARDED.userId]: who, [FORWARDED.username]: "nobody" } });
    expect(upgrade.status).not.toBe(101);
    const tables = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master").toArray().map((r) => r.name));
    expect(tables).toEqual([]);
  });

  it("creates its schema with the first write, and keeps it across a restart", async () => {
    const a = await login();
    const b = await login();
    // A block is the one write a conversation can get before it is created (decision 0007).
    expect((await api("POST", `/v1/blocks/${b.username}`, a.token)).status).toBe(200);
    expect((await api("DELETE", `/v1/blocks/${b.username}`, a.token)).status).toBe(200);
    const id = await createDirect(a, b);
    const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(id));
    const tables = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().map((r) => r.name));
    expect(tables).toEqual(expect.arrayContaining(["_migrations", "meta", "members", "messages", "blocks", "outbox"]));
    expect((await api("POST", `/v1/conversations/${id}/messages`, b.token, { client_msg_id: "k1", body: "hi" })).status).toBe(200);
    await restartActor(id);
    const again = await api("GET", `/v1/conversations/${id}/messages`, a.token);
    expect(again.body.messages.map((m: { body: string }) => m.body)).toEqual(["hi"]);
  });
});
