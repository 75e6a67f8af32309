/**
 * Passkeys in Chromium, for real: Chromium's virtual authenticator (the
 * DevTools protocol's `WebAuthn` domain: CTAP2, internal transport,
 * resident keys, user verification) answers `navigator.credentials.create`
 * and `.get` on the engine's own page, with the options of Parley's routes.
 * A phone and a laptop are two browser contexts with an authenticator each.
 *
 * The page is opened at http://localhost:<port>: the RP ID is then
 * "localhost", which Chromium accepts on plain http; on http://127.0.0.1
 * Chromium refuses any RP ID ("This is an invalid domain"), which the
 * methods list reports as `passkeys: false`. The refresh cookie
 * (`Secure`) is accepted on http://localhost too.
 *
 * Every wait is bounded (the page default below, or an explicit timeout).
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../support/e2e-helpers.ts";
import { Engine } from "../support/engine.ts";

const CHROMIUM = "/usr/bin/chromium";
const PAGE_TIMEOUT_MS = 15_000;

let engine: Engine;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run \`sh scripts/ensure-chromium.sh\` (npm test does) or \`apt-get install -y chromium\`.`);
  }
  [engine, browser] = await Promise.all([
    Engine.start(),
    chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
      timeout: 30_000,
    }),
  ]);
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await engine?.stop();
});

interface Device {
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
}

/** A browser context at http://localhost:<port>/ with a platform authenticator of its own. */
async function device(host = "localhost"): Promise<Device> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  await page.goto(engine.url.replace("127.0.0.1", host) + "/");
  return { page, cdp, authenticatorId };
}

interface Outcome {
  status: number;
  body: any;
  error?: string;
}

/**
 * One ceremony in the page: POST the options route, hand the options to
 * `navigator.credentials.create` or `.get` (base64url fields turned into
 * bytes), POST the answer (bytes turned back into base64url) to the verify
 * route. `token` authenticates both calls; `cookie` asks for cookie mode.
 */
function ceremony(page: Page, kind: "register" | "login", body: object, opts: { token?: string; cookie?: boolean } = {}): Promise<Outcome> {
  return page.evaluate(async ({ kind, body, token, cookie }) => {
    const b64 = (buf: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const bytes = (s: string) => {
      const p = s.replace(/-/g, "+").replace(/_/g, "/");
      return Uint8Array.from(atob(p + "=".repeat((4 - (p.length % 4)) % 4)), (c) => c.charCodeAt(0));
    };
    const headers: Record<string, string> = { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...(cookie ? { "x-parley-session": "cookie" } : {}) };
    const post = async (path: string, payload: unknown) => {
      const res = await fetch(path, { method: "POST", headers, body: JSON.stringify(payload) });
      return { status: res.status, body: await res.json() };
    };
    const opened = await post(`/v1/auth/passkeys/${kind}/options`, body);
    if (opened.status !== 200) return opened;
    const o = opened.body.options;
    try {
      if (kind === "register") {
        const cred = (await navigator.credentials.create({
          publicKey: {
            ...o,
            challenge: bytes(o.challenge),
            user: { ...o.user, id: bytes(o.user.id) },
            excludeCredentials: (o.excludeCredentials ?? []).map((c: { id: string }) => ({ ...c, id: bytes(c.id) })),
          },
        })) as PublicKeyCredential;
        const r = cred.response as AuthenticatorAttestationResponse;
        return post("/v1/auth/passkeys/register/verify", {
          ceremony_id: opened.body.ceremony_id,
          response: {
            id: cred.id, rawId: b64(cred.rawId), type: cred.type,
            response: { clientDataJSON: b64(r.clientDataJSON), attestationObject: b64(r.attestationObject), transports: r.getTransports() },
            authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
            clientExtensionResults: cred.getClientExtensionResults(),
          },
        });
      }
      const cred = (await navigator.credentials.get({
        publicKey: { ...o, challenge: bytes(o.challenge), allowCredentials: (o.allowCredentials ?? []).map((c: { id: string }) => ({ ...c, id: bytes(c.id) })) },
      })) as PublicKeyCredential;
      const r = cred.response as AuthenticatorAssertionResponse;
      return post("/v1/auth/passkeys/login/verify", {
        ceremony_id: opened.body.ceremony_id,
        response: {
          id: cred.id, rawId: b64(cred.rawId), type: cred.type,
          response: {
            clientDataJSON: b64(r.clientDataJSON), authenticatorData: b64(r.authenticatorData), signature: b64(r.signature),
            ...(r.userHandle ? { userHandle: b64(r.userHandle) } : {}),
          },
          clientExtensionResults: cred.getClientExtensionResults(),
        },
      });
    } catch (e) {
      return { status: 0, body: null, error: `${(e as Error).name}: ${(e as Error).message}` };
    }
  }, { kind, body, token: opts.token, cookie: opts.cookie ?? false });
}

/** A call from the page (same origin, so the session cookie goes along when the path is under /v1/auth). */
function call(page: Page, method: string, path: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return page.evaluate(async ({ method, path, headers }) => {
    const res = await fetch(path, { method, headers });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }, { method, path, headers });
}

describe("passkeys in Chromium with a virtual authenticator", () => {
  it("sign up, sign in without a username, add a second passkey on another device and use it, delete it", async () => {
    const phone = await device();
    expect((await call(phone.page, "GET", "/v1/auth/methods")).body).toMatchObject({ passkeys: true });

    // Sign-up: a new account with a passkey, in cookie mode as the web app does.
    const username = uniqueName("pk");
    const signUp = await ceremony(phone.page, "register", { username }, { cookie: true });
    expect(signUp.status, JSON.stringify(signUp)).toBe(201);
    expect(signUp.body.user.username).toBe(username);
    expect(signUp.body.refresh_token).toBeUndefined();
    const userId = signUp.body.user.id as string;
    const stored = (await phone.cdp.send("WebAuthn.getCredentials", { authenticatorId: phone.authenticatorId })).credentials;
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ isResidentCredential: true, rpId: "localhost" });
    expect(Buffer.from(stored[0]!.userHandle!, "base64").toString()).toBe(userId);

    // The session works, and its refresh token lives in the HttpOnly cookie (set over http://localhost).
    expect((await call(phone.page, "GET", "/v1/me", { authorization: `Bearer ${signUp.body.access_token}` })).body.user.id).toBe(userId);
    expect(await phone.page.evaluate(() => document.cookie)).toBe("");
    const refreshed = await call(phone.page, "POST", "/v1/auth/refresh", { "x-parley-session": "cookie" });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body.user.id).toBe(userId);

    // Sign in again without typing a username (a discoverable credential).
    const signIn = await ceremony(phone.page, "login", {});
    expect(signIn.status, JSON.stringify(signIn)).toBe(200);
    expect(signIn.body.user).toEqual(signUp.body.user);
    const token = signIn.body.access_token as string;

    // The same authenticator cannot register a second passkey for the same user: it is excluded.
    const excluded = await ceremony(phone.page, "register", {}, { token });
    expect(excluded.error).toMatch(/InvalidStateError/);

    // A second device (the laptop) adds a passkey for the signed-in user, then signs in with it.
    const laptop = await device();
    const added = await ceremony(laptop.page, "register", {}, { token });
    expect(added.status, JSON.stringify(added)).toBe(201);
    const laptopSignIn = await ceremony(laptop.page, "login", {});
    expect(laptopSignIn.status, JSON.stringify(laptopSignIn)).toBe(200);
    expect(laptopSignIn.body.user.id).toBe(userId);
    // By username too.
    expect((await ceremony(laptop.page, "login", { username })).body.user?.id).toBe(userId);

    const listed = await call(phone.page, "GET", "/v1/me/passkeys", { authorization: `Bearer ${token}` });
    expect(listed.body.passkeys).toHaveLength(2);
    const laptopKey = listed.body.passkeys.find((p: { id: string }) => p.id === added.body.passkey.id);
    expect(laptopKey.last_used_at).toBeGreaterThan(0);

    // Deleting the laptop's passkey: it no longer signs in; the phone's is the last and stays.
    expect((await call(phone.page, "DELETE", `/v1/me/passkeys/${laptopKey.id}`, { authorization: `Bearer ${token}` })).status).toBe(204);
    const refused = await ceremony(laptop.page, "login", {});
    expect(refused.status).toBe(401);
    expect(refused.body.message).toMatch(/not registered here/);
    const phoneKey = listed.body.passkeys.find((p: { id: string }) => p.id !== laptopKey.id);
    expect((await call(phone.page, "DELETE", `/v1/me/passkeys/${phoneKey.id}`, { authorization: `Bearer ${token}` })).status).toBe(409);
    expect((await ceremony(phone.page, "login", {})).status).toBe(200);
  });

  it("on http://127.0.0.1 the methods list says no passkeys, since Chromium refuses an IP address as RP ID", async () => {
    const ip = await device("127.0.0.1");
    expect((await call(ip.page, "GET", "/v1/auth/methods")).body).toMatchObject({ passkeys: false });
    const create = await ip.page.evaluate(async () => {
      try {
        await navigator.credentials.create({ publicKey: { challenge: new Uint8Array(32), rp: { name: "x" }, user: { id: new Uint8Array(8), name: "u", displayName: "u" }, pubKeyCredParams: [{ type: "public-key", alg: -7 }] } });
        return "created";
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
    });
    expect(create).toMatch(/SecurityError/);
  });
});
