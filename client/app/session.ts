/**
 * The signed-in user of this tab and every way of becoming one. All session
 * handling lives here.
 *
 * The web app runs in cookie mode (docs/auth.md §8, decision 0020): every
 * call that opens, refreshes or ends a session sends `X-Parley-Session:
 * cookie`, and the engine keeps the refresh token in the `parley_refresh`
 * cookie (HttpOnly, Secure, SameSite=Strict, Path=/v1/auth). No script on
 * the page ever sees the refresh token, and nothing here stores it. The
 * tab holds only the short-lived access token, in memory (decision 0022):
 * a reload, or a new tab, gets a fresh one with `POST /v1/auth/refresh`,
 * which the browser authenticates with the cookie.
 *
 * The refresh token rotates on every use and all tabs of the browser share
 * the one cookie, so refreshes run one at a time: within the tab through
 * `refreshing`, across tabs under a Web Lock. Two refreshes sending the
 * same cookie at once would look like a stolen token and end the session.
 *
 * Since scripts cannot see an HttpOnly cookie, the app remembers in
 * localStorage only *that* this browser may hold one (`HINT`, no secret),
 * so a visitor who never signed in costs the engine no refresh call.
 */
import { ParleyError, type LoginResponse } from "../src/index.ts";
import { call, isNotFound } from "./api/http.ts";
import { authenticationJson, creationOptions, registrationJson, requestOptions, type CredentialLike } from "./webauthn.ts";

export interface Session {
  accessToken: string;
  expiresAt: number;
  user: { id: string; username: string };
}

/** Asks the engine for cookie mode (the header is the CSRF guard of cookie requests too). */
const COOKIE_MODE = { "x-parley-session": "cookie" } as const;
/** localStorage: "1" when this browser may hold a session cookie. */
const HINT = "parley.signed-in";
/** The Web Lock that keeps the tabs of this browser from refreshing at the same time. */
const REFRESH_LOCK = "parley.refresh";

function setHint(on: boolean): void {
  try {
    if (on) localStorage.setItem(HINT, "1");
    else localStorage.removeItem(HINT);
  } catch {
    // Storage refused (private mode): the reload then shows the sign-in page.
  }
}

/** Whether a reload should try to resume a session from the cookie. */
export function maySignInFromCookie(): boolean {
  try {
    return localStorage.getItem(HINT) === "1";
  } catch {
    return false;
  }
}

/** The tab's session from a session answer. The answer carries no refresh token in cookie mode; one that did would be dropped here. */
export function fromLogin(login: LoginResponse): Session {
  return { accessToken: login.access_token, expiresAt: login.expires_at, user: login.user };
}

function opened(login: LoginResponse): Session {
  setHint(true);
  return fromLogin(login);
}

/** A call that opens a session, in cookie mode. */
async function openWith(path: string, body: unknown): Promise<Session> {
  return opened(await call<LoginResponse>("POST", path, body, { auth: false, headers: COOKIE_MODE }));
}

/** The sign-in methods this deployment offers (`GET /v1/auth/methods`); an engine without the route has dev login only. */
export interface AuthMethods {
  dev_login: boolean;
  passkeys: boolean;
  oauth: string[];
}

export async function authMethods(): Promise<AuthMethods> {
  try {
    const m = await call<Partial<AuthMethods>>("GET", "/v1/auth/methods", undefined, { auth: false });
    return { dev_login: m.dev_login === true, passkeys: m.passkeys === true, oauth: Array.isArray(m.oauth) ? m.oauth.filter((p) => typeof p === "string") : [] };
  } catch (err) {
    if (isNotFound(err)) return { dev_login: true, passkeys: false, oauth: [] };
    throw err;
  }
}

/** `POST /v1/auth/dev-login` (development deployments only). */
export function devSignIn(username: string): Promise<Session> {
  return openWith("/v1/auth/dev-login", { username });
}

/**
 * Where an OAuth provider's sign-in starts. A known identity comes back at
 * `/` with the session cookie set; a new one at `#/choose-username?ticket=…`;
 * a failure at `#/sign-in?error=…`.
 */
export function oauthStartUrl(provider: string): string {
  return `/v1/auth/oauth/${encodeURIComponent(provider)}/start?${new URLSearchParams({ return_to: "/" })}`;
}

/** Where linking a provider to the signed-in user starts (the cookie names the user); it comes back to the settings. */
export function oauthLinkUrl(provider: string): string {
  return `/v1/auth/oauth/${encodeURIComponent(provider)}/start?${new URLSearchParams({ link: "1", return_to: "/#/settings" })}`;
}

/** Called as the page leaves for a provider: when it comes back signed in, the cookie is there to resume. */
export function expectOAuthReturn(): void {
  setHint(true);
}

/** A new OAuth identity picks its username: `POST /v1/auth/oauth/complete`. */
export function completeOAuth(ticket: string, username: string): Promise<Session> {
  return openWith("/v1/auth/oauth/complete", { ticket, username });
}

interface Ceremony {
  ceremony_id: string;
  options: Record<string, unknown>;
}

/** Creates an account with a passkey (register/options → navigator.credentials.create → register/verify). */
export async function passkeySignUp(username: string): Promise<Session> {
  const { ceremony_id, options } = await call<Ceremony>("POST", "/v1/auth/passkeys/register/options", { username }, { auth: false });
  const cred = (await navigator.credentials.create({ publicKey: creationOptions(options) })) as unknown as CredentialLike | null;
  if (!cred) throw new ParleyError("bad_request", "No passkey was created.");
  return openWith("/v1/auth/passkeys/register/verify", { ceremony_id, response: registrationJson(cred) });
}

/** Signs in with a passkey, any of this site's (login/options → navigator.credentials.get → login/verify). */
export async function passkeySignIn(): Promise<Session> {
  const { ceremony_id, options } = await call<Ceremony>("POST", "/v1/auth/passkeys/login/options", {}, { auth: false });
  const cred = (await navigator.credentials.get({ publicKey: requestOptions(options) })) as unknown as CredentialLike | null;
  if (!cred) throw new ParleyError("bad_request", "No passkey was chosen.");
  return openWith("/v1/auth/passkeys/login/verify", { ceremony_id, response: authenticationJson(cred) });
}

/** Adds a passkey to the signed-in account (register/options with the Bearer token and no username). */
export async function addPasskey(): Promise<void> {
  const { ceremony_id, options } = await call<Ceremony>("POST", "/v1/auth/passkeys/register/options", {});
  const cred = (await navigator.credentials.create({ publicKey: creationOptions(options) })) as unknown as CredentialLike | null;
  if (!cred) throw new ParleyError("bad_request", "No passkey was created.");
  await call("POST", "/v1/auth/passkeys/register/verify", { ceremony_id, response: registrationJson(cred) });
}

let refreshing: Promise<Session> | undefined;

/** `POST /v1/auth/refresh` with the cookie; a refusal (no cookie, a spent or revoked session, a foreign Origin) is `unauthorized`. */
async function exchange(): Promise<Session> {
  try {
    return opened(await call<LoginResponse>("POST", "/v1/auth/refresh", undefined, { auth: false, headers: COOKIE_MODE }));
  } catch (err) {
    if (err instanceof ParleyError && (err.code === "unauthorized" || err.code === "bad_request" || err.code === "forbidden")) {
      setHint(false);
      throw new ParleyError("unauthorized", "Your session has ended; sign in again.");
    }
    throw err;
  }
}

/**
 * A new access token for the cookie's session (the cookie rotates), shared
 * by concurrent callers of this tab and taken under a Web Lock so that no
 * other tab refreshes at the same moment. Throws `ParleyError`
 * `unauthorized` when the session is over (sign in again); other errors
 * (offline, rate limited) leave the session as it was.
 */
export function refreshOnce(): Promise<Session> {
  refreshing ??= (async () => {
    try {
      const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
      return locks ? await locks.request(REFRESH_LOCK, exchange) : await exchange();
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

/** At start: resumes the browser's session from the cookie, if it may have one. Undefined: sign in. */
export async function resumeSession(): Promise<Session | undefined> {
  if (!maySignInFromCookie()) return undefined;
  try {
    return await refreshOnce();
  } catch (err) {
    if (err instanceof ParleyError && err.code === "unauthorized") return undefined;
    throw err;
  }
}

/**
 * Ends the session on the server (best effort): `POST /v1/auth/logout` in
 * cookie mode ends the cookie's session and clears the cookie; the access
 * token names the session too, should the cookie be gone already.
 */
export async function signOut(current: Session): Promise<void> {
  setHint(false);
  // A refresh under way would set a new cookie after the logout cleared it.
  await refreshing?.catch(() => undefined);
  try {
    await fetch("/v1/auth/logout", {
      method: "POST",
      headers: { authorization: `Bearer ${current.accessToken}`, ...COOKIE_MODE },
      credentials: "same-origin",
      signal: AbortSignal.timeout(15_000),
    });
  } catch {
    // Offline: the cookie stays until the session idles out, but the hint is gone.
  }
}
