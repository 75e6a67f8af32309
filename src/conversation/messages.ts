/**
 * The messages of one conversation in its SQLite storage: the log itself,
 * its change counter (`rev`), reactions, and the full-text index. Every
 * method is synchronous (see store.ts for why that matters).
 *
 * Two counters order a conversation (decision 0014):
 * - `seq` numbers messages, 1, 2, 3… with no gap: protocol v1's cursor.
 * - `rev` numbers changes: a new message, an edit, a deletion, a reaction
 *   added or removed each take the next `rev`, stored on the message they
 *   changed. A message's `rev` is that of its latest change, so "every
 *   change after r" is "every message whose rev is above r", each in its
 *   current state, once, in the order of their latest changes.
 */
import {
  EXCERPT_CHARS,
  REACTION_USERS_LISTED,
  type Attachment,
  type Message,
  type ReactionSummary,
} from "../protocol/index.ts";

export interface MessageRow {
  seq: number;
  server_msg_id: string;
  client_msg_id: string;
  sender_id: string;
  body: string;
  created_at: number;
  reply_to_seq: number | null;
  rev: number;
  edited_at: number | null;
  deleted_at: number | null;
  mentions: string | null;
  attachments: string | null;
  [key: string]: SqlStorageValue;
}

const COLUMNS = "seq, server_msg_id, client_msg_id, sender_id, body, created_at, reply_to_seq, rev, edited_at, deleted_at, mentions, attachments";

/** A page of messages, ascending by the cursor it was asked by, and whether more lie beyond. */
export interface Page {
  messages: Message[];
  hasMore: boolean;
}

export class MessageLog {
  readonly #sql: SqlStorage;
  readonly #conversationId: () => string;
  #lastSeq = 0;
  #lastRev = 0;
  #last: Message | undefined;

  constructor(sql: SqlStorage, conversationId: () => string) {
    this.#sql = sql;
    this.#conversationId = conversationId;
  }

  /** Reads the counters and the last message again (construction, and after a rolled-back transaction). */
  load(): void {
    const last = this.#sql.exec<MessageRow>(`SELECT ${COLUMNS} FROM messages ORDER BY seq DESC LIMIT 1`).toArray()[0];
    this.#lastSeq = last?.seq ?? 0;
    this.#lastRev = this.#sql.exec<{ r: number | null }>("SELECT max(rev) AS r FROM messages").one().r ?? 0;
    this.#last = last && this.decorate([last])[0];
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  get lastRev(): number {
    return this.#lastRev;
  }

  get last(): Message | undefined {
    return this.#last;
  }

  // --- new messages ------------------------------------------------------------

  /** The message `insert` would write: the next `seq` and `rev`. Writes nothing. */
  next(input: Omit<Message, "conversation_id" | "seq" | "rev">): Message {
    const message: Message = { conversation_id: this.#conversationId(), seq: this.#lastSeq + 1, ...input, rev: this.#lastRev + 1 };
    for (const key of ["reply_to_seq", "mentions", "attachments"] as const) if (message[key] === undefined) delete message[key];
    return message;
  }

  /**
   * Writes `message` (from `next`) unless its sender already used its
   * `client_msg_id`: the unique index on (sender_id, client_msg_id) decides,
   * in the same statement, so the common case costs one statement and no
   * read. The statement also moves the sender's watermarks to the message
   * (trigger `messages_sender_watermarks`). Returns false for a repeat, which
   * wrote nothing. Call `appended` once the statement (or the surrounding
   * transaction) has succeeded.
   */
  insert(message: Message): boolean {
    return this.#sql.exec(
      `INSERT INTO messages (seq, server_msg_id, client_msg_id, sender_id, body, created_at, reply_to_seq, rev, mentions, attachments)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sender_id, client_msg_id) DO NOTHING`,
      message.seq, message.server_msg_id, message.client_msg_id, message.sender_id, message.body, message.created_at,
      message.reply_to_seq ?? null, message.rev!, json(message.mentions), json(message.attachments),
    ).rowsWritten > 0;
  }

  /** The counters learn a committed message. */
  appended(message: Message): void {
    this.#lastSeq = message.seq;
    this.#lastRev = message.rev!;
    this.#last = message;
  }

  // --- changes -------------------------------------------------------------------

  /** The next `rev` (what a change about to be written takes). */
  nextRev(): number {
    return this.#lastRev + 1;
  }

  /** The counters learn a committed change of message `seq` (whose new state is `message`, when the caller has it). */
  changed(rev: number, message?: Message): void {
    this.#lastRev = Math.max(this.#lastRev, rev);
    if (message && message.seq === this.#lastSeq) this.#last = message;
  }

  /** A new body: one statement. */
  edit(seq: number, body: string, mentions: string[] | undefined, at: number, rev: number): void {
    this.#sql.exec("UPDATE messages SET body = ?, mentions = ?, edited_at = ?, rev = ? WHERE seq = ?", body, json(mentions), at, rev, seq);
  }

  /** A tombstone: no body, mentions, reactions or attachments; the seq, sender and times stay. Run inside a transaction. */
  tombstone(seq: number, at: number, rev: number): void {
    this.#sql.exec("UPDATE messages SET body = '', mentions = NULL, attachments = NULL, deleted_at = ?, rev = ? WHERE seq = ?", at, rev, seq);
    this.#sql.exec("DELETE FROM reactions WHERE seq = ?", seq);
  }

  /** Adds a reaction; false when this user already has it on this message. Run inside a transaction (the rev moves too). */
  addReaction(seq: number, userId: string, reaction: string, at: number, rev: number): boolean {
    const added = this.#sql.exec(
      "INSERT INTO reactions (seq, reaction, user_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
      seq, reaction, userId, at,
    ).rowsWritten > 0;
    if (added) this.#touch(seq, rev);
    return added;
  }

  /** Removes a reaction; false when this user did not have it. Run inside a transaction. */
  removeReaction(seq: number, userId: string, reaction: string, rev: number): boolean {
    const removed = this.#sql.exec("DELETE FROM reactions WHERE seq = ? AND reaction = ? AND user_id = ?", seq, reaction, userId).rowsWritten > 0;
    if (removed) this.#touch(seq, rev);
    return removed;
  }

  /** Distinct reactions on a message, whether `reaction` is among them, and whether this user has it. */
  reactionState(seq: number, userId: string, reaction: string): { distinct: number; exists: boolean; has: boolean } {
    const rows = this.#sql
      .exec<{ reaction: string; mine: number }>(
        "SELECT reaction, max(user_id = ?) AS mine FROM reactions WHERE seq = ? GROUP BY reaction", userId, seq,
      )
      .toArray();
    const found = rows.find((r) => r.reaction === reaction);
    return { distinct: rows.length, exists: found !== undefined, has: found?.mine === 1 };
  }

  #touch(seq: number, rev: number): void {
    this.#sql.exec("UPDATE messages SET rev = ? WHERE seq = ?", rev, seq);
  }

  // --- reading -------------------------------------------------------------------

  row(seq: number): MessageRow | undefined {
    return this.#sql.exec<MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE seq = ?`, seq).toArray()[0];
  }

  /** One message, as clients see it. */
  at(seq: number): Message | undefined {
    const row = this.row(seq);
    return row && this.decorate([row])[0];
  }

  /** The message a sender already sent under this `client_msg_id`, if any. */
  byClientId(senderId: string, clientMsgId: string): Message | undefined {
    const row = this.#sql
      .exec<MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE sender_id = ? AND client_msg_id = ?`, senderId, clientMsgId)
      .toArray()[0];
    return row && this.decorate([row])[0];
  }

  /** Messages with `seq` in (after, before), ascending; `backward` takes the newest of the window. */
  bySeq(after: number, before: number | undefined, limit: number, backward: boolean): Page {
    const rows = backward
      ? this.#sql.exec<MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?`, after, before ?? Number.MAX_SAFE_INTEGER, limit + 1).toArray()
      : this.#sql.exec<MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE seq > ? AND seq < ? ORDER BY seq ASC LIMIT ?`, after, before ?? Number.MAX_SAFE_INTEGER, limit + 1).toArray();
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    if (backward) page.reverse();
    return { messages: this.decorate(page), hasMore };
  }

  /** Every message changed after `rev` (new, edited, deleted, reacted to), each once in its current state, in `rev` order. */
  byRev(after: number, limit: number): Page {
    const rows = this.#sql.exec<MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE rev > ? ORDER BY rev ASC LIMIT ?`, after, limit + 1).toArray();
    return { messages: this.decorate(rows.slice(0, limit)), hasMore: rows.length > limit };
  }

  /**
   * Rows as clients see them: with the reactions and the preview of the
   * message each replies to, read with one query each for the whole page.
   */
  decorate(rows: readonly MessageRow[]): Message[] {
    if (rows.length === 0) return [];
    const seqs = rows.map((r) => r.seq);
    const reactions = this.#reactionsOf(seqs);
    const replied = [...new Set(rows.filter((r) => r.reply_to_seq !== null).map((r) => r.reply_to_seq!))];
    const previews = new Map<number, { sender_id: string; body: string; deleted_at: number | null }>();
    for (const chunk of chunks(replied, MAX_BOUND)) {
      for (const p of this.#sql.exec<{ seq: number; sender_id: string; body: string; deleted_at: number | null }>(
        `SELECT seq, sender_id, body, deleted_at FROM messages WHERE seq IN (${chunk.map(() => "?").join(",")})`, ...chunk,
      )) previews.set(p.seq, p);
    }
    const conversationId = this.#conversationId();
    return rows.map((row) => {
      const message: Message = {
        conversation_id: conversationId,
        seq: row.seq,
        server_msg_id: row.server_msg_id,
        client_msg_id: row.client_msg_id,
        sender_id: row.sender_id,
        body: row.body,
        created_at: row.created_at,
        rev: row.rev,
      };
      if (row.reply_to_seq !== null) {
        message.reply_to_seq = row.reply_to_seq;
        const p = previews.get(row.reply_to_seq);
        if (p) {
          message.reply_to = { seq: row.reply_to_seq, sender_id: p.sender_id, excerpt: excerpt(p.body) };
          if (p.deleted_at !== null) message.reply_to.deleted = true;
        }
      }
      if (row.edited_at !== null) message.edited_at = row.edited_at;
      if (row.deleted_at !== null) message.deleted_at = row.deleted_at;
      const mentions = parse<string[]>(row.mentions);
      if (mentions?.length) message.mentions = mentions;
      const attachments = parse<Attachment[]>(row.attachments);
      if (attachments?.length) message.attachments = attachments;
      const summary = reactions.get(row.seq);
      if (summary) message.reactions = summary;
      return message;
    });
  }

  /**
   * The reactions of these messages: by the range of their seqs when they
   * are close together (one statement, two bound values, whatever the
   * page's size), else by lists of at most MAX_BOUND (a statement takes at
   * most 100 bound values).
   */
  #reactionsOf(seqs: readonly number[]): Map<number, ReactionSummary[]> {
    const out = new Map<number, ReactionSummary[]>();
    const wanted = new Set(seqs);
    const low = Math.min(...seqs);
    const high = Math.max(...seqs);
    type Row = { seq: number; reaction: string; user_id: string };
    const rows: Row[] = [];
    if (high - low < 4 * seqs.length) {
      rows.push(...this.#sql.exec<Row>("SELECT seq, reaction, user_id FROM reactions WHERE seq BETWEEN ? AND ? ORDER BY seq, created_at, rowid", low, high));
    } else {
      // Scattered seqs (a page by rev): by lists, not by a range that could span the whole history.
      for (const chunk of chunks(seqs, MAX_BOUND)) {
        rows.push(...this.#sql.exec<Row>(
          `SELECT seq, reaction, user_id FROM reactions WHERE seq IN (${chunk.map(() => "?").join(",")}) ORDER BY seq, created_at, rowid`, ...chunk,
        ));
      }
    }
    for (const r of rows) {
      if (!wanted.has(r.seq)) continue;
      let list = out.get(r.seq);
      if (!list) out.set(r.seq, (list = []));
      let entry = list.find((e) => e.reaction === r.reaction);
      if (!entry) list.push((entry = { reaction: r.reaction, count: 0, user_ids: [] }));
      entry.count += 1;
      if (entry.user_ids.length < REACTION_USERS_LISTED) entry.user_ids.push(r.user_id);
    }
    return out;
  }
}

/** Bound values one statement may take in a Durable Object's SQLite (the platform allows 100). */
const MAX_BOUND = 90;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The first EXCERPT_CHARS code points of a body. */
export function excerpt(body: string): string {
  if (body.length <= EXCERPT_CHARS) return body;
  return [...body].slice(0, EXCERPT_CHARS).join("");
}

function json(value: unknown[] | undefined): string | null {
  return value && value.length > 0 ? JSON.stringify(value) : null;
}

function parse<T>(text: string | null): T | undefined {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
