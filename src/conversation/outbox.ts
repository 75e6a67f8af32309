import type { InboxUpdate, Notification } from "../protocol/index.ts";
import type { Result } from "../shared/result.ts";
import { describeError } from "../shared/log.ts";
import type { ConversationStore } from "./store.ts";

/** Rows delivered per alarm run. */
const BATCH = 100;
/** Retry delay after a failed delivery: 1 s doubling to 5 min, with full jitter. */
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 5 * 60_000;

/** A delivery that takes longer counts as failed (and is retried): one stuck receiver must not hold the rest. */
export const DELIVERY_TIMEOUT_MS = 10_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

export function retryDelay(attempts: number, random = Math.random()): number {
  const cap = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempts, 20));
  return Math.max(RETRY_BASE_MS / 2, Math.floor(cap * random));
}

/**
 * Delivers the outbox: for each member marked dirty, the conversation as
 * they see it now, by RPC to their User actor. A row is deleted only when
 * its version was delivered; a failure leaves it for a later alarm, so an
 * update is never lost, and the receiver's max-wins on `version` makes
 * repeats and reordering harmless.
 */
export async function deliverOutbox(
  store: ConversationStore,
  deliver: (userId: string, update: InboxUpdate) => Promise<void>,
  onError: (userId: string, attempts: number, error: string) => void,
  fanoutMax: number,
): Promise<void> {
  const now = Date.now();
  const rows = store.dueOutbox(now, BATCH);
  // Built synchronously, before any await: each update is a consistent snapshot.
  const jobs = rows.map((row) => ({ row, update: store.inboxUpdate(row.user_id, fanoutMax) }));
  const results = await Promise.allSettled(jobs.map((j) => withTimeout(deliver(j.row.user_id, j.update), DELIVERY_TIMEOUT_MS)));
  results.forEach((result, i) => {
    const { row } = jobs[i]!;
    if (result.status === "fulfilled") {
      store.outboxDelivered(row.user_id, row.version);
    } else {
      const attempts = row.attempts + 1;
      store.outboxFailed(row.user_id, row.version, attempts, Date.now() + retryDelay(attempts));
      onError(row.user_id, attempts, describeError(result.reason));
    }
  });
}

/**
 * Delivers owed notifications the same way: deleted once the User actor has
 * it (its `notify` is idempotent by id), kept and retried when the call
 * fails. A refusal the receiver reports as an error (a malformed
 * notification) is dropped and logged: retrying cannot fix it.
 */
export async function deliverNotifications(
  store: ConversationStore,
  conversationId: string,
  notify: (userId: string, n: Notification) => Promise<Result<unknown>>,
  onError: (userId: string, attempts: number, error: string) => void,
): Promise<void> {
  const rows = store.dueNotifications(Date.now(), BATCH);
  const results = await Promise.allSettled(
    rows.map((r) =>
      withTimeout(notify(r.user_id, { id: r.id, kind: r.kind, conversation_id: conversationId, seq: r.seq, created_at: r.created_at }), DELIVERY_TIMEOUT_MS),
    ),
  );
  results.forEach((result, i) => {
    const row = rows[i]!;
    if (result.status === "fulfilled") {
      if (!result.value.ok) onError(row.user_id, row.attempts + 1, `refused: ${result.value.error.message}`);
      store.notificationDone(row.user_id, row.id);
    } else {
      const attempts = row.attempts + 1;
      store.notificationFailed(row.user_id, row.id, attempts, Date.now() + retryDelay(attempts));
      onError(row.user_id, attempts, describeError(result.reason));
    }
  });
}
