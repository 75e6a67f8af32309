/**
 * A conversation's side of webhooks (docs/protocol.md §22.15, decision 0031).
 *
 * - **Which endpoints want which events** is kept in the conversation
 *   (`hook_state`), read from the Integrations registry when the
 *   conversation is created and then at most once a minute while it is
 *   active (from its alarm). A send in a deployment without webhooks checks a
 *   set in memory and writes nothing more.
 * - **Events** are rows of `hook_outbox`, one per event whatever the number of
 *   endpoints, written in the transaction of the change that causes them.
 * - The alarm hands them, oldest first, to each target endpoint's
 *   dispatcher actor (`WebhookEndpoint.enqueue`), which keeps them and posts
 *   them in order per conversation. A row leaves once every target has it; a
 *   dispatcher that fails is tried again with backoff, and the rows after it
 *   wait for it, so each endpoint receives a conversation's events in order.
 */
import type { WebhookTarget } from "../admin/integrations-actor.ts";
import type { WebhookEventType } from "../protocol/index.ts";
import { withTimeout } from "../shared/async.ts";
import { randomId } from "../shared/ids.ts";
import { describeError, type Logger } from "../shared/log.ts";
import type { Counters } from "../admin/metrics.ts";

/** How long a conversation trusts what it read from the registry. */
export const HOOK_TARGETS_TTL_MS = 60_000;
const FORWARD_BATCH = 100;
const FORWARD_TIMEOUT_MS = 10_000;

export interface HookEventRow {
  n: number;
  event_id: string;
  body: string;
  targets: string;
  attempts: number;
  next_at: number;
  [key: string]: SqlStorageValue;
}

export interface HookDeps {
  /** The registry's current targets. */
  fetchTargets(): Promise<WebhookTarget[]>;
  /** Hands events (in order) to an endpoint's dispatcher. */
  forward(endpointId: string, conversationId: string, events: Array<{ id: string; body: string }>): Promise<unknown>;
  /** Whether the conversation exists (and so its tables). */
  exists(): boolean;
  /** Runs writes as one transaction (ConversationStore.transaction). */
  transaction(body: () => void): void;
  log: Logger;
  counters: Counters;
}

export class ConversationHooks {
  readonly #sql: SqlStorage;
  readonly #deps: HookDeps;
  #byType = new Map<WebhookEventType, string[]>();
  #targets: WebhookTarget[] = [];
  #checkedAt = 0;
  #loaded = false;
  #refreshing: Promise<void> | undefined;

  constructor(sql: SqlStorage, deps: HookDeps) {
    this.#sql = sql;
    this.#deps = deps;
  }

  /** Reads the kept targets (the conversation exists, so its schema does). */
  load(): void {
    if (this.#loaded) return;
    this.#loaded = true;
    const row = this.#sql.exec<{ targets: string; checked_at: number }>("SELECT targets, checked_at FROM hook_state").toArray()[0];
    if (row) this.#apply(JSON.parse(row.targets) as WebhookTarget[], row.checked_at);
  }

  /** Endpoint ids that want `type`; empty in a deployment without webhooks. */
  wants(type: WebhookEventType): readonly string[] {
    return this.#byType.get(type) ?? [];
  }

  get stale(): boolean {
    return Date.now() - this.#checkedAt >= HOOK_TARGETS_TTL_MS;
  }

  /** Asks the registry again when what is kept is older than HOOK_TARGETS_TTL_MS (or `force`). A failure keeps the old targets. */
  async refresh(force = false): Promise<void> {
    if (this.#deps.exists()) this.load();
    if (!force && !this.stale) return;
    this.#refreshing ??= (async () => {
      try {
        const targets = await withTimeout(this.#deps.fetchTargets(), FORWARD_TIMEOUT_MS);
        this.#apply(targets, Date.now());
        // A conversation not created yet has no tables: create() keeps them with its first write.
        if (this.#deps.exists()) this.keep();
      } catch (e) {
        this.#deps.log("warn", "webhook.targets_failed", { error: describeError(e) });
      } finally {
        this.#refreshing = undefined;
      }
    })();
    await this.#refreshing;
  }

  /** Stores the targets in memory (inside the creation's transaction, or after a refresh). */
  keep(): void {
    this.#sql.exec(
      "INSERT INTO hook_state (id, targets, checked_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET targets = excluded.targets, checked_at = excluded.checked_at",
      JSON.stringify(this.#targets), this.#checkedAt,
    );
    this.#loaded = true;
  }

  /** Records an event for the endpoints that want it; call inside the transaction of the change. Returns whether a row was written. */
  record(type: WebhookEventType, conversationId: string, data: Record<string, unknown>, now = Date.now()): boolean {
    const targets = this.wants(type);
    if (targets.length === 0) return false;
    const id = randomId("ev_", 20);
    const body = JSON.stringify({ id, type, created_at: now, conversation_id: conversationId, data });
    this.#sql.exec("INSERT INTO hook_outbox (event_id, body, targets) VALUES (?, ?, ?)", id, body, JSON.stringify(targets));
    return true;
  }

  nextAt(): number | undefined {
    return this.#sql.exec<{ t: number | null }>("SELECT min(next_at) AS t FROM hook_outbox").one().t ?? undefined;
  }

  backlog(): number {
    return this.#sql.exec<{ n: number }>("SELECT count(*) AS n FROM hook_outbox").one().n;
  }

  /**
   * Hands due events to their endpoints' dispatchers, oldest first. For each
   * endpoint, the events go in one call, in order; if an endpoint's call
   * fails, none of its later events go before its earlier ones do.
   */
  async forward(conversationId: string, now: number): Promise<void> {
    const rows = this.#sql.exec<HookEventRow>("SELECT * FROM hook_outbox ORDER BY n LIMIT ?", FORWARD_BATCH).toArray();
    if (rows.length === 0) return;
    // An endpoint whose oldest pending row is waiting for a retry waits as a whole.
    const perEndpoint = new Map<string, HookEventRow[]>();
    const blocked = new Set<string>();
    for (const row of rows) {
      for (const target of JSON.parse(row.targets) as string[]) {
        if (blocked.has(target)) continue;
        if (row.next_at > now) {
          blocked.add(target);
          continue;
        }
        let list = perEndpoint.get(target);
        if (!list) perEndpoint.set(target, (list = []));
        list.push(row);
      }
    }
    const endpoints = [...perEndpoint.keys()];
    const results = await Promise.allSettled(endpoints.map((id) =>
      withTimeout(this.#deps.forward(id, conversationId, perEndpoint.get(id)!.map((r) => ({ id: r.event_id, body: r.body }))), FORWARD_TIMEOUT_MS)));
    const done = new Map<number, Set<string>>();
    const failed = new Set<number>();
    results.forEach((r, i) => {
      const id = endpoints[i]!;
      for (const row of perEndpoint.get(id)!) {
        if (r.status === "fulfilled") {
          let set = done.get(row.n);
          if (!set) done.set(row.n, (set = new Set()));
          set.add(id);
        } else failed.add(row.n);
      }
      if (r.status === "rejected") {
        this.#deps.counters.add("webhook.forward_failures");
        this.#deps.log("warn", "webhook.forward_failed", { webhook_id: id, error: describeError(r.reason) });
      }
    });
    this.#deps.transaction(() => {
      for (const row of rows) {
        const handed = done.get(row.n);
        const left = (JSON.parse(row.targets) as string[]).filter((t) => !handed?.has(t));
        if (left.length === 0) this.#sql.exec("DELETE FROM hook_outbox WHERE n = ?", row.n);
        else if (handed || failed.has(row.n)) {
          const attempts = failed.has(row.n) ? row.attempts + 1 : row.attempts;
          const nextAt = failed.has(row.n) ? Date.now() + Math.min(300_000, 1000 * 2 ** Math.min(attempts, 8)) : row.next_at;
          this.#sql.exec("UPDATE hook_outbox SET targets = ?, attempts = ?, next_at = ? WHERE n = ?", JSON.stringify(left), attempts, nextAt, row.n);
        }
      }
    });
  }

  #apply(targets: WebhookTarget[], checkedAt: number): void {
    const byType = new Map<WebhookEventType, string[]>();
    for (const t of targets) {
      for (const type of t.events) {
        let list = byType.get(type);
        if (!list) byType.set(type, (list = []));
        list.push(t.id);
      }
    }
    this.#byType = byType;
    this.#targets = targets;
    this.#checkedAt = checkedAt;
  }
}
