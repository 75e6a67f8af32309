/**
 * A sweep over every REST route: whatever garbage arrives, the answer is the
 * contract's error object with the status of its code, and nothing is
 * created. Route-specific rules are tested in their own files.
 */
import { describe, expect, it } from "vitest";
import { ErrorBody, HTTP_STATUS } from "../../src/protocol/index.ts";
import { api, createGroup, login } from "./helpers.ts";

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

  it("answers unknown ids with 404 and other people's conversations with 403", async () => {
    const owner = await login();
    const m = await login();
    const stranger = await login();
    const id = await createGroup(owner, [m]);
    for (const r of routes("c_doesnotexist", m.userId, m.username).filter((x) => x.path.includes("c_doesnotexist"))) {
      const res = await api(r.method, r.path, owner.token, r.body ? { up_to_seq: 1, usernames: [m.username], role: "admin", title: "t", client_msg_id: "k", body: "b" } : undefined);
      expect(res.status, `${r.method} ${r.path}`).toBe(404);
      expectError(res, r.path);
    }
    for (const r of routes(id, m.userId, m.username).filter((x) => x.path.includes(id))) {
      const res = await api(r.method, r.path, stranger.token, r.body ? { up_to_seq: 1, usernames: [m.username], role: "admin", title: "t", client_msg_id: "k", body: "b" } : undefined);
      expect(res.status, `${r.method} ${r.path}`).toBe(403);
      expectError(res, r.path);
    }
  });
});
