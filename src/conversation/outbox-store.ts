/**
 * The two durable outboxes of a conversation, in its SQLite storage:
 *
 * - `outbox`: members whose User actor must learn the conversation's state
 *   outside the broadcast sweep (fanout.ts) — a change that concerns only
 *   them (their read watermark, a block, their removal), or a sweep delivery
 *   that failed and waits for its retry. One row per member at most; it
 *   keeps the newest version owed.
 * - `notify_outbox`: notifications (mention, reply, added) owed to members,
 *   written in the transaction of the change that causes them, deleted once
 *   delivered.
 */
export interface PendingNotification {
  id: string;
  user_id: string;
  kind: "mention" | "reply" | "added";
  seq: number;
  created_at: number;
  /** Who caused it (the sender, or who added the member); null for rows older than the column. */
  caused_by: string | null;
  attempts: number;
}

export interface OutboxRow {
  user_id: string;
  version: number;
  attempts: number;
  next_at: number;
  [key: string]: SqlStorageValue;
}

export class OutboxStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /**
   * Owes these users the conversation at `version`, due at `dueAt`. A row
   * already waiting keeps its due time and its retry backoff (so a busy
   * conversation does not hammer a failing receiver): it only learns the
   * newer version.
   */
  owe(userIds: Iterable<string>, version: number, dueAt: number): void {
    for (const id of userIds) {
      this.#sql.exec(
        `INSERT INTO outbox (user_id, version, attempts, next_at) VALUES (?, ?, 0, ?)
         ON CONFLICT (user_id) DO UPDATE SET version = max(version, excluded.version)`,
        id, version, dueAt,
      );
    }
  }

  /** Rows due by `now`, oldest first. */
  due(now: number, limit: number): OutboxRow[] {
    return this.#sql
      .exec<OutboxRow>("SELECT user_id, version, attempts, next_at FROM outbox WHERE next_at <= ? ORDER BY next_at, user_id LIMIT ?", now, limit)
      .toArray();
  }

  /** Every row (there are few: per-member changes and failing receivers). */
  all(): OutboxRow[] {
    return this.#sql.exec<OutboxRow>("SELECT user_id, version, attempts, next_at FROM outbox").toArray();
  }

  /** Drops a row once its version (or a later one) is delivered; a newer change keeps it. */
  delivered(userId: string, version: number): void {
    this.#sql.exec("DELETE FROM outbox WHERE user_id = ? AND version <= ?", userId, version);
  }

  /** A delivery failed: the row (created if missing) owes at least `version`, retried at `nextAt`. */
  failed(userId: string, version: number, attempts: number, nextAt: number): void {
    this.#sql.exec(
      `INSERT INTO outbox (user_id, version, attempts, next_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET version = max(version, excluded.version), attempts = excluded.attempts, next_at = excluded.next_at`,
      userId, version, attempts, nextAt,
    );
  }

  /** When the next row of either outbox falls due, if any. */
  nextAt(): number | undefined {
    return this.#sql
      .exec<{ t: number | null }>("SELECT min(t) AS t FROM (SELECT min(next_at) AS t FROM outbox UNION ALL SELECT min(next_at) FROM notify_outbox)")
      .one().t ?? undefined;
  }

  enqueueNotification(n: Omit<PendingNotification, "attempts">): void {
    this.#sql.exec(
      "INSERT OR IGNORE INTO notify_outbox (id, user_id, kind, seq, created_at, caused_by) VALUES (?, ?, ?, ?, ?, ?)",
      n.id, n.user_id, n.kind, n.seq, n.created_at, n.caused_by,
    );
  }

  dueNotifications(now: number, limit: number): PendingNotification[] {
    return this.#sql
      .exec<PendingNotification & Record<string, SqlStorageValue>>(
        "SELECT id, user_id, kind, seq, created_at, caused_by, attempts FROM notify_outbox WHERE next_at <= ? ORDER BY next_at, created_at LIMIT ?",
        now, limit,
      )
      .toArray();
  }

  notificationDone(userId: string, id: string): void {
    this.#sql.exec("DELETE FROM notify_outbox WHERE user_id = ? AND id = ?", userId, id);
  }

  notificationFailed(userId: string, id: string, attempts: number, nextAt: number): void {
    this.#sql.exec("UPDATE notify_outbox SET attempts = ?, next_at = ? WHERE user_id = ? AND id = ?", attempts, nextAt, userId, id);
  }
}
