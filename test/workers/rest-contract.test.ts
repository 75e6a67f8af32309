/**
 * A sweep over every REST route: whatever garbage arrives, the answer is the
 * contract's error object with the status of its code, and nothing is
 * created. Route-specific rules are tested in their own files.
 */
import { describe, expect, it } from "vitest";
import { ErrorBody, HTTP_STATUS } from "../../src/protocol/index.ts";
import { api, createDirect, createGroup, login } from "./helpers.ts";

type Route = { method: string; path: string; body: boolean; auth: boolean };

function routes(conversationId: string, memberId: string, username: string): Route[] {
  return [
    { method: "POST", path: "/v1/auth/dev-login", body: true, auth: false },
    { method: "POST", path: "/v1/auth/refresh", body: true, auth: false },
    { method: "POST", path: "/v1/auth/logout", body: true, auth: false },
    { method: "POST", path: "/v1/conversations", body: true, auth: true },
    { method: "GET", path: "/v1/conversations", body: false, auth: true },
    { method: "GET", path: `/v1/conversations/${conversationId}`, body: false, auth: true },
    { method: "GET", path: `/v1/conversations/${conversationId}/messages`, body: false, auth: true },
    { method: "POST", path: `/v1/conversations/${conversationId}/messages`, body: true, auth: true },
    { method: "PATCH", path: `/v1/conversations/${conversationId}`, body: true, auth: true },
    { method: "POST", path: `/v1/conversations/${conversationId}/members`, body: true, auth: true },
    { method: "DELETE", path: `/v1/conversations/${conversationId}/members/${memberId}`, body: false, auth: true },
    { method: "PATCH", path: `/v1/conversations/${conversationId}/members/${memberId}`, body: true, auth: true },
    { method: "POST", path: `/v1/conversations/${conversationId}/read`, body: true, auth: true },
    { method: "GET", path: `/v1/conversations/${conversationId}/poll?after_seq=0&timeout_ms=0`, body: false, auth: true },
    { method: "POST", path: `/v1/blocks/${username}`, body: false, auth: true },
    { method: "DELETE", path: `/v1/blocks/${username}`, body: false, auth: true },
    { method: "POST", path: "/v1/reports", body: true, auth: true },
    { method: "GET", path: "/v1/users/search?q=ab", body: false, auth: true },
    { method: "GET", path: `/v1/users/${username}`, body: false, auth: true },
    { method: "GET", path: "/v1/me", body: false, auth: true },
    { method: "PATCH", path: "/v1/me", body: true, auth: true },
  ];
}

function expectError(res: { status: number; body: unknown }, label: string): void {
  const parsed = ErrorBody.safeParse(res.body);
  expect(parsed.success, `${label}: ${JSON.stringify(res.body)}`).toBe(true);
  if (parsed.success) expect(res.status, label).toBe(HTTP_STATUS[parsed.data.code]);
}

describe("every REST route", () => {
  it("answers 401 with the error object without a valid token", async () => {
    const owner = await login();
    const m = await login();
    const id = await createGroup(owner, [m]);
    for (const r of routes(id, m.userId, m.username).filter((x) => x.auth)) {
      for (const token of [undefined, "not.a.token"]) {
        const res = await api(r.method, r.path, token, r.body ? {} : undefined);
        expect(res.status, `${r.method} ${r.path}`).toBe(401);
        expectError(res, `${r.method} ${r.path}`);
      }
    }
  });

  it("answers malformed bodies with 400 bad_request, and oversized ones with 413", async () => {
    const owner = await login();
    const m = await login();
    const id = await createGroup(owner, [m]);
    for (const r of routes(id, m.userId, m.username).filter((x) => x.body)) {
      for (const body of ["{not json", "[]", "null", JSON.stringify({ unexpected: { deeply: [1, 2, 3] } }), '"a string"']) {
        const res = await api(r.method, r.path, r.auth ? owner.token : undefined, body);
        const label = `${r.method} ${r.path} ${body}`;
        expectError(res, label);
        // Logout with a well-formed body that names no session has nothing to act on: 401.
        expect(res.status, label).toBe(r.path === "/v1/auth/logout" && body.startsWith("{\"unexpected") ? 401 : 400);
      }
      const big = await api(r.method, r.path, owner.token, JSON.stringify({ pad: "x".repeat(70_000) }));
      expect(big.status, `${r.method} ${r.path} oversized`).toBe(413);
      expectError(big, `${r.method} ${r.path} oversized`);
    }
    // None of that created a message or changed the group.
    const history = await api("GET", `/v1/conversations/${id}/messages`, owner.token);
    expect(history.body.messages).toEqual([]);
    const view = await api("GET", `/v1/conversations/${id}`, owner.token);
    expect(view.body.conversation.members).toHaveLength(2);
  });

  it("answers other people's conversations exactly as unknown and malformed ids: 404 not_found, word for word", async () => {
    const owner = await login();
    const m = await login();
    const stranger = await login();
    const group = await createGroup(owner, [m]);
    const direct = await createDirect(owner, m);
    const body = { up_to_seq: 1, usernames: [m.username], role: "admin", title: "t", client_msg_id: "k", body: "b" };
    const conversationRoutes = (id: string) => routes(id, m.userId, m.username).filter((x) => x.path.includes(id));
    // The answer to an id that names nothing, on each route: the reference.
    const reference = new Map<string, unknown>();
    for (const r of conversationRoutes("c_doesnotexist")) {
      const res = await api(r.method, r.path, stranger.token, r.body ? body : undefined);
      expect(res.status, `${r.method} ${r.path}`).toBe(404);
      expectError(res, r.path);
      reference.set(`${r.method} ${r.path.replace("c_doesnotexist", "ID")}`, res.body);
    }
    for (const id of [group, direct, "not-an-id"]) {
      for (const r of conversationRoutes(id)) {
        const key = `${r.method} ${r.path.replace(id, "ID")}`;
        const res = await api(r.method, r.path, stranger.token, r.body ? body : undefined);
        expect(res.status, `${key} (${id})`).toBe(404);
        expect(res.body, `${key} (${id})`).toEqual(reference.get(key));
      }
    }
    // The members are unaffected.
    expect((await api("GET", `/v1/conversations/${group}`, m.token)).status).toBe(200);
    expect((await api("GET", `/v1/conversations/${direct}`, m.token)).status).toBe(200);
  });
});

describe("numeric query parameters", () => {
  /** Values that Number() (or z.coerce.number()) would have read as a number. */
  const HOSTILE = ["", "0x10", "1e3", "1E3", "+1", "-1", " 1", "1 ", "1.0", ".5", "0b1", "0o7", "1_000", "Infinity", "NaN", "١", "１"];

  it("accept decimal digits only: everything else is 400 bad_request naming the parameter, on every route", async () => {
    const owner = await login();
    const m = await login();
    const id = await createGroup(owner, [m]);
    await api("POST", `/v1/conversations/${id}/messages`, owner.token, { client_msg_id: "q1", body: "one" });
    const cases: Array<{ path: string; param: string; rest: string }> = [
      { path: `/v1/conversations/${id}/messages`, param: "after_seq", rest: "" },
      { path: `/v1/conversations/${id}/messages`, param: "before_seq", rest: "" },
      { path: `/v1/conversations/${id}/messages`, param: "limit", rest: "" },
      { path: `/v1/conversations/${id}/poll`, param: "after_seq", rest: "timeout_ms=0" },
      { path: `/v1/conversations/${id}/poll`, param: "timeout_ms", rest: "after_seq=0" },
      { path: `/v1/conversations/${id}/members`, param: "limit", rest: "" },
      { path: "/v1/notifications", param: "limit", rest: "" },
      { path: "/v1/users/search", param: "limit", rest: `q=${owner.username}` },
    ];
    for (const { path, param, rest } of cases) {
      // The query is checked before the conversation is asked anything, so anyone gets the 400;
      // a caller per parameter keeps each within the per-user budgets of history, poll and search.
      const prober = await login();
      for (const value of HOSTILE) {
        const query = [rest, `${param}=${encodeURIComponent(value)}`].filter(Boolean).join("&");
        const label = `${path}?${query}`;
        const res = await api("GET", `${path}?${query}`, prober.token);
        expect(res.status, label).toBe(400);
        expect(ErrorBody.parse(res.body).code, label).toBe("bad_request");
        expect(res.body.message, label).toMatch(new RegExp(`^${param}: `));
      }
      // Plain digits (leading zeros included) still work.
      const fine = await api("GET", `${path}?${[rest, `${param}=01`].filter(Boolean).join("&")}`, owner.token);
      expect(fine.status, `${path} ${param}=01`).toBe(200);
    }
    // A required one that is missing is named too.
    const missing = await api("GET", `/v1/conversations/${id}/poll?timeout_ms=0`, owner.token);
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/^after_seq: required/);
    // Nothing above changed the conversation.
    expect((await api("GET", `/v1/conversations/${id}/messages`, owner.token)).body.messages).toHaveLength(1);
  });
});
