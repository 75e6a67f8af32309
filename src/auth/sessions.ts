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
import { randomId } from "../shared/ids.ts";

/** Sessions (families) a user may hold at once when MAX_SESSIONS is not set. */
export const DEFAULT_MAX_SESSIONS = 10;
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
/** 62^43 ≈ 2^256 possible secrets. */
const SECRET_LENGTH = 43;

/**
 * `rt_<user id>.<family id>.<secret>`. The user id lets the Worker route the
 * token to its User actor without a lookup; only the SHA-256 hash of the
 * whole token is stored, so a copy of the storage cannot be replayed.
 */
const REFRESH_TOKEN = /^rt_(u_[A-Za-z0-9_-]{1,64})\.(f_[A-Za-z0-9]{20})\.([A-Za-z0-9]{43})$/;

export interface RefreshTokenParts {
  userId: string;
  familyId: string;
  secret: string;
}

export function newFamilyId(): string {
  return randomId("f_", FAMILY_ID_LENGTH);
}

/** A fresh token of a family. */
export function newRefreshToken(userId: string, familyId: string): string {
  return `rt_${userId}.${familyId}.${randomId("", SECRET_LENGTH)}`;
}

/** Splits a refresh token; undefined for anything not in the format (never an exception). */
export function parseRefreshToken(token: string): RefreshTokenParts | undefined {
  const m = REFRESH_TOKEN.exec(token);
  if (!m || !UserId.safeParse(m[1]).success) return undefined;
  return { userId: m[1]!, familyId: m[2]!, secret: m[3]! };
}

/** Hex SHA-256 of a token: what storage keeps instead of the token. */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** MAX_SESSIONS from the environment, or the default when it is absent or not a positive integer. */
export function maxSessions(value: string | undefined): number {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_SESSIONS;
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
