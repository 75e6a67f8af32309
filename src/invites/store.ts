/**
 * Invite links of a group (docs/protocol.md §22.17): kept by the group's
 * Conversation actor, which also enforces everything a join must respect
 * (the member limit, blocks, who may invite).
 *
 * A code is the group's id, a dot, and 22 random symbols (≈ 131 bits): the
 * Worker finds the group from the code without any index, and only a code
 * whose id part is one this deployment minted reaches an actor. The actor
 * stores the SHA-256 of the random part, never the code: whoever reads the
 * storage cannot rebuild a working link. A code is shown once, when it is
 * made; lists show its `id` (the first 16 hex digits of the hash).
 */
import { ParleyError, type InviteView } from "../protocol/index.ts";
import { randomId } from "../shared/ids.ts";

export interface InviteRow {
  hash: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  max_uses: number | null;
  uses: number;
  revoked_at: number | null;
  [key: string]: SqlStorageValue;
}

/** A new code for group `conversationId`, and the random part whose hash is stored. */
export function newInviteCode(conversationId: string): { code: string; secret: string } {
  const secret = randomId("", 22);
  return { code: `${conversationId}.${secret}`, secret };
}

/** The group id and the secret part of a code (its form is checked by the contract's InviteCode). */
export function splitInviteCode(code: string): { conversationId: string; secret: string } {
  const dot = code.lastIndexOf(".");
  return { conversationId: code.slice(0, dot), secret: code.slice(dot + 1) };
}

export async function inviteHash(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`parley:invite:${secret}`));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Why an invite cannot be used now, if it cannot; every such case answers the joiner alike (see `invalidInvite`). */
export function unusable(row: InviteRow | undefined, now: number): "unknown" | "revoked" | "expired" | "exhausted" | undefined {
  if (!row) return "unknown";
  if (row.revoked_at !== null) return "revoked";
  if (row.expires_at <= now) return "expired";
  if (row.max_uses !== null && row.uses >= row.max_uses) return "exhausted";
  return undefined;
}

/** One answer for a code that is unknown, revoked, expired or used up: a holder learns no more than that it does not work. */
export function invalidInvite(): ParleyError {
  return new ParleyError("not_found", "This invite link is invalid or has expired.");
}

export function inviteView(row: InviteRow): InviteView {
  return {
    id: row.hash.slice(0, 16),
    created_by: row.created_by,
    created_at: row.created_at,
    expires_at: row.expires_at,
    ...(row.max_uses !== null ? { max_uses: row.max_uses } : {}),
    uses: row.uses,
    revoked: row.revoked_at !== null,
  };
}

export class InviteStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  insert(hash: string, createdBy: string, now: number, expiresAt: number, maxUses: number | undefined): InviteRow {
    this.#sql.exec(
      "INSERT INTO invites (hash, created_by, created_at, expires_at, max_uses) VALUES (?, ?, ?, ?, ?)",
      hash, createdBy, now, expiresAt, maxUses ?? null,
    );
    return this.find(hash)!;
  }

  find(hash: string): InviteRow | undefined {
    return this.#sql.exec<InviteRow>("SELECT * FROM invites WHERE hash = ?", hash).toArray()[0];
  }

  /** Invites still usable or recently ended (the last 30 days), newest first. */
  list(now: number): InviteRow[] {
    return this.#sql.exec<InviteRow>("SELECT * FROM invites WHERE expires_at > ? ORDER BY created_at DESC LIMIT 200", now - 30 * 24 * 3600 * 1000).toArray();
  }

  usableCount(now: number): number {
    return this.#sql.exec<{ n: number }>(
      "SELECT count(*) AS n FROM invites WHERE revoked_at IS NULL AND expires_at > ? AND (max_uses IS NULL OR uses < max_uses)", now,
    ).one().n;
  }

  /** Revokes by id (hash prefix) or full hash; false when there is no such invite. */
  revoke(idOrHash: string, now: number): InviteRow | undefined {
    const row = this.#sql.exec<InviteRow>("SELECT * FROM invites WHERE hash = ? OR substr(hash, 1, 16) = ?", idOrHash, idOrHash).toArray()[0];
    if (!row) return undefined;
    if (row.revoked_at === null) this.#sql.exec("UPDATE invites SET revoked_at = ? WHERE hash = ?", now, row.hash);
    return this.find(row.hash);
  }

  use(hash: string): void {
    this.#sql.exec("UPDATE invites SET uses = uses + 1 WHERE hash = ?", hash);
  }
}
