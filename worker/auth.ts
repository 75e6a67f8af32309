import type { Context, MiddlewareHandler } from "hono";
import { authSecret } from "../src/auth/secret.ts";
import { verifyAccessToken, type Principal } from "../src/auth/tokens.ts";
import { botOfToken, isBotId } from "../src/bots/ids.ts";
import { unwrap } from "../src/shared/result.ts";
import { user } from "./actors.ts";
import { requireGoodStanding } from "./standing.ts";
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

/**
 * Requires a valid access token — or a bot token (`Authorization: Bot <token>`,
 * or Bearer with a `pbt_` token; §22.14) — and a user in good standing
 * (not suspended, §22.18); puts the principal on the context. The socket
 * routes (`allowQueryToken`) take no bot token: bots use REST only. An
 * access token naming a bot's id is refused: bots speak only with their own token.
 */
export function requireAuth(options: { allowQueryToken?: boolean } = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const bot = botToken(c);
    if (bot !== undefined) {
      if (options.allowQueryToken) throw new ParleyError("forbidden", "Bots use the REST API; they cannot open sockets.");
      c.set("principal", await verifyBot(c.env, bot));
    } else {
      const token = bearerToken(c, options.allowQueryToken ?? false);
      if (!token) throw new ParleyError("unauthorized", "Send an access token: Authorization: Bearer <token>.");
      // The deployment secret is checked before the token (a bad one is 500, logged).
      const principal = await verifyAccessToken(authSecret(c.env), token);
      if (isBotId(principal.userId)) throw new ParleyError("unauthorized", "Bots authenticate with their bot token (Authorization: Bot <token>).");
      c.set("principal", principal);
    }
    const principal = c.get("principal");
    await requireGoodStanding(c.env, principal.userId, principal.sessionId);
    await next();
  };
}

/** A bot token from `Authorization: Bot <token>` or `Bearer pbt_…`, if the request carries one. */
function botToken(c: Context<AppEnv>): string | undefined {
  const header = c.req.header("authorization");
  const match = header ? /^(Bot|Bearer)\s+(\S+)$/i.exec(header) : null;
  if (!match) return undefined;
  if (match[1]!.toLowerCase() === "bot" || match[2]!.startsWith("pbt_")) return match[2]!;
  return undefined;
}

async function verifyBot(env: AppEnv["Bindings"], token: string): Promise<Principal> {
  const botId = botOfToken(token);
  if (!botId) throw new ParleyError("unauthorized", "The bot token is invalid or was revoked.");
  const who = unwrap(await user(env, botId).verifyBotToken(token));
  return { userId: who.user_id, username: who.username, sessionId: "bot", expiresAt: Date.now() + 3600_000 };
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
