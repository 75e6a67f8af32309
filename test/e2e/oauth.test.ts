/**
 * OAuth sign-in end to end: the real engine (`wrangler dev`) with its GitHub
 * and Google settings pointed at a fake provider that this test starts on
 * 127.0.0.1 (test/support/fake-oauth-provider.ts). A "browser" is a cookie
 * jar following the redirects by hand with fetch: start → provider →
 * callback → the app.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CookieJar } from "../support/cookie-jar.ts";
import { api, uniqueName } from "../support/e2e-helpers.ts";
import { Engine } from "../support/engine.ts";
import { FakeOAuthProvider, type FakeProviderName } from "../support/fake-oauth-provider.ts";

let engine: Engine;
let provider: FakeOAuthProvider;

beforeAll(async () => {
  provider = await FakeOAuthProvider.start();
  engine = await Engine.start({ vars: provider.vars() });
});

afterAll(async () => {
  await engine?.stop();
  await provider?.stop();
});

let accounts = 0;
/** A provider account no other test uses. */
function account(name: string) {
  accounts += 1;
  return { id: String(Date.now() * 10 + accounts), login: `${name}-${accounts}`, email: `${name}${accounts}@example.com` };
}

/** Follows redirects from `url` until the browser lands on the app; answers where (path, query and fragment). */
async function follow(jar: CookieJar, url: string): Promise<string> {
  for (let hop = 0; hop < 6; hop++) {
    const res = await jar.fetch(url);
    await res.arrayBuffer();
    expect(res.status, `${url} answered ${res.status}`).toBe(302);
    const next = new URL(res.headers.get("location")!, url);
    if (next.origin === engine.url && !next.pathname.startsWith("/v1/")) return `${next.pathname}${next.search}${next.hash}`;
    url = next.toString();
  }
  throw new Error("too many redirects");
}

function signIn(jar: CookieJar, name: FakeProviderName, query = ""): Promise<string> {
  return follow(jar, `${engine.url}/v1/auth/oauth/${name}/start${query}`);
}

/** The fragment route's parameters: `/#/choose-username?ticket=…` → {ticket, …}. */
function hashParams(location: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(location.split("?")[1] ?? ""));
}

/** A refresh with the jar's session cookie, as the web app does: the user it belongs to. */
async function cookieSession(jar: CookieJar): Promise<{ status: number; body: any }> {
  const res = await jar.fetch(`${engine.url}/v1/auth/refresh`, { method: "POST", headers: { "x-parley-session": "cookie" } });
  return { status: res.status, body: await res.json() };
}

async function complete(jar: CookieJar, ticket: string, username: string) {
  const res = await jar.fetch(`${engine.url}/v1/auth/oauth/complete`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-parley-session": "cookie" },
    body: JSON.stringify({ ticket, username }),
  });
  return { status: res.status, body: await res.json() };
}

describe("OAuth against a fake provider", () => {
  it("a new GitHub identity chooses a username and gets a session; the same identity later signs in as the same user", async () => {
    const octo = account("octo");
    provider.signInAs("github", octo);
    const jar = new CookieJar();
    const landed = await signIn(jar, "github", "?return_to=/%23/inbox");
    expect(landed.startsWith("/#/choose-username?")).toBe(true);
    const params = hashParams(landed);
    expect(params.ticket).toMatch(/^ot_/);
    expect(params.suggested).toBe(octo.login.replace(/-/g, "_"));
    expect(provider.tokenRequests.at(-1)).toEqual({ provider: "github", verifierMatched: true, ok: true });

    const username = uniqueName("octo");
    const done = await complete(jar, params.ticket!, username);
    expect(done.status, JSON.stringify(done.body)).toBe(201);
    expect(done.body.user.username).toBe(username);
    expect(done.body.refresh_token).toBeUndefined();
    const me = await api(engine.url, "GET", "/v1/me", done.body.access_token);
    expect(me.body.user.username).toBe(username);

    // Later, in another browser: the identity is known, so the callback opens a cookie session and returns.
    const later = new CookieJar();
    expect(await signIn(later, "github", "?return_to=/%23/inbox")).toBe("/#/inbox");
    const session = await cookieSession(later);
    expect(session.status).toBe(200);
    expect(session.body.user).toEqual(done.body.user);
    expect(later.get("parley_oauth")).toBeUndefined();
  });

  it("a Google identity signs up through the ID token, and the wrong PKCE verifier (an injected code) is refused at the provider", async () => {
    const ada = account("ada");
    provider.signInAs("google", ada);
    const jar = new CookieJar();
    const landed = await signIn(jar, "google");
    const params = hashParams(landed);
    expect(params.suggested).toBe(`ada${ada.email.slice(3, ada.email.indexOf("@"))}`);
    const done = await complete(jar, params.ticket!, uniqueName("ada"));
    expect(done.status).toBe(201);
    const identities = await api(engine.url, "GET", "/v1/me/identities", done.body.access_token);
    expect(identities.body.identities).toEqual([expect.objectContaining({ provider: "google", label: ada.email })]);

    // An attacker's code, from a flow the attacker started, injected into the victim's callback:
    // the victim's state and cookie are right, but the verifier is the victim's, not the attacker's.
    const victim = new CookieJar();
    const victimStart = await victim.fetch(`${engine.url}/v1/auth/oauth/github/start`);
    const victimState = new URL(victimStart.headers.get("location")!).searchParams.get("state")!;
    const attacker = new CookieJar();
    const attackerStart = await attacker.fetch(`${engine.url}/v1/auth/oauth/github/start`);
    const atProvider = await attacker.fetch(attackerStart.headers.get("location")!);
    const attackerCode = new URL(atProvider.headers.get("location")!).searchParams.get("code")!;
    const landedVictim = await follow(victim, `${engine.url}/v1/auth/oauth/github/callback?code=${attackerCode}&state=${encodeURIComponent(victimState)}`);
    expect(hashParams(landedVictim)).toMatchObject({ error: "provider_failed", provider: "github" });
    expect(provider.tokenRequests.at(-1)).toEqual({ provider: "github", verifierMatched: false, ok: false });
    expect(victim.get("parley_refresh")).toBeUndefined();
  });

  it("a missing or mismatched state, or a callback in another browser, is refused", async () => {
    provider.signInAs("github", account("state"));
    const asked = provider.tokenRequests.length;
    const jar = new CookieJar();
    const start = await jar.fetch(`${engine.url}/v1/auth/oauth/github/start`);
    const atProvider = await jar.fetch(start.headers.get("location")!);
    const callback = new URL(atProvider.headers.get("location")!);
    // No state.
    const noState = new URL(callback);
    noState.searchParams.delete("state");
    expect(hashParams(await follow(jar, noState.toString())).error).toBe("invalid_state");
    // Another browser (no binding cookie) with the right state and code.
    expect(hashParams(await follow(new CookieJar(), callback.toString())).error).toBe("invalid_state");
    // Another flow's state in this browser.
    const other = new CookieJar();
    const otherStart = await other.fetch(`${engine.url}/v1/auth/oauth/github/start`);
    const mismatched = new URL(callback);
    mismatched.searchParams.set("state", new URL(otherStart.headers.get("location")!).searchParams.get("state")!);
    expect(hashParams(await follow(jar, mismatched.toString())).error).toBe("invalid_state");
    // The provider was never asked for a token in any of these.
    expect(provider.tokenRequests).toHaveLength(asked);
  });

  it("a signed-in user links a second provider and then signs in with it; an identity linked to someone else is refused (409)", async () => {
    // Alice signs up with GitHub.
    const aliceGithub = account("alice");
    provider.signInAs("github", aliceGithub);
    const alice = new CookieJar();
    const ticket = hashParams(await signIn(alice, "github")).ticket!;
    const registered = await complete(alice, ticket, uniqueName("alice"));
    expect(registered.status).toBe(201);

    // She links Google from her cookie session.
    const aliceGoogle = account("alicegoogle");
    provider.signInAs("google", aliceGoogle);
    expect(await signIn(alice, "google", "?link=1&return_to=/%23/settings")).toBe("/#/settings");
    const ids = await api(engine.url, "GET", "/v1/me/identities", registered.body.access_token);
    expect(ids.body.identities.map((i: { provider: string }) => i.provider).sort()).toEqual(["github", "google"]);

    // Google now signs her in, in a fresh browser.
    const fresh = new CookieJar();
    expect(await signIn(fresh, "google")).toBe("/");
    expect((await cookieSession(fresh)).body.user).toEqual(registered.body.user);

    // Bob, signed in with his own GitHub, tries to link Alice's Google account.
    provider.signInAs("github", account("bob"));
    const bob = new CookieJar();
    const bobDone = await complete(bob, hashParams(await signIn(bob, "github")).ticket!, uniqueName("bob"));
    expect(bobDone.status).toBe(201);
    provider.signInAs("google", aliceGoogle);
    expect(hashParams(await signIn(bob, "google", "?link=1"))).toMatchObject({ error: "identity_linked", provider: "google" });
    const bobIds = await api(engine.url, "GET", "/v1/me/identities", bobDone.body.access_token);
    expect(bobIds.body.identities.map((i: { provider: string }) => i.provider)).toEqual(["github"]);

    // A ticket for an identity that got linked meanwhile: 409.
    const carol = account("carol");
    provider.signInAs("github", carol);
    const first = new CookieJar();
    const second = new CookieJar();
    const t1 = hashParams(await signIn(first, "github")).ticket!;
    const t2 = hashParams(await signIn(second, "github")).ticket!;
    expect((await complete(first, t1, uniqueName("carol"))).status).toBe(201);
    const late = await complete(second, t2, uniqueName("carol2"));
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("conflict");

    // Alice unlinks GitHub (Google remains); then Google is her last method.
    expect((await api(engine.url, "DELETE", "/v1/me/identities/github", registered.body.access_token)).status).toBe(204);
    expect((await api(engine.url, "DELETE", "/v1/me/identities/google", registered.body.access_token)).status).toBe(409);
  });

  it("linking without a cookie session is refused with error=session_required", async () => {
    expect(hashParams(await signIn(new CookieJar(), "github", "?link=1")).error).toBe("session_required");
  });
});
