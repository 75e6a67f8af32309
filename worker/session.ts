import type { Context } from "hono";
import { clearRefreshCookie, readCookie, refreshCookie, REFRESH_COOKIE } from "../src/auth/cookies.ts";
import { authSecret } from "../src/auth/secret.ts";
import { SESSION_IDLE_TTL_MS } from "../src/auth/sessions.ts";
import { mintAccessToken } from "../src/auth/tokens.ts";
import { COOKIE_MODE, ParleyError, SESSION_MODE_HEADER, type LoginResponse } from "../src/protocol/index.ts";
import { unwrap } from "../src/shared/result.ts";
import type { SessionGrant } from "../src/user/actor.ts";
import { user } from "./actors.ts";
import type { AppEnv } from "./types.ts";

/**
 * Opening and answering sessions for every way of signing in (dev login,
 * passkeys, OAuth), in body mode or cookie mode (decision 0020):
 *
 * - **Body mode** (the default; the SDK, other apps): the login shape with
 *   `refresh_token` in the JSON.
 * - **Cookie mode** (`X-Parley-Session: cookie`, the web app): the refresh
 *   token goes into the `parley_refresh` cookie (HttpOnly, Secure,
 *   SameSite=Strict, Path=/v1/auth) and is left out of the JSON, so no
 *   script on the page can read it.
 *
 * A request the cookie authenticates (refresh, logout) must carry that
 * header too, and an Origin, if any, of this deployment: the CSRF rule.
 */

/** True when the client asked for cookie mode. */
export function wantsCookie(c: Context<AppEnv>): boolean {
  return c.req.header(SESSION_MODE_HEADER)?.trim().toLowerCase() === COOKIE_MODE;
}

/** How a session was opened, for the user's list of sessions. */
export type SessionMethod = "dev" | "passkey" | "github" | "google";

/** Opens a session for a user who just proved who they are, and answers it. */
export async function openSession(
  c: Context<AppEnv>,
  who: { id: string; username: string },
  method: SessionMethod,
  cookie = wantsCookie(c),
): Promise<LoginResponse> {
  const grant = unwrap(await user(c.env, who.id).createSession(who.id, who.username, { method, agent: c.req.header("user-agent") }));
  return sessionAnswer(c, grant, cookie);
}

/** The login shape for a grant; in cookie mode, sets the cookie and leaves the token out. */
export async function sessionAnswer(c: Context<AppEnv>, grant: SessionGrant, cookie: boolean): Promise<LoginResponse> {
  const { token, expiresAt } = await mintAccessToken(authSecret(c.env), {
    userId: grant.user.id,
    username: grant.user.username,
    sessionId: grant.family_id,
  });
  if (cookie) {
    c.header("Set-Cookie", refreshCookie(grant.refresh_token, SESSION_IDLE_TTL_MS), { append: true });
    return { access_token: token, expires_at: expiresAt, user: grant.user };
  }
  return { access_token: token, expires_at: expiresAt, refresh_token: grant.refresh_token, user: grant.user };
}

/**
 * The refresh token of the session cookie, if the request has one. A
 * cookie without `X-Parley-Session: cookie`, or from a foreign Origin, is
 * refused with `403 forbidden` (and not used): a page of another site can
 * make the browser send the cookie, but not that header.
 */
export function cookieRefreshToken(c: Context<AppEnv>): string | undefined {
  const token = readCookie(c.req.header("cookie"), REFRESH_COOKIE);
  if (token === undefined) return undefined;
  if (!wantsCookie(c)) {
    throw new ParleyError("forbidden", `A request authenticated by the session cookie must send ${SESSION_MODE_HEADER}: ${COOKIE_MODE}.`);
  }
  if (!sameSiteOrigin(c)) throw new ParleyError("forbidden", "This Origin may not use the session cookie.");
  return token;
}

/** Clears the session cookie on the response (after a logout, or a refused cookie). */
export function dropCookie(c: Context<AppEnv>): void {
  c.header("Set-Cookie", clearRefreshCookie(), { append: true });
}

/**
 * The Origin check of cookie requests: no Origin (a same-origin GET, a
 * non-browser client), this deployment's own origin, or one listed in
 * ALLOWED_ORIGINS — never the wildcard "*".
 */
export function sameSiteOrigin(c: Context<AppEnv>): boolean {
  const origin = c.req.header("origin");
  if (!origin) return true;
  if (origin === new URL(c.req.url).origin) return true;
  const listed = (c.env.ALLOWED_ORIGINS ?? "").split(",").map((s) => s.trim()).filter((s) => s && s !== "*");
  return listed.includes(origin);
}
