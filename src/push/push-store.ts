/**
 * A user's web push (§22.16, decision 0032), kept by their User actor: the
 * subscriptions of their browsers (at most MAX_PUSH_SUBSCRIPTIONS; a new one
 * past the cap replaces the oldest) and the pushes owed to them, one row per
 * subscription, sent from the actor's alarm. A push service's 404 or 410
 * means the subscription is gone: it is deleted with its pushes. A 429, a
 * 5xx or no answer is retried with backoff, up to MAX_PUSH_ATTEMPTS.
 */
import type { Counters } from "../shared/counters.ts";
import { MAX_PUSH_SUBSCRIPTIONS, type PushPayload } from "../protocol/index.ts";
import { describeError, type Logger } from "../shared/log.ts";
import { b64urlDecode, encryptPush, vapidAuthorization, type VapidKeys } from "./webpush.ts";

export const MAX_PUSH_ATTEMPTS = 5;
const PUSH_TIMEOUT_MS = 10_000;
/** How long a push service keeps a message for an offline browser (seconds). */
const PUSH_TTL_S = 24 * 3600;

interface OutRow {
  id: number;
  endpoint: string;
  payload: string;
  attempts: number;
  [key: string]: SqlStorageValue;
}

interface SubRow {
  endpoint: string;
  p256dh: string;
  auth: string;
  [key: string]: SqlStorageValue;
}

export class PushStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  subscribe(endpoint: string, p256dh: string, auth: string, now: number): { replaced?: string } {
    const exists = this.#sql.exec("SELECT 1 FROM push_subscriptions WHERE endpoint = ?", endpoint).toArray().length > 0;
    let replaced: string | undefined;
    if (!exists && this.count() >= MAX_PUSH_SUBSCRIPTIONS) {
      replaced = this.#sql.exec<{ endpoint: string }>("SELECT endpoint FROM push_subscriptions ORDER BY created_at, endpoint LIMIT 1").one().endpoint;
      this.unsubscribe(replaced);
    }
    this.#sql.exec(
      "INSERT INTO push_subscriptions (endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth",
      endpoint, p256dh, auth, now,
    );
    return replaced ? { replaced } : {};
  }

  unsubscribe(endpoint: string): boolean {
    this.#sql.exec("DELETE FROM push_outbox WHERE endpoint = ?", endpoint);
    return this.#sql.exec("DELETE FROM push_subscriptions WHERE endpoint = ?", endpoint).rowsWritten > 0;
  }

  count(): number {
    return this.#sql.exec<{ n: number }>("SELECT count(*) AS n FROM push_subscriptions").one().n;
  }

  /** Owes `payload` to every subscription; returns how many. */
  enqueue(payload: PushPayload): number {
    return this.#sql.exec("INSERT INTO push_outbox (endpoint, payload) SELECT endpoint, ? FROM push_subscriptions", JSON.stringify(payload)).rowsWritten;
  }

  nextAt(): number | undefined {
    return this.#sql.exec<{ t: number | null }>("SELECT min(next_at) AS t FROM push_outbox").one().t ?? undefined;
  }

  backlog(): number {
    return this.#sql.exec<{ n: number }>("SELECT count(*) AS n FROM push_outbox").one().n;
  }

  /** Sends due pushes (at most 20 per run). Without VAPID keys, owed pushes are dropped: push is off. */
  async deliver(vapid: VapidKeys | undefined, now: number, counters: Counters, log: Logger): Promise<void> {
    const rows = this.#sql.exec<OutRow>("SELECT id, endpoint, payload, attempts FROM push_outbox WHERE next_at <= ? ORDER BY id LIMIT 20", now).toArray();
    if (rows.length === 0) return;
    if (!vapid) {
      this.#sql.exec("DELETE FROM push_outbox");
      return;
    }
    await Promise.all(rows.map(async (row) => {
      const sub = this.#sql.exec<SubRow>("SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE endpoint = ?", row.endpoint).toArray()[0];
      if (!sub) return void this.#sql.exec("DELETE FROM push_outbox WHERE id = ?", row.id);
      let status: number | undefined;
      let error: string | undefined;
      try {
        const body = await encryptPush(new TextEncoder().encode(row.payload), b64urlDecode(sub.p256dh), b64urlDecode(sub.auth));
        const res = await fetch(sub.endpoint, {
          method: "POST",
          headers: {
            "content-type": "application/octet-stream",
            "content-encoding": "aes128gcm",
            ttl: String(PUSH_TTL_S),
            urgency: "high",
            authorization: await vapidAuthorization(sub.endpoint, vapid),
          },
          body,
          redirect: "manual",
          signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
        });
        status = res.status;
        await res.body?.cancel();
      } catch (e) {
        error = describeError(e).slice(0, 200);
      }
      if (status !== undefined && status >= 200 && status < 300) {
        counters.add("push.sent");
        return void this.#sql.exec("DELETE FROM push_outbox WHERE id = ?", row.id);
      }
      if (status === 404 || status === 410) {
        counters.add("push.subscriptions_removed");
        log("info", "push.subscription_gone", { status });
        return void this.unsubscribe(sub.endpoint);
      }
      const retryable = status === undefined || status === 429 || status >= 500;
      const attempts = row.attempts + 1;
      if (!retryable || attempts >= MAX_PUSH_ATTEMPTS) {
        counters.add("push.failed");
        log("warn", "push.failed", { status, error, attempts });
        return void this.#sql.exec("DELETE FROM push_outbox WHERE id = ?", row.id);
      }
      counters.add("push.retries");
      this.#sql.exec("UPDATE push_outbox SET attempts = ?, next_at = ? WHERE id = ?", attempts, Date.now() + Math.min(300_000, 1000 * 2 ** attempts), row.id);
    }));
  }
}
