import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { ParleyError, toParleyError, type IdentityView, type NewPasskey, type OAuthProvider, type PasskeyView, type UserView } from "../protocol/index.ts";
import { randomId } from "../shared/ids.ts";
import { isBotId } from "../bots/ids.ts";
import { configOf } from "../shared/config.ts";
import { createLogger } from "../shared/log.ts";
import { runMigrations, type Migration } from "../shared/migrations.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { SIGN_IN_MIGRATION, SignInStore, type StoredPasskey } from "./sign-in-store.ts";
import { FIRST, decodeCursor, encodeCursor, nameKeys, normalize, prefixEnd, type SortKey } from "./search.ts";

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
  {
    id: 2,
    name: "profiles and search",
    // Copies of each user's display name and avatar (the User actor owns
    // them), and one row per searchable key of a display name.
    sql: `
      ALTER TABLE users ADD COLUMN display_name TEXT;
      ALTER TABLE users ADD COLUMN avatar_url TEXT;
      ALTER TABLE users ADD COLUMN name_key TEXT;
      ALTER TABLE users ADD COLUMN profile_version INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE name_keys (
        key TEXT NOT NULL,
        user_id TEXT NOT NULL,
        PRIMARY KEY (key, user_id)
      ) WITHOUT ROWID;
      CREATE INDEX name_keys_user ON name_keys (user_id);
    `,
  },
  SIGN_IN_MIGRATION,
];

export interface UserRecord {
  id: string;
  username: string;
}

/** The copy of a profile the Directory keeps for search. */
export interface DirectoryProfile {
  display_name: string | null;
  avatar_url: string | null;
}

export interface SearchPage {
  users: UserView[];
  next_cursor?: string;
}

/** A key no username or name sorts at or after. */
const NOTHING = "\u{10ffff}";

interface UserRow extends UserRecord {
  [key: string]: SqlStorageValue;
}

interface ViewRow {
  id: string;
  username: string;
  display_name: string | null;
  avatar_url: string | null;
  [key: string]: SqlStorageValue;
}

interface HitRow extends ViewRow {
  rank: number;
  len: number;
  text: string;
}

/**
 * The ranked candidates of a search (see search.ts for the ranking): each
 * user once, at their best rank — SQLite gives the bare columns of a
 * `min()` aggregate the values of the row that holds the minimum — then
 * keyset paging after the cursor's key.
 */
const SEARCH_SQL = `
  WITH cand(id, rank, len, text) AS (
    SELECT id, 0, 0, username_key FROM users WHERE username_key = ?1
    UNION ALL
    SELECT id, 1, length(username_key), username_key FROM users WHERE username_key > ?1 AND username_key < ?2
    UNION ALL
    SELECT k.user_id, 2, 0, coalesce(u.name_key, '') FROM name_keys k JOIN users u ON u.id = k.user_id
      WHERE k.key >= ?3 AND k.key < ?4
  ),
  best AS (SELECT id, min(rank) AS rank, len, text FROM cand GROUP BY id)
  SELECT u.id, u.username, u.display_name, u.avatar_url, b.rank, b.len, b.text
  FROM best b JOIN users u ON u.id = b.id
  WHERE (b.rank, b.len, b.text, b.id) > (?5, ?6, ?7, ?8)
  ORDER BY b.rank, b.len, b.text, b.id
  LIMIT ?9
`;

/**
 * The directory of people: one actor (named "global") that maps each
 * username, unique regardless of case, to a stable user id, and keeps a copy
 * of each display name and avatar for search. The User actor owns the
 * profile and pushes changes here (`setProfile`); the copy is versioned, so
 * a late or repeated push never overwrites a newer one.
 */
export class Directory extends DurableObject<Env> {
  readonly #signIn: SignInStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      runMigrations(ctx.storage, MIGRATIONS);
    });
    this.#signIn = new SignInStore(ctx.storage.sql);
  }

  /** Returns the user with this username, creating it when there is none (dev login). */
  ensure(username: string): UserRecord {
    const existing = this.lookup(username);
    if (existing) return existing;
    const user = { id: randomId("u_", 20), username };
    this.#insert(user);
    return user;
  }

  /**
   * Registers a user whose id was chosen elsewhere: an access token minted
   * by another backend (just-in-time registration on `GET /v1/me`).
   * Idempotent for the same id and username (in any case); `conflict` when
   * the username belongs to another id, or the id to another username.
   */
  register(id: string, username: string): Result<UserRecord> {
    const byName = this.lookup(username);
    if (byName) {
      return byName.id === id
        ? ok(byName)
        : err(new ParleyError("conflict", `The username ${username} is taken by another user.`));
    }
    const byId = this.ctx.storage.sql.exec<UserRow>("SELECT id, username FROM users WHERE id = ?", id).toArray()[0];
    if (byId) {
      return err(new ParleyError("conflict", `User ${id} is registered as ${byId.username}; a username cannot change.`));
    }
    const user = { id, username };
    this.#insert(user);
    return ok(user);
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

  /** A person as others see them (`GET /v1/users/{username}`). */
  view(username: string): Result<UserView> {
    const row = this.ctx.storage.sql
      .exec<ViewRow>("SELECT id, username, display_name, avatar_url FROM users WHERE username_key = ?", username.toLowerCase())
      .toArray()[0];
    return row ? ok(toView(row)) : err(new ParleyError("not_found", `No user named ${username}.`));
  }

  /**
   * Stores the copy of a user's display name and avatar. With a `version`,
   * applies only when it is newer than the stored one (max-wins); returns
   * whether it applied.
   */
  setProfile(userId: string, profile: DirectoryProfile, version?: number): Result<{ applied: boolean }> {
    const sql = this.ctx.storage.sql;
    const known = sql.exec<{ v: number }>("SELECT profile_version AS v FROM users WHERE id = ?", userId).toArray()[0];
    if (!known) return err(new ParleyError("not_found", `No user ${userId} in the directory.`));
    if (version !== undefined && version <= known.v) return ok({ applied: false });
    const keys = nameKeys(profile.display_name ?? undefined);
    sql.exec(
      "UPDATE users SET display_name = ?, avatar_url = ?, name_key = ?, profile_version = ? WHERE id = ?",
      profile.display_name, profile.avatar_url, keys[0] ?? null, version ?? known.v, userId,
    );
    sql.exec("DELETE FROM name_keys WHERE user_id = ?", userId);
    for (const key of keys) sql.exec("INSERT OR IGNORE INTO name_keys (key, user_id) VALUES (?, ?)", key, userId);
    return ok({ applied: true });
  }

  /**
   * Prefix search on usernames and on the words of display names, ranked
   * (see search.ts) and paged with an opaque cursor.
   */
  search(q: string, limit: number, cursor?: string): Result<SearchPage> {
    let after: SortKey;
    try {
      after = cursor === undefined ? FIRST : decodeCursor(cursor);
    } catch (e) {
      return err(toParleyError(e));
    }
    // An empty key would be a prefix of everything: it matches nothing instead.
    const range = (key: string) => (key ? [key, prefixEnd(key)] : [NOTHING, NOTHING]);
    const [userLo, userHi] = range(q.trim().toLowerCase());
    const [nameLo, nameHi] = range(normalize(q));
    const rows = this.ctx.storage.sql
      .exec<HitRow>(SEARCH_SQL, userLo, userHi, nameLo, nameHi, after.rank, after.len, after.text, after.id, limit + 1)
      .toArray();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const result: SearchPage = { users: page.map(toView) };
    if (rows.length > limit && last) {
      result.next_cursor = encodeCursor({ rank: last.rank as SortKey["rank"], len: last.len, text: last.text, id: last.id });
    }
    return ok(result);
  }

  // -------------------------------------------------------------------------
  // Sign-in methods: passkeys and OAuth identities (sign-in-store.ts, decision 0019)
  // -------------------------------------------------------------------------

  /** Registers a new user under `username` with their first passkey, both or neither. */
  registerWithPasskey(userId: string, username: string, passkey: NewPasskey): Result<{ user: UserRecord; passkey: PasskeyView }> {
    return this.#attempt(() => {
      const user = this.#freeUser(userId, username);
      const view = this.#signIn.insertPasskey(user.id, passkey, Date.now());
      this.#insert(user);
      return { user, passkey: view };
    });
  }

  /** Registers a new user under `username` with an OAuth identity, both or neither. */
  registerWithIdentity(userId: string, username: string, provider: OAuthProvider, subject: string, label: string | null): Result<{ user: UserRecord }> {
    return this.#attempt(() => {
      if (this.#signIn.identity(provider, subject)) throw new ParleyError("conflict", "This account is registered already; sign in with it.");
      const user = this.#freeUser(userId, username);
      this.#signIn.insertIdentity(user.id, provider, subject, label, Date.now());
      this.#insert(user);
      return { user };
    });
  }

  /** Adds a passkey to a registered user. */
  addPasskey(userId: string, passkey: NewPasskey): Result<PasskeyView> {
    return this.#attempt(() => this.#signIn.insertPasskey(this.#registered(userId).id, passkey, Date.now()));
  }

  /** Links an OAuth identity to a registered user; `conflict` when it is someone else's. */
  linkIdentity(userId: string, provider: OAuthProvider, subject: string, label: string | null): Result<IdentityView> {
    return this.#attempt(() => this.#signIn.insertIdentity(this.#registered(userId).id, provider, subject, label, Date.now()));
  }

  /** The passkey of a credential id and its user, for a sign-in. */
  passkeyOwner(credentialId: string): { passkey: StoredPasskey; user: UserRecord } | undefined {
    const passkey = this.#signIn.passkeyByCredential(credentialId);
    const user = passkey && this.#byId(passkey.user_id);
    return passkey && user ? { passkey, user } : undefined;
  }

  passkeysOf(userId: string): PasskeyView[] {
    return this.#signIn.passkeysOf(userId);
  }

  /** Records a passkey sign-in; `unauthorized` when the counter went back (sign-in-store.ts). */
  passkeyUsed(credentialId: string, seenCounter: number, newCounter: number): Result<{ recorded: true }> {
    return this.#signIn.passkeyUsed(credentialId, seenCounter, newCounter, Date.now())
      ? ok({ recorded: true })
      : err(new ParleyError("unauthorized", "This passkey's signature counter went back: it may have been cloned. Sign in with another method."));
  }

  renamePasskey(userId: string, id: string, name: string): Result<PasskeyView> {
    const view = this.#signIn.renamePasskey(userId, id, name);
    return view ? ok(view) : err(new ParleyError("not_found", "No such passkey."));
  }

  removePasskey(userId: string, id: string): Result<{ removed: true }> {
    return this.#attempt(() => {
      this.#signIn.removePasskey(userId, id);
      return { removed: true as const };
    });
  }

  /** The user an OAuth identity belongs to, if any (and notes the sign-in). */
  identityOwner(provider: OAuthProvider, subject: string, label: string | null): UserRecord | undefined {
    const found = this.#signIn.identity(provider, subject);
    const user = found && this.#byId(found.user_id);
    if (user) this.#signIn.touchIdentity(provider, subject, label, Date.now());
    return user;
  }

  identitiesOf(userId: string): IdentityView[] {
    return this.#signIn.identitiesOf(userId);
  }

  removeIdentity(userId: string, provider: OAuthProvider): Result<{ removed: true }> {
    return this.#attempt(() => {
      this.#signIn.removeIdentity(userId, provider);
      return { removed: true as const };
    });
  }

  /** Runs `fn` in one transaction; a ParleyError it throws becomes the Result's error (and nothing is written). */
  #attempt<T>(fn: () => T): Result<T> {
    try {
      return ok(this.ctx.storage.transactionSync(fn));
    } catch (e) {
      if (e instanceof ParleyError) return err(e);
      throw e;
    }
  }

  /** A user that may be registered (inserted last, so nothing is logged for a registration that fails): `conflict` when the username or the id is taken. */
  #freeUser(userId: string, username: string): UserRecord {
    if (this.lookup(username)) throw new ParleyError("conflict", `The username ${username} is taken; choose another.`);
    if (this.#byId(userId)) throw new ParleyError("conflict", `User ${userId} exists already.`);
    return { id: userId, username };
  }

  #registered(userId: string): UserRecord {
    const user = this.#byId(userId);
    if (!user) throw new ParleyError("not_found", "This user is not registered yet: call GET /v1/me once first.");
    return user;
  }

  #byId(userId: string): UserRecord | undefined {
    return this.ctx.storage.sql.exec<UserRow>("SELECT id, username FROM users WHERE id = ?", userId).toArray()[0];
  }

  #insert(user: UserRecord): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO users (id, username, username_key, created_at) VALUES (?, ?, ?, ?)",
      user.id, user.username, user.username.toLowerCase(), Date.now(),
    );
    createLogger(configOf(this.env).logLevel)("info", "user.created", { actor: "Directory:global", user_id: user.id, username: user.username });
  }
}

function toView(row: ViewRow): UserView {
  const view: UserView = { id: row.id, username: row.username };
  if (row.display_name !== null) view.display_name = row.display_name;
  if (row.avatar_url !== null) view.avatar_url = row.avatar_url;
  if (isBotId(row.id)) view.bot = true;
  return view;
}
