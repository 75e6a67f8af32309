import type { Env } from "../src/env.ts";
import { sessionEndedError } from "../src/auth/tokens.ts";
import { suspendedError } from "../src/user/standing.ts";
import { user } from "./actors.ts";

/**
 * Whether a user is suspended (§22.18), asked of their User actor before
 * every authenticated route and socket upgrade, and remembered in this
 * isolate for STANDING_TTL_MS (decision 0033): an active user costs their
 * own actor one call per isolate every few seconds, not one per request,
 * and a suspension reaches every isolate within that time (the isolate that
 * carried out the suspension forgets its entry at once). Open sockets are
 * closed by the suspension itself, not by this check.
 *
 * The same answer names the login sessions that ended in the last
 * ENDED_SESSION_WINDOW_MS (signed out, or revoked): an access token of one
 * of them is refused 401 (§22.19), so signing a device out stops its REST
 * calls within STANDING_TTL_MS, not at its token's expiry.
 */
export const STANDING_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

const known = new Map<string, { suspended: boolean; ended: ReadonlySet<string>; until: number }>();
const NONE: ReadonlySet<string> = new Set();

export async function requireGoodStanding(env: Env, userId: string, sessionId?: string): Promise<void> {
  const now = Date.now();
  let entry = known.get(userId);
  if (!entry || entry.until <= now) {
    const standing = await user(env, userId).standing();
    const ended = standing.ended_sessions.length > 0 ? new Set(standing.ended_sessions) : NONE;
    entry = { suspended: standing.suspended, ended, until: now + STANDING_TTL_MS };
    if (known.size >= MAX_ENTRIES) known.clear();
    known.set(userId, entry);
  }
  if (entry.suspended) throw suspendedError();
  if (sessionId !== undefined && entry.ended.has(sessionId)) {
    throw sessionEndedError();
  }
}

/** After a suspension or its end, or a session's end, this isolate asks again at the next request. */
export function forgetStanding(userId: string): void {
  known.delete(userId);
}
