import type { Env } from "../env.ts";
import { MAX_SNAPSHOT_PRESENCE, type ContactPresence, type SettablePresence } from "../protocol/index.ts";
import { describeError, type LogFields } from "../shared/log.ts";
import { encodeInbox, sendText, type InboxSockets } from "./inbox-sockets.ts";
import type { PresenceRecord, Status, UserStore } from "./store.ts";

/**
 * How long a change of the user's own status waits before their contacts
 * hear it. Changes inside the window travel as one report of the status at
 * its end, and a change reversed inside it (a flurry of `presence.set`) goes
 * nowhere.
 */
export const PRESENCE_COALESCE_MS = 1000;

/** What a user's contacts may know of them: their status and, when offline, since when. */
export interface VisiblePresence {
  presence?: Status;
  last_seen_at?: number;
}

/**
 * The user's presence and that of their contacts.
 *
 * The user is online while they have an inbox socket past `hello` (status
 * from `presence.set`, `online` by default) and offline, with
 * `last_seen_at`, once the last one closed and `PRESENCE_OFFLINE_DELAY_MS`
 * (10 s) passed without a new one: the last close only marks the time the
 * user left and sets the actor's alarm; a socket within the delay (a page
 * reload) clears the mark, and the contacts hear nothing at all; the alarm
 * past it makes the user offline, seen last when they left (decision 0029).
 * The mark is stored, so an actor evicted in between still goes offline on
 * time.
 *
 * Each change is told, by RPC (`User.presenceChanged`), to the User actor
 * of every contact: the members of the conversations whose updates carried
 * `member_ids`, except people blocked either way. The fan-out waits
 * PRESENCE_COALESCE_MS and sends only the status the window ended with, when
 * it differs from what the contacts last heard. A user who does not share
 * their presence (`share_presence: false`) is reported to everyone as
 * `offline` without `last_seen_at`, once, and then not at all. Contacts'
 * actors keep the last report of each contact (so a socket opened later
 * learns who is online, and since when the others are away) and forward it
 * to their own inbox sockets.
 */
export class Presence {
  readonly #store: UserStore;
  readonly #sockets: InboxSockets;
  readonly #env: Env;
  readonly #log: (level: "info" | "warn" | "error", event: string, fields: LogFields) => void;
  readonly #offlineDelayMs: number;
  readonly #schedule: (at: number) => void;
  /**
   * What the contacts last heard: a status, or "hidden" (not shared). In
   * memory: a new instance assumes they heard the stored state (a fan-out
   * lost to an eviction inside the window costs a stale dot until the next
   * change, as any missed report does).
   */
  #announced: Status | "hidden";
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #selfId: string | undefined;

  constructor(
    store: UserStore,
    sockets: InboxSockets,
    env: Env,
    logger: (level: "info" | "warn" | "error", event: string, fields: LogFields) => void,
    options: { offlineDelayMs: number; schedule: (at: number) => void },
  ) {
    this.#store = store;
    this.#sockets = sockets;
    this.#env = env;
    this.#log = logger;
    this.#offlineDelayMs = options.offlineDelayMs;
    this.#schedule = options.schedule;
    this.#announced = this.#visibleStatus();
  }

  /** A socket became ready: the user comes online unless they already are; a pending offline is called off. */
  connected(selfId: string, now: number): void {
    const p = this.#store.presence();
    if (p.status === "offline") this.#change(selfId, "online", null, now);
    else if (p.last_seen_at !== null) this.#store.cancelLeaving();
  }

  /**
   * `presence.set`, or `PUT /v1/me/presence`: stores and announces a change;
   * the user's own sockets hear it too (the requester's with its rid).
   * While the user is leaving (no socket, within the delay) the choice is
   * kept, and the delay still runs.
   */
  set(selfId: string, status: SettablePresence, now: number, requester?: { ws: WebSocket; rid?: string }): void {
    const p = this.#store.presence();
    if (p.status !== status) this.#change(selfId, status, p.last_seen_at, now);
    this.#sockets.broadcast("presence", { user_id: selfId, status }, requester);
  }

  /** Whether the user is offline (no inbox socket, and the delay after the last one passed). */
  get offline(): boolean {
    return this.#store.presence().status === "offline";
  }

  /**
   * The last ready socket went away (or the actor found none after a
   * restart): the user is leaving. Contacts hear `offline` only when the
   * delay passes without a new socket (`due`).
   */
  disconnected(now: number): void {
    const p = this.#store.presence();
    if (p.status === "offline") return;
    if (p.last_seen_at === null) this.#store.markLeaving(now);
    this.#schedule((p.last_seen_at ?? now) + this.#offlineDelayMs);
  }

  /**
   * From the alarm: a user leaving for longer than the delay is offline now,
   * last seen when they left, and their contacts hear it at once. Returns
   * when the alarm must come back, if the delay is still running.
   */
  due(now: number, socketsOpen: boolean): number | undefined {
    const p = this.#store.presence();
    const selfId = this.#store.profile()?.user_id;
    if (p.status === "offline" || p.last_seen_at === null || !selfId) return undefined;
    if (socketsOpen) {
      this.#store.cancelLeaving();
      return undefined;
    }
    const at = p.last_seen_at + this.#offlineDelayMs;
    if (now < at) return at;
    this.#change(selfId, "offline", p.last_seen_at, now);
    this.flush();
    return undefined;
  }

  /** What a new ready socket learns after `inbox.snapshot`: contacts who are not offline, and a non-default own status. */
  replay(ws: WebSocket, selfId: string): void {
    const own = this.#store.presence().status;
    if (own === "away" || own === "busy") sendText(ws, encodeInbox("presence", { user_id: selfId, status: own }));
    for (const c of this.#store.onlineContacts()) {
      sendText(ws, encodeInbox("presence", { user_id: c.user_id, status: c.status }));
    }
  }

  /** The contacts' last known presence, for `inbox.snapshot.presence`: offline ones with their last seen. */
  snapshot(): ContactPresence[] {
    return this.#store.contactPresence(MAX_SNAPSHOT_PRESENCE).map((c) => {
      const entry: ContactPresence = { user_id: c.user_id, status: c.status };
      if (c.status === "offline" && c.last_seen_at !== null) entry.last_seen_at = c.last_seen_at;
      return entry;
    });
  }

  /**
   * The user's presence as `viewerId` may see it in a UserView: a contact
   * (not blocked either way) when the user shares it; anyone else, the user
   * themselves included (their own status is on their inbox socket),
   * nothing.
   */
  visibleTo(viewerId: string): VisiblePresence {
    const me = this.#store.profile();
    if (!me || viewerId === me.user_id || !this.#shared() || !this.#store.isContact(viewerId)) return {};
    return toVisible(this.#store.presence());
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
    this.#fanout(selfId, [otherId], p.changed_at);
  }

  /** `share_presence` changed: the contacts hear at once what they may now see (hidden: `offline` without last seen). */
  sharingChanged(selfId: string, now: number): void {
    // A fresh time, so the contacts' actors take the report as newer than the last (later wins).
    const p = this.#store.presence();
    this.#store.setPresence(p.status, p.last_seen_at, now);
    this.#selfId = selfId;
    this.flush();
  }

  #change(selfId: string, status: Status, lastSeenAt: number | null, now: number): void {
    this.#store.setPresence(status, lastSeenAt, now);
    this.#selfId = selfId;
    // A timer, not the alarm: a lost fan-out costs a stale dot, and the timer
    // keeps the actor awake for at most the window.
    this.#flushTimer ??= setTimeout(() => this.flush(), PRESENCE_COALESCE_MS);
  }

  /** Sends the contacts what the window ended with, if it is not what they last heard. */
  flush(): void {
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const visible = this.#visibleStatus();
    if (this.#selfId === undefined || visible === this.#announced) return;
    this.#announced = visible;
    this.#fanout(this.#selfId, this.#store.contacts(this.#selfId), this.#store.presence().changed_at);
  }

  #shared(): boolean {
    return this.#store.settings().share_presence;
  }

  #visibleStatus(): Status | "hidden" {
    return this.#shared() ? this.#store.presence().status : "hidden";
  }

  /** Tells `contacts` what they may see: the status (offline with last seen), or, not shared, a bare offline. */
  #fanout(selfId: string, contacts: string[], at: number): void {
    if (contacts.length === 0) return;
    const p = this.#store.presence();
    const shared = this.#shared();
    const status: Status = shared ? p.status : "offline";
    const lastSeenAt = shared && p.status === "offline" ? p.last_seen_at ?? undefined : undefined;
    // Fire and forget: presence is best effort, and a contact whose actor
    // missed a report is corrected by the next one. The promises keep this
    // actor awake until they settle.
    const calls = contacts.map((id) => this.#env.USER.get(this.#env.USER.idFromName(id)).presenceChanged(selfId, status, lastSeenAt, at));
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

function toVisible(p: PresenceRecord): VisiblePresence {
  const v: VisiblePresence = { presence: p.status };
  if (p.status === "offline" && p.last_seen_at !== null) v.last_seen_at = p.last_seen_at;
  return v;
}
