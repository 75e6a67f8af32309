import type { TopicAccess } from "../protocol/index.ts";
import { runMigrations } from "../shared/migrations.ts";
import { TOPIC_MIGRATIONS } from "./schema.ts";

/** A topic's stored configuration and counters (settings NULL: the deployment's default). */
export interface TopicMeta {
  name: string;
  access: TopicAccess;
  coalesceMs: number | null;
  retentionEvents: number | null;
  retentionMs: number | null;
  lastSeq: number;
  /** When the last event was accepted: event times never go back. */
  lastAt: number;
  flushedSeq: number;
  prunedSeq: number;
}

interface MetaRow {
  name: string;
  access: TopicAccess;
  coalesce_ms: number | null;
  retention_events: number | null;
  retention_ms: number | null;
  last_seq: number;
  last_at: number;
  flushed_seq: number;
  pruned_seq: number;
  [key: string]: SqlStorageValue;
}

export interface StoredEvent {
  seq: number;
  created_at: number;
  data: string;
  [key: string]: SqlStorageValue;
}

export interface TopicSettings {
  access: TopicAccess;
  users?: readonly string[] | undefined;
  coalesceMs?: number | undefined;
  retentionEvents?: number | undefined;
  retentionMs?: number | undefined;
}

/**
 * Storage of one topic: its configuration, who may read it, and the events
 * of its retention window. Every method is synchronous, so a handler that
 * does not `await` between a read and a write is atomic. The meta row is
 * mirrored in memory (`meta`) and changes only after its SQL succeeded.
 *
 * The schema is created by the first `configure`, not by the constructor:
 * a topic nobody configured stores nothing (subscribers are answered 404
 * from an empty actor).
 */
export class TopicStore {
  readonly #storage: DurableObjectStorage;
  readonly #sql: SqlStorage;
  #meta: TopicMeta | undefined;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#sql = storage.sql;
    const hasSchema = this.#sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'").toArray().length > 0;
    if (hasSchema) {
      runMigrations(storage, TOPIC_MIGRATIONS);
      const row = this.#sql.exec<MetaRow>("SELECT * FROM meta").toArray()[0];
      this.#meta = row && toMeta(row);
    }
  }

  /** The topic, or undefined when it was never configured. */
  get meta(): TopicMeta | undefined {
    return this.#meta;
  }

  /**
   * Creates or reconfigures the topic, in one transaction: the meta row and,
   * for a restricted topic, the whole list of users (replaced). True when it
   * was created.
   */
  configure(name: string, settings: TopicSettings, now: number): boolean {
    const created = this.#meta === undefined;
    this.#storage.transactionSync(() => {
      runMigrations(this.#storage, TOPIC_MIGRATIONS);
      this.#sql.exec(
        `INSERT INTO meta (id, name, access, coalesce_ms, retention_events, retention_ms, created_at, updated_at)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET access = excluded.access, coalesce_ms = excluded.coalesce_ms,
           retention_events = excluded.retention_events, retention_ms = excluded.retention_ms, updated_at = excluded.updated_at`,
        name, settings.access, settings.coalesceMs ?? null, settings.retentionEvents ?? null, settings.retentionMs ?? null, now, now,
      );
      this.#sql.exec("DELETE FROM users");
      if (settings.access === "restricted") {
        for (const id of new Set(settings.users ?? [])) this.#sql.exec("INSERT INTO users (user_id) VALUES (?)", id);
      }
    });
    this.#meta = toMeta(this.#sql.exec<MetaRow>("SELECT * FROM meta").one());
    return created;
  }

  /** Whether `userId` may read the topic (any signed-in user of a public one; listed users of a restricted one). */
  mayRead(userId: string): boolean {
    const meta = this.#meta;
    if (!meta) return false;
    if (meta.access === "public") return true;
    return this.#sql.exec("SELECT 1 FROM users WHERE user_id = ?", userId).toArray().length > 0;
  }

  userCount(): number {
    return this.#meta ? this.#sql.exec<{ n: number }>("SELECT count(*) AS n FROM users").one().n : 0;
  }

  /** Appends an event; returns its seq and time. */
  append(data: string, now: number): { seq: number; created_at: number } {
    const meta = this.#require();
    const seq = meta.lastSeq + 1;
    // Event times never go back, so "older than the retention time" is a prefix of the seqs.
    const at = Math.max(now, meta.lastAt);
    this.#sql.exec("INSERT INTO events (seq, created_at, data) VALUES (?, ?, ?)", seq, at, data);
    this.#sql.exec("UPDATE meta SET last_seq = ?, last_at = ? WHERE id = 1", seq, at);
    meta.lastSeq = seq;
    meta.lastAt = at;
    return { seq, created_at: at };
  }

  /** Deletes every event up to `seq` (a bound from pruneBound); no-op when nothing new falls out. */
  pruneTo(seq: number): void {
    const meta = this.#require();
    if (seq <= meta.prunedSeq) return;
    this.#sql.exec("DELETE FROM events WHERE seq <= ?", seq);
    this.#sql.exec("UPDATE meta SET pruned_seq = ? WHERE id = 1", seq);
    meta.prunedSeq = seq;
  }

  /** Records that every subscribed socket got the events up to `seq`. */
  flushedTo(seq: number): void {
    const meta = this.#require();
    if (seq <= meta.flushedSeq) return;
    this.#sql.exec("UPDATE meta SET flushed_seq = ? WHERE id = 1", seq);
    meta.flushedSeq = seq;
  }

  /** Events with `after < seq <= upTo`, ascending, at most `limit`. */
  events(after: number, upTo: number, limit: number): StoredEvent[] {
    return this.#sql
      .exec<StoredEvent>("SELECT seq, created_at, data FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?", after, upTo, limit)
      .toArray();
  }

  /** When the oldest kept event was accepted, if any is kept. */
  oldestAt(): number | undefined {
    if (!this.#meta) return undefined;
    return this.#sql.exec<{ created_at: number }>("SELECT created_at FROM events ORDER BY seq LIMIT 1").toArray()[0]?.created_at;
  }

  /** The last event accepted before `cutoff` (0 when none is kept): event times grow with seq. */
  lastBefore(cutoff: number): number {
    const meta = this.#require();
    return this.#sql.exec<{ s: number | null }>("SELECT max(seq) AS s FROM events WHERE seq > ? AND created_at < ?", meta.prunedSeq, cutoff).one().s ?? 0;
  }

  #require(): TopicMeta {
    if (!this.#meta) throw new Error("the topic is not configured");
    return this.#meta;
  }
}

function toMeta(row: MetaRow): TopicMeta {
  return {
    name: row.name,
    access: row.access,
    coalesceMs: row.coalesce_ms,
    retentionEvents: row.retention_events,
    retentionMs: row.retention_ms,
    lastSeq: row.last_seq,
    lastAt: row.last_at,
    flushedSeq: row.flushed_seq,
    prunedSeq: row.pruned_seq,
  };
}
