import { Hono } from "hono";
import { authSecret } from "../../src/auth/secret.ts";
import { verifyRefreshToken } from "../../src/auth/sessions.ts";
import { verifyAccessToken } from "../../src/auth/tokens.ts";
import { relyingParty } from "../../src/auth/webauthn.ts";
import {
  DevLoginRequest,
  LogoutRequest,
  ParleyError,
  type OAuthProvider,
  type SignInMethods,
} from "../../src/protocol/index.ts";
import { configOf } from "../../src/shared/config.ts";
import { unwrap } from "../../src/shared/result.ts";
import { directory, user } from "../actors.ts";
import { bearerToken } from "../auth.ts";
import { forgetStanding } from "../standing.ts";
import { readJson } from "../http.ts";
import { cookieRefreshToken, dropCookie, openSession, sessionAnswer, wantsCookie } from "../session.ts";
import type { AppEnv } from "../types.ts";
import { oauthRoutes } from "./oauth.ts";
import { passkeyRoutes } from "./passkeys.ts";

/**
 * `/v1/auth/*`: the ways to sign in (dev login, passkeys, OAuth), refresh
 * and logout. Sessions live in each user's User actor (refresh-token
 * families, see src/auth/sessions.ts); the Worker only mints the
 * short-lived access token, whose `sid` names the session. Every route that
 * opens a session answers in body mode or, with `X-Parley-Session: cookie`,
 * in cookie mode (worker/session.ts, decision 0020).
 *
 * Rate limits on these endpoints (per address for sign-ins, per session for
 * refresh, none for logout and the methods list) come from the safety
 * middleware (worker/routes/safety.ts), applied to this router where it is
 * mounted; it also checks AUTH_SECRET before anything else runs.
 */
export const authRoutes = new Hono<AppEnv>();

/** What this deployment offers, for a sign-in page; reads settings only. */
authRoutes.get("/methods", (c) => {
  const signIn = configOf(c.env).signIn;
  const oauth: OAuthProvider[] = [];
  if (signIn.github) oauth.push("github");
  if (signIn.google) oauth.push("google");
  const body: SignInMethods = { dev_login: c.env.DEV_LOGIN === "true", passkeys: relyingParty(signIn, c.req.url) !== undefined, oauth };
  return c.json(body);
});

authRoutes.post("/dev-login", async (c) => {
  if (c.env.DEV_LOGIN !== "true") throw new ParleyError("not_found", "Dev login is disabled on this deployment.");
  const { username } = await readJson(c, DevLoginRequest);
  const known = await directory(c.env).ensure(username);
  return c.json(await openSession(c, known, "dev"));
});

/**
 * Exchanges a refresh token — from the body (`{refresh_token}`), else from
 * the session cookie (with `X-Parley-Session: cookie`) — for a new access
 * token and the next refresh token. A refused cookie is cleared.
 */
authRoutes.post("/refresh", async (c) => {
  const text = await c.req.text();
  const { refresh_token: fromBody } = text.trim() === "" ? {} : await readJson(c, LogoutRequest);
  const fromCookie = fromBody === undefined ? cookieRefreshToken(c) : undefined;
  const token = fromBody ?? fromCookie;
  if (token === undefined) {
    throw new ParleyError("bad_request", "refresh_token: required (or, for a web client, the session cookie with X-Parley-Session: cookie).");
  }
  try {
    // Garbage and forgeries never reach an actor: only a token this deployment signed names one.
    const parts = await verifyRefreshToken(authSecret(c.env), token);
    if (!parts) throw new ParleyError("unauthorized", "The refresh token is invalid; log in again.");
    const answer = await user(c.env, parts.userId).refresh(token);
    // A refused refresh may have revoked the family (a reuse): this isolate asks for the user's standing again.
    if (!answer.ok) forgetStanding(parts.userId);
    const grant = unwrap(answer);
    return c.json(await sessionAnswer(c, grant, wantsCookie(c)));
  } catch (e) {
    if (fromCookie !== undefined && e instanceof ParleyError && e.code === "unauthorized") dropCookie(c);
    throw e;
  }
});

/**
 * Ends one session: the one of the refresh token in the body if there is
 * one (so a client whose access token expired can still log out), else the
 * session cookie's (with `X-Parley-Session: cookie`; the cookie is
 * cleared), else the one named by the access token's `sid`. Access tokens
 * already minted for it are refused from then on (worker/standing.ts:
 * within STANDING_TTL_MS in other isolates), and its inbox sockets close.
 */
authRoutes.post("/logout", async (c) => {
  const text = await c.req.text();
  const { refresh_token: fromBody } = text.trim() === "" ? {} : await readJson(c, LogoutRequest);
  const fromCookie = fromBody === undefined ? cookieRefreshToken(c) : undefined;
  const refreshToken = fromBody ?? fromCookie;
  if (fromCookie !== undefined) dropCookie(c);
  if (refreshToken !== undefined) {
    const parts = await verifyRefreshToken(authSecret(c.env), refreshToken);
    if (!parts) {
      // A cookie Parley cannot read ends nothing, but it is gone now.
      if (fromCookie !== undefined) return c.body(null, 204);
      throw new ParleyError("unauthorized", "The refresh token is invalid.");
    }
    const result = await user(c.env, parts.userId).logout(refreshToken);
    forgetStanding(parts.userId);
    if (!result.ok && fromCookie !== undefined) return c.body(null, 204);
    unwrap(result);
    return c.body(null, 204);
  }
  const token = bearerToken(c, false);
  if (!token) throw new ParleyError("unauthorized", "Send the session's refresh token in the body, or its access token: Authorization: Bearer <token>.");
  const me = await verifyAccessToken(authSecret(c.env), token);
  unwrap(await user(c.env, me.userId).revokeSession(me.sessionId));
  forgetStanding(me.userId);
  return c.body(null, 204);
});

authRoutes.route("/passkeys", passkeyRoutes);
authRoutes.route("/oauth", oauthRoutes);
