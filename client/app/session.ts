/**
 * The signed-in user of this tab and every way of becoming one. All session
 * handling lives here, so that moving the refresh token into a cookie (the
 * auth work in progress: the web app will ask for cookie mode with a header)
 * changes this file only.
 *
 * Today the session is kept in sessionStorage, so a reload stays signed in
 * and each tab is its own session. The refresh token rotates on every use,
 * so refreshes run one at a time (`refreshOnce`) and the new pair is stored
 * at once: the refresh token just sent is spent, and sending it again would
 * revoke the session.
 */
import { ParleyApi, ParleyError, type LoginResponse } from "../src/index.ts";
import { call, isNotFound } from "./api/http.ts";
import { authenticationJson, creationOptions, registrationJson, requestOptions, type CredentialLike } from "./webauthn.ts";

export interface Session {
  accessToken: string;
  refreshToken?: string;
  expiresAt: number;
  user: { id: string; username: string };
}

const KEY = "parley.session";
const BASE_URL = location.origin;

export function loadSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}

export function fromLogin(login: LoginResponse): Session {
  return {
    accessToken: login.access_token,
    expiresAt: login.expires_at,
    user: login.user,
    ...(login.refresh_token !== undefined ? { refreshToken: login.refresh_token } : {}),
  };
}

function store(login: LoginResponse): Session {
  const session = fromLogin(login);
  saveSession(session);
  return session;
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
export async function devSignIn(username: string): Promise<Session> {
  return store(await ParleyApi.devLogin(BASE_URL, username));
}

/** Where an OAuth provider's sign-in starts; it comes back at `#/choose-username?ticket=…` or `#/sign-in?error=…`. */
export function oauthStartUrl(provider: string): string {
  return `/v1/auth/oauth/${encodeURIComponent(provider)}/start?${new URLSearchParams({ return_to: "/" })}`;
}

/** A new OAuth identity picks its username: `POST /v1/auth/oauth/complete`. */
export async function completeOAuth(ticket: string, username: string): Promise<Session> {
  return store(await call<LoginResponse>("POST", "/v1/auth/oauth/complete", { ticket, username }, { auth: false }));
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
  return store(await call<LoginResponse>("POST", "/v1/auth/passkeys/register/verify", { ceremony_id, response: registrationJson(cred) }, { auth: false }));
}

/** Signs in with a passkey (login/options → navigator.credentials.get → login/verify). */
export async function passkeySignIn(): Promise<Session> {
  const { ceremony_id, options } = await call<Ceremony>("POST", "/v1/auth/passkeys/login/options", {}, { auth: false });
  const cred = (await navigator.credentials.get({ publicKey: requestOptions(options) })) as unknown as CredentialLike | null;
  if (!cred) throw new ParleyError("bad_request", "No passkey was chosen.");
  return store(await call<LoginResponse>("POST", "/v1/auth/passkeys/login/verify", { ceremony_id, response: authenticationJson(cred) }, { auth: false }));
}

/** Adds a passkey to the signed-in account (register/options with the Bearer token and no username). */
export async function addPasskey(): Promise<void> {
  const { ceremony_id, options } = await call<Ceremony>("POST", "/v1/auth/passkeys/register/options", {});
  const cred = (await navigator.credentials.create({ publicKey: creationOptions(options) })) as unknown as CredentialLike | null;
  if (!cred) throw new ParleyError("bad_request", "No passkey was created.");
  await call("POST", "/v1/auth/passkeys/register/verify", { ceremony_id, response: registrationJson(cred) });
}

let refreshing: Promise<Session> | undefined;

/**
 * Exchanges the refresh token for a new pair (`POST /v1/auth/refresh`) and
 * stores it; concurrent callers share one exchange. Throws `ParleyError`
 * `unauthorized` when there is no refresh token or the server refused it
 * (the session is over: sign in again).
 */
export function refreshOnce(current: Session): Promise<Session> {
  refreshing ??= (async () => {
    try {
      if (!current.refreshToken) throw new ParleyError("unauthorized", "This session has no refresh token; sign in again.");
      const next = fromLogin(await ParleyApi.refreshSession(BASE_URL, current.refreshToken));
      // Unless the tab signed out while the refresh was under way: the session
      // is ended on the server, and a stored pair would sign a reload back in.
      if (loadSession()?.refreshToken === current.refreshToken) saveSession(next);
      return next;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

/** Ends the session on the server too (best effort). */
export async function signOut(current: Session): Promise<void> {
  saveSession(undefined);
  try {
    await fetch(`${BASE_URL}/v1/auth/logout`, {
      method: "POST",
      headers: { authorization: `Bearer ${current.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify(current.refreshToken ? { refresh_token: current.refreshToken } : {}),
    });
  } catch {
    // Offline: the session expires on its own.
  }
}
