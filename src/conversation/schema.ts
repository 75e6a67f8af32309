import type { Migration } from "../shared/migrations.ts";

/**
 * The conversation's SQLite schema. Append-only: add a migration, never edit
 * one that has shipped.
 */
export const MIGRATIONS: readonly Migration[] = [
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
  {
    id: 4,
    name: "broadcast-fanout",
    sql: `
      -- Changes every member's inbox must learn (a message, a title, the
      -- member list) no longer write one outbox row per member: a sweep
      -- sends every member the conversation when it is behind (fanout.ts).
      -- fanout_version and fanout_seq: the version and last seq the last
      -- completed sweep delivered; broadcast_version: the version of the
      -- last change other than a message that every member must learn.
      ALTER TABLE meta ADD COLUMN fanout_version INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE meta ADD COLUMN fanout_seq INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE meta ADD COLUMN broadcast_version INTEGER NOT NULL DEFAULT 0;
      -- Sending implies having read up to one's own message: the unread count
      -- is then last_seq - read_seq, kept without counting rows.
      UPDATE members SET
        read_seq = max(read_seq, coalesce((SELECT max(seq) FROM messages WHERE sender_id = members.user_id), 0)),
        delivered_seq = max(delivered_seq, coalesce((SELECT max(seq) FROM messages WHERE sender_id = members.user_id), 0));
    `,
  },
  {
    id: 5,
    name: "messages-for-the-hot-path",
    sql: `
      -- Rebuilt without the UNIQUE index on server_msg_id: nothing looks a
      -- message up by it, its ids are random (119 bits), and inserting a
      -- random key into an index dirties a random page of it per message, a
      -- cost that grew with the table (measured in docs/benchmarks.md).
      CREATE TABLE messages_v5 (
        seq INTEGER PRIMARY KEY,
        server_msg_id TEXT NOT NULL,
        client_msg_id TEXT NOT NULL,
        sender_id TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        reply_to_seq INTEGER
      );
      INSERT INTO messages_v5 (seq, server_msg_id, client_msg_id, sender_id, body, created_at, reply_to_seq)
        SELECT seq, server_msg_id, client_msg_id, sender_id, body, created_at, reply_to_seq FROM messages;
      DROP TABLE messages;
      ALTER TABLE messages_v5 RENAME TO messages;
      CREATE UNIQUE INDEX messages_idempotency ON messages (sender_id, client_msg_id);
      -- Sending implies having read up to one's own message. The trigger makes
      -- that write part of the message's INSERT statement, so a send is one
      -- statement, atomic by itself, and needs no explicit transaction
      -- (a transactionSync around two statements cost about 40 % more than
      -- the one statement, measured in docs/benchmarks.md).
      CREATE TRIGGER messages_sender_watermarks AFTER INSERT ON messages BEGIN
        UPDATE members SET read_seq = max(read_seq, NEW.seq), delivered_seq = max(delivered_seq, NEW.seq)
        WHERE user_id = NEW.sender_id;
      END;
    `,
  },
  {
    id: 6,
    name: "messages-that-live",
    sql: `
      -- rev: the conversation's change counter (decision 0014). Every change
      -- (a new message, an edit, a deletion, a reaction) takes the next rev
      -- and stores it on the message it changed; existing messages start
      -- with rev = seq, which keeps the two counters in step until the first
      -- change that is not a new message.
      ALTER TABLE messages ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE messages ADD COLUMN edited_at INTEGER;
      ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
      -- JSON arrays: user ids a message mentions; its attachments.
      ALTER TABLE messages ADD COLUMN mentions TEXT;
      ALTER TABLE messages ADD COLUMN attachments TEXT;
      UPDATE messages SET rev = seq;
      CREATE INDEX messages_rev ON messages (rev);
      CREATE TABLE reactions (
        seq INTEGER NOT NULL,
        reaction TEXT NOT NULL,
        user_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (seq, reaction, user_id)
      );
      -- Files: reserved by an upload, ready once stored in R2, attached by
      -- a message, or waiting to be deleted from R2 (attachments.ts).
      CREATE TABLE attachments (
        id TEXT PRIMARY KEY,
        uploader TEXT NOT NULL,
        name TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL DEFAULT 0,
        width INTEGER,
        height INTEGER,
        state TEXT NOT NULL CHECK (state IN ('reserved', 'ready', 'attached', 'doomed')),
        seq INTEGER,
        created_at INTEGER NOT NULL,
        due_at INTEGER NOT NULL
      );
      CREATE INDEX attachments_due ON attachments (state, due_at);
      -- The full-text index, kept by the alarm up to indexed_rev (search.ts).
      CREATE VIRTUAL TABLE messages_fts USING fts5(body, tokenize = 'porter unicode61');
      ALTER TABLE meta ADD COLUMN indexed_rev INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    id: 7,
    name: "notification-cause",
    sql: `
      -- Who caused each owed notification (the sender of the message, or who
      -- added the member): the receiving User actor drops notifications from
      -- people blocked either way (decision 0013). NULL for rows written
      -- before this migration.
      ALTER TABLE notify_outbox ADD COLUMN caused_by TEXT;
    `,
  },
  {
    id: 8,
    name: "member-privacy-and-last-seen",
    sql: `
      -- What each member does not share (src/shared/privacy.ts), as their
      -- User actor last told it, and the version of that (max-wins). NULL:
      -- not told yet; the conversation asks at the member's first socket or
      -- read (decision 0028). last_seen_at: when the member's last socket on
      -- this conversation closed (member pages show it).
      ALTER TABLE members ADD COLUMN privacy INTEGER;
      ALTER TABLE members ADD COLUMN privacy_version INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE members ADD COLUMN last_seen_at INTEGER;
    `,
  },
  {
    id: 9,
    name: "integrations",
    sql: `
      -- Bots to call about a message (a mention, or a direct message to a
      -- bot), written with the message; delivered by the alarm (bots/outbox.ts).
      CREATE TABLE bot_outbox (
        bot_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (bot_id, seq)
      );
      -- Webhook events owed to endpoints, in the order they happened, written
      -- with the change; targets lists the endpoints still to hand each to
      -- (webhooks/hooks.ts).
      CREATE TABLE hook_outbox (
        n INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL,
        body TEXT NOT NULL,
        targets TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL DEFAULT 0
      );
      -- Which webhook endpoints want which events, as last read from the registry.
      CREATE TABLE hook_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        targets TEXT NOT NULL,
        checked_at INTEGER NOT NULL
      );
      -- Invite links of a group (invites/store.ts): only the hash of the secret part.
      CREATE TABLE invites (
        hash TEXT PRIMARY KEY,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        max_uses INTEGER,
        uses INTEGER NOT NULL DEFAULT 0,
        revoked_at INTEGER
      );
    `,
  },
];
