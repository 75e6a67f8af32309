import type { ConversationView, InboxUpdate, Member, Message, Receipt } from "../protocol/index.ts";
import { runMigrations, type Migration } from "../shared/migrations.ts";
import type { HistoryWindow } from "./rules.ts";

/**
 * The conversation's SQLite schema. Append-only: add a migration, never edit
 * one that has shipped.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "core",
    sql: `
      CREATE TABLE meta (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        conversation_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
        title TEXT,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE members (
        user_id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        joined_at INTEGER NOT NULL,
        read_seq INTEGER NOT NULL DEFAULT 0,
        delivered_seq INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE messages (
        seq INTEGER PRIMARY KEY,
        server_msg_id TEXT NOT NULL UNIQUE,
        client_msg_id TEXT NOT NULL,
        sender_id TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        reply_to_seq INTEGER
      );
      CREATE UNIQUE INDEX messages_idempotency ON messages (sender_id, client_msg_id);
    `,
  },
  {
    id: 2,
    name: "outbox-and-blocks",
    sql: `
      ALTER TABLE meta ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
      -- One row per member whose User actor has something to learn: the
      -- latest version to deliver. Rows coalesce, so a burst of messages is
      -- one delivery, not one per message.
      CREATE TABLE outbox (
        user_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX outbox_due ON outbox (next_at);
      -- Blocks between the two members of a direct conversation.
      CREATE TABLE blocks (
        blocker TEXT NOT NULL,
        blocked TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (blocker, blocked)
      );
    `,
  },
  {
    id: 3,
    name: "notification-outbox",
    sql: `
      -- Notifications (mention, reply, added) owed to members' User actors,
      -- written with the change that causes them; deleted once delivered.
      CREATE TABLE notify_outbox (
        id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        seq INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, id)
      );
      CREATE INDEX notify_outbox_due ON notify_outbox (next_at);
    `,
  },
];

export interface PendingNotification {
  id: string;
  user_id: string;
  kind: "mention" | "reply" | "added";
  seq: number;
  created_at: number;
  attempts: number;
}

interface MetaRow {
  version: number;
  conversation_id: string;
  kind: "direct" | "group";
  title: string | null;
  created_by: string;
  created_at: number;
  [key: string]: SqlStorageValue;
}

interface MessageRow {
  seq: number;
  server_msg_id: string;
  client_msg_id: string;
  sender_id: string;
  body: string;
  created_at: number;
  reply_to_seq: number | null;
  [key: string]: SqlStorageValue;
}

interface MemberRow {
  user_id: string;
  username: string;
  role: Member["role"];
  joined_at: number;
  read_seq: number;
  delivered_seq: number;
  [key: string]: SqlStorageValue;
}

export interface Meta {
  conversationId: string;
  kind: "direct" | "group";
  title: string | undefined;
  createdBy: string;
  createdAt: number;
}

export type MemberRecord = Member & { read_seq: number; delivered_seq: number; joined_at: number };

const MESSAGE_COLUMNS = "seq, server_msg_id, client_msg_id, sender_id, body, created_at, reply_to_seq";

/**
 * Storage of one conversation. Every method is synchronous: SQLite in a
 * Durable Object runs in the actor's thread, so a handler that does not
 * `await` is atomic with respect to every other event of the actor, and all
 * of its writes commit together before any output it produced is released
 * (the output gate).
 *
 * `meta`, `members` and `lastSeq` are cached in memory; the cache is rebuilt
 * from SQLite when the actor is constructed again after eviction.
 */
export class ConversationStore {
  readonly #storage: DurableObjectStorage;
  readonly #sql: SqlStorage;
  #meta: Meta | undefined;
  #members = new Map<string, MemberRecord>();
  #lastSeq = 0;
  #version = 0;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#sql = storage.sql;
    runMigrations(storage, MIGRATIONS);
    this.#load();
  }

  #load(): void {
    const meta = this.#sql.exec<MetaRow>("SELECT version, conversation_id, kind, title, created_by, created_at FROM meta").toArray()[0];
    this.#version = meta?.version ?? 0;
    this.#meta = meta && {
      conversationId: meta.conversation_id,
      kind: meta.kind,
      title: meta.title ?? undefined,
      createdBy: meta.created_by,
      createdAt: meta.created_at,
    };
    this.#members.clear();
    for (const m of this.#sql.exec<MemberRow>("SELECT * FROM members ORDER BY joined_at, rowid")) {
      this.#members.set(m.user_id, { ...m });
    }
    this.#lastSeq = this.#sql.exec<{ s: number | null }>("SELECT max(seq) AS s FROM messages").one().s ?? 0;
  }

  get meta(): Meta | undefined {
    return this.#meta;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  member(userId: string): MemberRecord | undefined {
    return this.#members.get(userId);
  }

  members(): MemberRecord[] {
    return [...this.#members.values()];
  }

  /** Creates the conversation once; later calls change nothing. Returns true when it created it. */
  create(meta: Meta, members: readonly Member[], now: number): boolean {
    if (this.#meta) return false;
    this.#storage.transactionSync(() => {
      this.#sql.exec(
        "INSERT INTO meta (id, conversation_id, kind, title, created_by, created_at) VALUES (1, ?, ?, ?, ?, ?)",
        meta.conversationId, meta.kind, meta.title ?? null, meta.createdBy, meta.createdAt,
      );
      for (const m of members) {
        this.#sql.exec(
          "INSERT INTO members (user_id, username, role, joined_at) VALUES (?, ?, ?, ?)",
          m.user_id, m.username, m.role, now,
        );
      }
    });
    this.#load();
    return true;
  }

  view(): ConversationView {
    const meta = this.#requireMeta();
    const view: ConversationView = {
      id: meta.conversationId,
      kind: meta.kind,
      members: this.members().map(({ user_id, username, role }) => ({ user_id, username, role })),
      last_seq: this.#lastSeq,
    };
    if (meta.title !== undefined) view.title = meta.title;
    return view;
  }

  receipts(): Receipt[] {
    return this.members().map(({ user_id, read_seq, delivered_seq }) => ({ user_id, read_seq, delivered_seq }));
  }

  /** The message a sender already sent under this `client_msg_id`, if any. */
  findByClientId(senderId: string, clientMsgId: string): Message | undefined {
    const row = this.#sql
      .exec<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE sender_id = ? AND client_msg_id = ?`, senderId, clientMsgId)
      .toArray()[0];
    return row && this.#toMessage(row);
  }

  /**
   * Appends a message with the next `seq`. The insert is the whole write: the
   * unique index on (sender_id, client_msg_id) backs up the idempotency check
   * the caller made, and `seq` is the primary key, so a repeat cannot commit.
   */
  append(input: Omit<Message, "conversation_id" | "seq">): Message {
    const seq = this.#lastSeq + 1;
    this.#sql.exec(
      `INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      seq, input.server_msg_id, input.client_msg_id, input.sender_id, input.body, input.created_at, input.reply_to_seq ?? null,
    );
    this.#lastSeq = seq;
    return this.#toMessage({ seq, ...input, reply_to_seq: input.reply_to_seq ?? null });
  }

  /** Messages in a window, ascending, and whether more lie beyond its far end. */
  page(window: HistoryWindow): { messages: Message[]; hasMore: boolean } {
    const take = window.limit + 1;
    let rows: MessageRow[];
    if (window.direction === "forward") {
      rows = this.#sql
        .exec<MessageRow>(
          `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE seq > ? AND seq < ? ORDER BY seq ASC LIMIT ?`,
          window.after, window.before ?? Number.MAX_SAFE_INTEGER, take,
        )
        .toArray();
      const hasMore = rows.length > window.limit;
      return { messages: rows.slice(0, window.limit).map((r) => this.#toMessage(r)), hasMore };
    }
    rows = this.#sql
      .exec<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE seq < ? ORDER BY seq DESC LIMIT ?`,
        window.before ?? Number.MAX_SAFE_INTEGER, take,
      )
      .toArray();
    const hasMore = rows.length > window.limit;
    return { messages: rows.slice(0, window.limit).reverse().map((r) => this.#toMessage(r)), hasMore };
  }

  /** Stores new receipt watermarks for a member. */
  setReceipts(userId: string, readSeq: number, deliveredSeq: number): void {
    const m = this.#members.get(userId);
    if (!m) return;
    this.#sql.exec("UPDATE members SET read_seq = ?, delivered_seq = ? WHERE user_id = ?", readSeq, deliveredSeq, userId);
    m.read_seq = readSeq;
    m.delivered_seq = deliveredSeq;
  }

  // --- membership ----------------------------------------------------------

  addMembers(members: readonly Member[], now: number): Member[] {
    const added = members.filter((m) => !this.#members.has(m.user_id));
    for (const m of added) {
      this.#sql.exec("INSERT INTO members (user_id, username, role, joined_at) VALUES (?, ?, ?, ?)", m.user_id, m.username, m.role, now);
      this.#members.set(m.user_id, { ...m, joined_at: now, read_seq: 0, delivered_seq: 0 });
    }
    return added;
  }

  removeMember(userId: string): MemberRecord | undefined {
    const m = this.#members.get(userId);
    if (!m) return undefined;
    this.#sql.exec("DELETE FROM members WHERE user_id = ?", userId);
    this.#members.delete(userId);
    return m;
  }

  setRole(userId: string, role: Member["role"]): void {
    const m = this.#members.get(userId);
    if (!m) return;
    this.#sql.exec("UPDATE members SET role = ? WHERE user_id = ?", role, userId);
    m.role = role;
  }

  setTitle(title: string): void {
    const meta = this.#requireMeta();
    this.#sql.exec("UPDATE meta SET title = ? WHERE id = 1", title);
    meta.title = title;
  }

  // --- outbox ----------------------------------------------------------------

  /**
   * Records, in the transaction of the change itself, that these users'
   * User actors must learn the conversation's new state, due at `dueAt`.
   * A row already waiting keeps its due time and its retry backoff (so a
   * busy conversation does not hammer a failing receiver): it only learns the
   * newer version. `"members"` marks every member in one statement.
   */
  markDirty(userIds: Iterable<string> | "members", dueAt: number): number {
    this.#version += 1;
    this.#sql.exec("UPDATE meta SET version = ? WHERE id = 1", this.#version);
    const upsert = "ON CONFLICT (user_id) DO UPDATE SET version = excluded.version";
    if (userIds === "members") {
      this.#sql.exec(`INSERT INTO outbox (user_id, version, attempts, next_at) SELECT user_id, ?, 0, ? FROM members WHERE true ${upsert}`, this.#version, dueAt);
    } else {
      for (const id of userIds) {
        this.#sql.exec(`INSERT INTO outbox (user_id, version, attempts, next_at) VALUES (?, ?, 0, ?) ${upsert}`, id, this.#version, dueAt);
      }
    }
    return this.#version;
  }

  /** Outbox rows due by `now`, oldest first. */
  dueOutbox(now: number, limit: number): Array<{ user_id: string; version: number; attempts: number }> {
    return this.#sql
      .exec<{ user_id: string; version: number; attempts: number }>(
        "SELECT user_id, version, attempts FROM outbox WHERE next_at <= ? ORDER BY next_at, user_id LIMIT ?", now, limit,
      )
      .toArray();
  }

  /** Drops a row once its version (or a later one) is delivered; a newer change keeps it. */
  outboxDelivered(userId: string, version: number): void {
    this.#sql.exec("DELETE FROM outbox WHERE user_id = ? AND version <= ?", userId, version);
  }

  outboxFailed(userId: string, version: number, attempts: number, nextAt: number): void {
    this.#sql.exec("UPDATE outbox SET attempts = ?, next_at = ? WHERE user_id = ? AND version = ?", attempts, nextAt, userId, version);
  }

  /** When the next outbox row (inbox or notification) falls due, if any. */
  nextOutboxAt(): number | undefined {
    return this.#sql
      .exec<{ t: number | null }>("SELECT min(t) AS t FROM (SELECT min(next_at) AS t FROM outbox UNION ALL SELECT min(next_at) FROM notify_outbox)")
      .one().t ?? undefined;
  }

  enqueueNotification(n: Omit<PendingNotification, "attempts">): void {
    this.#sql.exec(
      "INSERT OR IGNORE INTO notify_outbox (id, user_id, kind, seq, created_at) VALUES (?, ?, ?, ?, ?)",
      n.id, n.user_id, n.kind, n.seq, n.created_at,
    );
  }

  dueNotifications(now: number, limit: number): PendingNotification[] {
    return this.#sql
      .exec<PendingNotification & Record<string, SqlStorageValue>>(
        "SELECT id, user_id, kind, seq, created_at, attempts FROM notify_outbox WHERE next_at <= ? ORDER BY next_at, created_at LIMIT ?",
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

  /** The conversation as this user's inbox shows it, at the current version. */
  inboxUpdate(userId: string, fanoutMax: number): InboxUpdate {
    const meta = this.#requireMeta();
    // A member blocked in a direct conversation sees it as if they had left:
    // no preview, no unread count, no presence through it.
    const blocked = meta.kind === "direct" && this.isBlocked(userId);
    const member = blocked ? undefined : this.#members.get(userId);
    const readSeq = member?.read_seq ?? 0;
    const unread = member
      ? this.#sql.exec<{ n: number }>("SELECT count(*) AS n FROM messages WHERE seq > ? AND sender_id != ?", readSeq, userId).one().n
      : 0;
    const last = this.#lastSeq > 0 ? this.page({ direction: "backward", before: undefined, limit: 1 }).messages[0] : undefined;
    const update: InboxUpdate = {
      conversation: { id: meta.conversationId, kind: meta.kind, last_seq: this.#lastSeq, unread },
      version: this.#version,
      read_seq: readSeq,
    };
    if (meta.title !== undefined) update.conversation.title = meta.title;
    if (last) update.conversation.last_message = last;
    if (member) {
      update.role = member.role;
      if (this.#members.size <= fanoutMax) update.member_ids = [...this.#members.keys()];
    }
    return update;
  }

  // --- blocks ------------------------------------------------------------------

  setBlock(blocker: string, blocked: string, on: boolean, now: number): void {
    if (on) this.#sql.exec("INSERT OR IGNORE INTO blocks (blocker, blocked, created_at) VALUES (?, ?, ?)", blocker, blocked, now);
    else this.#sql.exec("DELETE FROM blocks WHERE blocker = ? AND blocked = ?", blocker, blocked);
  }

  /** True when any other party of this conversation blocks `userId`. */
  isBlocked(userId: string): boolean {
    return this.#sql.exec<{ n: number }>("SELECT count(*) AS n FROM blocks WHERE blocked = ? AND blocker != ?", userId, userId).one().n > 0;
  }

  #requireMeta(): Meta {
    if (!this.#meta) throw new Error("conversation is not created");
    return this.#meta;
  }

  #toMessage(row: MessageRow): Message {
    const message: Message = {
      conversation_id: this.#requireMeta().conversationId,
      seq: row.seq,
      server_msg_id: row.server_msg_id,
      client_msg_id: row.client_msg_id,
      sender_id: row.sender_id,
      body: row.body,
      created_at: row.created_at,
    };
    if (row.reply_to_seq !== null) message.reply_to_seq = row.reply_to_seq;
    return message;
  }
}
