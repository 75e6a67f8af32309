/**
 * Cookie sessions for the web app (decision 0020), the list of sign-in
 * methods, and the user's list of sessions — through the real Worker and
 * User actors.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ErrorBody, LoginResponse, SessionList, SignInMethods } from "../../src/protocol/index.ts";
import { api, randomIp, uniqueName } from "./helpers.ts";

const BASE = "https://parley.test";
const COOKIE = { "x-parley-session": "cookie" };

interface Answer {
  status: number;
  body: any;
  cookies: string[];
}

/** One request, with the cookie given, answering the body and every Set-Cookie. */
async function call(method: string, path: string, init: { body?: unknown; cookie?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const res = await SELF.fetch(`${BASE}${path}`, {
    method,
    redirect: "manual",
    headers: {
      "cf-connecting-ip": randomIp(),
      ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
      ...(init.cookie ? { cookie: init.cookie } : {}),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, cookies: res.headers.getSetCookie() };
}

/** The `name=value` of the refresh cookie in a set of Set-Cookie values, or undefined. */
function refreshCookie(cookies: string[]): string | undefined {
  const line = cookies.find((c) => c.startsWith("parley_refresh="));
  return line?.split(";")[0];
}

async function cookieLogin(username = uniqueName("web")) {
  const res = await call("POST", "/v1/auth/dev-login", { body: { username }, headers: COOKIE });
  expect(res.status).toBe(200);
  return { res, cookie: refreshCookie(res.cookies)! };
}

describe("cookie mode", () => {
  it("a sign-in with X-Parley-Session: cookie sets the refresh token as an HttpOnly, Secure, SameSite=Strict cookie on /v1/auth, and leaves it out of the JSON", async () => {
    const { res, cookie } = await cookieLogin();
    const body = LoginResponse.parse(res.body);
    expect(body.refresh_token).toBeUndefined();
    expect(res.body).not.toHaveProperty("refresh_token");
    const line = res.cookies.find((c) => c.startsWith("parley_refresh="))!;
    expect(line).toMatch(/^parley_refresh=rt_u_[^;]+; Path=\/v1\/auth; Max-Age=2592000; HttpOnly; Secure; SameSite=Strict$/);
    expect(cookie).toMatch(/^parley_refresh=rt_/);
    expect((await api("GET", "/v1/me", body.access_token)).status).toBe(200);
  });

  it("refresh reads the cookie, rotates it, and a spent cookie is a reuse that ends the session (and is cleared)", async () => {
    const { cookie } = await cookieLogin();
    const first = await call("POST", "/v1/auth/refresh", { cookie, headers: COOKIE });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).not.toHaveProperty("refresh_token");
    const next = refreshCookie(first.cookies)!;
    expect(next).not.toBe(cookie);
    const second = await call("POST", "/v1/auth/refresh", { cookie: next, headers: COOKIE });
    expect(second.status).toBe(200);
    const reused = await call("POST", "/v1/auth/refresh", { cookie, headers: COOKIE });
    expect(reused.status).toBe(401);
    expect(ErrorBody.parse(reused.body).message).toMatch(/already used/);
    expect(reused.cookies).toContain("parley_refresh=; Path=/v1/auth; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
    // The whole family is revoked: the newest cookie stops working too.
    expect((await call("POST", "/v1/auth/refresh", { cookie: refreshCookie(second.cookies)!, headers: COOKIE })).status).toBe(401);
  });

  it("CSRF: a cookie without the header, or from a foreign Origin, is refused with 403 and not spent; the app's origin and listed origins pass", async () => {
    const { cookie } = await cookieLogin();
    const noHeader = await call("POST", "/v1/auth/refresh", { cookie });
    expect(noHeader.status).toBe(403);
    expect(ErrorBody.parse(noHeader.body)).toMatchObject({ code: "forbidden" });
    expect(ErrorBody.parse(noHeader.body).message).toMatch(/X-Parley-Session: cookie/);
    const foreign = await call("POST", "/v1/auth/refresh", { cookie, headers: { ...COOKIE, origin: "https://evil.example" } });
    expect(foreign.status).toBe(403);
    const logoutForeign = await call("POST", "/v1/auth/logout", { cookie, headers: { ...COOKIE, origin: "https://evil.example" } });
    expect(logoutForeign.status).toBe(403);
    const logoutNoHeader = await call("POST", "/v1/auth/logout", { cookie });
    expect(logoutNoHeader.status).toBe(403);
    // Nothing was spent: the same cookie still works, from the app's own origin and from a listed one.
    const own = await call("POST", "/v1/auth/refresh", { cookie, headers: { ...COOKIE, origin: BASE } });
    expect(own.status).toBe(200);
    const listed = await call("POST", "/v1/auth/refresh", { cookie: refreshCookie(own.cookies)!, headers: { ...COOKIE, origin: "https://app.example" } });
    expect(listed.status).toBe(200);
  });

  it("logout with the cookie ends its session and clears the cookie; a refresh after it is 401", async () => {
    const { cookie } = await cookieLogin();
    const out = await call("POST", "/v1/auth/logout", { cookie, headers: COOKIE });
    expect(out.status).toBe(204);
    expect(out.cookies).toContain("parley_refresh=; Path=/v1/auth; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
    const after = await call("POST", "/v1/auth/refresh", { cookie, headers: COOKIE });
    expect(after.status).toBe(401);
    expect(ErrorBody.parse(after.body).message).toMatch(/ended/);
    // A cookie Parley cannot read: logout still answers 204 and clears it.
    const junk = await call("POST", "/v1/auth/logout", { cookie: "parley_refresh=rt_garbage", headers: COOKIE });
    expect(junk.status).toBe(204);
    expect(junk.cookies[0]).toMatch(/^parley_refresh=; /);
  });

  it("the body API stays as it was: a token in the body wins over a cookie, and is answered in the body", async () => {
    const body = await call("POST", "/v1/auth/dev-login", { body: { username: uniqueName("sdk") } });
    expect(body.cookies).toEqual([]);
    const token = LoginResponse.parse(body.body).refresh_token!;
    const { cookie } = await cookieLogin();
    const refreshed = await call("POST", "/v1/auth/refresh", { body: { refresh_token: token }, cookie });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).toMatch(/^rt_/);
    expect(refreshed.body.user).toEqual(body.body.user);
    expect(refreshed.cookies).toEqual([]);
    // No body and no cookie: 400 as before.
    expect((await call("POST", "/v1/auth/refresh", { headers: COOKIE })).status).toBe(400);
    expect((await call("POST", "/v1/auth/refresh", { body: { refresh_token: 5 } })).status).toBe(400);
  });

  it("a refresh by cookie draws from its session's budget, not the address's", async () => {
    const { cookie } = await cookieLogin();
    const ip = randomIp();
    // Use up the address's sign-in budget.
    for (let i = 0; i < 20; i++) await call("POST", "/v1/auth/dev-login", { body: { username: uniqueName("b") }, headers: { "cf-connecting-ip": ip } });
    expect((await call("POST", "/v1/auth/dev-login", { body: { username: uniqueName("b") }, headers: { "cf-connecting-ip": ip } })).status).toBe(429);
    const refreshed = await call("POST", "/v1/auth/refresh", { cookie, headers: { ...COOKIE, "cf-connecting-ip": ip } });
    expect(refreshed.status).toBe(200);
  });
});

describe("sign-in methods", () => {
  it("GET /v1/auth/methods says what the deployment offers, and costs no budget", async () => {
    const ip = randomIp();
    for (let i = 0; i < 30; i++) {
      const res = await call("GET", "/v1/auth/methods", { headers: { "cf-connecting-ip": ip } });
      expect(res.status).toBe(200);
      expect(SignInMethods.parse(res.body)).toEqual({ dev_login: true, passkeys: true, oauth: ["github"] });
    }
  });
});

describe("the user's sessions", () => {
  it("lists live sessions with the current one marked, ends one, and signs out every other device", async () => {
    const username = uniqueName("devices");
    const phone = await call("POST", "/v1/auth/dev-login", { body: { username }, headers: { "user-agent": "Phone/1.0" } });
    const laptop = await call("POST", "/v1/auth/dev-login", { body: { username }, headers: { "user-agent": "Laptop/2.0" } });
    const desk = await call("POST", "/v1/auth/dev-login", { body: { username } });
    const token = laptop.body.access_token as string;
    const list = SessionList.parse((await api("GET", "/v1/me/sessions", token)).body).sessions;
    expect(list).toHaveLength(3);
    const current = list.filter((s) => s.current);
    expect(current).toHaveLength(1);
    expect(current[0]).toMatchObject({ method: "dev", agent: "Laptop/2.0" });
    const phoneSession = list.find((s) => s.agent === "Phone/1.0")!;

    // Someone else cannot end it; an unknown or malformed id is 404.
    const other = await call("POST", "/v1/auth/dev-login", { body: { username: uniqueName("other") } });
    expect((await api("DELETE", `/v1/me/sessions/${phoneSession.id}`, other.body.access_token)).status).toBe(404);
    expect((await api("DELETE", "/v1/me/sessions/f_nope", token)).status).toBe(404);

    expect((await api("DELETE", `/v1/me/sessions/${phoneSession.id}`, token)).status).toBe(204);
    expect((await call("POST", "/v1/auth/refresh", { body: { refresh_token: phone.body.refresh_token } })).status).toBe(401);
    expect((await api("DELETE", `/v1/me/sessions/${phoneSession.id}`, token)).status).toBe(404);

    const revoked = await api("POST", "/v1/me/sessions/revoke-others", token);
    expect(revoked.body).toEqual({ revoked: 1 });
    expect((await call("POST", "/v1/auth/refresh", { body: { refresh_token: desk.body.refresh_token } })).status).toBe(401);
    expect((await call("POST", "/v1/auth/refresh", { body: { refresh_token: laptop.body.refresh_token } })).status).toBe(200);
    const left = SessionList.parse((await api("GET", "/v1/me/sessions", token)).body).sessions;
    expect(left.map((s) => s.current)).toEqual([true]);
    expect((await api("GET", "/v1/me/sessions", undefined)).status).toBe(401);
  });
});
