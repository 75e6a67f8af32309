import { ParleyError, type IdentityView, type NewPasskey, type OAuthProvider, type PasskeyView } from "../protocol/index.ts";
import { randomId } from "../shared/ids.ts";
import type { Migration } from "../shared/migrations.ts";

/**
 * The Directory's migration for sign-in methods (decision 0019): the
 * passkeys and OAuth identities of every user, next to the usernames, so
 * that registering a username with its first sign-in method, and refusing
 * to remove a user's last one, each happen in one transaction of one actor.
 */
export const SIGN_IN_MIGRATION: Migration = {
  id: 3,
  name: "passkeys and OAuth identities",
  sql: `
    -- One row per WebAuthn credential. credential_id is the authenticator's
    -- (base64url), unique across all users; id is Parley's handle in routes.
    -- public_key is the COSE key (base64url); counter the last signature
    -- counter seen (0 for authenticators that keep none).
    CREATE TABLE passkeys (
      id TEXT PRIMARY KEY,
      credential_id TEXT NOT NULL UNIQUE,
      user_id TEXT NOT NULL,
      public_key TEXT NOT NULL,
      counter INTEGER NOT NULL,
      transports TEXT NOT NULL,
      backed_up INTEGER NOT NULL,
      device_type TEXT NOT NULL,
      name TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER
    );
    CREATE INDEX passkeys_user ON passkeys (user_id);
    -- One row per linked OAuth account: (provider, subject) belongs to one
    -- user, and a user has at most one account of each provider.
    CREATE TABLE identities (
      provider TEXT NOT NULL,
      subject TEXT NOT NULL,
      user_id TEXT NOT NULL,
      label TEXT,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER,
      PRIMARY KEY (provider, subject)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX identities_user ON identities (user_id, provider);
  `,
};

/** Most passkeys one user may register. */
export const MAX_PASSKEYS_PER_USER = 20;

/** A passkey as sign-in needs it. */
export interface StoredPasskey {
  id: string;
  credential_id: string;
  user_id: string;
  public_key: string;
  counter: number;
  transports: string[];
}

interface PasskeyRow {
  id: string;
  credential_id: string;
  user_id: string;
  public_key: string;
  counter: number;
  transports: string;
  backed_up: number;
  name: string;
  created_at: number;
  last_used_at: number | null;
  [key: string]: SqlStorageValue;
}

interface IdentityRow {
  provider: string;
  subject: string;
  user_id: string;
  label: string | null;
  created_at: number;
  last_used_at: number | null;
  [key: string]: SqlStorageValue;
}

/**
 * Passkeys and identities on the Directory's SQLite. Plain synchronous
 * reads and writes; the Directory wraps the ones that must hold together in
 * `transactionSync`, and being single-threaded, no other request runs
 * between a check here and the write after it.
 */
export class SignInStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** Passkeys plus identities of a user: the ways they can sign in. */
  methodCount(userId: string): number {
    const p = this.#sql.exec<{ n: number }>("SELECT count(*) AS n FROM passkeys WHERE user_id = ?", userId).one().n;
    const i = this.#sql.exec<{ n: number }>("SELECT count(*) AS n FROM identities WHERE user_id = ?", userId).one().n;
    return p + i;
  }

  // -- passkeys --------------------------------------------------------------

  /** Stores a verified credential; `conflict` when its credential id is registered already, or the user has too many. */
  insertPasskey(userId: string, passkey: NewPasskey, now: number): PasskeyView {
    if (this.#passkeyRow(passkey.credential_id)) {
      throw new ParleyError("conflict", "This passkey is registered already.");
    }
    const count = this.#sql.exec<{ n: number }>("SELECT count(*) AS n FROM passkeys WHERE user_id = ?", userId).one().n;
    if (count >= MAX_PASSKEYS_PER_USER) {
      throw new ParleyError("conflict", `At most ${MAX_PASSKEYS_PER_USER} passkeys per user; delete one first.`);
    }
    const id = randomId("pk_", 16);
    this.#sql.exec(
      `INSERT INTO passkeys (id, credential_id, user_id, public_key, counter, transports, backed_up, device_type, name, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id, passkey.credential_id, userId, passkey.public_key, passkey.counter, JSON.stringify(passkey.transports),
      passkey.backed_up ? 1 : 0, passkey.device_type, passkey.name, now,
    );
    return toPasskeyView(this.#passkeyRow(passkey.credential_id)!);
  }

  passkeyByCredential(credentialId: string): StoredPasskey | undefined {
    const row = this.#passkeyRow(credentialId);
    return row && {
      id: row.id, credential_id: row.credential_id, user_id: row.user_id, public_key: row.public_key, counter: row.counter,
      transports: parseTransports(row.transports),
    };
  }

  passkeysOf(userId: string): PasskeyView[] {
    return this.#sql
      .exec<PasskeyRow>("SELECT * FROM passkeys WHERE user_id = ? ORDER BY created_at, id", userId)
      .toArray()
      .map(toPasskeyView);
  }

  /**
   * Records a sign-in: the new signature counter, compared with the one the
   * verification started from. Another sign-in with the same counter that
   * landed in between (a cloned authenticator racing the real one) makes
   * this one a regression: `false`, nothing written. Authenticators that
   * keep no counter (always 0) pass.
   */
  passkeyUsed(credentialId: string, seenCounter: number, newCounter: number, now: number): boolean {
    const written = this.#sql.exec(
      "UPDATE passkeys SET counter = ?, last_used_at = ? WHERE credential_id = ? AND counter = ? AND (? > counter OR (? = 0 AND counter = 0))",
      newCounter, now, credentialId, seenCounter, newCounter, newCounter,
    ).rowsWritten;
    return written > 0;
  }

  renamePasskey(userId: string, id: string, name: string): PasskeyView | undefined {
    this.#sql.exec("UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ?", name, id, userId);
    const row = this.#sql.exec<PasskeyRow>("SELECT * FROM passkeys WHERE id = ? AND user_id = ?", id, userId).toArray()[0];
    return row && toPasskeyView(row);
  }

  /** Deletes one of the user's passkeys unless it is their last sign-in method. */
  removePasskey(userId: string, id: string): void {
    const exists = this.#sql.exec("SELECT 1 FROM passkeys WHERE id = ? AND user_id = ?", id, userId).toArray().length > 0;
    if (!exists) throw new ParleyError("not_found", "No such passkey.");
    if (this.methodCount(userId) <= 1) throw lastMethod();
    this.#sql.exec("DELETE FROM passkeys WHERE id = ? AND user_id = ?", id, userId);
  }

  // -- OAuth identities ------------------------------------------------------

  identity(provider: OAuthProvider, subject: string): { user_id: string } | undefined {
    return this.#sql
      .exec<IdentityRow>("SELECT user_id FROM identities WHERE provider = ? AND subject = ?", provider, subject)
      .toArray()[0];
  }

  touchIdentity(provider: OAuthProvider, subject: string, label: string | null, now: number): void {
    this.#sql.exec("UPDATE identities SET last_used_at = ?, label = coalesce(?, label) WHERE provider = ? AND subject = ?", now, label, provider, subject);
  }

  /** Links an identity; `conflict` when it belongs to someone else, or the user has another of this provider. */
  insertIdentity(userId: string, provider: OAuthProvider, subject: string, label: string | null, now: number): IdentityView {
    const owner = this.identity(provider, subject);
    if (owner && owner.user_id !== userId) {
      throw new ParleyError("conflict", `This ${providerName(provider)} account is linked to another user.`);
    }
    if (!owner) {
      const other = this.#sql.exec("SELECT 1 FROM identities WHERE user_id = ? AND provider = ?", userId, provider).toArray().length > 0;
      if (other) throw new ParleyError("conflict", `Another ${providerName(provider)} account is linked to this user; unlink it first.`);
      this.#sql.exec(
        "INSERT INTO identities (provider, subject, user_id, label, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?)",
        provider, subject, userId, label, now, now,
      );
    } else {
      this.touchIdentity(provider, subject, label, now);
    }
    return this.identitiesOf(userId).find((i) => i.provider === provider)!;
  }

  identitiesOf(userId: string): IdentityView[] {
    return this.#sql
      .exec<IdentityRow>("SELECT * FROM identities WHERE user_id = ? ORDER BY created_at, provider", userId)
      .toArray()
      .map((r) => ({ provider: r.provider as OAuthProvider, label: r.label, created_at: r.created_at, last_used_at: r.last_used_at }));
  }

  /** Unlinks the user's identity of a provider unless it is their last sign-in method. */
  removeIdentity(userId: string, provider: OAuthProvider): void {
    const exists = this.#sql.exec("SELECT 1 FROM identities WHERE user_id = ? AND provider = ?", userId, provider).toArray().length > 0;
    if (!exists) throw new ParleyError("not_found", `No ${providerName(provider)} account is linked.`);
    if (this.methodCount(userId) <= 1) throw lastMethod();
    this.#sql.exec("DELETE FROM identities WHERE user_id = ? AND provider = ?", userId, provider);
  }

  #passkeyRow(credentialId: string): PasskeyRow | undefined {
    return this.#sql.exec<PasskeyRow>("SELECT * FROM passkeys WHERE credential_id = ?", credentialId).toArray()[0];
  }
}

function lastMethod(): ParleyError {
  return new ParleyError("conflict", "This is your last way to sign in; add a passkey or link an account before you remove it.");
}

function providerName(provider: OAuthProvider): string {
  return provider === "github" ? "GitHub" : "Google";
}

function parseTransports(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((t): t is string => typeof t === "string") : [];
  } catch {
    return [];
  }
}

function toPasskeyView(row: PasskeyRow): PasskeyView {
  return {
    id: row.id,
    name: row.name,
    credential_id: row.credential_id,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    backed_up: row.backed_up === 1,
    transports: parseTransports(row.transports),
  };
}
