/**
 * The budgets of the auth endpoints (docs/auth.md §5): sign-ins per address
 * (IPv6 by /64), refreshes per session, logout never refused.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newFamilyId, parseRefreshToken } from "../../src/auth/sessions.ts";
import { ErrorBody, LoginResponse } from "../../src/protocol/index.ts";
import { uniqueName } from "./helpers.ts";

const BASE = "https://parley.test";

/** One auth call from `ip`, the way a client behind that address makes it. */
async function authCall(ip: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await SELF.fetch(`${BASE}/v1/auth/${path}`, {
    method: "POST",
    headers: {
      "cf-connecting-ip": ip,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

function signIn(ip: string, username = uniqueName("nat")) {
  return authCall(ip, "dev-login", { username });
}

/** A fresh address of the documentation ranges, so no other test shares its budget. */
function freshIpv4(): string {
  return `198.51.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`;
}

function freshPrefix(): string {
  const hex = () => Math.floor(Math.random() * 0xffff).toString(16);
  return `2001:db8:${hex()}:${hex()}`;
}

/** Uses up the sign-in budget of `ip` (20 a minute): the 21st sign-in is refused. */
async function exhaustSignIns(ip: string): Promise<void> {
  for (let i = 0; i < 20; i++) expect((await signIn(ip)).status, `sign-in ${i + 1}`).toBe(200);
  const refused = await signIn(ip);
  expect(refused.status).toBe(429);
}

describe("the auth budgets", () => {
  it("twenty sign-ins behind one address do not starve a refresh or a logout from it", async () => {
    const ip = freshIpv4();
    const session = LoginResponse.parse((await signIn(ip)).body);
    for (let i = 0; i < 19; i++) expect((await signIn(ip)).status).toBe(200);
    expect((await signIn(ip)).status).toBe(429);
    // The same address: its sign-in budget is empty, yet the session refreshes and logs out.
    const refreshed = await authCall(ip, "refresh", { refresh_token: session.refresh_token });
    expect(refreshed.status).toBe(200);
    const next = LoginResponse.parse(refreshed.body);
    const out = await authCall(ip, "logout", undefined, next.access_token);
    expect(out.status).toBe(204);
    expect((await authCall(ip, "refresh", { refresh_token: next.refresh_token })).status).toBe(401);
  });

  it("a session's refreshes have their own budget: past it, 429 with Retry-After for that session only", async () => {
    const ip = freshIpv4();
    const mine = LoginResponse.parse((await signIn(ip)).body);
    const other = LoginResponse.parse((await signIn(ip)).body);
    let token = mine.refresh_token!;
    for (let i = 0; i < 10; i++) {
      const res = await authCall(freshIpv4(), "refresh", { refresh_token: token });
      expect(res.status, `refresh ${i + 1}`).toBe(200);
      token = res.body.refresh_token;
    }
    // From any address: the budget is the session's.
    const refused = await authCall(freshIpv4(), "refresh", { refresh_token: token });
    expect(refused.status).toBe(429);
    expect(ErrorBody.parse(refused.body)).toMatchObject({ code: "rate_limited", retryable: true });
    expect(refused.body.retry_after_ms).toBeGreaterThan(0);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Another session of the same address is not affected.
    expect((await authCall(ip, "refresh", { refresh_token: other.refresh_token })).status).toBe(200);
    // The refusal spent nothing: once a token is back (one every 6 s), the same refresh token
    // still rotates, where a spent one would have revoked the session.
    await new Promise((r) => setTimeout(r, refused.body.retry_after_ms + 50));
    expect((await authCall(freshIpv4(), "refresh", { refresh_token: token })).status).toBe(200);
  });

  it("refresh tokens that do not verify get no budget of their own: they draw from the address's", async () => {
    const ip = freshIpv4();
    const session = LoginResponse.parse((await signIn(freshIpv4())).body);
    const parts = parseRefreshToken(session.refresh_token!)!;
    // Well-formed, each naming a new family, but not signed by this deployment.
    const forged = () => `rt_${parts.userId}.${newFamilyId()}.${"A".repeat(32)}.${"B".repeat(43)}`;
    for (let i = 0; i < 20; i++) expect((await authCall(ip, "refresh", { refresh_token: forged() })).status).toBe(401);
    expect((await authCall(ip, "refresh", { refresh_token: forged() })).status).toBe(429);
    expect((await authCall(ip, "refresh", { refresh_token: "garbage" })).status).toBe(429);
    // A real token from that address still refreshes: its budget is its session's.
    expect((await authCall(ip, "refresh", { refresh_token: session.refresh_token })).status).toBe(200);
  });

  it("logout is never refused by a rate limit, with either credential", async () => {
    const ip = freshIpv4();
    const a = LoginResponse.parse((await signIn(ip)).body);
    const b = LoginResponse.parse((await signIn(ip)).body);
    for (let i = 0; i < 18; i++) await signIn(ip);
    expect((await signIn(ip)).status).toBe(429);
    expect((await authCall(ip, "logout", { refresh_token: a.refresh_token })).status).toBe(204);
    expect((await authCall(ip, "logout", undefined, b.access_token)).status).toBe(204);
    // Even garbage is answered for what it is, not 429.
    for (let i = 0; i < 25; i++) expect((await authCall(ip, "logout", { refresh_token: "garbage" })).status).toBe(401);
    expect((await authCall(ip, "refresh", { refresh_token: a.refresh_token })).status).toBe(401);
  });

  it("IPv6 addresses of one /64 share one sign-in budget; another /64 has its own", async () => {
    const prefix = freshPrefix();
    for (let i = 0; i < 20; i++) expect((await signIn(`${prefix}::${(i + 1).toString(16)}`)).status).toBe(200);
    const refused = await signIn(`${prefix}:ffff:ffff:ffff:fffe`);
    expect(refused.status).toBe(429);
    expect((await signIn(`${freshPrefix()}::1`)).status).toBe(200);
  });

  it("an address that is no IP address shares the one bucket of unknown addresses", async () => {
    // Any made-up header value lands in one bucket, never one of its own.
    await exhaustSignIns(`not-an-ip-${uniqueName("x")}`);
    expect((await signIn(`another-${uniqueName("y")}`)).status).toBe(429);
    expect((await signIn(freshIpv4())).status).toBe(200);
  });
});
