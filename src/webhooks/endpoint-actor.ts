import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { Counters, flushCounters } from "../admin/metrics.ts";
import { ParleyError } from "../protocol/index.ts";
import { configOf } from "../shared/config.ts";
import { createLogger, describeError, type Logger } from "../shared/log.ts";
import { runMigrations, type Migration } from "../shared/migrations.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { retryDelay } from "../conversation/fanout.ts";
import { SIGNATURE_HEADER, signatureHeader } from "./signature.ts";

const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "deliveries",
    sql: `
      CREATE TABLE deliveries (
        n INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        conversation_id TEXT NOT NULL,
        type TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL DEFAULT 0,
        last_status INTEGER,
        last_error TEXT,
        last_attempt_at INTEGER,
        delivered_at INTEGER,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX deliveries_pending ON deliveries (status, conversation_id, n);
    `,
  },
];

/** After this many failed attempts (about 8 minutes of backoff) a delivery is marked failed; an operator may replay it. */
export const MAX_WEBHOOK_ATTEMPTS = 8;
/** A receiver that has not answered by then has failed this attempt. */
export const WEBHOOK_TIMEOUT_MS = 7_000;
/** Deliveries in flight at once (each to a different conversation). */
const CONCURRENCY = 10;
/** Delivered events are kept in the log this long. */
const KEEP_DELIVERED_MS = 7 * 24 * 3600 * 1000;
/** The endpoint's URL and secret are read from the registry again after this long. */
const TARGET_TTL_MS = 30_000;

interface Row {
  n: number;
  event_id: string;
  conversation_id: string;
  type: string;
  body: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  next_at: number;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: number | null;
  delivered_at: number | null;
  created_at: number;
  [key: string]: SqlStorageValue;
}

export interface DeliveryView {
  id: string;
  conversation_id: string;
  type: string;
  status: Row["status"];
  attempts: number;
  created_at: number;
  last_status?: number;
  last_error?: string;
  last_attempt_at?: number;
  delivered_at?: number;
  next_attempt_at?: number;
}

/**
 * One webhook endpoint's dispatcher (decision 0031): the events handed to it
 * by conversations, kept until delivered, posted signed to the endpoint
 * **in order per conversation** — a conversation's next event waits until
 * the one before it is delivered or has failed for good — while different
 * conversations proceed side by side, so one busy or failing conversation
 * does not hold up the rest. The table is also the delivery log (attempts,
 * last status and error) that operators read and replay from.
 */
export class WebhookEndpoint extends DurableObject<Env> {
  readonly #log: Logger;
  readonly #counters = new Counters();
  #endpointId: string | undefined;
  #target: { url: string; secret: string; at: number } | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#log = createLogger(configOf(env).logLevel, () => ({ actor: `WebhookEndpoint:${this.#endpointId ?? ctx.id.toString()}`, webhook_id: this.#endpointId }));
    void ctx.blockConcurrencyWhile(async () => {
      runMigrations(ctx.storage, MIGRATIONS);
      this.#endpointId = (await ctx.storage.get<string>("endpoint_id")) ?? undefined;
    });
  }

  /** A conversation hands over events, in their order; a repeat (same event id) is kept once. */
  async enqueue(endpointId: string, conversationId: string, events: Array<{ id: string; body: string }>): Promise<Result<{ accepted: number }>> {
    await this.#knowSelf(endpointId);
    const now = Date.now();
    let accepted = 0;
    for (const e of events) {
      let type = "unknown";
      try {
        type = String((JSON.parse(e.body) as { type?: unknown }).type ?? "unknown");
      } catch {
        // kept as sent
      }
      accepted += this.ctx.storage.sql.exec(
        "INSERT OR IGNORE INTO deliveries (event_id, conversation_id, type, body, status, created_at) VALUES (?, ?, ?, ?, 'pending', ?)",
        e.id, conversationId, type, e.body, now,
      ).rowsWritten > 0 ? 1 : 0;
    }
    await this.#schedule(now);
    return ok({ accepted });
  }

  /** The delivery log, oldest first from `after` (an `n`); `status` filters. */
  deliveries(status: Row["status"] | undefined, limit: number, after: number): { deliveries: DeliveryView[]; next_cursor?: string } {
    const rows = this.ctx.storage.sql.exec<Row>(
      `SELECT * FROM deliveries WHERE n > ? ${status ? "AND status = ?" : ""} ORDER BY n LIMIT ?`,
      ...(status ? [after, status, limit + 1] : [after, limit + 1]),
    ).toArray();
    const page = rows.slice(0, limit);
    return { deliveries: page.map(view), ...(rows.length > limit ? { next_cursor: String(page.at(-1)!.n) } : {}) };
  }

  /** Delivers a failed (or delivered) event again, first in its conversation's line. */
  async replay(eventId: string): Promise<Result<DeliveryView>> {
    const cursor = this.ctx.storage.sql.exec("UPDATE deliveries SET status = 'pending', attempts = 0, next_at = 0 WHERE event_id = ? AND status != 'pending'", eventId);
    const row = this.ctx.storage.sql.exec<Row>("SELECT * FROM deliveries WHERE event_id = ?", eventId).toArray()[0];
    if (!row) return err(new ParleyError("not_found", "No such delivery."));
    if (cursor.rowsWritten > 0) await this.#schedule(Date.now());
    return ok(view(row));
  }

  /** Replays every failed delivery. */
  async replayFailed(): Promise<{ replayed: number }> {
    const replayed = this.ctx.storage.sql.exec("UPDATE deliveries SET status = 'pending', attempts = 0, next_at = 0 WHERE status = 'failed'").rowsWritten;
    if (replayed > 0) await this.#schedule(Date.now());
    return { replayed };
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM deliveries WHERE status = 'delivered' AND delivered_at < ?", now - KEEP_DELIVERED_MS);
    // The head of each conversation's line: its oldest pending event.
    const heads = sql.exec<Row>(
      "SELECT d.* FROM deliveries d JOIN (SELECT min(n) AS n FROM deliveries WHERE status = 'pending' GROUP BY conversation_id) h ON d.n = h.n ORDER BY d.next_at, d.n",
    ).toArray();
    const due = heads.filter((r) => r.next_at <= now).slice(0, CONCURRENCY);
    if (due.length > 0) {
      const target = await this.#targetOf();
      if (!target) {
        sql.exec("UPDATE deliveries SET status = 'failed', last_error = 'the endpoint was deleted' WHERE status = 'pending'");
      } else {
        await Promise.all(due.map((row) => this.#deliver(row, target)));
      }
    }
    const pending = sql.exec<{ n: number }>("SELECT count(*) AS n FROM deliveries WHERE status = 'pending'").one().n;
    this.#counters.gauge("webhook.backlog", pending);
    await flushCounters(this.env, this.#counters, `WebhookEndpoint:${this.#endpointId}`, "webhook");
    const next = sql.exec<{ t: number | null }>(
      "SELECT min(d.next_at) AS t FROM deliveries d JOIN (SELECT min(n) AS n FROM deliveries WHERE status = 'pending' GROUP BY conversation_id) h ON d.n = h.n",
    ).one().t;
    const wake = [next ?? undefined, this.#counters.dueAt()].filter((t): t is number => t !== undefined);
    if (wake.length > 0) await this.ctx.storage.setAlarm(Math.max(Date.now(), Math.min(...wake)));
  }

  async #deliver(row: Row, target: { url: string; secret: string }): Promise<void> {
    const attempt = row.attempts + 1;
    let status: number | undefined;
    let error: string | undefined;
    try {
      const res = await fetch(target.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Parley-Webhooks/1",
          [SIGNATURE_HEADER]: await signatureHeader(target.secret, row.body),
          "Parley-Event-Id": row.event_id,
          "Parley-Event-Type": row.type,
          "Parley-Delivery-Attempt": String(attempt),
        },
        body: row.body,
        redirect: "manual",
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      status = res.status;
      await res.body?.cancel();
      if (!res.ok) error = `answered ${res.status}`;
    } catch (e) {
      error = describeError(e).slice(0, 300);
    }
    const now = Date.now();
    if (!error) {
      this.ctx.storage.sql.exec(
        "UPDATE deliveries SET status = 'delivered', attempts = ?, last_status = ?, last_error = NULL, last_attempt_at = ?, delivered_at = ? WHERE n = ?",
        attempt, status ?? null, now, now, row.n,
      );
      this.#counters.add("webhook.delivered");
      return;
    }
    const failed = attempt >= MAX_WEBHOOK_ATTEMPTS;
    this.ctx.storage.sql.exec(
      "UPDATE deliveries SET status = ?, attempts = ?, next_at = ?, last_status = ?, last_error = ?, last_attempt_at = ? WHERE n = ?",
      failed ? "failed" : "pending", attempt, now + retryDelay(attempt), status ?? null, error, now, row.n,
    );
    this.#counters.add(failed ? "webhook.failed" : "webhook.retries");
    this.#log(failed ? "error" : "warn", failed ? "webhook.delivery_failed" : "webhook.delivery_retry", {
      event_id: row.event_id, conversation_id: row.conversation_id, attempts: attempt, status, error,
    });
  }

  async #targetOf(): Promise<{ url: string; secret: string } | undefined> {
    if (this.#target && Date.now() - this.#target.at < TARGET_TTL_MS) return this.#target;
    if (!this.#endpointId) return undefined;
    const found = await this.env.INTEGRATIONS.get(this.env.INTEGRATIONS.idFromName("global")).webhookSecret(this.#endpointId);
    this.#target = found ? { ...found, at: Date.now() } : undefined;
    return this.#target;
  }

  async #knowSelf(endpointId: string): Promise<void> {
    if (this.#endpointId === endpointId) return;
    this.#endpointId = endpointId;
    await this.ctx.storage.put("endpoint_id", endpointId);
  }

  async #schedule(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}

function view(r: Row): DeliveryView {
  const v: DeliveryView = { id: r.event_id, conversation_id: r.conversation_id, type: r.type, status: r.status, attempts: r.attempts, created_at: r.created_at };
  if (r.last_status !== null) v.last_status = r.last_status;
  if (r.last_error !== null) v.last_error = r.last_error;
  if (r.last_attempt_at !== null) v.last_attempt_at = r.last_attempt_at;
  if (r.delivered_at !== null) v.delivered_at = r.delivered_at;
  if (r.status === "pending" && r.next_at > 0) v.next_attempt_at = r.next_at;
  return v;
}
