import { ParleyApi, ParleyError, type LoginResponse } from "../src/index.ts";

/**
 * The signed-in user of this tab, kept in sessionStorage so a reload stays
 * signed in (and each tab is its own session). The refresh token rotates on
 * every use, so a refresh runs once at a time (the SDK calls its refresh hook
 * single-flight, ahead of expiry and on 4101) and the new pair is stored at
 * once: the refresh token just sent is spent, and sending it again would
 * revoke the session.
 */
export interface Session {
  accessToken: string;
  refreshToken?: string;
  expiresAt: number;
  user: { id: string; username: string };
}

const KEY = "parley.session";

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

export async function signIn(baseUrl: string, username: string): Promise<Session> {
  const session = fromLogin(await ParleyApi.devLogin(baseUrl, username));
  saveSession(session);
  return session;
}

/**
 * Exchanges the refresh token for a new pair (`POST /v1/auth/refresh`) and
 * stores it. Throws `ParleyError` `unauthorized` when there is no refresh
 * token or the server refused it (the session is over: sign in again).
 */
export async function refresh(baseUrl: string, current: Session): Promise<Session> {
  if (!current.refreshToken) throw new ParleyError("unauthorized", "This session has no refresh token; sign in again.");
  const next = fromLogin(await ParleyApi.refreshSession(baseUrl, current.refreshToken));
  // Unless the tab signed out while the refresh was under way: the session
  // is ended on the server, and a stored pair would sign a reload back in.
  if (loadSession()?.refreshToken === current.refreshToken) saveSession(next);
  return next;
}

/** Ends the session on the server too (best effort). */
export async function signOut(baseUrl: string, current: Session): Promise<void> {
  saveSession(undefined);
  try {
    await fetch(`${baseUrl}/v1/auth/logout`, {
      method: "POST",
      headers: { authorization: `Bearer ${current.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify(current.refreshToken ? { refresh_token: current.refreshToken } : {}),
    });
  } catch {
    // Offline: the session expires on its own.
  }
}
