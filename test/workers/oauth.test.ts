/**
 * OAuth through the real Worker in workerd, up to the provider: the
 * redirect to the provider (PKCE S256, state, the browser-binding cookie),
 * `return_to`, every way a callback is refused before the provider is asked
 * (the state, the cookie, a replay), the choose-username step with tickets,
 * and the rules of linked identities. The provider configured here answers
 * nothing (vitest.config.mts), so a callback that gets as far as the token
 * exchange ends in `provider_failed`; the whole flow against a fake provider
 * is test/e2e/oauth.test.ts.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { codeChallenge } from "../../src/auth/pkce.ts";
import { signTicket } from "../../src/auth/signed.ts";
import { ErrorBody, IdentityList, LoginResponse } from "../../src/protocol/index.ts";
import { SoftAuthenticator } from "../support/soft-authenticator.ts";
import { api, randomIp, uniqueName } from "./helpers.ts";

const BASE = "https://parley.test";
const SECRET = "test-secret-for-workerd-tests-only";

async function get(path: string, cookie?: string) {
  const res = await SELF.fetch(`${BASE}${path}`, { redirect: "manual", headers: { "cf-connecting-ip": randomIp(), ...(cookie ? { cookie } : {}) } });
  await res.arrayBuffer();
  return { status: res.status, location: res.headers.get("location") ?? "", cookies: res.headers.getSetCookie() };
}

/** Starts a flow: the provider URL it redirects to, and the binding cookie. */
async function start(query = "") {
  const res = await get(`/v1/auth/oauth/github/start${query}`);
  expect(res.status).toBe(302);
  const url = new URL(res.location);
  const cookie = res.cookies.find((c) => c.startsWith("parley_oauth="))!.split(";")[0]!;
  return { url, state: url.searchParams.get("state")!, cookie, setCookie: res.cookies };
}

function errorOf(location: string): string | null {
  expect(location.startsWith("/#/sign-in?")).toBe(true);
  return new URLSearchParams(location.slice("/#/sign-in?".length)).get("error");
}

async function ticket(subject: string, ttlMs = 60_000, label: string | null = "octocat") {
  return signTicket(SECRET, { provider: "github", subject, label, suggested: "octocat", exp: Date.now() + ttlMs });
}

describe("OAuth start", () => {
  it("redirects to the provider with PKCE S256, a signed state and the callback URL, and binds the flow to the browser with a Lax cookie", async () => {
    const { url, state, setCookie } = await start();
    expect(url.origin + url.pathname).toBe("https://github.test/login/oauth/authorize");
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: "workerd-test-client",
      redirect_uri: `${BASE}/v1/auth/oauth/github/callback`,
      response_type: "code",
      code_challenge_method: "S256",
      scope: "read:user",
    });
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(state).toMatch(/^cer[0-9a-f]_[A-Za-z0-9]{24}\.[A-Za-z0-9_-]{22}$/);
    expect(setCookie.find((c) => c.startsWith("parley_oauth="))).toMatch(/^parley_oauth=[A-Za-z0-9]{43}; Path=\/v1\/auth\/oauth; Max-Age=600; HttpOnly; Secure; SameSite=Lax$/);
    // Each flow has its own state, challenge and cookie.
    const again = await start();
    expect(again.state).not.toBe(state);
    expect(again.url.searchParams.get("code_challenge")).not.toBe(url.searchParams.get("code_challenge"));
    expect(await codeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  });

  it("takes return_to only as a path of this site", async () => {
    for (const ok of ["/", "/%23/settings", "/app?x=1"]) expect((await get(`/v1/auth/oauth/github/start?return_to=${ok}`)).status, ok).toBe(302);
    for (const bad of ["//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "evil", "/%0d%0aSet-Cookie:x", "%2F%2Fevil.example"]) {
      const res = await SELF.fetch(`${BASE}/v1/auth/oauth/github/start?return_to=${bad}`, { redirect: "manual", headers: { "cf-connecting-ip": randomIp() } });
      expect(res.status, bad).toBe(400);
      expect(ErrorBody.parse(await res.json()).message).toMatch(/return_to/);
    }
  });

  it("answers 404 for a provider that is unknown or not configured here", async () => {
    expect((await get("/v1/auth/oauth/google/start")).status).toBe(404);
    expect((await get("/v1/auth/oauth/twitter/start")).status).toBe(404);
    expect((await get("/v1/auth/oauth/google/callback?state=x")).status).toBe(404);
  });

  it("linking needs a live cookie session: without one it ends in error=session_required", async () => {
    const res = await get("/v1/auth/oauth/github/start?link=1");
    expect(res.status).toBe(302);
    expect(errorOf(res.location)).toBe("session_required");
    const dead = await get("/v1/auth/oauth/github/start?link=1", "parley_refresh=rt_u_x.f_aaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    expect(errorOf(dead.location)).toBe("session_required");
  });
});

describe("OAuth callback", () => {
  it("refuses a missing, forged, unbound, mismatched or replayed state with error=invalid_state", async () => {
    const flow = await start();
    expect(errorOf((await get("/v1/auth/oauth/github/callback?code=c")).location)).toBe("invalid_state");
    expect(errorOf((await get("/v1/auth/oauth/github/callback?code=c&state=cer1_AAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA", flow.cookie)).location)).toBe("invalid_state");
    // The right state from a browser that did not start it (no cookie): refused, and the flow is not used up.
    expect(errorOf((await get(`/v1/auth/oauth/github/callback?code=c&state=${flow.state}`)).location)).toBe("invalid_state");
    // Another flow's cookie: refused, and this state is used up.
    const other = await start();
    expect(errorOf((await get(`/v1/auth/oauth/github/callback?code=c&state=${flow.state}`, other.cookie)).location)).toBe("invalid_state");
    expect(errorOf((await get(`/v1/auth/oauth/github/callback?code=c&state=${flow.state}`, flow.cookie)).location)).toBe("invalid_state");
    // Every callback clears the binding cookie.
    const cleared = await get(`/v1/auth/oauth/github/callback?code=c&state=${other.state}`);
    expect(cleared.cookies).toContain("parley_oauth=; Path=/v1/auth/oauth; Max-Age=0; HttpOnly; Secure; SameSite=Lax");
  });

  it("a refusal at the provider is error=access_denied; a provider that cannot be reached is error=provider_failed; the state is single use", async () => {
    const denied = await start();
    expect(errorOf((await get(`/v1/auth/oauth/github/callback?error=access_denied&state=${denied.state}`, denied.cookie)).location)).toBe("access_denied");
    const flow = await start();
    const res = await get(`/v1/auth/oauth/github/callback?code=abc&state=${flow.state}`, flow.cookie);
    expect(errorOf(res.location)).toBe("provider_failed");
    expect(new URLSearchParams(res.location.split("?")[1]).get("provider")).toBe("github");
    expect(errorOf((await get(`/v1/auth/oauth/github/callback?code=abc&state=${flow.state}`, flow.cookie)).location)).toBe("invalid_state");
  });
});

describe("OAuth choose-username step", () => {
  it("registers the user with the identity linked; a taken username is 409 and the ticket stays good; the identity then signs in no one twice", async () => {
    const subject = `gh-${Date.now()}${Math.random()}`;
    const t = await ticket(subject);
    const taken = await api("POST", "/v1/auth/dev-login", undefined, { username: uniqueName("taken") });
    const conflict = await api("POST", "/v1/auth/oauth/complete", undefined, { ticket: t, username: taken.body.user.username });
    expect(conflict.status).toBe(409);
    expect(ErrorBody.parse(conflict.body).message).toMatch(/taken/);
    const username = uniqueName("gh");
    const done = await api("POST", "/v1/auth/oauth/complete", undefined, { ticket: t, username }, { "x-parley-session": "cookie" });
    expect(done.status, JSON.stringify(done.body)).toBe(201);
    const session = LoginResponse.parse(done.body);
    expect(session.user.username).toBe(username);
    expect(done.headers.get("set-cookie")).toMatch(/^parley_refresh=rt_/);
    expect(session.refresh_token).toBeUndefined();
    const ids = IdentityList.parse((await api("GET", "/v1/me/identities", session.access_token)).body).identities;
    expect(ids).toEqual([expect.objectContaining({ provider: "github", label: "octocat" })]);
    // The same ticket again, even with a free name: the identity is registered already.
    const twice = await api("POST", "/v1/auth/oauth/complete", undefined, { ticket: t, username: uniqueName("again") });
    expect(twice.status).toBe(409);
    expect(twice.body.message).toMatch(/registered already/);
    const sessions = (await api("GET", "/v1/me/sessions", session.access_token)).body.sessions;
    expect(sessions).toEqual([expect.objectContaining({ method: "github", current: true })]);
  });

  it("refuses garbage (400), a forged or expired ticket (401)", async () => {
    const good = await ticket(`s-${Math.random()}`);
    for (const body of [{}, { ticket: good }, { ticket: "x", username: "valid_name" }, { ticket: good, username: "no" }, { ticket: good, username: "system" }]) {
      expect((await api("POST", "/v1/auth/oauth/complete", undefined, body)).status, JSON.stringify(body)).toBe(400);
    }
    const forged = `${good.slice(0, -3)}${good.endsWith("AAA") ? "BBB" : "AAA"}`;
    expect((await api("POST", "/v1/auth/oauth/complete", undefined, { ticket: forged, username: uniqueName("f") })).status).toBe(401);
    const expired = await ticket(`s-${Math.random()}`, -1);
    const res = await api("POST", "/v1/auth/oauth/complete", undefined, { ticket: expired, username: uniqueName("e") });
    expect(res.status).toBe(401);
    expect(ErrorBody.parse(res.body).message).toMatch(/invalid or expired/);
  });
});

describe("linked identities", () => {
  it("the last sign-in method cannot be unlinked; with a passkey added it can; unknown providers are 404", async () => {
    const done = await api("POST", "/v1/auth/oauth/complete", undefined, { ticket: await ticket(`u-${Math.random()}`), username: uniqueName("lnk") });
    const token = done.body.access_token as string;
    const last = await api("DELETE", "/v1/me/identities/github", token);
    expect(last.status).toBe(409);
    expect(last.body.message).toMatch(/last way to sign in/);
    expect((await api("DELETE", "/v1/me/identities/twitter", token)).status).toBe(404);
    expect((await api("DELETE", "/v1/me/identities/google", token)).status).toBe(404);

    const auth = new SoftAuthenticator(BASE);
    const add = await api("POST", "/v1/auth/passkeys/register/options", token, {});
    const created = await api("POST", "/v1/auth/passkeys/register/verify", token, { ceremony_id: add.body.ceremony_id, response: await auth.create(add.body.options) });
    expect(created.status).toBe(201);
    expect((await api("DELETE", "/v1/me/identities/github", token)).status).toBe(204);
    expect((await api("GET", "/v1/me/identities", token)).body.identities).toEqual([]);
    expect((await api("DELETE", "/v1/me/identities/github", token)).status).toBe(404);
    // Now the passkey is the last method.
    expect((await api("DELETE", `/v1/me/passkeys/${created.body.passkey.id}`, token)).status).toBe(409);
  });
});
