import type { Env } from "../env.ts";
import type { SettablePresence } from "../protocol/index.ts";
import { describeError, type LogFields } from "../shared/log.ts";
import { encodeInbox, sendText, type InboxSockets } from "./inbox-sockets.ts";
import type { Status, UserStore } from "./store.ts";

/**
 * How long a change of the user's own status waits before their contacts
 * hear it. Changes inside the window travel as one report of the status at
 * its end, and a change reversed inside it (a page reload's offline and
 * online, a flurry of `presence.set`) goes nowhere.
 */
export const PRESENCE_COALESCE_MS = 1000;

/**
 * The user's presence and that of their contacts.
 *
 * The user is online while they have an inbox socket past `hello` (status
 * from `presence.set`, `online` by default) and offline, with
 * `last_seen_at`, once the last one closes. Each change is told, by RPC
 * (`User.presenceChanged`), to the User actor of every contact: the members
 * of the conversations whose updates carried `member_ids`, except people
 * blocked either way. The fan-out waits PRESENCE_COALESCE_MS and sends only
 * the status the window ended with, when it differs from what the contacts
 * last heard. Those actors keep the last report of each contact (so a socket
 * opened later learns who is online) and forward it to their own inbox
 * sockets.
 */
export class Presence {
  readonly #store: UserStore;
  readonly #sockets: InboxSockets;
  readonly #env: Env;
  readonly #log: (level: "info" | "warn" | "error", event: string, fields: LogFields) => void;
  /**
   * What the contacts last heard. In memory: a new instance assumes they
   * heard the stored status (a fan-out lost to an eviction inside the window
   * costs a stale dot until the next change, as any missed report does).
   */
  #announced: Status;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #selfId: string | undefined;

  constructor(
    store: UserStore,
    sockets: InboxSockets,
    env: Env,
    logger: (level: "info" | "warn" | "error", event: string, fields: LogFields) => void,
  ) {
    this.#store = store;
    this.#sockets = sockets;
    this.#env = env;
    this.#log = logger;
    this.#announced = store.presence().status;
  }

  /** A socket became ready: the user comes online unless they already are. */
  connected(selfId: string, now: number): void {
    if (this.#store.presence().status !== "offline") return;
    this.#change(selfId, "online", null, now);
  }

  /** `presence.set`: stores and announces a change; the user's own sockets hear it too. */
  set(selfId: string, status: SettablePresence, now: number, requester: { ws: WebSocket; rid?: string }): void {
    if (this.#store.presence().status !== status) this.#change(selfId, status, null, now);
    this.#sockets.broadcast("presence", { user_id: selfId, status }, requester);
  }

  /** The last ready socket went away (or the actor found none after a restart). */
  disconnected(selfId: string, now: number): void {
    if (this.#store.presence().status === "offline") return;
    this.#change(selfId, "offline", now, now);
  }

  /** What a new ready socket learns after `inbox.snapshot`: contacts who are not offline, and a non-default own status. */
  replay(ws: WebSocket, selfId: string): void {
    const own = this.#store.presence().status;
    if (own === "away" || own === "busy") sendText(ws, encodeInbox("presence", { user_id: selfId, status: own }));
    for (const c of this.#store.onlineContacts()) {
      sendText(ws, encodeInbox("presence", { user_id: c.user_id, status: c.status }));
    }
  }

  /** A contact's User actor reports a change; reports of strangers, of people blocked either way and stale reports are dropped. */
  received(userId: string, status: Status, lastSeenAt: number | undefined, at: number): void {
    if (!this.#store.isContact(userId)) return;
    if (!this.#store.setContactPresence(userId, status, lastSeenAt ?? null, at)) return;
    this.#sockets.broadcast("presence", {
      user_id: userId,
      status,
      ...(status === "offline" && lastSeenAt !== undefined ? { last_seen_at: lastSeenAt } : {}),
    });
  }

  /**
   * A block between the user and `otherId` was placed: the user's sockets
   * stop showing them (an `offline` without `last_seen_at` if they showed
   * them present), and nothing passes between the two from now on.
   */
  blocked(otherId: string): void {
    if (this.#store.forgetContactPresence(otherId)) this.#sockets.broadcast("presence", { user_id: otherId, status: "offline" });
  }

  /** Tells one contact the user's current status (after an unblock, which they heard nothing of). */
  announceTo(selfId: string, otherId: string): void {
    if (!this.#store.isContact(otherId)) return;
    const p = this.#store.presence();
    this.#fanout(selfId, [otherId], p.status, p.last_seen_at, p.changed_at);
  }

  #change(selfId: string, status: Status, lastSeenAt: number | null, now: number): void {
    this.#store.setPresence(status, lastSeenAt, now);
    this.#selfId = selfId;
    // A timer, not the alarm: a lost fan-out costs a stale dot, and the timer
    // keeps the actor awake for at most the window.
    this.#flushTimer ??= setTimeout(() => this.flush(), PRESENCE_COALESCE_MS);
  }

  /** Sends the contacts the status the window ended with, if it is not what they last heard. */
  flush(): void {
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const p = this.#store.presence();
    if (this.#selfId === undefined || p.status === this.#announced) return;
    this.#announced = p.status;
    this.#fanout(this.#selfId, this.#store.contacts(this.#selfId), p.status, p.last_seen_at, p.changed_at);
  }

  #fanout(selfId: string, contacts: string[], status: Status, lastSeenAt: number | null, at: number): void {
    if (contacts.length === 0) return;
    // Fire and forget: presence is best effort, and a contact whose actor
    // missed a report is corrected by the next one. The promises keep this
    // actor awake until they settle.
    const calls = contacts.map((id) =>
      this.#env.USER.get(this.#env.USER.idFromName(id)).presenceChanged(selfId, status, lastSeenAt ?? undefined, at),
    );
    void Promise.allSettled(calls).then((results) => {
      const failed = results.filter((r) => r.status === "rejected");
      if (failed.length > 0) {
        this.#log("warn", "presence.fanout_failed", {
          user_id: selfId, status, failed: failed.length, of: contacts.length,
          error: describeError((failed[0] as PromiseRejectedResult).reason),
        });
      }
    });
  }
}
