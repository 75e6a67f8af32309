import { Hono, type Context } from "hono";
import { authSecret } from "../../src/auth/secret.ts";
import { verifyRefreshToken } from "../../src/auth/sessions.ts";
import { mintAccessToken, verifyAccessToken } from "../../src/auth/tokens.ts";
import {
  DevLoginRequest,
  LogoutRequest,
  ParleyError,
  RefreshRequest,
  type LoginResponse,
} from "../../src/protocol/index.ts";
import { unwrap } from "../../src/shared/result.ts";
import type { SessionGrant } from "../../src/user/actor.ts";
import { directory, user } from "../actors.ts";
import { bearerToken } from "../auth.ts";
import { readJson } from "../http.ts";
import type { AppEnv } from "../types.ts";

/**
 * `/v1/auth/*`: logins, refresh, logout. Sessions live in each user's User
 * actor (refresh-token families, see src/auth/sessions.ts); the Worker only
 * mints the short-lived access token, whose `sid` names the session.
 *
 * Rate limits on these endpoints (per address for sign-ins, per session for
 * refresh, none for logout) come from the safety middleware
 * (worker/routes/safety.ts), applied to this router where it is mounted;
 * it also checks AUTH_SECRET before anything else runs.
 */
export const authRoutes = new Hono<AppEnv>();

authRoutes.post("/dev-login", async (c) => {
  if (c.env.DEV_LOGIN !== "true") throw new ParleyError("not_found", "Dev login is disabled on this deployment.");
  const { username } = await readJson(c, DevLoginRequest);
  const known = await directory(c.env).ensure(username);
  const grant = unwrap(await user(c.env, known.id).createSession(known.id, known.username));
  return c.json(await loginResponse(c, grant));
});

authRoutes.post("/refresh", async (c) => {
  const { refresh_token } = await readJson(c, RefreshRequest);
  // Garbage and forgeries never reach an actor: only a token this deployment signed names one.
  const parts = await verifyRefreshToken(authSecret(c.env), refresh_token);
  if (!parts) throw new ParleyError("unauthorized", "The refresh token is invalid; log in again.");
  const grant = unwrap(await user(c.env, parts.userId).refresh(refresh_token));
  return c.json(await loginResponse(c, grant));
});

/**
 * Ends one session: the one of the refresh token in the body if there is
 * one (so a client whose access token expired can still log out), else the
 * one named by the access token's `sid`. Access tokens already minted for
 * it stay valid until they expire (at most 15 minutes).
 */
authRoutes.post("/logout", async (c) => {
  const text = await c.req.text();
  const { refresh_token } = text.trim() === "" ? {} : await readJson(c, LogoutRequest);
  if (refresh_token !== undefined) {
    const parts = await verifyRefreshToken(authSecret(c.env), refresh_token);
    if (!parts) throw new ParleyError("unauthorized", "The refresh token is invalid.");
    unwrap(await user(c.env, parts.userId).logout(refresh_token));
    return c.body(null, 204);
  }
  const token = bearerToken(c, false);
  if (!token) throw new ParleyError("unauthorized", "Send the session's refresh token in the body, or its access token: Authorization: Bearer <token>.");
  const me = await verifyAccessToken(authSecret(c.env), token);
  unwrap(await user(c.env, me.userId).revokeSession(me.sessionId));
  return c.body(null, 204);
});

async function loginResponse(c: Context<AppEnv>, grant: SessionGrant): Promise<LoginResponse> {
  const { token, expiresAt } = await mintAccessToken(authSecret(c.env), {
    userId: grant.user.id,
    username: grant.user.username,
    sessionId: grant.family_id,
  });
  return { access_token: token, expires_at: expiresAt, refresh_token: grant.refresh_token, user: grant.user };
}
