import type { Bucket } from "../shared/rules.ts";

/**
 * Storage of what decides who may reach the user and how fast the user may
 * add others (decision 0013): the blocks that concern the user either way,
 * the group adds the actor admitted that may still land, and the budgets of
 * group creations and adds. Synchronous, like UserStore. (UserStore's
 * presence queries read `blocks` too, and its inbox updates clear
 * `group_admissions` of a conversation that reports the user as a member.)
 */
export class BlockStore {
  readonly #sql: SqlStorage;

  constructor(storage: DurableObjectStorage) {
    this.#sql = storage.sql;
  }

  /** Records (or lifts) a block: `out`, this user blocks `otherId`; `in`, `otherId` blocks this user. */
  setBlock(otherId: string, direction: "out" | "in", on: boolean, now: number): void {
    if (on) {
      this.#sql.exec("INSERT OR IGNORE INTO blocks (other_id, direction, created_at) VALUES (?, ?, ?)", otherId, direction, now);
    } else {
      this.#sql.exec("DELETE FROM blocks WHERE other_id = ? AND direction = ?", otherId, direction);
    }
  }

  /** True when this user blocks `otherId` or `otherId` blocks this user. */
  isBlockedEitherWay(otherId: string): boolean {
    return this.#sql.exec("SELECT 1 FROM blocks WHERE other_id = ? LIMIT 1", otherId).toArray().length > 0;
  }

  /** Records that an add to `conversationId` by `adderId` was allowed and may land until `expiresAt`; forgets expired ones. */
  recordAdmission(adderId: string, conversationId: string, expiresAt: number, now: number): void {
    this.#sql.exec("DELETE FROM group_admissions WHERE expires_at < ?", now);
    this.#sql.exec(
      `INSERT INTO group_admissions (adder_id, conversation_id, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (adder_id, conversation_id) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
      adderId, conversationId, expiresAt,
    );
  }

  /** Until when an add by `adderId` that this actor allowed may still land, if one may. */
  admissionUntil(adderId: string, now: number): number | undefined {
    const row = this.#sql
      .exec<{ until: number | null }>("SELECT max(expires_at) AS until FROM group_admissions WHERE adder_id = ?", adderId)
      .one();
    return row.until !== null && row.until >= now ? row.until : undefined;
  }

  bucket(name: string): Bucket | undefined {
    const row = this.#sql.exec<{ tokens: number; updated_at: number }>("SELECT tokens, updated_at FROM buckets WHERE name = ?", name).toArray()[0];
    return row && { tokens: row.tokens, updatedAt: row.updated_at };
  }

  saveBucket(name: string, bucket: Bucket): void {
    this.#sql.exec(
      `INSERT INTO buckets (name, tokens, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at`,
      name, bucket.tokens, bucket.updatedAt,
    );
  }
}
