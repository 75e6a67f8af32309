/**
 * How a conversation's changes reach its members' User actors (their
 * inboxes: unread counts, previews, order, presence contacts) and their
 * notifications, durably and at a cost that does not grow with the message
 * rate.
 *
 * - Changes for everyone (a message, a title, the member list) write no
 *   per-member row. A **broadcast sweep** sends every member the
 *   conversation as they see it now, at most once per `sweepInterval` (one
 *   second for small rooms, longer for large ones), the first one
 *   `INBOX_COALESCE_MS` after a quiet spell. A hot conversation therefore
 *   costs each member's actor one RPC per interval, whatever the message
 *   rate. The sweep records what it delivered (`ConversationStore.sweptTo`);
 *   an actor that stops mid-sweep sweeps again when it starts, and receivers
 *   apply max-wins on `version`, so a repeat is harmless.
 * - Changes for one member (their read watermark, a block, their removal)
 *   and failed sweep deliveries are **outbox rows** (outbox-store.ts),
 *   retried with capped exponential backoff; a member whose receiver keeps
 *   failing is skipped by sweeps while its row waits, so a busy
 *   conversation does not hammer it.
 * - **Notifications** are rows written with the message that causes them.
 *
 * Every delivery runs from the actor's alarm (socket-actor.ts schedules it).
 */
import type { InboxUpdate, NotificationDelivery } from "../protocol/index.ts";
import { withTimeout } from "../shared/async.ts";
import { describeError, type Logger } from "../shared/log.ts";
import type { Result } from "../shared/result.ts";
import { LARGE_ROOM_MEMBERS, PRESENCE_FANOUT_MAX_MEMBERS } from "./members.ts";
import type { OutboxStore } from "./outbox-store.ts";
import type { ConversationStore } from "./store.ts";
import { excerpt } from "./messages.ts";

/** After a quiet spell, how long the first change waits, so that a burst travels as one update. */
export const INBOX_COALESCE_MS = 250;
/** Least time between two broadcast sweeps; large rooms wait longer (sweepInterval). */
export const SWEEP_MIN_INTERVAL_MS = 2000;
export const SWEEP_MS_PER_MEMBER = 10;
export const SWEEP_MAX_INTERVAL_MS = 60_000;
/**
 * A sweep of more than one chunk spreads its chunks over half its interval
 * instead of sending them back to back: every delivery makes the receiving
 * actor commit a write, and a thousand commits in one burst would hold up
 * whatever shares their thread or their disk (under `wrangler dev`, every
 * actor shares one thread) for as long as they take.
 */
export const SWEEP_CHUNK = 10;
/** Deliveries in flight at once, and rows taken per alarm run. */
const CONCURRENCY = 100;
/**
 * How long a member's inbox watch of a large conversation lasts: the User
 * actor renews it every minute while an inbox socket is open (user/actor.ts).
 */
export const WATCH_TTL_MS = 150_000;
/** Retry delay after a failed delivery: 1 s doubling to 5 min, with full jitter. */
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 5 * 60_000;
/** A delivery that takes longer counts as failed (and is retried): one stuck receiver must not hold the rest. */
export const DELIVERY_TIMEOUT_MS = 10_000;

export function retryDelay(attempts: number, random = Math.random()): number {
  const cap = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempts, 20));
  return Math.max(RETRY_BASE_MS / 2, Math.floor(cap * random));
}

/** Least time between two broadcast sweeps of a conversation of `members`: 2 s, or 10 ms a member when that is longer, at most 60 s. */
export function sweepInterval(members: number): number {
  return Math.min(SWEEP_MAX_INTERVAL_MS, Math.max(SWEEP_MIN_INTERVAL_MS, members * SWEEP_MS_PER_MEMBER));
}

/** When the next sweep runs, given a change at `now` and the start of the previous sweep. */
export function sweepDueAt(now: number, lastSweepAt: number | undefined, members: number): number {
  const coalesced = now + INBOX_COALESCE_MS;
  return lastSweepAt === undefined ? coalesced : Math.max(coalesced, lastSweepAt + sweepInterval(members));
}

export interface FanoutDeps {
  deliver(userId: string, update: InboxUpdate): Promise<void>;
  notify(userId: string, n: NotificationDelivery): Promise<Result<unknown>>;
  log: Logger;
}

export class InboxFanout {
  readonly #store: ConversationStore;
  readonly #outbox: OutboxStore;
  readonly #deps: FanoutDeps;
  #lastSweepAt: number | undefined;
  /** When the pending sweep is due (undefined: none pending). */
  #sweepDue: number | undefined;
  #sweeping = false;
  /** Members of a large conversation whose inbox socket is open, and until when (in memory: a lost watch costs a stale preview until renewed). */
  readonly #watchers = new Map<string, number>();

  constructor(store: ConversationStore, outbox: OutboxStore, deps: FanoutDeps) {
    this.#store = store;
    this.#outbox = outbox;
    this.#deps = deps;
  }

  /** At start: a sweep the last run of the actor owed but did not finish is due at once. */
  resume(now: number): number | undefined {
    if (this.#store.meta && this.#store.behind) this.#sweepDue = now;
    return this.due();
  }

  /** A change every member must learn happened at `now`; returns when the sweep is due. */
  changed(now: number): number {
    const large = this.#store.memberCount > LARGE_ROOM_MEMBERS && !this.#store.broadcastPending;
    this.#sweepDue ??= sweepDueAt(now, this.#lastSweepAt, large ? this.#watchers.size : this.#store.memberCount);
    return this.#sweepDue;
  }

  /** A member's open inbox wants this large conversation's messages pushed for a while (WATCH_TTL_MS). */
  watch(userId: string, now: number): void {
    this.#watchers.set(userId, now + WATCH_TTL_MS);
  }

  /** The conversation as `userId`'s inbox shows it now: what a User actor pulls for a large conversation. */
  view(userId: string): InboxUpdate {
    return this.#store.inboxUpdate(userId, PRESENCE_FANOUT_MAX_MEMBERS, LARGE_ROOM_MEMBERS);
  }

  /** A change for these members only: their outbox rows owe them the new version, due at `dueAt`. */
  owe(userIds: Iterable<string>, dueAt: number): void {
    this.#outbox.owe(userIds, this.#store.bumpVersion(false), dueAt);
  }

  /** When the alarm must next run for deliveries, if at all. */
  due(): number | undefined {
    // A conversation not created yet has no outbox rows, and maybe no schema (store.ts creates it on the first write).
    const rows = this.#store.meta ? this.#outbox.nextAt() : undefined;
    if (this.#sweepDue === undefined) return rows;
    return rows === undefined ? this.#sweepDue : Math.min(rows, this.#sweepDue);
  }

  /** The alarm's delivery work: the sweep if due, then due outbox rows, then due notifications. */
  async run(now: number): Promise<void> {
    if (!this.#store.meta) return;
    if (this.#sweepDue !== undefined && this.#sweepDue <= now && !this.#sweeping) await this.#sweep(now);
    await this.#deliverRows();
    await this.#deliverNotifications();
  }

  async #sweep(now: number): Promise<void> {
    this.#sweeping = true;
    this.#lastSweepAt = now;
    this.#sweepDue = undefined;
    const target = { version: this.#store.version, seq: this.#store.lastSeq };
    try {
      const rows = new Map(this.#outbox.all().map((r) => [r.user_id, r]));
      // A member whose receiver is failing waits for its own retry.
      const ids = this.#recipients(now).filter((id) => {
        const row = rows.get(id);
        return !(row && row.attempts > 0 && row.next_at > now);
      });
      const failed: Array<{ id: string; version: number; error: string }> = [];
      const delivered: Array<{ id: string; version: number }> = [];
      const chunks = Math.ceil(ids.length / SWEEP_CHUNK);
      const gapMs = chunks > 1 ? sweepInterval(ids.length) / 2 / chunks : 0;
      for (let i = 0; i < ids.length; i += SWEEP_CHUNK) {
        const chunkStart = Date.now();
        // Members who left meanwhile are skipped: their own row tells them.
        const chunk = ids.slice(i, i + SWEEP_CHUNK).filter((id) => this.#store.member(id));
        // Built synchronously, before any await: each update is a consistent snapshot.
        const jobs = chunk.map((id) => ({ id, update: this.view(id) }));
        const results = await Promise.allSettled(jobs.map((j) => withTimeout(this.#deps.deliver(j.id, j.update), DELIVERY_TIMEOUT_MS)));
        results.forEach((r, k) => {
          const { id, update } = jobs[k]!;
          if (r.status === "fulfilled") delivered.push({ id, version: update.version });
          else failed.push({ id, version: update.version, error: describeError(r.reason) });
        });
        const rest = gapMs - (Date.now() - chunkStart);
        if (i + SWEEP_CHUNK < ids.length && rest > 0) await new Promise((r) => setTimeout(r, rest));
      }
      this.#store.transaction(() => {
        for (const d of delivered) if (rows.has(d.id)) this.#outbox.delivered(d.id, d.version);
        for (const f of failed) {
          const attempts = (rows.get(f.id)?.attempts ?? 0) + 1;
          this.#outbox.failed(f.id, f.version, attempts, Date.now() + retryDelay(attempts));
        }
        this.#store.sweptTo(target.version, target.seq);
      });
      for (const f of failed) this.#deps.log("warn", "outbox.delivery_failed", { target_id: f.id, error: f.error });
      this.#deps.log("debug", "fanout.swept", { members: ids.length, failed: failed.length, version: target.version });
    } finally {
      this.#sweeping = false;
      // Changes that came in during the sweep wait for the next interval.
      if (this.#store.behind) this.changed(Date.now());
    }
  }

  /**
   * Who a sweep reaches. Every member, for a small conversation and for a
   * change other than messages (a title, the member list: it also tells a
   * conversation that has grown large that it is). For messages in a large
   * conversation, only the members watching it: the others' User actors pull
   * it when they list the inbox, so a message costs nothing per member.
   */
  #recipients(now: number): string[] {
    if (this.#store.memberCount <= LARGE_ROOM_MEMBERS || this.#store.broadcastPending) return [...this.#store.memberIds()];
    const ids: string[] = [];
    for (const [id, until] of this.#watchers) {
      if (until <= now || !this.#store.member(id)) this.#watchers.delete(id);
      else ids.push(id);
    }
    return ids;
  }

  /**
   * Delivers due outbox rows: each member the conversation as they see it
   * now. A row is deleted only when its version was delivered; a failure
   * leaves it for a later run with backoff, so an update is never lost.
   */
  async #deliverRows(): Promise<void> {
    const rows = this.#outbox.due(Date.now(), CONCURRENCY);
    if (rows.length === 0) return;
    const jobs = rows.map((row) => ({ row, update: this.view(row.user_id) }));
    const results = await Promise.allSettled(jobs.map((j) => withTimeout(this.#deps.deliver(j.row.user_id, j.update), DELIVERY_TIMEOUT_MS)));
    this.#store.transaction(() => {
      results.forEach((result, i) => {
        const { row, update } = jobs[i]!;
        if (result.status === "fulfilled") {
          this.#outbox.delivered(row.user_id, update.version);
        } else {
          const attempts = row.attempts + 1;
          this.#outbox.failed(row.user_id, row.version, attempts, Date.now() + retryDelay(attempts));
          this.#deps.log("warn", "outbox.delivery_failed", { target_id: row.user_id, attempts, error: describeError(result.reason) });
        }
      });
    });
  }

  /** Who sent message `seq` and how it starts, for a web push (§22.16): read at delivery, not stored with the row. */
  #preview(seq: number): { sender_name?: string; excerpt?: string } {
    const m = this.#store.messageAt(seq);
    if (!m || m.deleted_at !== undefined) return {};
    const name = this.#store.member(m.sender_id)?.username;
    return { ...(name ? { sender_name: name } : {}), excerpt: excerpt(m.body) };
  }

  /**
   * Delivers owed notifications the same way: deleted once the User actor has
   * it (its `notify` is idempotent by id), kept and retried when the call
   * fails. A refusal the receiver reports as an error (a malformed
   * notification) is dropped and logged: retrying cannot fix it. Each carries
   * who caused it, so the receiver can drop those of people blocked either
   * way.
   */
  async #deliverNotifications(): Promise<void> {
    const conversationId = this.#store.meta!.conversationId;
    const rows = this.#outbox.dueNotifications(Date.now(), CONCURRENCY);
    if (rows.length === 0) return;
    const results = await Promise.allSettled(
      rows.map((r) =>
        withTimeout(this.#deps.notify(r.user_id, {
          id: r.id, kind: r.kind, conversation_id: conversationId, seq: r.seq, created_at: r.created_at,
          ...(r.caused_by !== null ? { caused_by: r.caused_by } : {}),
          ...(r.kind !== "added" ? this.#preview(r.seq) : {}),
        }), DELIVERY_TIMEOUT_MS),
      ),
    );
    this.#store.transaction(() => {
      results.forEach((result, i) => {
        const row = rows[i]!;
        if (result.status === "fulfilled") {
          if (!result.value.ok) this.#deps.log("warn", "notification.delivery_failed", { target_id: row.user_id, attempts: row.attempts + 1, error: `refused: ${result.value.error.message}` });
          this.#outbox.notificationDone(row.user_id, row.id);
        } else {
          const attempts = row.attempts + 1;
          this.#outbox.notificationFailed(row.user_id, row.id, attempts, Date.now() + retryDelay(attempts));
          this.#deps.log("warn", "notification.delivery_failed", { target_id: row.user_id, attempts, error: describeError(result.reason) });
        }
      });
    });
  }
}
