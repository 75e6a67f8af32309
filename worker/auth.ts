import type { Context, MiddlewareHandler } from "hono";
import { authSecret } from "../src/auth/secret.ts";
import { verifyAccessToken } from "../src/auth/tokens.ts";
import { ParleyError } from "../src/protocol/index.ts";
import type { AppEnv } from "./types.ts";

/**
 * Reads the access token from `Authorization: Bearer …` or, where a browser
 * cannot set headers (WebSocket upgrades), the `access_token` query parameter.
 */
export function bearerToken(c: Context<AppEnv>, allowQuery: boolean): string | undefined {
  const header = c.req.header("authorization");
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1];
  }
  return allowQuery ? c.req.query("access_token") : undefined;
}

/** Requires a valid access token; puts its principal on the context. */
export function requireAuth(options: { allowQueryToken?: boolean } = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearerToken(c, options.allowQueryToken ?? false);
    if (!token) throw new ParleyError("unauthorized", "Send an access token: Authorization: Bearer <token>.");
    // The deployment secret is checked before the token (a bad one is 500, logged).
    c.set("principal", await verifyAccessToken(authSecret(c.env), token));
    await next();
  };
}

/**
 * Origin check for WebSocket upgrades: a browser always sends Origin, so no
 * other site can open a socket with a user's token or cookie. Requests
 * without Origin (native and server clients) pass. ALLOWED_ORIGINS is a
 * comma-separated list; "*" allows any; empty allows only this origin.
 */
export function originAllowed(c: Context<AppEnv>): boolean {
  const origin = c.req.header("origin");
  if (!origin) return true;
  const allowed = (c.env.ALLOWED_ORIGINS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (allowed.includes("*") || allowed.includes(origin)) return true;
  return origin === new URL(c.req.url).origin;
}
