import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { ParleyError } from "../protocol/index.ts";
import { configOf } from "../shared/config.ts";
import { createLogger, type LogFields } from "../shared/log.ts";
import { runMigrations, type Migration } from "../shared/migrations.ts";
import { err, ok, type Result } from "../shared/result.ts";

const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "ceremonies",
    sql: `
      -- One row per ceremony under way: a passkey registration or sign-in
      -- (its challenge), or an OAuth flow (its PKCE verifier, nonce, the
      -- hash of the browser's binding cookie). Deleted when taken.
      CREATE TABLE ceremonies (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX ceremonies_expiry ON ceremonies (expires_at);
    `,
  },
];

/** What a ceremony is for; a ceremony is taken only by the step of its own kind. */
export type CeremonyKind = "passkey.register" | "passkey.login" | "oauth";

/** Most ceremonies one shard keeps at once; past it new ones are refused (a flood from many addresses). */
export const MAX_OPEN_CEREMONIES = 50_000;
/** Expired rows deleted per write, so a write's cost stays bounded. */
const PRUNE_BATCH = 100;

interface CeremonyRow {
  kind: string;
  data: string;
  expires_at: number;
  [key: string]: SqlStorageValue;
}

/**
 * Sign-in ceremonies under way, one shard of them (`ceremonies-<n>`, the
 * shard written in the ceremony id; src/auth/signed.ts). A ceremony is
 * short-lived and single use: `take` reads and deletes it in one
 * synchronous step of this single-threaded actor, so of two requests with
 * the same ceremony id exactly one gets it, and a replay finds nothing —
 * which a signed, stateless challenge could not promise (decision 0018).
 */
export class Ceremonies extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      runMigrations(ctx.storage, MIGRATIONS);
    });
  }

  /** Keeps a new ceremony until `ttlMs` from now. */
  async open(id: string, kind: CeremonyKind, data: Record<string, unknown>, ttlMs: number): Promise<Result<{ expires_at: number }>> {
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    this.#prune(now);
    const open = sql.exec<{ n: number }>("SELECT count(*) AS n FROM ceremonies").one().n;
    if (open >= MAX_OPEN_CEREMONIES) {
      this.#log("warn", "ceremony.refused", { open });
      return err(new ParleyError("rate_limited", "Too many sign-ins under way; retry in a minute.", { retryAfterMs: 60_000 }));
    }
    const expiresAt = now + ttlMs;
    sql.exec("INSERT INTO ceremonies (id, kind, data, expires_at) VALUES (?, ?, ?, ?)", id, kind, JSON.stringify(data), expiresAt);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(expiresAt + 1000);
    return ok({ expires_at: expiresAt });
  }

  /**
   * Hands out a ceremony once: read and deleted without an `await` in
   * between. Unknown, used, expired, or of another kind: `unauthorized`
   * (and a ceremony of another kind is used up all the same).
   */
  take(id: string, kind: CeremonyKind): Result<Record<string, unknown>> {
    const sql = this.ctx.storage.sql;
    const row = sql.exec<CeremonyRow>("SELECT kind, data, expires_at FROM ceremonies WHERE id = ?", id).toArray()[0];
    if (row) sql.exec("DELETE FROM ceremonies WHERE id = ?", id);
    if (!row || row.kind !== kind || row.expires_at <= Date.now()) {
      this.#log("info", "ceremony.refused", { kind, reason: !row ? "unknown_or_used" : row.kind !== kind ? "wrong_kind" : "expired" });
      return err(new ParleyError("unauthorized", "This sign-in ceremony is unknown, expired or already used; start again."));
    }
    return ok(JSON.parse(row.data) as Record<string, unknown>);
  }

  /** Deletes the expired ceremonies, and comes back while any are left. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.ctx.storage.sql.exec("DELETE FROM ceremonies WHERE expires_at <= ?", now);
    const next = this.ctx.storage.sql.exec<{ at: number | null }>("SELECT min(expires_at) AS at FROM ceremonies").one().at;
    if (next !== null) await this.ctx.storage.setAlarm(next + 1000);
  }

  #prune(now: number): void {
    this.ctx.storage.sql.exec(
      "DELETE FROM ceremonies WHERE id IN (SELECT id FROM ceremonies WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)",
      now, PRUNE_BATCH,
    );
  }

  #log(level: "info" | "warn", event: string, fields: LogFields): void {
    createLogger(configOf(this.env).logLevel)(level, event, { actor: `Ceremonies:${this.ctx.id.name ?? this.ctx.id.toString()}`, ...fields });
  }
}
