/**
 * Login sessions and refresh tokens: the rules, without storage (the User
 * actor keeps the rows; see src/user/session-store.ts).
 *
 * A session is a refresh-token *family*: one login on one device. Its id is
 * the `sid` claim of every access token minted for it. Each refresh hands out
 * the next token of the family and retires the one presented; a retired
 * token presented again means two parties hold the family (a stolen token or
 * a client that raced itself), so the whole family is revoked.
 */
import { UserId } from "../protocol/index.ts";
import { DEFAULT_MAX_SESSIONS, positiveInt } from "../shared/config.ts";
import { randomId } from "../shared/ids.ts";
import { requireSecretBytes } from "./secret.ts";

/** Sessions (families) a user may hold at once when MAX_SESSIONS is not set. */
/** A session unused for this long is expired: its refresh token no longer works. */
export const SESSION_IDLE_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/**
 * Retired tokens kept per family for reuse detection. An older retired token
 * is forgotten: presenting it is then merely `unauthorized` (it still grants
 * nothing), only the family is no longer revoked for it.
 */
export const KEPT_RETIRED_TOKENS = 64;
/** Revoked and expired sessions are deleted after this long. */
export const REVOKED_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

const FAMILY_ID_LENGTH = 20;
/** 62^32 ≈ 2^190 possible random parts. */
const RANDOM_LENGTH = 32;

/**
 * `rt_<user id>.<family id>.<random>.<mac>`. The user id lets the Worker
 * route the token to its User actor without a lookup; the MAC (HMAC-SHA256
 * under AUTH_SECRET, base64url) lets it refuse a forged or mangled token
 * before any actor is woken or created. Storage keeps only the SHA-256 hash
 * of the whole token, so a copy of the storage cannot be replayed.
 */
const REFRESH_TOKEN = /^rt_(u_[A-Za-z0-9_-]{1,64})\.(f_[A-Za-z0-9]{20})\.([A-Za-z0-9]{32})\.([A-Za-z0-9_-]{43})$/;

export interface RefreshTokenParts {
  userId: string;
  familyId: string;
}

export function newFamilyId(): string {
  return randomId("f_", FAMILY_ID_LENGTH);
}

/** A fresh token of a family, signed with the deployment secret. */
export async function newRefreshToken(secret: string, userId: string, familyId: string): Promise<string> {
  const body = `rt_${userId}.${familyId}.${randomId("", RANDOM_LENGTH)}`;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await macKey(secret), encoder.encode(body)));
  return `${body}.${toBase64Url(mac)}`;
}

/** Splits a refresh token by its format alone; undefined for anything else (never an exception). */
export function parseRefreshToken(token: string): RefreshTokenParts | undefined {
  const m = REFRESH_TOKEN.exec(token);
  if (!m || !UserId.safeParse(m[1]).success) return undefined;
  return { userId: m[1]!, familyId: m[2]! };
}

/** Checks format and MAC (in constant time); undefined for a token this deployment did not issue. */
export async function verifyRefreshToken(secret: string, token: string): Promise<RefreshTokenParts | undefined> {
  const parts = parseRefreshToken(token);
  if (!parts) return undefined;
  const dot = token.lastIndexOf(".");
  const mac = fromBase64Url(token.slice(dot + 1));
  if (!mac) return undefined;
  const ok = await crypto.subtle.verify("HMAC", await macKey(secret), mac, encoder.encode(token.slice(0, dot)));
  return ok ? parts : undefined;
}

const encoder = new TextEncoder();

/** Checks the secret's length first: a token is never signed or accepted under a short one. */
async function macKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(requireSecretBytes(secret)), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** Hex SHA-256 of a token: what storage keeps instead of the token. */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** MAX_SESSIONS from the environment, or the default when it is absent or not a positive integer. */
export function maxSessions(value: string | undefined): number {
  return positiveInt(value, DEFAULT_MAX_SESSIONS);
}

/** A stored token, as far as the rules need it. */
export interface TokenRecord {
  familyId: string;
  /** When it was exchanged for the next one; undefined while it is current. */
  usedAt: number | undefined;
}

/** A stored session (family). */
export interface SessionRecord {
  familyId: string;
  createdAt: number;
  lastUsedAt: number;
  revokedAt: number | undefined;
}

/**
 * What a refresh does:
 * - rotate: the token is current and its session live — hand out the next one;
 * - reuse: the token was already exchanged — revoke the whole family;
 * - revoked / expired: the session is over — refuse, change nothing;
 * - unknown: not a token of this user (garbage, forged, or long forgotten) — refuse, change nothing.
 */
export type RefreshDecision = "rotate" | "reuse" | "revoked" | "expired" | "unknown";

export function decideRefresh(
  token: TokenRecord | undefined,
  session: SessionRecord | undefined,
  familyId: string,
  now: number,
  idleTtlMs = SESSION_IDLE_TTL_MS,
): RefreshDecision {
  if (!token || !session || token.familyId !== familyId || session.familyId !== familyId) return "unknown";
  if (session.revokedAt !== undefined) return "revoked";
  if (token.usedAt !== undefined) return "reuse";
  if (isExpired(session, now, idleTtlMs)) return "expired";
  return "rotate";
}

export function isExpired(session: SessionRecord, now: number, idleTtlMs = SESSION_IDLE_TTL_MS): boolean {
  return now - session.lastUsedAt >= idleTtlMs;
}

/**
 * The live sessions to revoke so that one more fits under `max`: the least
 * recently used first (ties: the oldest login, then the id).
 */
export function sessionsToEvict(live: readonly SessionRecord[], max: number): string[] {
  const excess = live.length + 1 - max;
  if (excess <= 0) return [];
  return [...live]
    .sort((a, b) => a.lastUsedAt - b.lastUsedAt || a.createdAt - b.createdAt || (a.familyId < b.familyId ? -1 : 1))
    .slice(0, excess)
    .map((s) => s.familyId);
}
