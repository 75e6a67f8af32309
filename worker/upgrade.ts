import type { Context, MiddlewareHandler } from "hono";
import { FORWARDED } from "../src/shared/sockets.ts";
import { ParleyError } from "../src/protocol/index.ts";
import { originAllowed, requireAuth } from "./auth.ts";
import type { AppEnv } from "./types.ts";

/** Answers 426 before anything else, so a plain GET learns that it needs an upgrade. */
const requireUpgrade: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    return c.json(new ParleyError("bad_request", "This endpoint needs a WebSocket upgrade (Upgrade: websocket).").toBody(), 426);
  }
  await next();
};

/** Refuses a browser Origin that is not on ALLOWED_ORIGINS. */
const requireOrigin: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!originAllowed(c)) throw new ParleyError("forbidden", "This Origin may not open Parley sockets (ALLOWED_ORIGINS).");
  await next();
};

/**
 * The checks every socket route makes before the upgrade, in the contract's
 * order: 426 not an upgrade, 401 bad token (header or `access_token` query),
 * 403 Origin. The actor then answers 403/404/429 or accepts.
 */
export const upgradeChecks = [requireUpgrade, requireAuth({ allowQueryToken: true }), requireOrigin] as const;

/**
 * Forwards the upgrade to the actor that will own the socket, with the
 * caller's identity in headers. The actor needs nothing else of the client's
 * request (the runtime completes the WebSocket handshake with the client from
 * the original request), so only `Upgrade` and the identity go: nothing the
 * client sent under x-parley-* can reach the actor, and no header is copied
 * for nothing on every connect.
 */
export function forwardUpgrade(c: Context<AppEnv>, actor: { fetch(request: Request): Promise<Response> }): Promise<Response> {
  const me = c.get("principal");
  const headers = new Headers({
    upgrade: "websocket",
    [FORWARDED.userId]: me.userId,
    [FORWARDED.username]: me.username,
    [FORWARDED.tokenExp]: String(me.expiresAt),
    [FORWARDED.tokenSid]: me.sessionId,
    [FORWARDED.requestId]: c.get("requestId"),
  });
  return actor.fetch(new Request(c.req.url, { method: "GET", headers }));
}
