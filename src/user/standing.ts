/**
 * A user's standing (§22.18): whether an operator suspended them, and the
 * suspension itself, which closes every socket of the user with 4003 — the
 * inbox sockets here, the conversation sockets in each conversation of the
 * inbox. The end of a login session closes that session's sockets the same
 * way, with 4101 (§22.19).
 */
import type { Conversation } from "../conversation/actor.ts";
import type { Env } from "../env.ts";
import { CloseCode, ParleyError } from "../protocol/index.ts";
import { withTimeout } from "../shared/async.ts";
import { describeError, type Logger } from "../shared/log.ts";
import type { InboxSockets } from "./inbox-sockets.ts";
import type { UserStore } from "./store.ts";

export function suspendedError(): ParleyError {
  return new ParleyError("forbidden", "This account is suspended.");
}

export class Standing {
  readonly #sql: SqlStorage;
  readonly #store: UserStore;
  readonly #sockets: InboxSockets;
  readonly #env: Env;
  readonly #log: Logger;

  constructor(sql: SqlStorage, store: UserStore, sockets: InboxSockets, env: Env, log: Logger) {
    this.#sql = sql;
    this.#store = store;
    this.#sockets = sockets;
    this.#env = env;
    this.#log = log;
  }

  /** Whether an operator suspended this user. */
  suspended(): boolean {
    return this.#row() !== undefined;
  }

  /** The user's standing as the Worker is told it. */
  view(): { suspended: boolean; suspended_at?: number; reason?: string } {
    const row = this.#row();
    return row ? { suspended: true, suspended_at: row.suspended_at, ...(row.reason ? { reason: row.reason } : {}) } : { suspended: false };
  }

  /** Suspends the user; returns how many sockets were closed. */
  async suspend(by: string, reason: string | undefined): Promise<number> {
    this.#sql.exec(
      "INSERT INTO standing (id, suspended_at, reason, suspended_by) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET suspended_at = excluded.suspended_at, reason = excluded.reason, suspended_by = excluded.suspended_by",
      Date.now(), reason ?? null, by,
    );
    let closed = 0;
    for (const [ws, st] of this.#sockets.open()) {
      this.#sockets.close(ws, st, CloseCode.FORBIDDEN, "suspended");
      closed++;
    }
    const userId = this.#store.profile()?.user_id;
    if (userId) closed += await this.#inConversations((c) => c.closeUserSockets(userId));
    this.#log("warn", "user.suspended", { suspended_by: by, sockets_closed: closed });
    return closed;
  }

  /**
   * Login sessions of the user ended (signed out from another device, or
   * revoked as a stolen token's family): their sockets close with 4101 — the
   * inbox sockets here and, unless `inboxOnly`, the conversation sockets in
   * each conversation of the inbox. Answers how many closed.
   */
  async endSessions(familyIds: string[], inboxOnly = false): Promise<number> {
    if (familyIds.length === 0) return 0;
    const ended = new Set(familyIds);
    let closed = this.#sockets.endSessions(ended);
    const userId = this.#store.profile()?.user_id;
    if (userId && !inboxOnly) closed += await this.#inConversations((c) => c.closeSessionSockets(userId, familyIds));
    this.#log("info", "session.sockets_closed", { family_ids: familyIds.join(","), sockets_closed: closed });
    return closed;
  }

  /**
   * A conversation entered the inbox. A suspension, or a login session that
   * ended within an access token's lifetime, reached only the conversations
   * the inbox listed then, and a socket may have joined this one in the
   * moments before its first inbox update: its sockets are closed now
   * (§22.18, §22.19). Undefined when there is nothing to close.
   */
  reachJoined(conversationId: string, endedSessions: () => string[]): Promise<void> | undefined {
    const userId = this.#store.profile()?.user_id;
    if (!userId) return undefined;
    const suspended = this.suspended();
    const ended = suspended ? [] : endedSessions();
    if (!suspended && ended.length === 0) return undefined;
    const stub = this.#env.CONVERSATION.get(this.#env.CONVERSATION.idFromName(conversationId));
    const call = suspended ? stub.closeUserSockets(userId) : stub.closeSessionSockets(userId, ended);
    return withTimeout(Promise.resolve(call), 5000).then(
      ({ closed }) => {
        if (closed > 0) this.#log("info", "session.sockets_closed", { conversation_id: conversationId, family_ids: ended.join(","), suspended, sockets_closed: closed });
      },
      (e: unknown) => this.#log("warn", "session.sockets_close_failed", { conversation_id: conversationId, error: describeError(e) }),
    );
  }

  /** Calls every conversation the user is a member of, 50 at a time, 5 s each at most; sums the sockets they closed. */
  async #inConversations(call: (c: DurableObjectStub<Conversation>) => PromiseLike<{ closed: number }>): Promise<number> {
    let closed = 0;
    const ids = this.#sql.exec<{ id: string }>("SELECT id FROM conversations WHERE role IS NOT NULL").toArray().map((r) => r.id);
    for (let i = 0; i < ids.length; i += 50) {
      const answers = await Promise.allSettled(ids.slice(i, i + 50).map((id) =>
        withTimeout(Promise.resolve(call(this.#env.CONVERSATION.get(this.#env.CONVERSATION.idFromName(id)))), 5000)));
      for (const a of answers) if (a.status === "fulfilled") closed += a.value.closed;
    }
    return closed;
  }

  unsuspend(by: string): void {
    this.#sql.exec("DELETE FROM standing");
    this.#log("warn", "user.unsuspended", { unsuspended_by: by });
  }

  #row(): { suspended_at: number; reason: string | null } | undefined {
    return this.#sql.exec<{ suspended_at: number; reason: string | null }>("SELECT suspended_at, reason FROM standing").toArray()[0];
  }
}
