import { isBotId } from "../bots/ids.ts";
import {
  DEFAULT_SETTINGS,
  Message,
  Settings,
  type InboxConversation,
  type InboxUpdate,
  type Notification,
  type UserView,
} from "../protocol/index.ts";
import { activityAt, inboxChange, isNewerReport, shouldApply, type InboxPosition } from "./rules.ts";

export type Status = "online" | "away" | "busy" | "offline";

export interface ProfileRecord {
  user_id: string;
  username: string;
  display_name: string | null;
  avatar_url: string | null;
  /** Grows with every change of display name or avatar. */
  version: number;
  /** The last version the Directory acknowledged. */
  directory_version: number;
  [key: string]: SqlStorageValue;
}

export interface PresenceRecord {
  status: Status;
  last_seen_at: number | null;
  changed_at: number;
  [key: string]: SqlStorageValue;
}

interface ConversationRow {
  id: string;
  kind: "direct" | "group";
  title: string | null;
  last_seq: number;
  unread: number;
  last_message: string | null;
  role: string | null;
  version: number;
  activity_at: number;
  muted: number | null;
  muted_until: number | null;
  [key: string]: SqlStorageValue;
}

interface NotificationRow {
  id: string;
  kind: Notification["kind"];
  conversation_id: string;
  seq: number;
  created_at: number;
  read_at: number | null;
  [key: string]: SqlStorageValue;
}

/** Notifications kept per user; older ones are deleted as new ones arrive. */
const KEPT_NOTIFICATIONS = 500;

/** What applying an inbox update did; `joined` when the user was not a member here before it. */
export type InboxApply =
  | { applied: false }
  | { applied: true; change: "updated"; conversation: InboxConversation; joined: boolean }
  | { applied: true; change: "removed" | "none"; conversationId: string; joined: boolean };

/**
 * Storage of one user, except sessions (session-store.ts): profile,
 * settings, the inbox index, notifications and presence. Every method is
 * synchronous: a caller that does not `await` between a read and a write is
 * atomic with respect to every other event of the actor.
 */
export class UserStore {
  readonly #sql: SqlStorage;
  /** The privacy row, once read (privacy()). */
  #privacy: { mask: number; version: number; pending: boolean } | undefined;

  constructor(storage: DurableObjectStorage) {
    this.#sql = storage.sql;
  }

  // --- profile and settings -------------------------------------------------

  profile(): ProfileRecord | undefined {
    return this.#sql.exec<ProfileRecord>(
      "SELECT user_id, username, display_name, avatar_url, version, directory_version FROM profile",
    ).toArray()[0];
  }

  /** Creates the profile once (the Directory already knows the user); later calls change nothing. */
  createProfile(userId: string, username: string, now: number): ProfileRecord {
    this.#sql.exec(
      "INSERT OR IGNORE INTO profile (id, user_id, username, created_at, updated_at) VALUES (1, ?, ?, ?, ?)",
      userId, username, now, now,
    );
    return this.profile()!;
  }

  /** Changes display name and avatar (undefined: unchanged, null: cleared); returns the new version. */
  updateProfile(patch: { display_name?: string | null; avatar_url?: string | null }, now: number): number {
    const current = this.profile();
    if (!current) throw new Error("profile is not created");
    const displayName = patch.display_name === undefined ? current.display_name : patch.display_name;
    const avatarUrl = patch.avatar_url === undefined ? current.avatar_url : patch.avatar_url;
    if (displayName === current.display_name && avatarUrl === current.avatar_url) return current.version;
    const version = current.version + 1;
    this.#sql.exec(
      "UPDATE profile SET display_name = ?, avatar_url = ?, version = ?, updated_at = ? WHERE id = 1",
      displayName, avatarUrl, version, now,
    );
    return version;
  }

  /** Records that the Directory holds `version` (max-wins). */
  directorySynced(version: number): void {
    this.#sql.exec("UPDATE profile SET directory_version = max(directory_version, ?) WHERE id = 1", version);
  }

  settings(): Settings {
    const stored: Record<string, unknown> = {};
    for (const row of this.#sql.exec<{ key: string; value: string }>("SELECT key, value FROM settings")) {
      stored[row.key] = JSON.parse(row.value);
    }
    // Unknown or malformed stored values fall back to the defaults, key by key.
    const merged = { ...DEFAULT_SETTINGS, ...stored };
    const parsed = Settings.safeParse(merged);
    return parsed.success ? parsed.data : { ...DEFAULT_SETTINGS };
  }

  updateSettings(patch: Partial<Settings>): void {
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      this.#sql.exec(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        key, JSON.stringify(value),
      );
    }
  }

  // --- inbox ----------------------------------------------------------------

  /** Applies a conversation's update when its version is newer than the stored one. */
  applyConversation(update: InboxUpdate, now: number, withView = true): InboxApply {
    const c = update.conversation;
    const prior = this.#sql
      .exec<{ version: number; role: string | null; activity_at: number }>(
        "SELECT version, role, activity_at FROM conversations WHERE id = ?", c.id,
      )
      .toArray()[0];
    if (!shouldApply(prior?.version, update.version)) return { applied: false };
    const isMember = update.role !== undefined;
    this.#sql.exec(
      `INSERT INTO conversations (id, kind, title, last_seq, unread, last_message, read_seq, role, member_ids, version, activity_at, updated_at, large)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, title = excluded.title, last_seq = excluded.last_seq,
         unread = excluded.unread, last_message = excluded.last_message, read_seq = excluded.read_seq,
         role = excluded.role, member_ids = excluded.member_ids, version = excluded.version,
         activity_at = excluded.activity_at, updated_at = excluded.updated_at, large = excluded.large`,
      c.id, c.kind, c.title ?? null, c.last_seq, c.unread, c.last_message ? JSON.stringify(c.last_message) : null,
      update.read_seq, update.role ?? null, update.member_ids ? JSON.stringify(update.member_ids) : null, update.version,
      activityAt(c.last_message?.created_at, prior?.activity_at, now), now, update.large ? 1 : 0,
    );
    // The conversation knows the user as a member: an add of theirs that this
    // actor admitted has landed, and a block need not wait for it (block-store.ts).
    if (isMember && c.kind === "group") this.#sql.exec("DELETE FROM group_admissions WHERE conversation_id = ?", c.id);
    const wasMember = prior !== undefined && prior.role !== null;
    const change = inboxChange(wasMember, isMember);
    const joined = isMember && !wasMember;
    // The stored row read back, for the inbox sockets; not when nobody is listening.
    if (change === "updated" && withView) return { applied: true, change, conversation: this.conversation(c.id)!, joined };
    if (change === "updated") return { applied: true, change: "none", conversationId: c.id, joined };
    return { applied: true, change, conversationId: c.id, joined };
  }

  /** Mutes a conversation until `until` (undefined: for ever), or unmutes it (`false`). */
  setMute(conversationId: string, until: number | undefined | false): void {
    if (until === false) this.#sql.exec("DELETE FROM mutes WHERE conversation_id = ?", conversationId);
    else this.#sql.exec("INSERT INTO mutes (conversation_id, until) VALUES (?, ?) ON CONFLICT (conversation_id) DO UPDATE SET until = excluded.until", conversationId, until ?? null);
  }

  /** True while a mute of this conversation lasts at `now`. */
  isMuted(conversationId: string, now: number): boolean {
    const row = this.#sql.exec<{ until: number | null }>("SELECT until FROM mutes WHERE conversation_id = ?", conversationId).toArray()[0];
    return row !== undefined && (row.until === null || row.until > now);
  }

  /** Large conversations the user belongs to: the ones this actor pulls and watches. */
  largeConversations(): string[] {
    return this.#sql
      .exec<{ id: string }>("SELECT id FROM conversations WHERE role IS NOT NULL AND large = 1")
      .toArray()
      .map((r) => r.id);
  }

  /**
   * A page of the conversations the user belongs to, latest activity first
   * (ties by id), starting after `after` (keyset paging: an entry whose
   * activity moves while a client pages moves ahead of the cursor, so it is
   * never listed twice). `next` is the position of the last entry when more
   * follow.
   */
  conversationPage(limit: number, after?: InboxPosition): { conversations: InboxConversation[]; next?: InboxPosition } {
    const rows = this.#sql
      .exec<ConversationRow>(
        `SELECT id, kind, title, last_seq, unread, last_message, role, version, activity_at, ${MUTE_COLUMNS} FROM conversations
         WHERE role IS NOT NULL AND (? IS NULL OR activity_at < ? OR (activity_at = ? AND id > ?))
         ORDER BY activity_at DESC, id LIMIT ?`,
        after?.activityAt ?? null, after?.activityAt ?? null, after?.activityAt ?? null, after?.id ?? null, limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      conversations: page.map(toInboxConversation),
      ...(rows.length > limit && last ? { next: { activityAt: last.activity_at, id: last.id } } : {}),
    };
  }

  conversation(id: string): InboxConversation | undefined {
    const row = this.#sql
      .exec<ConversationRow>(
        `SELECT id, kind, title, last_seq, unread, last_message, role, version, activity_at, ${MUTE_COLUMNS} FROM conversations WHERE id = ? AND role IS NOT NULL`,
        id,
      )
      .toArray()[0];
    return row && toInboxConversation(row);
  }

  /**
   * Everyone the user shares a conversation with (as far as the conversations
   * sent members), except people blocked either way: presence never passes
   * between them.
   */
  contacts(selfId: string): string[] {
    return this.#sql
      .exec<{ user_id: string }>(
        `SELECT DISTINCT j.value AS user_id FROM conversations c, json_each(c.member_ids) j
         WHERE c.role IS NOT NULL AND c.member_ids IS NOT NULL AND j.value != ?
           AND j.value NOT IN (SELECT other_id FROM blocks)`,
        selfId,
      )
      .toArray()
      .map((r) => r.user_id);
  }

  /** Whether `userId` is a contact (shares a conversation, not blocked either way). */
  isContact(userId: string): boolean {
    return this.#sql
      .exec(
        `SELECT 1 FROM conversations c, json_each(c.member_ids) j
         WHERE c.role IS NOT NULL AND c.member_ids IS NOT NULL AND j.value = ?
           AND NOT EXISTS (SELECT 1 FROM blocks WHERE other_id = ?) LIMIT 1`,
        userId, userId,
      )
      .toArray().length > 0;
  }

  /** Whether the user shares a direct conversation with `userId` (the `contacts` of the group_adds setting). */
  hasDirectConversationWith(userId: string): boolean {
    return this.#sql
      .exec(
        `SELECT 1 FROM conversations c, json_each(c.member_ids) j
         WHERE c.kind = 'direct' AND c.role IS NOT NULL AND c.member_ids IS NOT NULL AND j.value = ? LIMIT 1`,
        userId,
      )
      .toArray().length > 0;
  }

  // --- notifications ----------------------------------------------------------

  /** Stores a notification once (by id); true when it is new. */
  addNotification(n: Notification): boolean {
    const written = this.#sql.exec(
      "INSERT OR IGNORE INTO notifications (id, kind, conversation_id, seq, created_at, read_at) VALUES (?, ?, ?, ?, ?, ?)",
      n.id, n.kind, n.conversation_id, n.seq, n.created_at, n.read_at ?? null,
    ).rowsWritten;
    if (written === 0) return false;
    this.#sql.exec(
      `DELETE FROM notifications WHERE id IN (
         SELECT id FROM notifications ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?)`,
      KEPT_NOTIFICATIONS,
    );
    return true;
  }

  /** Marks notifications read; returns the ids that were unread. */
  markNotificationsRead(ids: readonly string[], now: number): string[] {
    const changed: string[] = [];
    for (const id of new Set(ids)) {
      const written = this.#sql.exec("UPDATE notifications SET read_at = ? WHERE id = ? AND read_at IS NULL", now, id).rowsWritten;
      if (written > 0) changed.push(id);
    }
    return changed;
  }

  unreadNotifications(): number {
    return this.#sql.exec<{ n: number }>("SELECT count(*) AS n FROM notifications WHERE read_at IS NULL").one().n;
  }

  notification(id: string): Notification | undefined {
    const row = this.#sql.exec<NotificationRow>("SELECT * FROM notifications WHERE id = ?", id).toArray()[0];
    return row && toNotification(row);
  }

  /** The kept notifications, newest first. */
  notifications(limit: number, unreadOnly: boolean): Notification[] {
    return this.#sql
      .exec<NotificationRow>(
        `SELECT * FROM notifications ${unreadOnly ? "WHERE read_at IS NULL" : ""} ORDER BY created_at DESC, id DESC LIMIT ?`,
        limit,
      )
      .toArray()
      .map(toNotification);
  }

  // --- privacy ----------------------------------------------------------------

  /** The privacy mask as told to the conversations, its version, and whether a push waits for a retry. */
  privacy(): { mask: number; version: number; pending: boolean } {
    // Read on every inbox update (privacy.ts): kept in memory after the first
    // read; setPrivacy below is its only writer.
    if (this.#privacy === undefined) {
      const row = this.#sql.exec<{ mask: number; version: number; pending: number }>("SELECT mask, version, pending FROM privacy").toArray()[0];
      this.#privacy = row ? { mask: row.mask, version: row.version, pending: row.pending === 1 } : { mask: 0, version: 0, pending: false };
    }
    return this.#privacy;
  }

  setPrivacy(mask: number, version: number, pending: boolean): void {
    this.#sql.exec(
      `INSERT INTO privacy (id, mask, version, pending) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET mask = excluded.mask, version = excluded.version, pending = excluded.pending`,
      mask, version, pending ? 1 : 0,
    );
    this.#privacy = { mask, version, pending };
  }

  /** Conversations the user belongs to (the inbox index). */
  memberConversations(): string[] {
    return this.#sql.exec<{ id: string }>("SELECT id FROM conversations WHERE role IS NOT NULL").toArray().map((r) => r.id);
  }

  // --- presence ---------------------------------------------------------------

  presence(): PresenceRecord {
    return (
      this.#sql.exec<PresenceRecord>("SELECT status, last_seen_at, changed_at FROM presence").toArray()[0] ??
      { status: "offline", last_seen_at: null, changed_at: 0 }
    );
  }

  setPresence(status: Status, lastSeenAt: number | null, now: number): void {
    this.#sql.exec(
      `INSERT INTO presence (id, status, last_seen_at, changed_at) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, last_seen_at = excluded.last_seen_at, changed_at = excluded.changed_at`,
      status, lastSeenAt, now,
    );
  }

  /**
   * The last inbox socket closed at `at`: the status stays (contacts hear
   * nothing yet) and `last_seen_at` marks when the user left; the offline
   * delay runs from there (presence.ts).
   */
  markLeaving(at: number): void {
    this.#sql.exec("UPDATE presence SET last_seen_at = ? WHERE id = 1 AND status != 'offline'", at);
  }

  /** A socket came back within the offline delay: the user never left. */
  cancelLeaving(): void {
    this.#sql.exec("UPDATE presence SET last_seen_at = NULL WHERE id = 1 AND status != 'offline'");
  }

  /**
   * Every contact's last known presence (still contacts, not blocked either
   * way): not offline first, then the most recently seen; at most `limit`.
   */
  contactPresence(limit: number): Array<{ user_id: string; status: Status; last_seen_at: number | null }> {
    return this.#sql
      .exec<{ user_id: string; status: Status; last_seen_at: number | null }>(
        `SELECT p.user_id, p.status, p.last_seen_at FROM contact_presence p
         WHERE p.user_id NOT IN (SELECT other_id FROM blocks) AND EXISTS (
           SELECT 1 FROM conversations c, json_each(c.member_ids) j
           WHERE c.role IS NOT NULL AND c.member_ids IS NOT NULL AND j.value = p.user_id)
         ORDER BY (p.status = 'offline'), p.last_seen_at DESC, p.user_id LIMIT ?`,
        limit,
      )
      .toArray();
  }

  /** Records a contact's report when it is newer than the stored one; true when it applied. */
  setContactPresence(userId: string, status: Status, lastSeenAt: number | null, at: number): boolean {
    const prior = this.#sql.exec<{ at: number }>("SELECT at FROM contact_presence WHERE user_id = ?", userId).toArray()[0];
    if (!isNewerReport(prior?.at, at)) return false;
    this.#sql.exec(
      `INSERT INTO contact_presence (user_id, status, last_seen_at, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET status = excluded.status, last_seen_at = excluded.last_seen_at, at = excluded.at`,
      userId, status, lastSeenAt, at,
    );
    return true;
  }

  /** Contacts last reported as not offline, who are still contacts (and not blocked either way). */
  onlineContacts(): Array<{ user_id: string; status: Exclude<Status, "offline"> }> {
    return this.#sql
      .exec<{ user_id: string; status: Exclude<Status, "offline"> }>(
        `SELECT p.user_id, p.status FROM contact_presence p
         WHERE p.status != 'offline' AND p.user_id NOT IN (SELECT other_id FROM blocks) AND EXISTS (
           SELECT 1 FROM conversations c, json_each(c.member_ids) j
           WHERE c.role IS NOT NULL AND c.member_ids IS NOT NULL AND j.value = p.user_id)
         ORDER BY p.user_id`,
      )
      .toArray();
  }

  /**
   * Forgets a contact's status (a block): marks it offline, keeping the time
   * of the last report so that only a later one replaces it. True when it was
   * not offline, i.e. the user's sockets showed them present.
   */
  forgetContactPresence(userId: string): boolean {
    return this.#sql.exec(
      "UPDATE contact_presence SET status = 'offline', last_seen_at = NULL WHERE user_id = ? AND status != 'offline'",
      userId,
    ).rowsWritten > 0;
  }
}

export function toUserView(p: ProfileRecord): UserView {
  const view: UserView = { id: p.user_id, username: p.username };
  if (p.display_name !== null) view.display_name = p.display_name;
  if (p.avatar_url !== null) view.avatar_url = p.avatar_url;
  if (isBotId(p.user_id)) view.bot = true;
  return view;
}

/** A mute is current while it has no end or its end is to come; `muted` is 1 then. */
const MUTE_COLUMNS = `(SELECT 1 FROM mutes m WHERE m.conversation_id = conversations.id AND (m.until IS NULL OR m.until > CAST(strftime('%s','now') AS INTEGER) * 1000)) AS muted,
  (SELECT m.until FROM mutes m WHERE m.conversation_id = conversations.id) AS muted_until`;

function toInboxConversation(row: ConversationRow): InboxConversation {
  const c: InboxConversation = { id: row.id, kind: row.kind, last_seq: row.last_seq, unread: row.unread };
  if (row.title !== null) c.title = row.title;
  if (row.muted === 1) {
    c.muted = true;
    if (row.muted_until !== null) c.muted_until = row.muted_until;
  }
  if (row.last_message !== null) {
    // Stored from a validated update; parsed again so a bad row can never reach a client.
    const message = Message.safeParse(JSON.parse(row.last_message));
    if (message.success) c.last_message = message.data;
  }
  return c;
}

function toNotification(row: NotificationRow): Notification {
  const n: Notification = { id: row.id, kind: row.kind, conversation_id: row.conversation_id, seq: row.seq, created_at: row.created_at };
  if (row.read_at !== null) n.read_at = row.read_at;
  return n;
}
