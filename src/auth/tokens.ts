import { sign, verify } from "hono/jwt";
import { ParleyError, UserId, Username } from "../protocol/index.ts";
import { requireSecretBytes } from "./secret.ts";

/** Lifetime of an access token. */
export const ACCESS_TOKEN_TTL_MS = 15 * 60 * 1000;
/**
 * How long after a login session ends its access tokens are still refused by
 * name (`sid`): their whole lifetime, and a minute for clocks that differ.
 */
export const ENDED_SESSION_WINDOW_MS = ACCESS_TOKEN_TTL_MS + 60_000;

/** The refusal of an access token whose login session ended (§22.19), by the Worker and by the socket actors alike. */
export function sessionEndedError(): ParleyError {
  return new ParleyError("unauthorized", "This session was signed out; sign in again.");
}
export const TOKEN_ISSUER = "parley";

/** Who a verified access token speaks for. */
export interface Principal {
  userId: string;
  username: string;
  sessionId: string;
  /** Expiry, UTC ms. */
  expiresAt: number;
}

/**
 * Claims of an access token (HS256, secret AUTH_SECRET): `sub` user id,
 * `name` username, `sid` login session, `iat`/`exp` in seconds, `iss`
 * "parley". Documented for integrators in docs/auth.md.
 */
export async function mintAccessToken(
  secret: string,
  who: { userId: string; username: string; sessionId: string },
  now = Date.now(),
  ttlMs = ACCESS_TOKEN_TTL_MS,
): Promise<{ token: string; expiresAt: number }> {
  const iat = Math.floor(now / 1000);
  const exp = Math.floor((now + ttlMs) / 1000);
  const token = await sign(
    { sub: who.userId, name: who.username, sid: who.sessionId, iat, exp, iss: TOKEN_ISSUER },
    await hmacKey(secret),
    "HS256",
  );
  return { token, expiresAt: exp * 1000 };
}

/** Verifies signature, algorithm, issuer and expiry; throws `unauthorized`. */
export async function verifyAccessToken(secret: string, token: string): Promise<Principal> {
  const key = await hmacKey(secret);
  let payload: Record<string, unknown>;
  try {
    payload = await verify(token, key, { alg: "HS256", iss: TOKEN_ISSUER });
  } catch (cause) {
    const expired = cause instanceof Error && cause.name === "JwtTokenExpired";
    throw new ParleyError("unauthorized", expired ? "The access token has expired; refresh it." : "The access token is invalid.", { cause });
  }
  const sub = UserId.safeParse(payload.sub);
  if (!sub.success || typeof payload.name !== "string" || typeof payload.exp !== "number") {
    throw new ParleyError("unauthorized", "The access token lacks the sub, name or exp claim.");
  }
  // Tokens minted by other backends register their user on first use: the
  // name must be a username this deployment could have issued itself.
  if (!Username.safeParse(payload.name).success) {
    throw new ParleyError("unauthorized", "The access token's name claim is not a valid username (3–32 of A–Z, a–z, 0–9, _; not reserved).");
  }
  const sid = typeof payload.sid === "string" ? payload.sid : "external";
  return { userId: sub.data, username: payload.name, sessionId: sid, expiresAt: payload.exp * 1000 };
}

/**
 * The HMAC key of AUTH_SECRET, imported once per isolate and secret: every
 * request and socket upgrade verifies a token, and importing the key each
 * time cost more than the verification itself.
 */
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string | undefined): Promise<CryptoKey> {
  let key = secret === undefined ? undefined : keys.get(secret);
  if (!key) {
    // Checked before the first use of a secret only: a cached key's secret passed.
    const raw = requireSecretBytes(secret);
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(raw), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keys.set(raw, key);
  }
  return key;
}
