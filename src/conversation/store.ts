import type { ConversationView, Member, Message, Receipt } from "../protocol/index.ts";
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
];

interface MetaRow {
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

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#sql = storage.sql;
    runMigrations(storage, MIGRATIONS);
    this.#load();
  }

  #load(): void {
    const meta = this.#sql.exec<MetaRow>("SELECT conversation_id, kind, title, created_by, created_at FROM meta").toArray()[0];
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
