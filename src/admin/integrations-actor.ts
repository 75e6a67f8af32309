import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { ParleyError, type WebhookEventType } from "../protocol/index.ts";
import { configOf } from "../shared/config.ts";
import { randomId } from "../shared/ids.ts";
import { createLogger } from "../shared/log.ts";
import { runMigrations, type Migration } from "../shared/migrations.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { newSigningSecret } from "../bots/ids.ts";

const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "bots and webhooks",
    sql: `
      -- Bot accounts, listed for operators; each bot's credentials and webhook live in its own User actor.
      CREATE TABLE bots (
        user_id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      -- Webhook endpoints; the secret signs deliveries and is shown once, at creation.
      CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        secret TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
  },
];

/** Most webhook endpoints a deployment may register: every event is forwarded to each, so they are few. */
export const MAX_WEBHOOKS = 20;

export interface WebhookRecord {
  id: string;
  url: string;
  events: WebhookEventType[];
  created_at: number;
}

/** What a conversation keeps of the endpoints: who wants which events (no URL, no secret). */
export interface WebhookTarget {
  id: string;
  events: WebhookEventType[];
}

interface WebhookRow {
  id: string;
  url: string;
  events: string;
  secret: string;
  created_at: number;
  [key: string]: SqlStorageValue;
}

/**
 * The deployment's integrations registry, one actor named "global"
 * (decision 0030): the list of bot accounts and the webhook endpoints with
 * their subscriptions and secrets. It is read by operators and, once a
 * minute at most per active conversation, by conversations that keep which
 * endpoints want which events (webhooks/hooks.ts); nothing on a send's path
 * calls it.
 */
export class Integrations extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      runMigrations(ctx.storage, MIGRATIONS);
    });
  }

  recordBot(userId: string, username: string, createdBy: string): void {
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO bots (user_id, username, created_by, created_at) VALUES (?, ?, ?, ?)", userId, username, createdBy, Date.now());
  }

  bots(): Array<{ user_id: string; username: string; created_at: number }> {
    return this.ctx.storage.sql
      .exec<{ user_id: string; username: string; created_at: number }>("SELECT user_id, username, created_at FROM bots ORDER BY created_at, user_id")
      .toArray();
  }

  isBot(userId: string): boolean {
    return this.ctx.storage.sql.exec("SELECT 1 FROM bots WHERE user_id = ?", userId).toArray().length > 0;
  }

  /** Registers an endpoint; its secret is returned here and never again. */
  createWebhook(url: string, events: WebhookEventType[], createdBy: string): Result<{ webhook: WebhookRecord; secret: string }> {
    const count = this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM webhooks").one().n;
    if (count >= MAX_WEBHOOKS) return err(new ParleyError("conflict", `At most ${MAX_WEBHOOKS} webhook endpoints; delete one first.`));
    const id = randomId("wh_", 20);
    const secret = newSigningSecret();
    const created_at = Date.now();
    this.ctx.storage.sql.exec(
      "INSERT INTO webhooks (id, url, events, secret, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      id, url, JSON.stringify(events), secret, createdBy, created_at,
    );
    createLogger(configOf(this.env).logLevel)("info", "webhook.created", { actor: "Integrations:global", webhook_id: id, user_id: createdBy, events: events.join(",") });
    return ok({ webhook: { id, url, events, created_at }, secret });
  }

  webhooks(): WebhookRecord[] {
    return this.#rows().map(({ id, url, events, created_at }) => ({ id, url, events: JSON.parse(events) as WebhookEventType[], created_at }));
  }

  /** Where an endpoint's dispatcher posts, and with which secret. */
  webhookSecret(id: string): { url: string; secret: string } | undefined {
    const row = this.#rows().find((r) => r.id === id);
    return row ? { url: row.url, secret: row.secret } : undefined;
  }

  deleteWebhook(id: string): Result<{ deleted: true }> {
    const cursor = this.ctx.storage.sql.exec("DELETE FROM webhooks WHERE id = ?", id);
    if (cursor.rowsWritten === 0) return err(new ParleyError("not_found", "No such webhook."));
    return ok({ deleted: true });
  }

  /** Which endpoints want which events: what conversations keep (webhooks/hooks.ts). */
  targets(): WebhookTarget[] {
    return this.webhooks().map(({ id, events }) => ({ id, events }));
  }

  #rows(): WebhookRow[] {
    return this.ctx.storage.sql.exec<WebhookRow>("SELECT id, url, events, secret, created_at FROM webhooks ORDER BY created_at, id").toArray();
  }
}
