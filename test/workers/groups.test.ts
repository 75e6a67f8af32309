import { describe, expect, it } from "vitest";
import { ConversationView, ErrorBody } from "../../src/protocol/index.ts";
import { api, createDirect, createGroup, joined, login, openSocket, type Session } from "./helpers.ts";

/** The pool runs with MAX_GROUP_MEMBERS=12 (vitest.config.mts). */
const LIMIT = 12;

async function members(session: Session, id: string) {
  const res = await api("GET", `/v1/conversations/${id}`, session.token);
  return ConversationView.parse(res.body.conversation).members;
}

describe("groups", () => {
  it("admins and the owner add members; members cannot; adding is idempotent", async () => {
    const owner = await login();
    const m = await login();
    const newcomer = await login();
    const id = await createGroup(owner, [m]);
    const denied = await api("POST", `/v1/conversations/${id}/members`, m.token, { usernames: [newcomer.username] });
    expect(denied.status).toBe(403);
    expect(ErrorBody.parse(denied.body).code).toBe("forbidden");
    const added = await api("POST", `/v1/conversations/${id}/members`, owner.token, { usernames: [newcomer.username] });
    expect(added.status).toBe(200);
    expect(added.body.added).toEqual([{ user_id: newcomer.userId, username: newcomer.username, role: "member" }]);
    const again = await api("POST", `/v1/conversations/${id}/members`, owner.token, { usernames: [newcomer.username] });
    expect(again.body.added).toEqual([]);
    expect((await members(owner, id)).map((x) => x.user_id)).toEqual([owner.userId, m.userId, newcomer.userId]);
  });

  it("member.joined and member.left reach the connected members", async () => {
    const owner = await login();
    const m = await login();
    const newcomer = await login();
    const id = await createGroup(owner, [m]);
    const { client } = await joined(m, id);
    await api("POST", `/v1/conversations/${id}/members`, owner.token, { usernames: [newcomer.username] });
    expect((await client.next("member.joined")).data).toEqual({ user_id: newcomer.userId, username: newcomer.username, role: "member" });
    await api("DELETE", `/v1/conversations/${id}/members/${newcomer.userId}`, owner.token);
    expect((await client.next("member.left")).data).toEqual({ user_id: newcomer.userId, username: newcomer.username, role: "member" });
    client.close();
  });

  it("a member removed while connected gets connection.closing{removed} and 4003, and can no longer connect or read", async () => {
    const owner = await login();
    const m = await login();
    const id = await createGroup(owner, [m]);
    const { client } = await joined(m, id);
    const res = await api("DELETE", `/v1/conversations/${id}/members/${m.userId}`, owner.token);
    expect(res.status).toBe(200);
    expect((await client.next("connection.closing")).data).toEqual({ reason: "removed", retry: false });
    expect((await client.closed).code).toBe(4003);
    // From now on a non-member: answered as for an unknown id (404), not told the group is still there.
    expect((await openSocket(m.token, id)).status).toBe(404);
    expect((await api("GET", `/v1/conversations/${id}/messages`, m.token)).status).toBe(404);
    expect((await api("POST", `/v1/conversations/${id}/messages`, m.token, { client_msg_id: "x", body: "y" })).status).toBe(404);
  });

  it("removal follows rank; leaving is removing yourself; the owner must hand over first", async () => {
    const owner = await login();
    const admin = await login();
    const m1 = await login();
    const m2 = await login();
    const id = await createGroup(owner, [admin, m1, m2]);
    expect((await api("PATCH", `/v1/conversations/${id}/members/${admin.userId}`, owner.token, { role: "admin" })).status).toBe(200);
    expect((await api("PATCH", `/v1/conversations/${id}/members/${m1.userId}`, admin.token, { role: "admin" })).status).toBe(403);
    expect((await api("DELETE", `/v1/conversations/${id}/members/${owner.userId}`, admin.token)).status).toBe(403);
    expect((await api("DELETE", `/v1/conversations/${id}/members/${admin.userId}`, m1.token)).status).toBe(403);
    expect((await api("DELETE", `/v1/conversations/${id}/members/${m1.userId}`, admin.token)).status).toBe(200);
    expect((await api("DELETE", `/v1/conversations/${id}/members/${m2.userId}`, m2.token)).status).toBe(200); // leaves
    const ownerLeaves = await api("DELETE", `/v1/conversations/${id}/members/${owner.userId}`, owner.token);
    expect(ownerLeaves.status).toBe(409);
    expect(ownerLeaves.body.message).toMatch(/hand over/);
    // Hand over: the admin becomes owner, the former owner an admin, who may then leave.
    const handover = await api("PATCH", `/v1/conversations/${id}/members/${admin.userId}`, owner.token, { role: "owner" });
    expect(handover.status).toBe(200);
    expect(handover.body.conversation.members).toEqual([
      { user_id: owner.userId, username: owner.username, role: "admin" },
      { user_id: admin.userId, username: admin.username, role: "owner" },
    ]);
    expect((await api("DELETE", `/v1/conversations/${id}/members/${owner.userId}`, owner.token)).status).toBe(200);
    expect((await members(admin, id)).map((x) => [x.user_id, x.role])).toEqual([[admin.userId, "owner"]]);
  });

  it("the title changes by admins and the owner only", async () => {
    const owner = await login();
    const m = await login();
    const id = await createGroup(owner, [m], "Old");
    expect((await api("PATCH", `/v1/conversations/${id}`, m.token, { title: "Nope" })).status).toBe(403);
    const res = await api("PATCH", `/v1/conversations/${id}`, owner.token, { title: "  New  " });
    expect(res.status).toBe(200);
    expect(res.body.conversation.title).toBe("New");
    expect((await api("PATCH", `/v1/conversations/${id}`, owner.token, { title: "" })).status).toBe(400);
  });

  it("a direct conversation's membership never changes", async () => {
    const a = await login();
    const b = await login();
    const c = await login();
    const id = await createDirect(a, b);
    expect((await api("POST", `/v1/conversations/${id}/members`, a.token, { usernames: [c.username] })).status).toBe(409);
    expect((await api("DELETE", `/v1/conversations/${id}/members/${b.userId}`, a.token)).status).toBe(409);
    expect((await api("DELETE", `/v1/conversations/${id}/members/${a.userId}`, a.token)).status).toBe(409);
    expect((await api("PATCH", `/v1/conversations/${id}`, a.token, { title: "x" })).status).toBe(409);
  });

  it(`concurrent adds never take a group past its limit (${LIMIT})`, async () => {
    const owner = await login();
    const seed = await Promise.all([login(), login()]);
    const id = await createGroup(owner, seed);
    const candidates = await Promise.all(Array.from({ length: 20 }, () => login()));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api("POST", `/v1/conversations/${id}/members`, owner.token, { usernames: [candidates[2 * i]!.username, candidates[2 * i + 1]!.username] }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    const full = results.filter((r) => r.status === 409);
    expect(ok.length + full.length).toBe(10);
    for (const r of full) expect(r.body.code).toBe("conflict");
    const count = (await members(owner, id)).length;
    expect(count).toBeLessThanOrEqual(LIMIT);
    expect(count).toBe(3 + 2 * ok.length);
    expect(ok.length).toBe(Math.floor((LIMIT - 3) / 2));
  });

  it("a group cannot be created larger than the limit", async () => {
    const owner = await login();
    const others = await Promise.all(Array.from({ length: LIMIT }, () => login()));
    const res = await api("POST", "/v1/conversations", owner.token, { kind: "group", title: "big", members: others.map((o) => o.username) });
    expect(res.status).toBe(409);
  });

  it("member routes refuse bad input with the error object", async () => {
    const owner = await login();
    const m = await login();
    const id = await createGroup(owner, [m]);
    const cases: Array<[string, string, unknown, number]> = [
      ["POST", `/v1/conversations/${id}/members`, {}, 400],
      ["POST", `/v1/conversations/${id}/members`, { usernames: [] }, 400],
      ["POST", `/v1/conversations/${id}/members`, { usernames: ["no such user here"] }, 400],
      ["POST", `/v1/conversations/${id}/members`, { usernames: ["ghost_nobody_x"] }, 404],
      ["PATCH", `/v1/conversations/${id}/members/${m.userId}`, { role: "king" }, 400],
      ["PATCH", `/v1/conversations/${id}/members/not-an-id`, { role: "admin" }, 404],
      ["DELETE", `/v1/conversations/${id}/members/u_nobody`, undefined, 404],
      ["POST", `/v1/conversations/${id}/read`, { up_to_seq: -1 }, 400],
      ["POST", `/v1/conversations/c_nothere/members`, { usernames: [m.username] }, 404],
    ];
    for (const [method, path, body, status] of cases) {
      const res = await api(method, path, owner.token, body);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      expect(ErrorBody.safeParse(res.body).success).toBe(true);
    }
  });
});

describe("group budgets", () => {
  it("a user creates at most 20 groups in 10 minutes (GROUP_CREATE_RATE), then gets 429 with Retry-After; others are not affected", async () => {
    const a = await login();
    for (let i = 0; i < 20; i++) {
      expect((await api("POST", "/v1/conversations", a.token, { kind: "group", title: `g${i}` })).status, `group ${i + 1}`).toBe(201);
    }
    const refused = await api("POST", "/v1/conversations", a.token, { kind: "group", title: "one too many" });
    expect(refused.status).toBe(429);
    expect(ErrorBody.parse(refused.body)).toMatchObject({ code: "rate_limited", retryable: true });
    expect(refused.body.retry_after_ms).toBeGreaterThan(0);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const b = await login();
    expect((await api("POST", "/v1/conversations", b.token, { kind: "group", title: "mine" })).status).toBe(201);
  });

  it("people added count against the adder's budget, at creation and later: one request naming many costs as many", async () => {
    // The pool runs with GROUP_ADD_RATE=40/3600000 (vitest.config.mts).
    const owner = await login();
    const people = await Promise.all(Array.from({ length: LIMIT - 1 }, () => login()));
    for (let i = 0; i < 3; i++) await createGroup(owner, people, `full ${i}`); // 3 × 11 = 33 people
    // Eleven more would pass 40: refused whole, nothing is created.
    const big = await api("POST", "/v1/conversations", owner.token, { kind: "group", title: "too many", members: people.map((p) => p.username) });
    expect(big.status).toBe(429);
    expect(ErrorBody.parse(big.body).code).toBe("rate_limited");
    // Seven fit.
    const id = await createGroup(owner, people.slice(0, 7), "fits");
    // The budget is spent: adding one more person is refused too.
    const add = await api("POST", `/v1/conversations/${id}/members`, owner.token, { usernames: [people[7]!.username] });
    expect(add.status).toBe(429);
    expect((await members(owner, id)).length).toBe(8);
    // Someone else's budget is their own.
    const other = await login();
    expect((await api("POST", "/v1/conversations", other.token, { kind: "group", title: "x", members: people.map((p) => p.username) })).status).toBe(201);
  });
});
