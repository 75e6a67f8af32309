import { describe, expect, it } from "vitest";
import { ConversationResponse, ErrorBody, HistoryPage, LoginResponse, MessageAck } from "../../src/protocol/index.ts";
import { api, createDirect, joined, login, uniqueName } from "./helpers.ts";

describe("REST", () => {
  it("GET /healthz answers ok", async () => {
    const res = await api("GET", "/healthz", undefined);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, protocol: 1 });
  });

  it("dev-login answers the login shape and keeps one id per username, regardless of case", async () => {
    const name = uniqueName("Case");
    const first = await api("POST", "/v1/auth/dev-login", undefined, { username: name });
    expect(LoginResponse.parse(first.body).user.username).toBe(name);
    const again = await api("POST", "/v1/auth/dev-login", undefined, { username: name.toLowerCase() });
    expect(again.body.user.id).toBe(first.body.user.id);
    expect(first.body.expires_at).toBeGreaterThan(Date.now());
    for (const bad of [{}, { username: "ab" }, { username: "has space" }, { username: "x".repeat(33) }]) {
      const res = await api("POST", "/v1/auth/dev-login", undefined, bad);
      expect(res.status).toBe(400);
      expect(ErrorBody.parse(res.body).code).toBe("bad_request");
    }
  });

  it("a direct conversation is created once: ten concurrent creates from both sides give one id", async () => {
    const a = await login();
    const b = await login();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? api("POST", "/v1/conversations", a.token, { kind: "direct", with: b.username })
          : api("POST", "/v1/conversations", b.token, { kind: "direct", with: a.username.toUpperCase() }),
      ),
    );
    const ids = new Set(results.map((r) => ConversationResponse.parse(r.body).conversation.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(9);
    const conv = results[0]!.body.conversation;
    expect(conv.kind).toBe("direct");
    expect(conv.members).toHaveLength(2);
  });

  it("conversation creation refuses bad input", async () => {
    const a = await login();
    const cases: Array<[unknown, number, string]> = [
      [{ kind: "direct" }, 400, "bad_request"],
      [{ kind: "direct", with: a.username }, 400, "bad_request"],
      [{ kind: "direct", with: uniqueName("ghost") }, 404, "not_found"],
      [{ kind: "channel", title: "x" }, 400, "bad_request"],
      [{ kind: "group", title: "" }, 400, "bad_request"],
      [{ kind: "group", title: "t", members: [uniqueName("ghost")] }, 404, "not_found"],
      ["{not json", 400, "bad_request"],
    ];
    for (const [body, status, code] of cases) {
      const res = await api("POST", "/v1/conversations", a.token, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(ErrorBody.parse(res.body).code).toBe(code);
    }
    const unauth = await api("POST", "/v1/conversations", undefined, { kind: "group", title: "t" });
    expect(unauth.status).toBe(401);
  });

  it("a group has its creator as owner and the others as members", async () => {
    const a = await login();
    const b = await login();
    const c = await login();
    const res = await api("POST", "/v1/conversations", a.token, { kind: "group", title: "Team", members: [b.username, c.username, a.username] });
    expect(res.status).toBe(201);
    const conv = ConversationResponse.parse(res.body).conversation;
    expect(conv.title).toBe("Team");
    expect(conv.members).toEqual([
      { user_id: a.userId, username: a.username, role: "owner" },
      { user_id: b.userId, username: b.username, role: "member" },
      { user_id: c.userId, username: c.username, role: "member" },
    ]);
    const view = await api("GET", `/v1/conversations/${conv.id}`, c.token);
    expect(view.body.conversation).toEqual(conv);
  });

  it("history pages forward with after_seq and backward with before_seq, ascending, with has_more", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    for (let i = 1; i <= 7; i++) {
      const r = await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: `h${i}`, body: `m${i}` });
      expect(MessageAck.parse(r.body).seq).toBe(i);
    }
    const seqs = (body: unknown) => HistoryPage.parse(body).messages.map((m) => m.seq);
    const latest = await api("GET", `/v1/conversations/${id}/messages?limit=3`, b.token);
    expect(seqs(latest.body)).toEqual([5, 6, 7]);
    expect(latest.body.has_more).toBe(true);
    const before = await api("GET", `/v1/conversations/${id}/messages?before_seq=5&limit=3`, b.token);
    expect(seqs(before.body)).toEqual([2, 3, 4]);
    expect(before.body.has_more).toBe(true);
    const first = await api("GET", `/v1/conversations/${id}/messages?before_seq=2&limit=3`, b.token);
    expect(seqs(first.body)).toEqual([1]);
    expect(first.body.has_more).toBe(false);
    const after = await api("GET", `/v1/conversations/${id}/messages?after_seq=4&limit=2`, b.token);
    expect(seqs(after.body)).toEqual([5, 6]);
    expect(after.body.has_more).toBe(true);
    const window = await api("GET", `/v1/conversations/${id}/messages?after_seq=2&before_seq=5`, b.token);
    expect(seqs(window.body)).toEqual([3, 4]);
    expect(window.body.has_more).toBe(false);
    for (const q of ["limit=0", "limit=1001", "after_seq=-1", "before_seq=abc", "limit=2.5"]) {
      const res = await api("GET", `/v1/conversations/${id}/messages?${q}`, b.token);
      expect(res.status, q).toBe(400);
    }
  });

  it("a REST send is validated, acked with the message.ack fields and broadcast to sockets", async () => {
    const a = await login();
    const b = await login();
    const stranger = await login();
    const id = await createDirect(a, b);
    const { client } = await joined(b, id);
    const res = await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "rest", body: "over http", reply_to_seq: undefined });
    expect(res.status).toBe(200);
    expect(MessageAck.parse(res.body)).toMatchObject({ client_msg_id: "rest", seq: 1, duplicate: false });
    const got = await client.next("message.new");
    expect(got.data.message).toMatchObject({ seq: 1, body: "over http", sender_id: a.userId, server_msg_id: res.body.server_msg_id });
    const reply = await api("POST", `/v1/conversations/${id}/messages`, b.token, { client_msg_id: "re", body: "reply", reply_to_seq: 1 });
    expect(reply.body.seq).toBe(2);
    const page = await api("GET", `/v1/conversations/${id}/messages`, a.token);
    expect(page.body.messages[1].reply_to_seq).toBe(1);
    expect("reply_to_seq" in page.body.messages[0]).toBe(false);
    const bad: Array<[unknown, number]> = [
      [{ client_msg_id: "x" }, 400],
      [{ client_msg_id: "x", body: " " }, 400],
      [{ client_msg_id: "x y", body: "b" }, 400],
      [{ client_msg_id: "x", body: "b", reply_to_seq: 50 }, 400],
    ];
    for (const [body, status] of bad) {
      const r = await api("POST", `/v1/conversations/${id}/messages`, a.token, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
    }
    // A stranger is told what an unknown id is told: 404, nothing about the conversation.
    expect((await api("POST", `/v1/conversations/${id}/messages`, stranger.token, { client_msg_id: "s", body: "b" })).status).toBe(404);
    expect((await api("GET", `/v1/conversations/${id}/messages`, stranger.token)).status).toBe(404);
    expect((await api("GET", `/v1/conversations/${id}`, stranger.token)).status).toBe(404);
    expect((await api("GET", `/v1/conversations/c_unknown/messages`, a.token)).status).toBe(404);
    client.close();
  });

  it("bodies over 64 KiB are 413 payload_too_large; unknown routes are 404 with the error object", async () => {
    const a = await login();
    const big = await api("POST", "/v1/conversations", a.token, JSON.stringify({ kind: "group", title: "x".repeat(70_000) }));
    expect(big.status).toBe(413);
    expect(ErrorBody.parse(big.body).code).toBe("payload_too_large");
    const missing = await api("GET", "/v1/nothing-here", a.token);
    expect(missing.status).toBe(404);
    expect(ErrorBody.parse(missing.body).code).toBe("not_found");
  });
});

describe("usernames", () => {
  it("names that collide with routes are reserved", async () => {
    for (const username of ["search", "Admin", "SYSTEM"]) {
      const res = await api("POST", "/v1/auth/dev-login", undefined, { username });
      expect(res.status, username).toBe(400);
      expect(res.body.message).toMatch(/reserved/);
    }
  });
});
