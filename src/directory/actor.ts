import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { randomId } from "../shared/ids.ts";
import { log } from "../shared/log.ts";
import { runMigrations, type Migration } from "../shared/migrations.ts";

const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "users",
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        username_key TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      );
    `,
  },
];

export interface UserRecord {
  id: string;
  username: string;
}

interface UserRow extends UserRecord {
  [key: string]: SqlStorageValue;
}

/**
 * The directory of usernames: one actor (named "global") that maps each
 * username, unique regardless of case, to a stable user id.
 */
export class Directory extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      runMigrations(ctx.storage, MIGRATIONS);
    });
  }

  /** Returns the user with this username, creating it when there is none (dev login). */
  ensure(username: string): UserRecord {
    const existing = this.lookup(username);
    if (existing) return existing;
    const user = { id: randomId("u_", 20), username };
    this.ctx.storage.sql.exec(
      "INSERT INTO users (id, username, username_key, created_at) VALUES (?, ?, ?, ?)",
      user.id, username, username.toLowerCase(), Date.now(),
    );
    log("info", "user.created", { actor: "Directory:global", user_id: user.id, username });
    return user;
  }

  lookup(username: string): UserRecord | undefined {
    return this.ctx.storage.sql
      .exec<UserRow>("SELECT id, username FROM users WHERE username_key = ?", username.toLowerCase())
      .toArray()[0];
  }

  /** Resolves many usernames at once; the missing ones are listed apart. */
  lookupMany(usernames: readonly string[]): { found: UserRecord[]; missing: string[] } {
    const found: UserRecord[] = [];
    const missing: string[] = [];
    for (const name of new Set(usernames.map((u) => u.toLowerCase()))) {
      const user = this.lookup(name);
      if (user) found.push({ id: user.id, username: user.username });
      else missing.push(name);
    }
    return { found, missing };
  }
}
