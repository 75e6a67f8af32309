/**
 * The operators' view (docs/protocol.md §22.18): reports listed, read in
 * context and resolved; users suspended (their sockets close, sign-in,
 * refresh and every token refused) and unsuspended; messages deleted; the
 * counters. OPERATORS is "operator_root" in these tests.
 */
import { SELF, env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { api, createGroup, forwardedUpgrade, inbox, joined, listed, login, randomIp, uniqueName, unlisted, type Client, type Session } from "./helpers.ts";

const open: Client[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

let operatorSession: Session | undefined;
async function operator(): Promise<Session> {
  operatorSession ??= await login("operator_root");
  return operatorSession;
}

async function devLogin(username: string) {
  const res = await SELF.fetch("https://parley.test/v1/auth/dev-login", {
    method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() }, body: JSON.stringify({ username }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe("operator routes", () => {
  it("answer anyone who is not an operator as a route that does not exist", async () => {
    const someone = await login();
    for (const [method, path] of [["GET", "/v1/admin/reports"], ["GET", "/v1/admin/metrics"], ["POST", "/v1/admin/webhooks"], ["POST", `/v1/admin/users/${someone.userId}/suspend`]]) {
      const res = await api(method!, path!, someone.token, method === "POST" ? {} : undefined);
      expect(res.status, path).toBe(404);
      expect(res.body.message).toBe(`No route for ${method} ${path}.`);
    }
    expect((await api("GET", "/v1/admin/reports", undefined)).status).toBe(401);
  });

  it("list reports, show a reported message in context to a non-member, and resolve with a note", async () => {
    const op = await operator();
    const [a, b] = await Promise.all([login(), login()]);
    const group = await createGroup(a, [b], "reported room");
    for (let i = 1; i <= 8; i++) {
      expect((await api("POST", `/v1/conversations/${group}/messages`, i === 4 ? b.token : a.token, { client_msg_id: `m${i}`, body: `message ${i}` })).status).toBe(200);
    }
    const filed = await api("POST", "/v1/reports", a.token, { kind: "message", conversation_id: group, seq: 4, reason: "spam" });
    expect(filed.status).toBe(201);
    const reportId = filed.body.report.id as string;

    let found: any;
    let cursor: string | undefined;
    for (let page = 0; page < 50 && !found; page++) {
      const res = await api("GET", `/v1/admin/reports?status=open&limit=5${cursor ? `&cursor=${cursor}` : ""}`, op.token);
      expect(res.status).toBe(200);
      found = res.body.reports.find((r: { id: string }) => r.id === reportId);
      cursor = res.body.next_cursor;
      if (!cursor) break;
    }
    expect(found).toMatchObject({ kind: "message", target_user_id: b.userId, status: "open", seq: 4 });

    // The operator is no member, yet reads the messages around it.
    const detail = await api("GET", `/v1/admin/reports/${reportId}`, op.token);
    expect(detail.status).toBe(200);
    expect(detail.body.context.messages.map((m: { seq: number }) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].filter((s) => s <= 8));
    expect((await api("GET", `/v1/conversations/${group}/messages`, op.token)).status).toBe(404);

    const resolved = await api("POST", `/v1/admin/reports/${reportId}/resolve`, op.token, { note: "warned the sender" });
    expect(resolved.status).toBe(200);
    expect(resolved.body.report).toMatchObject({ status: "resolved", resolution_note: "warned the sender", resolved_by: op.userId });
    expect((await api("POST", `/v1/admin/reports/${reportId}/resolve`, op.token, { note: "again" })).status).toBe(409);
    const openOnes = await api("GET", "/v1/admin/reports?status=open&limit=200", op.token);
    expect(openOnes.body.reports.some((r: { id: string }) => r.id === reportId)).toBe(false);
    // The reporter may report the same message again now that it was reviewed.
    expect((await api("POST", "/v1/reports", a.token, { kind: "message", conversation_id: group, seq: 4, reason: "again" })).status).toBe(201);

    // An operator deletes the message: a tombstone for everyone.
    const deleted = await api("DELETE", `/v1/admin/conversations/${group}/messages/4`, op.token);
    expect(deleted.status).toBe(200);
    const history = await api("GET", `/v1/conversations/${group}/messages?after_seq=3&limit=1`, a.token);
    expect(history.body.messages[0]).toMatchObject({ seq: 4, body: "" });
    expect(history.body.messages[0].deleted_at).toBeGreaterThan(0);
  });

  it("suspend a user: sockets close with 4003, sign-in, refresh and tokens are refused; unsuspending restores them", async () => {
    const op = await operator();
    const name = uniqueName("susp");
    const first = await devLogin(name);
    expect(first.status).toBe(200);
    const victim: Session = { token: first.body.access_token, userId: first.body.user.id, username: name };
    const friend = await login();
    const group = await createGroup(friend, [victim]);
    // The suspension closes the sockets of the conversations the user's inbox knows: wait until it knows this one.
    await listed(victim.token, group);
    const { client: conv } = await joined(victim, group);
    const { client: box } = await inbox(victim);
    open.push(conv, box);

    const res = await api("POST", `/v1/admin/users/${victim.userId}/suspend`, op.token, { reason: "spam" });
    expect(res.status).toBe(200);
    expect(res.body.sockets_closed).toBeGreaterThanOrEqual(2);
    expect((await conv.closed).code).toBe(4003);
    expect((await box.closed).code).toBe(4003);

    for (const [method, path, body] of [["GET", "/v1/me"], ["GET", "/v1/conversations"], ["POST", `/v1/conversations/${group}/messages`, { client_msg_id: "x", body: "still here?" }]] as const) {
      const refused = await api(method, path, victim.token, body);
      expect(refused.status, path).toBe(403);
      expect(refused.body.message).toBe("This account is suspended.");
    }
    expect((await devLogin(name)).status).toBe(403);
    const refresh = await api("POST", "/v1/auth/refresh", undefined, { refresh_token: first.body.refresh_token });
    expect(refresh.status).toBe(403);
    const upgrade = await SELF.fetch(`https://parley.test/v1/conversations/${group}/ws?access_token=${victim.token}`, { headers: { upgrade: "websocket" } });
    expect(upgrade.status).toBe(403);
    const standing = (await api("GET", `/v1/admin/users/${victim.userId}`, op.token)).body.standing;
    expect(standing).toMatchObject({ suspended: true, reason: "spam" });
    // Exactly the documented fields (the Worker's own check also learns which sessions ended).
    expect(Object.keys(standing).sort()).toEqual(["reason", "suspended", "suspended_at"]);

    expect((await api("DELETE", `/v1/admin/users/${victim.userId}/suspend`, op.token)).status).toBe(200);
    expect((await api("GET", "/v1/me", victim.token)).status).toBe(200);
    const again = await api("POST", "/v1/auth/refresh", undefined, { refresh_token: first.body.refresh_token });
    expect(again.status).toBe(200);
    expect((await devLogin(name)).status).toBe(200);
  });

  it("a suspended user's upgrade forwarded by a Worker isolate that has not heard yet is refused by the actors; once unsuspended it is let in", async () => {
    const op = await operator();
    const victim = await login();
    const friend = await login();
    const group = await createGroup(friend, [victim]);
    await listed(victim.token, group);
    expect((await api("POST", `/v1/admin/users/${victim.userId}/suspend`, op.token, {})).status).toBe(200);
    const actors = [env.CONVERSATION.get(env.CONVERSATION.idFromName(group)), env.USER.get(env.USER.idFromName(victim.userId))];
    for (const stub of actors) {
      const refused = await forwardedUpgrade(stub, victim);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { message: string }).message).toBe("This account is suspended.");
    }
    // Others are let in as before.
    const friends = await forwardedUpgrade(actors[0]!, friend);
    expect(friends.status).toBe(101);
    friends.webSocket!.accept();
    friends.webSocket!.close(1000);

    expect((await api("DELETE", `/v1/admin/users/${victim.userId}/suspend`, op.token)).status).toBe(200);
    for (const stub of actors) {
      const accepted = await forwardedUpgrade(stub, victim);
      expect(accepted.status).toBe(101);
      accepted.webSocket!.accept();
      accepted.webSocket!.close(1000);
    }
  });

  it("a suspension reaches a conversation the inbox lists only afterwards: its sockets close with 4003 when it gets there", async () => {
    const op = await operator();
    const victim = await login();
    const friend = await login();
    const group = await createGroup(friend, [victim]);
    await listed(victim.token, group);
    const { client: conv } = await joined(victim, group);
    const { client: friends } = await joined(friend, group);
    open.push(conv, friends);
    // As when the suspension comes in the moments between a join and the conversation's first inbox update.
    await unlisted(victim.userId, group);

    expect((await api("POST", `/v1/admin/users/${victim.userId}/suspend`, op.token, {})).body.sockets_closed).toBe(0);
    // The suspension's own fan-out did not reach the conversation: the socket is still served.
    expect((await conv.request("ping", {})).type).toBe("pong");

    // A message makes the conversation send its next inbox update, and the inbox meets the conversation again.
    await friends.request("message.send", { client_msg_id: "wake", body: "still there?" });
    expect((await conv.closed).code).toBe(4003);
    expect((await api("DELETE", `/v1/admin/users/${victim.userId}/suspend`, op.token)).status).toBe(200);
  });

  it("refuse hostile input", async () => {
    const op = await operator();
    const cases: Array<[string, string, unknown, number]> = [
      ["POST", "/v1/admin/users/not-an-id/suspend", {}, 404],
      ["POST", `/v1/admin/users/${op.userId}/suspend`, {}, 400],
      ["POST", "/v1/admin/users/u_nobodyAtAll000000000/suspend", {}, 404],
      ["POST", `/v1/admin/users/${(await login()).userId}/suspend`, { reason: "x".repeat(600) }, 400],
      ["GET", "/v1/admin/reports?status=maybe", undefined, 400],
      ["GET", "/v1/admin/reports?limit=0x10", undefined, 400],
      ["GET", "/v1/admin/reports?cursor=%27%3B--", undefined, 400],
      ["GET", "/v1/admin/reports/rp_notarealreportid00000", undefined, 404],
      ["GET", "/v1/admin/reports/../../etc", undefined, 404],
      ["POST", "/v1/admin/reports/rp_00000000000000000000/resolve", { note: "" }, 400],
      ["POST", "/v1/admin/reports/rp_00000000000000000000/resolve", { note: "ok" }, 404],
      ["DELETE", "/v1/admin/conversations/c_gforged00000000000000000000000000000000000/messages/1", undefined, 404],
      ["POST", "/v1/admin/webhooks", { url: "https://example.com/h", events: [] }, 400],
      ["POST", "/v1/admin/webhooks", { url: "https://example.com/h", events: ["message.created", "message.created"] }, 400],
      ["POST", "/v1/admin/webhooks", { url: "https://example.com/h", events: ["everything"] }, 400],
      ["POST", "/v1/admin/webhooks", { url: "http://example.com/h", events: ["message.created"] }, 400],
      ["POST", "/v1/admin/webhooks", { url: "https://user:pw@example.com/h", events: ["message.created"] }, 400],
      ["POST", "/v1/admin/webhooks", { url: "x".repeat(3000), events: ["message.created"] }, 400],
      ["GET", "/v1/admin/webhooks/wh_00000000000000000000/deliveries", undefined, 404],
      ["POST", "/v1/admin/webhooks/nope/deliveries/replay", undefined, 404],
      ["POST", "/v1/admin/bots", { username: "no spaces allowed" }, 400],
      ["POST", "/v1/admin/bots", { username: "okname_bot", webhook_url: "ftp://x" }, 400],
      ["POST", "/v1/admin/bots", { username: "okname_bot", extra: true }, 400],
      ["POST", "/v1/admin/bots/u_notabot/token", undefined, 404],
      ["PATCH", "/v1/admin/bots/u_bot_00000000000000000000", { webhook_url: null }, 404],
    ];
    for (const [method, path, body, status] of cases) {
      const res = await api(method, path, op.token, body);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      expect(res.body.code).toBeTypeOf("string");
    }
    expect((await api("POST", "/v1/admin/webhooks", op.token, "{not json")).status).toBe(400);
  });

  it("read the counters: messages accepted, REST errors by code, send latency", async () => {
    const op = await operator();
    const [a, b] = await Promise.all([login(), login()]);
    const group = await createGroup(a, [b]);
    for (let i = 0; i < 3; i++) expect((await api("POST", `/v1/conversations/${group}/messages`, a.token, { client_msg_id: `k${i}`, body: "counted" })).status).toBe(200);
    expect((await api("POST", `/v1/conversations/${group}/messages`, a.token, { body: "" })).status).toBe(400);
    const deadline = Date.now() + 15_000;
    let metrics: any;
    for (;;) {
      metrics = (await api("GET", "/v1/admin/metrics", op.token)).body;
      if ((metrics.counters["messages.accepted"] ?? 0) >= 3) break;
      if (Date.now() > deadline) throw new Error(`messages.accepted never reached 3: ${JSON.stringify(metrics)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(metrics.counters["errors.bad_request"]).toBeGreaterThanOrEqual(1);
    expect(metrics.counters["send_ack_ms.count"]).toBeGreaterThanOrEqual(3);
    expect(metrics.analytics_engine).toBe(false);
  });
});
