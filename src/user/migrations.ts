import type { Migration } from "../shared/migrations.ts";

/**
 * The User actor's SQLite schema. Append-only: add a migration, never edit
 * one that has shipped.
 */
export const USER_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "profile, settings, sessions, inbox, notifications, presence",
    sql: `
      -- The user's own profile. version grows with every change;
      -- directory_version is the last one the Directory acknowledged.
      CREATE TABLE profile (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        user_id TEXT NOT NULL,
        username TEXT NOT NULL,
        display_name TEXT,
        avatar_url TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        version INTEGER NOT NULL DEFAULT 0,
        directory_version INTEGER NOT NULL DEFAULT 0
      );
      -- One row per setting; value is JSON. Absent rows take the defaults.
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      -- Refresh-token families: one per login on one device.
      CREATE TABLE sessions (
        family_id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        revoked_at INTEGER,
        revoked_reason TEXT
      );
      -- SHA-256 of each refresh token handed out; used_at is set when it was
      -- exchanged for the next one (kept to detect reuse).
      CREATE TABLE refresh_tokens (
        hash TEXT PRIMARY KEY,
        family_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        used_at INTEGER
      );
      CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id, used_at);
      -- The inbox index, as the conversations last reported it. role NULL: no
      -- longer a member; the row stays with its version, so an older update
      -- arriving late cannot bring the conversation back.
      CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        title TEXT,
        last_seq INTEGER NOT NULL,
        unread INTEGER NOT NULL,
        last_message TEXT,
        read_seq INTEGER NOT NULL,
        role TEXT,
        member_ids TEXT,
        version INTEGER NOT NULL,
        activity_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX conversations_activity ON conversations (activity_at DESC, id);
      CREATE TABLE notifications (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        read_at INTEGER
      );
      CREATE INDEX notifications_unread ON notifications (read_at, created_at);
      -- The user's own status, as last announced to their contacts.
      CREATE TABLE presence (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        status TEXT NOT NULL,
        last_seen_at INTEGER,
        changed_at INTEGER NOT NULL
      );
      -- The last status heard from each contact, replayed after inbox.snapshot.
      CREATE TABLE contact_presence (
        user_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        last_seen_at INTEGER,
        at INTEGER NOT NULL
      );
    `,
  },
  {
    id: 2,
    name: "large conversations are pulled",
    sql: `
      -- A conversation of more than 50 members does not push its messages to
      -- every member's inbox: this actor pulls it when it lists the inbox and
      -- watches it while an inbox socket is open (decision 0012).
      ALTER TABLE conversations ADD COLUMN large INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    id: 3,
    name: "blocks, group admissions, budgets",
    sql: `
      -- Blocks that concern this user, either way (decision 0013): 'out', this
      -- user blocks other_id; 'in', other_id blocks this user. The direct
      -- conversation of the pair keeps its own copy (decision 0007).
      CREATE TABLE blocks (
        other_id TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (other_id, direction)
      );
      -- Group adds this actor allowed and that may still land: a block of
      -- adder_id waits until expires_at has passed, so that no add admitted
      -- before the block commits after it. A row goes once the conversation
      -- reports the user as a member (the add landed) or it expires.
      CREATE TABLE group_admissions (
        adder_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (adder_id, conversation_id)
      );
      CREATE INDEX group_admissions_conversation ON group_admissions (conversation_id);
      -- Token buckets of budgets that span longer than an actor stays in
      -- memory (group creations, people added).
      CREATE TABLE buckets (
        name TEXT PRIMARY KEY,
        tokens REAL NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    id: 4,
    name: "mutes",
    sql: `
      -- Conversations the user muted (protocol v1.1): no notifications from
      -- them until \`until\` (NULL: for ever). Its own table, so a mute set
      -- before the inbox heard of the conversation is kept.
      CREATE TABLE mutes (
        conversation_id TEXT PRIMARY KEY,
        until INTEGER
      );
    `,
  },
  {
    id: 5,
    name: "how sessions were opened",
    sql: `
      -- For the user's list of sessions (GET /v1/me/sessions, protocol
      -- §22.10): how each was opened (dev, passkey, github, google) and the
      -- browser's User-Agent then. NULL for sessions opened before.
      ALTER TABLE sessions ADD COLUMN method TEXT;
      ALTER TABLE sessions ADD COLUMN agent TEXT;
    `,
  },
  {
    id: 6,
    name: "privacy",
    sql: `
      -- What the user does not share (src/shared/privacy.ts), as told to
      -- their conversations: mask, and a version that grows with every
      -- change so a conversation keeps the newest (max-wins). pending: a push
      -- to some conversation failed and the alarm tries again
      -- (src/user/privacy.ts, decision 0028).
      CREATE TABLE privacy (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        mask INTEGER NOT NULL,
        version INTEGER NOT NULL,
        pending INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
  {
    id: 7,
    name: "integrations",
    sql: `
      -- A bot account's credentials (docs/protocol.md §22.14): the SHA-256 of
      -- its token (NULL: revoked), its webhook and the secret that signs calls to it.
      CREATE TABLE bot (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        webhook_url TEXT,
        secret TEXT NOT NULL,
        token_hash TEXT,
        created_at INTEGER NOT NULL
      );
      -- A suspension by an operator (§22.18): refused everywhere while set.
      CREATE TABLE standing (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        suspended_at INTEGER NOT NULL,
        reason TEXT,
        suspended_by TEXT NOT NULL
      );
      -- Web push subscriptions of the user's browsers (§22.16), and pushes owed to them.
      CREATE TABLE push_subscriptions (
        endpoint TEXT PRIMARY KEY,
        p256dh TEXT NOT NULL,
        auth TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE push_outbox (
        id INTEGER PRIMARY KEY,
        endpoint TEXT NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
];
