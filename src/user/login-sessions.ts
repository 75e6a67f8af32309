/**
 * A user's login sessions, as the Worker's /v1/auth and /v1/me/sessions
 * routes use them through the User actor: opening one, rotating its refresh
 * token, ending it (logout, another device, a reuse, the cap) and listing
 * them. The rows are SessionStore's; ending a session also closes its
 * sockets (Standing.endSessions, §22.19).
 *
 * Single-threaded like the actor: a rotation's check and its writes run with
 * no `await` between them, so of two refreshes of one token exactly one
 * rotates.
 */
import { hashToken, newFamilyId, newRefreshToken, parseRefreshToken } from "../auth/sessions.ts";
import { ENDED_SESSION_WINDOW_MS } from "../auth/tokens.ts";
import { ParleyError, type SessionList } from "../protocol/index.ts";
import type { Logger } from "../shared/log.ts";
import { err, ok, type Result } from "../shared/result.ts";
import type { SessionMeta, SessionStore } from "./session-store.ts";
import { suspendedError, type Standing } from "./standing.ts";
import type { UserStore } from "./store.ts";

/** What a login or a refresh gets from the actor; the Worker adds the access token (`sid` = `family_id`). */
export interface SessionGrant {
  refresh_token: string;
  family_id: string;
  user: { id: string; username: string };
}

export interface LoginSessionDeps {
  sessions: SessionStore;
  store: UserStore;
  standing: Standing;
  secret: string;
  maxSessions: number;
  log: Logger;
  /** Keeps the actor at work after an answer (closing the sockets of sessions a sign-in evicted). */
  waitUntil: (work: Promise<unknown>) => void;
}

export class LoginSessions {
  readonly #d: LoginSessionDeps;

  constructor(deps: LoginSessionDeps) {
    this.#d = deps;
  }

  /** Opens a session (the Directory already knows the user); past the cap, the least recently used ends. */
  async create(userId: string, username: string, meta: SessionMeta): Promise<Result<SessionGrant>> {
    const d = this.#d;
    if (d.standing.suspended()) return err(suspendedError());
    const familyId = newFamilyId();
    const token = await newRefreshToken(d.secret, userId, familyId);
    const hash = await hashToken(token);
    const now = Date.now();
    const profile = d.store.createProfile(userId, username, now);
    if (profile.user_id !== userId) return err(new ParleyError("forbidden", "This actor belongs to another user."));
    const evicted = d.sessions.create(familyId, hash, now, d.maxSessions, {
      method: meta.method?.slice(0, 16),
      agent: meta.agent?.slice(0, 200),
    });
    d.log("info", "session.created", { family_id: familyId, evicted: evicted.join(",") || undefined });
    // Not awaited: a sign-in does not wait on every conversation of the user. Should the actor go away
    // first, the evicted session's tokens are refused all the same, and its sockets end at their expiry.
    if (evicted.length > 0) d.waitUntil(d.standing.endSessions(evicted));
    return ok({ refresh_token: token, family_id: familyId, user: { id: userId, username: profile.username } });
  }

  /**
   * Exchanges a refresh token for the next one of its family. Both hashes
   * are computed first; the check and the rotation then run in one
   * synchronous step. A reuse revokes the family and closes its sockets.
   */
  async refresh(refreshToken: string): Promise<Result<SessionGrant>> {
    const d = this.#d;
    const parts = parseRefreshToken(refreshToken);
    const profile = d.store.profile();
    if (!parts || !profile || parts.userId !== profile.user_id) return err(invalidRefreshToken());
    if (d.standing.suspended()) return err(suspendedError());
    const next = await newRefreshToken(d.secret, parts.userId, parts.familyId);
    const [oldHash, newHash] = await Promise.all([hashToken(refreshToken), hashToken(next)]);
    // No await from here to the return.
    const decision = d.sessions.rotate(oldHash, newHash, parts.familyId, Date.now());
    d.log(decision === "rotate" ? "info" : "warn", "session.refresh", { family_id: parts.familyId, decision });
    switch (decision) {
      case "rotate":
        return ok({ refresh_token: next, family_id: parts.familyId, user: { id: profile.user_id, username: profile.username } });
      case "reuse":
        // A stolen token's family: whoever holds its access tokens loses their sockets now.
        await d.standing.endSessions([parts.familyId]);
        return err(new ParleyError("unauthorized", "This refresh token was already used, so the session is revoked; log in again."));
      case "revoked":
      case "expired":
        return err(new ParleyError("unauthorized", "This session has ended; log in again."));
      case "unknown":
        return err(invalidRefreshToken());
    }
  }

  /**
   * Logout with an access token: ends the session its `sid` names.
   * Idempotent. The client is signing itself out and closes its own
   * conversation sockets; its inbox sockets close at once.
   */
  async logout(familyId: string): Promise<Result<{ revoked: boolean }>> {
    const d = this.#d;
    const revoked = d.sessions.revoke(familyId, Date.now(), "logout");
    if (revoked) {
      d.log("info", "session.revoked", { family_id: familyId, reason: "logout" });
      await d.standing.endSessions([familyId], true);
    }
    return ok({ revoked });
  }

  /** Logout with a refresh token (current or already used): ends its session. */
  async logoutByToken(refreshToken: string): Promise<Result<{ revoked: boolean }>> {
    if (!parseRefreshToken(refreshToken)) return err(invalidRefreshToken());
    const familyId = this.#d.sessions.familyOf(await hashToken(refreshToken));
    if (!familyId) return err(invalidRefreshToken());
    return this.logout(familyId);
  }

  /** The live sessions, most recently used first; `current` is the asking token's. */
  list(currentFamilyId: string): Result<SessionList> {
    const sessions = this.#d.sessions.described(Date.now()).map((s) => ({
      id: s.familyId, created_at: s.createdAt, last_used_at: s.lastUsedAt, current: s.familyId === currentFamilyId,
      method: s.method ?? null, agent: s.agent ?? null,
    }));
    return ok({ sessions });
  }

  /** Ends every live session but `keepFamilyId` ("sign out other devices"); answers how many ended. */
  async endOthers(keepFamilyId: string): Promise<Result<{ revoked: number }>> {
    const d = this.#d;
    const now = Date.now();
    const ended: string[] = [];
    for (const s of d.sessions.live(now)) {
      if (s.familyId !== keepFamilyId && d.sessions.revoke(s.familyId, now, "signed_out_elsewhere")) ended.push(s.familyId);
    }
    d.log("info", "session.revoked_others", { revoked: ended.length });
    await d.standing.endSessions(ended);
    return ok({ revoked: ended.length });
  }

  /** Ends one live session of the user's (another device); `not_found` for any other id. */
  async endOne(familyId: string): Promise<Result<{ revoked: true }>> {
    const d = this.#d;
    const now = Date.now();
    if (!d.sessions.live(now).some((s) => s.familyId === familyId)) return err(new ParleyError("not_found", "No such session."));
    d.sessions.revoke(familyId, now, "signed_out_elsewhere");
    d.log("info", "session.revoked", { family_id: familyId, reason: "signed_out_elsewhere" });
    await d.standing.endSessions([familyId]);
    return ok({ revoked: true });
  }

  /** Whether a refresh token is the current one of a live session, without spending it. */
  async sessionOf(refreshToken: string): Promise<Result<{ family_id: string; user: { id: string; username: string } }>> {
    const d = this.#d;
    const parts = parseRefreshToken(refreshToken);
    const profile = d.store.profile();
    if (!parts || !profile || parts.userId !== profile.user_id) return err(invalidRefreshToken());
    if (!d.sessions.isCurrent(await hashToken(refreshToken), Date.now())) return err(new ParleyError("unauthorized", "This session has ended; sign in again."));
    return ok({ family_id: parts.familyId, user: { id: profile.user_id, username: profile.username } });
  }

  /** Sessions ended recently enough for one of their access tokens to be unexpired: the Worker refuses those (§22.19). */
  recentlyEnded(): string[] {
    return this.#d.sessions.endedSince(Date.now() - ENDED_SESSION_WINDOW_MS);
  }
}

function invalidRefreshToken(): ParleyError {
  return new ParleyError("unauthorized", "The refresh token is invalid; log in again.");
}
