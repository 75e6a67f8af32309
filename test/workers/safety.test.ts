import { SELF, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ErrorBody, PollResponse } from "../../src/protocol/index.ts";
import { reportShard } from "../../src/reports/shards.ts";
import { configOf } from "../../src/shared/config.ts";
import { api, createDirect, createGroup, inbox, joined, login, openSocket, uniqueName } from "./helpers.ts";

describe("blocks", () => {
  it("a blocked user can neither open nor write in the direct conversation; unblocking restores it", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const { client: cb } = await joined(b, id);
    const block = await api("POST", `/v1/blocks/${b.username}`, a.token);
    expect(block.status).toBe(200);
    expect(block.body).toEqual({ username: b.username, blocked: true });
    // b's open socket is closed at once.
    expect((await cb.next("error")).data.code).toBe("forbidden");
    expect((await cb.closed).code).toBe(4003);
    expect((await openSocket(b.token, id)).status).toBe(403);
    const send = await api("POST", `/v1/conversations/${id}/messages`, b.token, { client_msg_id: "x", body: "hello?" });
    expect(send.status).toBe(403);
    expect((await api("POST", "/v1/conversations", b.token, { kind: "direct", with: a.username })).status).toBe(403);
    // The blocker still can.
    expect((await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "y", body: "fine" })).status).toBe(200);
    expect((await api("POST", "/v1/conversations", a.token, { kind: "direct", with: b.username })).status).toBe(200);
    expect((await api("DELETE", `/v1/blocks/${b.username}`, a.token)).body).toEqual({ username: b.username, blocked: false });
    expect((await api("POST", `/v1/conversations/${id}/messages`, b.token, { client_msg_id: "x", body: "hello?" })).status).toBe(200);
  });

  it("a block placed before any conversation prevents opening one", async () => {
    const a = await login();
    const b = await login();
    expect((await api("POST", `/v1/blocks/${b.username}`, a.token)).status).toBe(200);
    const res = await api("POST", "/v1/conversations", b.token, { kind: "direct", with: a.username });
    expect(res.status).toBe(403);
    expect(ErrorBody.parse(res.body).code).toBe("forbidden");
  });

  it("refuses bad targets", async () => {
    const a = await login();
    expect((await api("POST", `/v1/blocks/${a.username}`, a.token)).status).toBe(400);
    expect((await api("POST", `/v1/blocks/${uniqueName("ghost")}`, a.token)).status).toBe(404);
    expect((await api("POST", `/v1/blocks/x`, a.token)).status).toBe(404);
    expect((await api("POST", `/v1/blocks/${a.username}`, undefined)).status).toBe(401);
  });
});

describe("blocks and the rest of the system", () => {
  it("the blocked user's inbox drops the conversation and gets no notification from it; unblocking restores it", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "before", body: "hi" });
    const listed = async () => ((await api("GET", "/v1/conversations", b.token)).body.conversations as Array<{ id: string; last_seq: number }>);
    const until = async (ok: (l: Array<{ id: string; last_seq: number }>) => boolean) => {
      const deadline = Date.now() + 8000;
      for (;;) {
        const l = await listed();
        if (ok(l)) return l;
        if (Date.now() > deadline) throw new Error(JSON.stringify(l));
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until((l) => l.some((c) => c.id === id));
    await api("POST", `/v1/blocks/${b.username}`, a.token);
    await until((l) => !l.some((c) => c.id === id));
    await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "during", body: `@${b.username} secret` });
    const { client, snapshot } = await inbox(b);
    expect(snapshot.conversations.map((c: { id: string }) => c.id)).not.toContain(id);
    await client.quiet(500);
    expect(client.all("notification.new" as never)).toEqual([]);
    expect(client.all("inbox.updated" as never)).toEqual([]);
    client.close();
    await api("DELETE", `/v1/blocks/${b.username}`, a.token);
    await until((l) => l.some((c) => c.id === id && c.last_seq === 2));
  });

  it("a message accepted before the block is still acknowledged as a duplicate over REST", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const first = await api("POST", `/v1/conversations/${id}/messages`, b.token, { client_msg_id: "early", body: "sent in time" });
    await api("POST", `/v1/blocks/${b.username}`, a.token);
    const retry = await api("POST", `/v1/conversations/${id}/messages`, b.token, { client_msg_id: "early", body: "sent in time" });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ ...first.body, duplicate: true });
    const fresh = await api("POST", `/v1/conversations/${id}/messages`, b.token, { client_msg_id: "late", body: "too late" });
    expect(fresh.status).toBe(403);
  });
});

describe("reports", () => {
  it("stores a report of a user or of a message for review", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    await api("POST", `/v1/conversations/${id}/messages`, b.token, { client_msg_id: "bad", body: "something nasty" });
    const userReport = await api("POST", "/v1/reports", a.token, { kind: "user", username: b.username, reason: "spam" });
    expect(userReport.status).toBe(201);
    expect(userReport.body.report.id).toMatch(/^rp_/);
    const msgReport = await api("POST", "/v1/reports", a.token, { kind: "message", conversation_id: id, seq: 1, reason: "abuse", details: "see seq 1" });
    expect(msgReport.status).toBe(201);
    const { env } = await import("cloudflare:test");
    const open = await env.REPORTS.get(env.REPORTS.idFromName(reportShard(a.userId))).open(1000);
    const stored = open.find((r) => r.id === msgReport.body.report.id);
    expect(stored).toMatchObject({ reporter_id: a.userId, kind: "message", target_user_id: b.userId, seq: 1, reason: "abuse" });
    expect(JSON.parse(String(stored!.message_json)).body).toBe("something nasty");
  });

  it("refuses bad reports; only members may report a conversation's message", async () => {
    const a = await login();
    const b = await login();
    const stranger = await login();
    const id = await createDirect(a, b);
    await api("POST", `/v1/conversations/${id}/messages`, b.token, { client_msg_id: "m", body: "hi" });
    const cases: Array<[unknown, number]> = [
      [{}, 400],
      [{ kind: "user", username: b.username }, 400],
      [{ kind: "user", username: b.username, reason: "" }, 400],
      [{ kind: "user", username: uniqueName("ghost"), reason: "x" }, 404],
      [{ kind: "message", conversation_id: id, seq: 99, reason: "x" }, 404],
      [{ kind: "message", conversation_id: id, seq: 0, reason: "x" }, 400],
      [{ kind: "message", conversation_id: "nope", seq: 1, reason: "x" }, 400],
    ];
    for (const [body, status] of cases) {
      const res = await api("POST", "/v1/reports", a.token, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(ErrorBody.safeParse(res.body).success).toBe(true);
    }
    // A stranger learns nothing: the same 404, word for word, as for a conversation that does not exist.
    const foreign = await api("POST", "/v1/reports", stranger.token, { kind: "message", conversation_id: id, seq: 1, reason: "x" });
    const unknown = await api("POST", "/v1/reports", stranger.token, { kind: "message", conversation_id: "c_dnoSuchConversation0000", seq: 1, reason: "x" });
    expect(foreign.status).toBe(404);
    expect(ErrorBody.parse(foreign.body).code).toBe("not_found");
    expect(foreign.body).toEqual(unknown.body);
  });
});

describe("rate limits", () => {
  it("the auth endpoints allow 20 requests a minute per IP, then 429 with Retry-After", async () => {
    const ip = `192.0.2.${Math.floor(Math.random() * 250)}`;
    const call = () =>
      SELF.fetch("https://parley.test/v1/auth/dev-login", {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": ip },
        body: JSON.stringify({ username: uniqueName("rl") }),
      });
    for (let i = 0; i < 20; i++) expect((await call()).status).toBe(200);
    const refused = await call();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const body = ErrorBody.parse(await refused.json());
    expect(body).toMatchObject({ code: "rate_limited", retryable: true });
    expect(body.retry_after_ms).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await login()).token).toBeTruthy();
  });

  it("a user holds at most 10 sockets on one conversation", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const sockets = [];
    for (let i = 0; i < 10; i++) {
      const res = await openSocket(a.token, id);
      expect(res.status).toBe(101);
      sockets.push(res.client!);
    }
    const eleventh = await openSocket(a.token, id);
    expect(eleventh.status).toBe(429);
    expect(eleventh.body.code).toBe("rate_limited");
    expect(Number(eleventh.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Others are not affected.
    const other = await openSocket(b.token, id);
    expect(other.status).toBe(101);
    sockets[0]!.close();
    await sockets[0]!.closed;
    await new Promise((r) => setTimeout(r, 50));
    const again = await openSocket(a.token, id);
    expect(again.status).toBe(101);
    for (const s of [...sockets, again.client!, other.client!]) s.close();
  });

  it("every REST answer carries X-Request-Id", async () => {
    const res = await api("GET", "/v1/healthz", undefined, undefined, { "x-request-id": "trace-123" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("trace-123");
    const generated = await api("GET", "/v1/nothing", undefined);
    expect(generated.headers.get("x-request-id")).toMatch(/^r_/);
  });
});

describe("long-poll fallback", () => {
  it("answers at once when newer messages exist, else when one arrives, else at the timeout", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "p1", body: "one" });
    const now = await api("GET", `/v1/conversations/${id}/poll?after_seq=0&timeout_ms=5000`, b.token);
    expect(PollResponse.parse(now.body)).toMatchObject({ last_seq: 1 });
    expect(now.body.messages.map((m: { seq: number }) => m.seq)).toEqual([1]);
    const waiting = api("GET", `/v1/conversations/${id}/poll?after_seq=1&timeout_ms=10000`, b.token);
    await new Promise((r) => setTimeout(r, 100));
    await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "p2", body: "two" });
    const woke = await waiting;
    expect(woke.body.messages.map((m: { body: string }) => m.body)).toEqual(["two"]);
    const started = Date.now();
    const idle = await api("GET", `/v1/conversations/${id}/poll?after_seq=2&timeout_ms=300`, b.token);
    expect(idle.body).toEqual({ messages: [], last_seq: 2, last_rev: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect((await api("GET", `/v1/conversations/${id}/poll?after_seq=0&timeout_ms=40000`, b.token)).status).toBe(400);
  });
});

describe("per-user budgets of history, long-polls and search", () => {
  /**
   * Calls until the first refusal (at most `cap` calls), one after another:
   * far faster than any budget refills, so a fresh user's full bucket is
   * spent first and the refusal must follow. Answers how many passed first.
   */
  async function untilRefused(cap: number, call: () => Promise<{ status: number; body: any; headers: Headers }>) {
    for (let ok = 0; ok < cap; ok++) {
      const res = await call();
      if (res.status === 429) return { ok, refused: [res] };
      expect(res.status).toBe(200);
    }
    return { ok: cap, refused: [] };
  }

  function expectRefusal(refused: Array<{ status: number; body: any; headers: Headers }>, label: string) {
    expect(refused.length, label).toBeGreaterThan(0);
    const r = refused[0]!;
    expect(Number(r.headers.get("retry-after")), label).toBeGreaterThanOrEqual(1);
    expect(ErrorBody.parse(r.body), label).toMatchObject({ code: "rate_limited", retryable: true });
    expect(r.body.retry_after_ms, label).toBeGreaterThan(0);
  }

  it("history: HISTORY_RATE per user across conversations, then 429 with Retry-After; before any membership check; others unaffected", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const group = await createGroup(a, [b]);
    const budget = configOf(env).historyRate.messages;
    const { ok, refused } = await untilRefused(budget * 3, () => api("GET", `/v1/conversations/${id}/messages?limit=1`, a.token));
    expect(ok).toBeGreaterThanOrEqual(budget);
    expectRefusal(refused, "history");
    // Per user, not per conversation; and the same 429 for a conversation that does not exist.
    expect((await api("GET", `/v1/conversations/${group}/messages`, a.token)).status).toBe(429);
    expect((await api("GET", "/v1/conversations/c_dnoSuchConversation0000/messages", a.token)).status).toBe(429);
    expect((await api("GET", `/v1/conversations/${id}/messages`, b.token)).status).toBe(200);
  });

  it("long-polls: POLL_RATE per user, then 429 with Retry-After; others unaffected", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "p", body: "there is something to read" });
    const budget = configOf(env).pollRate.messages;
    const { ok, refused } = await untilRefused(budget * 3, () => api("GET", `/v1/conversations/${id}/poll?after_seq=0&timeout_ms=0`, a.token));
    expect(ok).toBeGreaterThanOrEqual(budget);
    expectRefusal(refused, "poll");
    expect((await api("GET", `/v1/conversations/${id}/poll?after_seq=0&timeout_ms=0`, b.token)).status).toBe(200);
  });

  it("search: SEARCH_RATE per user, then 429 with Retry-After; others unaffected", async () => {
    const a = await login();
    const b = await login();
    const budget = configOf(env).searchRate.messages;
    const { ok, refused } = await untilRefused(budget * 3, () => api("GET", `/v1/users/search?q=${a.username}`, a.token));
    expect(ok).toBeGreaterThanOrEqual(budget);
    expectRefusal(refused, "search");
    expect((await api("GET", `/v1/users/search?q=${a.username}`, b.token)).status).toBe(200);
  });
});
