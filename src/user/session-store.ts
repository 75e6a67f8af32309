import {
  KEPT_RETIRED_TOKENS,
  REVOKED_RETENTION_MS,
  SESSION_IDLE_TTL_MS,
  decideRefresh,
  isExpired,
  sessionsToEvict,
  type RefreshDecision,
  type SessionRecord,
  type TokenRecord,
} from "../auth/sessions.ts";

/** How a session was opened, for the user's list of sessions. */
export interface SessionMeta {
  method?: string | undefined;
  agent?: string | undefined;
}

interface SessionRow {
  family_id: string;
  created_at: number;
  last_used_at: number;
  revoked_at: number | null;
  [key: string]: SqlStorageValue;
}

interface TokenRow {
  family_id: string;
  used_at: number | null;
  [key: string]: SqlStorageValue;
}

/**
 * Sessions (refresh-token families) and the hashes of their tokens. The
 * decisions are the pure rules of src/auth/sessions.ts; this class only reads
 * and writes rows. Every method is synchronous, and each runs in one
 * `transactionSync`, so a rotation's check and its writes cannot interleave
 * with another request: two refreshes of one token are strictly ordered.
 */
export class SessionStore {
  readonly #storage: DurableObjectStorage;
  readonly #sql: SqlStorage;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#sql = storage.sql;
  }

  /**
   * Opens a session with its first token. Past `max` live sessions, the
   * least recently used are revoked first; returns their family ids.
   */
  create(familyId: string, tokenHash: string, now: number, max: number, meta: SessionMeta = {}): string[] {
    return this.#storage.transactionSync(() => {
      this.#prune(now);
      const live = this.#live(now);
      const evicted = sessionsToEvict(live, max);
      for (const id of evicted) this.#revoke(id, now, "session_limit");
      this.#sql.exec(
        "INSERT INTO sessions (family_id, created_at, last_used_at, method, agent) VALUES (?, ?, ?, ?, ?)",
        familyId, now, now, meta.method ?? null, meta.agent ?? null,
      );
      this.#sql.exec("INSERT INTO refresh_tokens (hash, family_id, created_at) VALUES (?, ?, ?)", tokenHash, familyId, now);
      return evicted;
    });
  }

  /**
   * Exchanges a token for the next one of its family: `rotate` stored the
   * new hash and retired the old; `reuse` revoked the family; anything else
   * changed nothing.
   */
  rotate(oldHash: string, newHash: string, familyId: string, now: number): RefreshDecision {
    return this.#storage.transactionSync(() => {
      const token = this.#token(oldHash);
      const session = this.#session(familyId);
      const decision = decideRefresh(token, session, familyId, now);
      if (decision === "reuse") {
        this.#revoke(familyId, now, "refresh_token_reuse");
      } else if (decision === "rotate") {
        this.#sql.exec("UPDATE refresh_tokens SET used_at = ? WHERE hash = ?", now, oldHash);
        this.#sql.exec("INSERT INTO refresh_tokens (hash, family_id, created_at) VALUES (?, ?, ?)", newHash, familyId, now);
        this.#sql.exec("UPDATE sessions SET last_used_at = ? WHERE family_id = ?", now, familyId);
        this.#sql.exec(
          `DELETE FROM refresh_tokens WHERE family_id = ? AND used_at IS NOT NULL AND hash NOT IN (
             SELECT hash FROM refresh_tokens WHERE family_id = ? AND used_at IS NOT NULL ORDER BY used_at DESC LIMIT ?)`,
          familyId, familyId, KEPT_RETIRED_TOKENS,
        );
      }
      return decision;
    });
  }

  /** The family of a stored token (current or retired), if any. */
  familyOf(tokenHash: string): string | undefined {
    return this.#token(tokenHash)?.familyId;
  }

  /** Ends a session; true when it was live. Idempotent. */
  revoke(familyId: string, now: number, reason: string): boolean {
    return this.#storage.transactionSync(() => this.#revoke(familyId, now, reason));
  }

  /** Sessions ended (revoked) at `since` or later: their access tokens may not have expired yet. */
  endedSince(since: number): string[] {
    return this.#sql
      .exec<{ family_id: string }>("SELECT family_id FROM sessions WHERE revoked_at >= ?", since)
      .toArray()
      .map((r) => r.family_id);
  }

  /** Live sessions, for tests and diagnostics. */
  live(now: number): SessionRecord[] {
    return this.#live(now);
  }

  /** Live sessions with how they were opened, most recently used first (the user's list). */
  described(now: number): Array<SessionRecord & SessionMeta> {
    const meta = new Map(
      this.#sql
        .exec<{ family_id: string; method: string | null; agent: string | null }>("SELECT family_id, method, agent FROM sessions WHERE revoked_at IS NULL")
        .toArray()
        .map((r) => [r.family_id, r]),
    );
    return this.#live(now)
      .sort((a, b) => b.lastUsedAt - a.lastUsedAt || (a.familyId < b.familyId ? -1 : 1))
      .map((s) => ({ ...s, method: meta.get(s.familyId)?.method ?? undefined, agent: meta.get(s.familyId)?.agent ?? undefined }));
  }

  /** True when `tokenHash` is the current (not yet exchanged) token of a live session. */
  isCurrent(tokenHash: string, now: number): boolean {
    const token = this.#token(tokenHash);
    if (!token || token.usedAt !== undefined) return false;
    const session = this.#session(token.familyId);
    return session !== undefined && session.revokedAt === undefined && !isExpired(session, now);
  }

  #revoke(familyId: string, now: number, reason: string): boolean {
    return this.#sql.exec(
      "UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE family_id = ? AND revoked_at IS NULL",
      now, reason, familyId,
    ).rowsWritten > 0;
  }

  #live(now: number): SessionRecord[] {
    return this.#sql
      .exec<SessionRow>("SELECT family_id, created_at, last_used_at, revoked_at FROM sessions WHERE revoked_at IS NULL")
      .toArray()
      .map(toSession)
      .filter((s) => !isExpired(s, now));
  }

  #session(familyId: string): SessionRecord | undefined {
    const row = this.#sql
      .exec<SessionRow>("SELECT family_id, created_at, last_used_at, revoked_at FROM sessions WHERE family_id = ?", familyId)
      .toArray()[0];
    return row && toSession(row);
  }

  #token(hash: string): TokenRecord | undefined {
    const row = this.#sql.exec<TokenRow>("SELECT family_id, used_at FROM refresh_tokens WHERE hash = ?", hash).toArray()[0];
    return row && { familyId: row.family_id, usedAt: row.used_at ?? undefined };
  }

  /** Forgets sessions that ended (revoked, or idle past expiry) long ago, with their tokens. */
  #prune(now: number): void {
    const cutoff = now - REVOKED_RETENTION_MS;
    const gone = this.#sql
      .exec<{ family_id: string }>(
        "SELECT family_id FROM sessions WHERE revoked_at < ? OR last_used_at < ?",
        cutoff, cutoff - SESSION_IDLE_TTL_MS,
      )
      .toArray();
    for (const { family_id } of gone) {
      this.#sql.exec("DELETE FROM refresh_tokens WHERE family_id = ?", family_id);
      this.#sql.exec("DELETE FROM sessions WHERE family_id = ?", family_id);
    }
  }
}

function toSession(row: SessionRow): SessionRecord {
  return {
    familyId: row.family_id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at ?? undefined,
  };
}
