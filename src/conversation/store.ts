import { isBotId } from "../bots/ids.ts";
import type { ConversationView, InboxUpdate, Member, Message, Receipt } from "../protocol/index.ts";
import { runMigrations } from "../shared/migrations.ts";
import type { HistoryWindow } from "./rules.ts";
import { MessageLog } from "./messages.ts";
import { MIGRATIONS } from "./schema.ts";

interface MetaRow {
  version: number;
  fanout_version: number;
  fanout_seq: number;
  broadcast_version: number;
  conversation_id: string;
  kind: "direct" | "group";
  title: string | null;
  created_by: string;
  created_at: number;
  [key: string]: SqlStorageValue;
}

interface MemberRow {
  user_id: string;
  username: string;
  role: Member["role"];
  joined_at: number;
  read_seq: number;
  delivered_seq: number;
  privacy: number | null;
  privacy_version: number;
  last_seen_at: number | null;
  [key: string]: SqlStorageValue;
}

export interface Meta {
  conversationId: string;
  kind: "direct" | "group";
  title: string | undefined;
  createdBy: string;
  createdAt: number;
}

export type MemberRecord = Member & {
  read_seq: number;
  delivered_seq: number;
  joined_at: number;
  /** What the member does not share (src/shared/privacy.ts); null until their User actor told it. */
  privacy: number | null;
  privacy_version: number;
  /** When the member's last socket here closed. */
  last_seen_at: number | null;
};

/**
 * Storage of one conversation: meta, members, messages, blocks. Every method
 * is synchronous: SQLite in a Durable Object runs in the actor's thread, so a
 * handler that does not `await` is atomic with respect to every other event
 * of the actor, and all of its writes commit together before any output it
 * produced is released (the output gate).
 *
 * What the hot paths read is cached in memory and rebuilt from SQLite when
 * the actor is constructed again: meta, members with their watermarks,
 * blocks, `lastSeq` and the last message. A send therefore reads nothing and
 * writes two rows whatever the size of the room (the message, and the
 * sender's watermarks); `rowsWritten` is pinned by a test for 2 and 1 000
 * members. Caches change only after the SQL they mirror succeeded, so a
 * rolled-back transaction leaves them as they were.
 *
 * The schema is created by the first write, not by the constructor: an
 * actor that is only read — asked about a conversation that was never
 * created — leaves no tables and no rows behind (decision 0015). The only
 * writes a conversation that does not exist can get are `create` and
 * `setBlock`, which create the schema first (inside the caller's
 * transaction, if any: a rollback takes the schema with it); a store that
 * has a schema runs its pending migrations when it is constructed, as
 * before.
 */
export class ConversationStore {
  readonly #storage: DurableObjectStorage;
  readonly #sql: SqlStorage;
  #meta: Meta | undefined;
  #members = new Map<string, MemberRecord>();
  /** The members who are bots (ids `u_bot_…`), so that a send asks nothing of a room without any. */
  readonly #bots = new Set<string>();
  /** "blocker blocked" pairs (direct conversations only ever have a few). */
  #blocks = new Set<string>();
  /** The messages, their counters, reactions and index. */
  readonly messages: MessageLog;
  /** Changes other than messages (title, members, watermarks, blocks); see `version`. */
  #changes = 0;
  /** What the last completed broadcast sweep delivered, and the last change that needs one (fanout.ts). */
  #fanout = { version: 0, seq: 0 };
  #broadcastVersion = 0;
  /** Whether the schema exists (see the class comment). */
  #hasSchema: boolean;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#sql = storage.sql;
    this.#hasSchema = this.#schemaExists();
    if (this.#hasSchema) runMigrations(storage, MIGRATIONS);
    this.messages = new MessageLog(this.#sql, () => this.#requireMeta().conversationId);
    this.#load();
  }

  /** A read of the catalogue, which writes nothing. */
  #schemaExists(): boolean {
    return this.#sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'").toArray().length > 0;
  }

  /** Creates the schema before the first write (migrations nest in the caller's transaction as savepoints). */
  #ensureSchema(): void {
    if (this.#hasSchema) return;
    runMigrations(this.#storage, MIGRATIONS);
    this.#hasSchema = true;
  }

  #load(): void {
    // Without a schema there is nothing stored: the caches are those of an empty store.
    const meta = this.#hasSchema
      ? this.#sql
        .exec<MetaRow>("SELECT version, fanout_version, fanout_seq, broadcast_version, conversation_id, kind, title, created_by, created_at FROM meta")
        .toArray()[0]
      : undefined;
    this.#changes = meta?.version ?? 0;
    this.#fanout = { version: meta?.fanout_version ?? 0, seq: meta?.fanout_seq ?? 0 };
    this.#broadcastVersion = meta?.broadcast_version ?? 0;
    this.#meta = meta && {
      conversationId: meta.conversation_id,
      kind: meta.kind,
      title: meta.title ?? undefined,
      createdBy: meta.created_by,
      createdAt: meta.created_at,
    };
    this.#members.clear();
    this.#bots.clear();
    this.#blocks.clear();
    if (this.#hasSchema) {
      for (const m of this.#sql.exec<MemberRow>("SELECT * FROM members ORDER BY joined_at, rowid")) {
        this.#members.set(m.user_id, { ...m });
        if (isBotId(m.user_id)) this.#bots.add(m.user_id);
      }
      for (const b of this.#sql.exec<{ blocker: string; blocked: string }>("SELECT blocker, blocked FROM blocks")) {
        this.#blocks.add(blockKey(b.blocker, b.blocked));
      }
    }
    if (this.#meta) this.messages.load();
  }

  /**
   * Runs `body` as one SQLite transaction: all of its writes commit, or none
   * (a throw rolls back). After a rollback the caches are read again from
   * SQLite, so a method that updated one before a later statement failed
   * cannot leave memory ahead of storage.
   */
  transaction<T>(body: () => T): T {
    try {
      return this.#storage.transactionSync(body);
    } catch (e) {
      this.#hasSchema = this.#schemaExists();
      this.#load();
      throw e;
    }
  }

  get meta(): Meta | undefined {
    return this.#meta;
  }

  get lastSeq(): number {
    return this.messages.lastSeq;
  }

  get lastMessage(): Message | undefined {
    return this.messages.last;
  }

  get memberCount(): number {
    return this.#members.size;
  }

  /**
   * The conversation's version as members' inboxes see it: grows with every
   * change. Messages count through `lastSeq` (so a send writes no counter),
   * every other change through the stored change count.
   */
  get version(): number {
    return this.#changes + this.messages.lastSeq;
  }

  /**
   * True when some change has not reached every member's inbox through a
   * broadcast sweep: a message after the last sweep's seq, or another
   * change for everyone (title, members) after its version. Per-member
   * changes (a read watermark) do not count: they have outbox rows.
   */
  get behind(): boolean {
    return this.messages.lastSeq > this.#fanout.seq || this.#broadcastVersion > this.#fanout.version;
  }

  member(userId: string): MemberRecord | undefined {
    return this.#members.get(userId);
  }

  members(): IterableIterator<MemberRecord> {
    return this.#members.values();
  }

  /** The members who are bots (§22.14). */
  get bots(): ReadonlySet<string> {
    return this.#bots;
  }

  memberIds(): IterableIterator<string> {
    return this.#members.keys();
  }

  /**
   * Creates the conversation once; later calls change nothing. Returns true
   * when it created it. Run it inside `transaction` with whatever else the
   * creation writes.
   */
  create(meta: Meta, members: readonly Member[], now: number): boolean {
    if (this.#meta) return false;
    this.#ensureSchema();
    this.#sql.exec(
      "INSERT INTO meta (id, conversation_id, kind, title, created_by, created_at) VALUES (1, ?, ?, ?, ?, ?)",
      meta.conversationId, meta.kind, meta.title ?? null, meta.createdBy, meta.createdAt,
    );
    for (const m of members) {
      this.#sql.exec("INSERT INTO members (user_id, username, role, joined_at) VALUES (?, ?, ?, ?)", m.user_id, m.username, m.role, now);
    }
    this.#load();
    return true;
  }

  /** The conversation with every member (REST, and the join of a small room). */
  view(): ConversationView {
    return this.#view([...this.members()]);
  }

  /** The conversation with only `members` listed; `member_count` still tells the total. */
  viewWith(members: readonly Member[]): ConversationView {
    return this.#view(members);
  }

  #view(members: readonly Member[]): ConversationView {
    const meta = this.#requireMeta();
    const view: ConversationView = {
      id: meta.conversationId,
      kind: meta.kind,
      members: members.map(({ user_id, username, role }) => ({ user_id, username, role })),
      last_seq: this.messages.lastSeq,
      member_count: this.#members.size,
      last_rev: this.messages.lastRev,
    };
    if (meta.title !== undefined) view.title = meta.title;
    return view;
  }

  receipt(m: MemberRecord): Receipt {
    return { user_id: m.user_id, read_seq: m.read_seq, delivered_seq: m.delivered_seq };
  }

  // --- messages ----------------------------------------------------------------

  /** The message a sender already sent under this `client_msg_id`, if any. */
  findByClientId(senderId: string, clientMsgId: string): Message | undefined {
    return this.messages.byClientId(senderId, clientMsgId);
  }

  /** One message by `seq`. */
  messageAt(seq: number): Message | undefined {
    return this.messages.at(seq);
  }

  /** Messages in a window, ascending, and whether more lie beyond its far end. */
  page(window: HistoryWindow): { messages: Message[]; hasMore: boolean } {
    return window.direction === "forward"
      ? this.messages.bySeq(window.after, window.before, window.limit, false)
      : this.messages.bySeq(0, window.before, window.limit, true);
  }

  // --- watermarks --------------------------------------------------------------

  /** Stores new receipt watermarks for a member (the cache follows the write). */
  setReceipts(userId: string, readSeq: number, deliveredSeq: number): void {
    this.#sql.exec("UPDATE members SET read_seq = ?, delivered_seq = ? WHERE user_id = ?", readSeq, deliveredSeq, userId);
    this.receiptsWritten(userId, readSeq, deliveredSeq);
  }

  /** The cache learns watermarks already written (by the messages trigger of a send). */
  receiptsWritten(userId: string, readSeq: number, deliveredSeq: number): void {
    const m = this.#members.get(userId);
    if (!m) return;
    m.read_seq = readSeq;
    m.delivered_seq = deliveredSeq;
  }

  // --- privacy and last seen ------------------------------------------------------

  /**
   * Stores a member's privacy mask when `version` is newer than the one held
   * (or none is held); true when it applied. Late and repeated pushes change
   * nothing.
   */
  setPrivacy(userId: string, mask: number, version: number): boolean {
    const m = this.#members.get(userId);
    if (!m || (m.privacy !== null && version <= m.privacy_version)) return false;
    this.#sql.exec("UPDATE members SET privacy = ?, privacy_version = ? WHERE user_id = ?", mask, version, userId);
    m.privacy = mask;
    m.privacy_version = version;
    return true;
  }

  /** Records when a member's last socket here closed. */
  setLastSeen(userId: string, at: number): void {
    const m = this.#members.get(userId);
    if (!m) return;
    this.#sql.exec("UPDATE members SET last_seen_at = ? WHERE user_id = ?", at, userId);
    m.last_seen_at = at;
  }

  /**
   * Unread messages of a member: everything after their read watermark.
   * Their own messages never count, because sending moves the sender's
   * watermark to their message (send.ts), so no row is ever counted.
   */
  unread(m: MemberRecord): number {
    return Math.max(0, this.messages.lastSeq - m.read_seq);
  }

  // --- membership ----------------------------------------------------------

  addMembers(members: readonly Member[], now: number): Member[] {
    const added = members.filter((m) => !this.#members.has(m.user_id));
    for (const m of added) {
      this.#sql.exec("INSERT INTO members (user_id, username, role, joined_at) VALUES (?, ?, ?, ?)", m.user_id, m.username, m.role, now);
      this.#members.set(m.user_id, { ...m, joined_at: now, read_seq: 0, delivered_seq: 0, privacy: null, privacy_version: 0, last_seen_at: null });
      if (isBotId(m.user_id)) this.#bots.add(m.user_id);
    }
    return added;
  }

  removeMember(userId: string): MemberRecord | undefined {
    const m = this.#members.get(userId);
    if (!m) return undefined;
    this.#sql.exec("DELETE FROM members WHERE user_id = ?", userId);
    this.#members.delete(userId);
    this.#bots.delete(userId);
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

  // --- versions ------------------------------------------------------------------

  /**
   * Counts a change other than a message (one row: meta) and returns the new
   * version; `forEveryone` marks it as one that every member's inbox must
   * learn (the broadcast sweep), rather than only the members it concerns.
   */
  bumpVersion(forEveryone: boolean): number {
    const changes = this.#changes + 1;
    const version = changes + this.messages.lastSeq;
    if (forEveryone) this.#sql.exec("UPDATE meta SET version = ?, broadcast_version = ? WHERE id = 1", changes, version);
    else this.#sql.exec("UPDATE meta SET version = ? WHERE id = 1", changes);
    this.#changes = changes;
    if (forEveryone) this.#broadcastVersion = version;
    return version;
  }

  /** Records that a broadcast sweep sent every member the conversation as of `version` and `seq`. */
  sweptTo(version: number, seq: number): void {
    if (version <= this.#fanout.version && seq <= this.#fanout.seq) return;
    const next = { version: Math.max(version, this.#fanout.version), seq: Math.max(seq, this.#fanout.seq) };
    this.#sql.exec("UPDATE meta SET fanout_version = ?, fanout_seq = ? WHERE id = 1", next.version, next.seq);
    this.#fanout = next;
  }

  /** True when a broadcast change other than a message (title, members) waits for a sweep: that sweep goes to every member. */
  get broadcastPending(): boolean {
    return this.#broadcastVersion > this.#fanout.version;
  }

  /** The conversation as this user's inbox shows it, now. Reads no row. */
  inboxUpdate(userId: string, withMemberIdsUpTo: number, largeAbove: number): InboxUpdate {
    const meta = this.#requireMeta();
    // A member blocked in a direct conversation sees it as if they had left:
    // no preview, no unread count, no presence through it.
    const blocked = meta.kind === "direct" && this.isBlocked(userId);
    const member = blocked ? undefined : this.#members.get(userId);
    const update: InboxUpdate = {
      conversation: { id: meta.conversationId, kind: meta.kind, last_seq: this.messages.lastSeq, unread: member ? this.unread(member) : 0 },
      version: this.version,
      read_seq: member?.read_seq ?? 0,
    };
    if (meta.title !== undefined) update.conversation.title = meta.title;
    if (this.messages.last) update.conversation.last_message = this.messages.last;
    if (member) {
      update.role = member.role;
      if (this.#members.size <= withMemberIdsUpTo) update.member_ids = [...this.#members.keys()];
      if (member.privacy !== null) update.privacy_version = member.privacy_version;
    }
    if (this.#members.size > largeAbove) update.large = true;
    return update;
  }

  // --- blocks ------------------------------------------------------------------

  setBlock(blocker: string, blocked: string, on: boolean, now: number): void {
    // Lifting a block that cannot exist writes nothing (and creates no schema).
    if (!on && !this.#hasSchema) return;
    this.#ensureSchema();
    if (on) {
      this.#sql.exec("INSERT OR IGNORE INTO blocks (blocker, blocked, created_at) VALUES (?, ?, ?)", blocker, blocked, now);
      this.#blocks.add(blockKey(blocker, blocked));
    } else {
      this.#sql.exec("DELETE FROM blocks WHERE blocker = ? AND blocked = ?", blocker, blocked);
      this.#blocks.delete(blockKey(blocker, blocked));
    }
  }

  /** True when any other party of this conversation blocks `userId`. */
  isBlocked(userId: string): boolean {
    if (this.#blocks.size === 0) return false;
    for (const key of this.#blocks) {
      const [blocker, blocked] = key.split(" ");
      if (blocked === userId && blocker !== userId) return true;
    }
    return false;
  }

  #requireMeta(): Meta {
    if (!this.#meta) throw new Error("conversation is not created");
    return this.#meta;
  }
}

function blockKey(blocker: string, blocked: string): string {
  return `${blocker} ${blocked}`;
}
