import { Hono } from "hono";
import { mintAccessToken } from "../../src/auth/tokens.ts";
import { DevLoginRequest, ParleyError, type LoginResponse } from "../../src/protocol/index.ts";
import { randomId } from "../../src/shared/ids.ts";
import { directory } from "../actors.ts";
import { readJson } from "../http.ts";
import type { AppEnv } from "../types.ts";

/** `/v1/auth/*`: logins, refresh, logout. */
export const authRoutes = new Hono<AppEnv>();

authRoutes.post("/dev-login", async (c) => {
  if (c.env.DEV_LOGIN !== "true") throw new ParleyError("not_found", "Dev login is disabled on this deployment.");
  const { username } = await readJson(c, DevLoginRequest);
  const user = await directory(c.env).ensure(username);
  const { token, expiresAt } = await mintAccessToken(c.env.AUTH_SECRET, { userId: user.id, username: user.username, sessionId: randomId("ls_", 16) });
  const body: LoginResponse = { access_token: token, expires_at: expiresAt, user: { id: user.id, username: user.username } };
  return c.json(body);
});
