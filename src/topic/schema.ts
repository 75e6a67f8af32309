import type { Migration } from "../shared/migrations.ts";

/**
 * The Topic actor's SQLite schema. Append-only: add a migration, never edit
 * one that has shipped. Created by the first configuration, not by the
 * constructor: a name nobody configured leaves no storage behind, however
 * often someone asks for it.
 */
export const TOPIC_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "topic, users, events",
    sql: `
      -- The topic's configuration and counters. NULL settings take the
      -- deployment's defaults. last_seq: the last event published;
      -- flushed_seq: the last one sent to every socket subscribed at the
      -- time (a socket resumes from max(its cursor, flushed_seq), so no
      -- event is sent to it twice, even after the actor was evicted);
      -- pruned_seq: events up to it are deleted (the retention window
      -- starts after it).
      CREATE TABLE meta (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        name TEXT NOT NULL,
        access TEXT NOT NULL CHECK (access IN ('public', 'restricted')),
        coalesce_ms INTEGER,
        retention_events INTEGER,
        retention_ms INTEGER,
        last_seq INTEGER NOT NULL DEFAULT 0,
        last_at INTEGER NOT NULL DEFAULT 0,
        flushed_seq INTEGER NOT NULL DEFAULT 0,
        pruned_seq INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      -- Who may read a restricted topic.
      CREATE TABLE users (
        user_id TEXT PRIMARY KEY
      );
      -- The retained events; data is the payload's JSON text as published.
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        created_at INTEGER NOT NULL,
        data TEXT NOT NULL
      );
    `,
  },
];
