/**
 * Passkeys through the real Worker and actors, with a software
 * authenticator (test/support/soft-authenticator.ts) standing in for the
 * browser: registration, sign-in (usernameless and by username), several
 * passkeys per user, and every way a ceremony must fail — a wrong challenge,
 * origin or RP ID, a replay, an expired ceremony, an unknown credential, a
 * counter that went back — each with 401 and nothing changed. The browser
 * path (Chromium's virtual authenticator) is test/browser/passkeys.test.ts.
 */
import { env, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CeremonyOptions, ErrorBody, LoginResponse, PasskeyList, PasskeyView } from "../../src/protocol/index.ts";
import { ceremonyShard, verifyCeremonyId } from "../../src/auth/signed.ts";
import { SoftAuthenticator, cbor, fromB64url } from "../support/soft-authenticator.ts";
import { api, login, randomIp, uniqueName } from "./helpers.ts";

const ORIGIN = "https://parley.test";
const SECRET = "test-secret-for-workerd-tests-only";

async function registerOptions(username?: string, token?: string) {
  const res = await api("POST", "/v1/auth/passkeys/register/options", token, username === undefined ? {} : { username });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return CeremonyOptions.parse(res.body) as { ceremony_id: string; options: any };
}

async function loginOptions(username?: string) {
  const res = await api("POST", "/v1/auth/passkeys/login/options", undefined, username === undefined ? {} : { username });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return CeremonyOptions.parse(res.body) as { ceremony_id: string; options: any };
}

/** A new account with one passkey: its authenticator and its session. */
async function signUp(username = uniqueName("pk")) {
  const auth = new SoftAuthenticator(ORIGIN);
  const { ceremony_id, options } = await registerOptions(username);
  const res = await api("POST", "/v1/auth/passkeys/register/verify", undefined, { ceremony_id, response: await auth.create(options) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { auth, username, session: LoginResponse.parse(res.body) };
}

async function signIn(auth: SoftAuthenticator, username?: string, bend = {}) {
  const { ceremony_id, options } = await loginOptions(username);
  return api("POST", "/v1/auth/passkeys/login/verify", undefined, { ceremony_id, response: await auth.get(options, undefined, bend) });
}

function expectRefused(res: { status: number; body: any }, status: number, message?: RegExp) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const body = ErrorBody.parse(res.body);
  if (message) expect(body.message).toMatch(message);
}

describe("passkeys", () => {
  it("register a new account, then sign in usernameless and by username; every session works", async () => {
    const { auth, username, session } = await signUp();
    expect(session.user.username).toBe(username);
    expect(session.refresh_token).toBeTypeOf("string");
    expect((await api("GET", "/v1/me", session.access_token)).body.user.username).toBe(username);

    const discoverable = await loginOptions();
    expect(discoverable.options.allowCredentials ?? []).toEqual([]);
    expect(discoverable.options).toMatchObject({ rpId: "parley.test", userVerification: "required" });
    const usernameless = await api("POST", "/v1/auth/passkeys/login/verify", undefined, { ceremony_id: discoverable.ceremony_id, response: await auth.get(discoverable.options) });
    expect(usernameless.status).toBe(200);
    expect(LoginResponse.parse(usernameless.body).user).toEqual(session.user);

    const named = await loginOptions(username.toUpperCase());
    expect(named.options.allowCredentials.map((c: { id: string }) => c.id)).toEqual([auth.credentials[0]!.id]);
    const byName = await api("POST", "/v1/auth/passkeys/login/verify", undefined, { ceremony_id: named.ceremony_id, response: await auth.get(named.options) });
    expect(byName.status).toBe(200);
    expect((await api("GET", "/v1/me", byName.body.access_token)).status).toBe(200);

    const list = PasskeyList.parse((await api("GET", "/v1/me/passkeys", session.access_token)).body);
    expect(list.passkeys).toHaveLength(1);
    expect(list.passkeys[0]).toMatchObject({ name: "Passkey", credential_id: auth.credentials[0]!.id, transports: ["internal"] });
    expect(list.passkeys[0]!.last_used_at).toBeGreaterThanOrEqual(list.passkeys[0]!.created_at);
  });

  it("the registration options ask for a discoverable, user-verified credential with attestation none", async () => {
    const { options } = await registerOptions(uniqueName("opt"));
    expect(options).toMatchObject({
      rp: { id: "parley.test", name: "Parley" },
      attestation: "none",
      authenticatorSelection: { residentKey: "required", userVerification: "required" },
    });
    expect(options.pubKeyCredParams.map((p: { alg: number }) => p.alg)).toEqual([-8, -7, -257]);
    expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("a ceremony is single use: a replayed verify is refused, and so is a retry after a failed one", async () => {
    const auth = new SoftAuthenticator(ORIGIN);
    const { ceremony_id, options } = await registerOptions(uniqueName("once"));
    const response = await auth.create(options);
    expect((await api("POST", "/v1/auth/passkeys/register/verify", undefined, { ceremony_id, response })).status).toBe(201);
    expectRefused(await api("POST", "/v1/auth/passkeys/register/verify", undefined, { ceremony_id, response }), 401, /unknown, expired or already used/);

    const login1 = await loginOptions();
    const bad = await api("POST", "/v1/auth/passkeys/login/verify", undefined, { ceremony_id: login1.ceremony_id, response: await auth.get(login1.options, undefined, { origin: "https://evil.test" }) });
    expectRefused(bad, 401, /wrong origin/);
    const retry = await api("POST", "/v1/auth/passkeys/login/verify", undefined, { ceremony_id: login1.ceremony_id, response: await auth.get(login1.options) });
    expectRefused(retry, 401, /already used/);
  });

  it("refuses a wrong challenge, another origin or RP ID, no user verification, a foreign signature, and a ceremony of the other kind", async () => {
    const { auth } = await signUp();
    const other = new SoftAuthenticator(ORIGIN);
    await other.create((await registerOptions(uniqueName("x"))).options); // a key the server never saw
    const cases: Array<[object, RegExp]> = [
      [{ challenge: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, /wrong challenge/],
      [{ origin: "https://parley.test.evil.example" }, /wrong origin/],
      [{ rpId: "evil.example" }, /wrong RP ID/],
      [{ noUserVerification: true }, /user not verified/],
      [{ signWith: other.credentials[0]!.keys.privateKey }, /bad signature/],
      [{ type: "webauthn.create" }, /type/],
    ];
    for (const [bend, reason] of cases) expectRefused(await signIn(auth, undefined, bend), 401, reason);

    // A sign-in ceremony cannot finish a registration, nor the other way round.
    const loginCeremony = await loginOptions();
    const reg = await registerOptions(uniqueName("kind"));
    expectRefused(await api("POST", "/v1/auth/passkeys/register/verify", undefined, { ceremony_id: loginCeremony.ceremony_id, response: await new SoftAuthenticator(ORIGIN).create(reg.options) }), 401, /unknown, expired or already used/);
    expectRefused(await api("POST", "/v1/auth/passkeys/login/verify", undefined, { ceremony_id: reg.ceremony_id, response: await auth.get(reg.options.challenge ? { challenge: reg.options.challenge, rpId: "parley.test" } : {}) }), 401);

    // Registration: the same checks.
    for (const [bend, reason] of [[{ origin: "http://parley.test" }, /wrong origin/], [{ rpId: "other.test" }, /RP ID/], [{ noUserVerification: true }, /user not verified/]] as Array<[object, RegExp]>) {
      const username = uniqueName("reg");
      const { ceremony_id, options } = await registerOptions(username);
      expectRefused(await api("POST", "/v1/auth/passkeys/register/verify", undefined, { ceremony_id, response: await new SoftAuthenticator(ORIGIN).create(options, bend) }), 401, reason);
      // Nothing was registered: the name is still free.
      await registerOptions(username);
    }
  });

  it("refuses an attestation that carries certificates before anything reads them", async () => {
    const { ceremony_id, options } = await registerOptions(uniqueName("att"));
    const response = await new SoftAuthenticator(ORIGIN).create(options, {
      fmt: "packed",
      attStmt: new Map<string, unknown>([["alg", -7], ["sig", new Uint8Array(70)], ["x5c", [new Uint8Array(300)]]]),
    });
    expectRefused(await api("POST", "/v1/auth/passkeys/register/verify", undefined, { ceremony_id, response }), 401, /attestation packed/);
    expect(cbor(1)).toEqual(new Uint8Array([1]));
  });

  it("an expired ceremony is refused", async () => {
    const { auth } = await signUp();
    const { ceremony_id, options } = await loginOptions();
    const shard = (await verifyCeremonyId(SECRET, ceremony_id))!;
    await runInDurableObject(env.CEREMONIES.get(env.CEREMONIES.idFromName(ceremonyShard(shard))), (_instance, state) => {
      state.storage.sql.exec("UPDATE ceremonies SET expires_at = ? WHERE id = ?", Date.now() - 1, ceremony_id);
    });
    expectRefused(await api("POST", "/v1/auth/passkeys/login/verify", undefined, { ceremony_id, response: await auth.get(options) }), 401, /expired/);
  });

  it("an unknown credential, or one of another user, is refused and wakes no user's actor", async () => {
    const stranger = new SoftAuthenticator(ORIGIN);
    const ghost = `u_ghost${Date.now()}`;
    await stranger.create({ rp: { id: "parley.test" }, user: { id: btoa(ghost).replace(/=+$/, "") }, challenge: "AAAA" });
    expectRefused(await signIn(stranger), 401, /not registered here/);
    const ids = (await listDurableObjectIds(env.USER)).map((id) => id.toString());
    expect(ids).not.toContain(env.USER.idFromName(ghost).toString());

    // By username: a passkey of someone else does not sign in as that username.
    const alice = await signUp();
    const bob = await signUp();
    const { ceremony_id, options } = await loginOptions(alice.username);
    expectRefused(await api("POST", "/v1/auth/passkeys/login/verify", undefined, { ceremony_id, response: await bob.auth.get({ ...options, allowCredentials: [] }) }), 401, /another user/);
    // A user handle that names someone else.
    const forged = await loginOptions();
    expectRefused(await api("POST", "/v1/auth/passkeys/login/verify", undefined, { ceremony_id: forged.ceremony_id, response: await bob.auth.get(forged.options, undefined, { userHandle: btoa(alice.session.user.id).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_") }) }), 401, /another user/);
  });

  it("a signature counter that goes back is refused, and the stored counter stays", async () => {
    const { auth } = await signUp();
    expect((await signIn(auth, undefined, { counter: 5 })).status).toBe(200);
    expectRefused(await signIn(auth, undefined, { counter: 3 }), 401, /counter/);
    expectRefused(await signIn(auth, undefined, { counter: 5 }), 401, /counter/);
    expect((await signIn(auth, undefined, { counter: 6 })).status).toBe(200);
  });

  it("forged and garbage ceremony ids reach no actor; garbage bodies are 400 naming the field", async () => {
    const forged = "cer3_AAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA";
    expectRefused(await api("POST", "/v1/auth/passkeys/login/verify", undefined, { ceremony_id: forged, response: minimalAssertion() }), 401, /unknown, expired or already used/);
    for (const [path, body, field] of [
      ["/v1/auth/passkeys/login/verify", { ceremony_id: "nope", response: minimalAssertion() }, /ceremony_id/],
      ["/v1/auth/passkeys/login/verify", { ceremony_id: forged, response: { ...minimalAssertion(), type: "password" } }, /response.type/],
      ["/v1/auth/passkeys/login/verify", { ceremony_id: forged, response: { ...minimalAssertion(), id: "not base64url!" } }, /response.id/],
      ["/v1/auth/passkeys/register/verify", { ceremony_id: forged, response: { id: "a" } }, /response/],
      ["/v1/auth/passkeys/register/options", { username: "x" }, /username/],
      ["/v1/auth/passkeys/register/options", { username: "admin" }, /reserved/],
      ["/v1/auth/passkeys/register/options", {}, /username: required/],
      ["/v1/auth/passkeys/login/options", { username: 42 }, /username/],
      ["/v1/auth/passkeys/login/options", "{not json", /JSON/],
      ["/v1/auth/passkeys/register/verify", [], /expected object|object/i],
    ] as Array<[string, unknown, RegExp]>) {
      expectRefused(await api("POST", path, undefined, body), 400, field);
    }
    expectRefused(await api("POST", "/v1/auth/passkeys/login/verify", undefined, { ceremony_id: forged, response: { ...minimalAssertion(), response: { ...minimalAssertion().response, signature: "A".repeat(70_000) } } }), 413);
  });

  it("usernames follow the Directory: taken at options is 409, taken between options and verify is 409 and registers nothing", async () => {
    const taken = await login();
    expectRefused(await api("POST", "/v1/auth/passkeys/register/options", undefined, { username: taken.username.toUpperCase() }), 409, /taken/);
    const name = uniqueName("race");
    const first = await registerOptions(name);
    const second = await registerOptions(name);
    const a = new SoftAuthenticator(ORIGIN);
    const b = new SoftAuthenticator(ORIGIN);
    expect((await api("POST", "/v1/auth/passkeys/register/verify", undefined, { ceremony_id: first.ceremony_id, response: await a.create(first.options) })).status).toBe(201);
    expectRefused(await api("POST", "/v1/auth/passkeys/register/verify", undefined, { ceremony_id: second.ceremony_id, response: await b.create(second.options) }), 409, /taken/);
    expectRefused(await signIn(b), 401, /not registered here/);
  });

  it("a signed-in user adds passkeys, lists, renames and deletes them, but never the last sign-in method", async () => {
    const { auth, session } = await signUp();
    const token = session.access_token;
    const add = await registerOptions(undefined, token);
    expect(add.options.excludeCredentials.map((c: { id: string }) => c.id)).toEqual([auth.credentials[0]!.id]);
    expect(add.options.user.name).toBe(session.user.username);
    const laptop = new SoftAuthenticator(ORIGIN);
    const created = await api("POST", "/v1/auth/passkeys/register/verify", token, { ceremony_id: add.ceremony_id, response: await laptop.create(add.options), name: "Laptop" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const second = PasskeyView.parse(created.body.passkey);
    expect(second.name).toBe("Laptop");

    // The new one signs in as the same user.
    const viaLaptop = await signIn(laptop);
    expect(viaLaptop.body.user).toEqual(session.user);

    const renamed = await api("PATCH", `/v1/me/passkeys/${second.id}`, token, { name: "Work laptop" });
    expect(renamed.body.passkey.name).toBe("Work laptop");
    expectRefused(await api("PATCH", `/v1/me/passkeys/${second.id}`, token, { name: "\u202eevil" }), 400, /name/);

    const listed = PasskeyList.parse((await api("GET", "/v1/me/passkeys", token)).body).passkeys;
    expect(listed.map((p) => p.id)).toHaveLength(2);
    const first = listed.find((p) => p.id !== second.id)!;

    // Someone else cannot see or delete them.
    const mallory = await login();
    expect((await api("GET", "/v1/me/passkeys", mallory.token)).body.passkeys).toEqual([]);
    expectRefused(await api("DELETE", `/v1/me/passkeys/${first.id}`, mallory.token), 404);
    expectRefused(await api("DELETE", "/v1/me/passkeys/not-an-id", token), 404);

    expect((await api("DELETE", `/v1/me/passkeys/${first.id}`, token)).status).toBe(204);
    expectRefused(await signIn(auth), 401, /not registered here/);
    expectRefused(await api("DELETE", `/v1/me/passkeys/${second.id}`, token), 409, /last way to sign in/);
    expect(PasskeyList.parse((await api("GET", "/v1/me/passkeys", token)).body).passkeys.map((p) => p.id)).toEqual([second.id]);
  });

  it("adding a passkey is finished only by the user who started it, and a registered credential cannot be added again", async () => {
    const { session, auth } = await signUp();
    const other = await login();
    const add = await registerOptions(undefined, session.access_token);
    const response = await new SoftAuthenticator(ORIGIN).create(add.options);
    expectRefused(await api("POST", "/v1/auth/passkeys/register/verify", other.token, { ceremony_id: add.ceremony_id, response }), 401, /user who asked/);

    // A registered credential id presented again (with attestation "none" anyone can make one up) is a conflict.
    const again = await registerOptions(undefined, session.access_token);
    const copy = await new SoftAuthenticator(ORIGIN).create(again.options, { credentialId: fromB64url(auth.credentials[0]!.id) });
    expectRefused(await api("POST", "/v1/auth/passkeys/register/verify", session.access_token, { ceremony_id: again.ceremony_id, response: copy }), 409, /registered already/);
    // The id the client names must be the one the authenticator signed.
    const third = await registerOptions(undefined, session.access_token);
    const renamed = await new SoftAuthenticator(ORIGIN).create(third.options);
    renamed.id = renamed.rawId = auth.credentials[0]!.id;
    expectRefused(await api("POST", "/v1/auth/passkeys/register/verify", session.access_token, { ceremony_id: third.ceremony_id, response: renamed }), 401, /credential id mismatch/);
    expect(PasskeyList.parse((await api("GET", "/v1/me/passkeys", session.access_token)).body).passkeys).toHaveLength(1);
    // A new account whose credential is registered already: 409, and neither the user nor the name is kept.
    const name = uniqueName("dup");
    const fresh = await registerOptions(name);
    const dup = await new SoftAuthenticator(ORIGIN).create(fresh.options, { credentialId: fromB64url(auth.credentials[0]!.id) });
    expectRefused(await api("POST", "/v1/auth/passkeys/register/verify", undefined, { ceremony_id: fresh.ceremony_id, response: dup }), 409, /registered already/);
    await registerOptions(name);
    expectRefused(await api("POST", "/v1/auth/passkeys/register/options", session.access_token, { username: "someone" }), 400, /leave it out/);
    expectRefused(await api("POST", "/v1/auth/passkeys/register/options", undefined, {}, { authorization: "Bearer nonsense" }), 401);
  });

  it("passkey routes draw from the address's sign-in budget", async () => {
    const ip = randomIp();
    let limited: { status: number; headers: Headers; body: any } | undefined;
    for (let i = 0; i < 25 && !limited; i++) {
      const res = await api("POST", "/v1/auth/passkeys/login/options", undefined, {}, { "cf-connecting-ip": ip });
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(200);
    }
    expect(limited, "the 21st request from one address is refused").toBeDefined();
    expect(limited!.headers.get("retry-after")).toMatch(/^\d+$/);
    // Another address is untouched.
    expect((await api("POST", "/v1/auth/passkeys/login/options", undefined, {})).status).toBe(200);
  });
});

/** A syntactically valid assertion, for tests that never reach verification. */
function minimalAssertion() {
  return { id: "AAAA", rawId: "AAAA", type: "public-key", response: { clientDataJSON: "e30", authenticatorData: "AAAA", signature: "AAAA" }, clientExtensionResults: {} };
}
