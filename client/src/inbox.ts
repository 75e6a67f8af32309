import { InboxServerFrame, type ContactPresence, type InboxConversation, type InboxServerData, type SettablePresence } from "../../src/protocol/index.ts";
import { Emitter } from "./emitter.ts";
import type { ConnectionStatus, Phase } from "./machine.ts";
import { ManagedSocket, type ParleyEventError } from "./socket.ts";
import type { HandleContext } from "./conversation.ts";
import { AutoAway, type PresenceOptions } from "./presence.ts";

/** Events of the inbox handle. */
export interface InboxEvents {
  status: ConnectionStatus;
  /** The whole inbox, after every (re)connect, latest activity first. */
  snapshot: InboxServerData<"inbox.snapshot">;
  /** A conversation changed: new message, unread count, title. */
  updated: InboxConversation;
  /** The user left or was removed from a conversation. */
  removed: { conversation_id: string };
  notification: InboxServerData<"notification.new">["notification"];
  presence: InboxServerData<"presence">;
  error: ParleyEventError;
}

/**
 * The user's inbox socket (`/v1/inbox/ws`): the conversation list with unread
 * counts, kept current, plus notifications and contacts' presence. Same
 * connection rules as a conversation (state machine, keep-alive, backoff,
 * token refresh); after `hello.ack` the server sends `inbox.snapshot`, which
 * makes it live.
 */
export class InboxHandle {
  readonly #events = new Emitter<InboxEvents>();
  readonly #socket: ManagedSocket<InboxServerFrame>;
  readonly #onDestroy: () => void;
  readonly #ctx: HandleContext;
  /** The user's own id, from `hello.ack`: their own `presence` echoes are not a contact's. */
  #userId: string | undefined;
  /** The status the application chose (`setPresence`); `online` until it chooses. */
  #chosen: SettablePresence = "online";
  /** A hidden tab turns a chosen `online` into `away` (presence.ts). */
  readonly #autoAway: AutoAway;
  /** Each contact's last known presence: the snapshot's list, then every `presence` frame. */
  readonly #contacts = new Map<string, ContactPresence>();
  /** A copy of `#contacts` handed out by `contacts`, dropped whenever it changes. */
  #contactsView: Map<string, ContactPresence> | undefined;

  constructor(ctx: HandleContext, onDestroy: () => void, presence: PresenceOptions = {}) {
    this.#onDestroy = onDestroy;
    this.#ctx = ctx;
    this.#autoAway = new AutoAway(() => this.#sendPresence(), presence);
    this.#socket = new ManagedSocket<InboxServerFrame>({
      baseUrl: ctx.baseUrl,
      path: "/v1/inbox/ws",
      probePath: "/v1/me",
      schema: InboxServerFrame,
      tokens: ctx.tokens,
      WebSocket: ctx.WebSocket,
      fetch: ctx.fetch,
      timing: ctx.timing,
      clientInfo: ctx.clientInfo,
      onEnter: (_phase: Phase) => undefined,
      onFrame: (frame) => this.#onFrame(frame),
      onStatus: (status) => this.#events.emit("status", status),
      onError: (error) => this.#error(error),
    });
  }

  get status(): ConnectionStatus {
    return this.#socket.status;
  }

  on<K extends keyof InboxEvents>(event: K, handler: (payload: InboxEvents[K]) => void): () => void {
    return this.#events.on(event, handler);
  }

  connect(): this {
    this.#socket.dispatch({ type: "connect" });
    return this;
  }

  disconnect(): this {
    this.#socket.dispatch({ type: "disconnect" });
    return this;
  }

  destroy(): void {
    if (this.#socket.state.phase === "closed") return;
    this.#autoAway.stop();
    this.#socket.dispatch({ type: "destroy" });
    this.#events.clear();
    this.#onDestroy();
  }

  /**
   * Sets this user's status for every contact. Kept: sent now when
   * connected, and again after a reconnect (a user offline for longer than
   * the server's offline delay starts `online` again). While the tab is
   * hidden long enough (`presence.autoAwayMs`), a chosen `online` is
   * reported as `away`.
   */
  setPresence(status: SettablePresence): void {
    this.#chosen = status;
    this.#sendPresence();
  }

  /** The status this client reports: the chosen one, or `away` for a chosen `online` in a hidden tab. */
  get presence(): SettablePresence {
    return this.#chosen === "online" && this.#autoAway.away ? "away" : this.#chosen;
  }

  /** A contact's last known presence (`last_seen_at` when offline), or undefined when none was heard or they do not share it. */
  presenceOf(userId: string): ContactPresence | undefined {
    return this.#contacts.get(userId);
  }

  /**
   * Every contact's last known presence, by user id: the latest snapshot's
   * list (offline ones with `last_seen_at`), then each `presence` frame.
   * Replaced, not changed, when it changes.
   */
  get contacts(): ReadonlyMap<string, ContactPresence> {
    return this.#contactsView ??= new Map(this.#contacts);
  }

  #sendPresence(): void {
    if (this.#socket.state.phase === "live") this.#socket.send("presence.set", { status: this.presence });
  }

  refreshInPlace(token: string): void {
    this.#socket.refreshInPlace(token);
  }

  #onFrame(frame: InboxServerFrame): void {
    switch (frame.type) {
      case "inbox.snapshot":
        this.#contacts.clear();
        for (const p of frame.data.presence ?? []) this.#contacts.set(p.user_id, p);
        this.#contactsView = undefined;
        this.#events.emit("snapshot", frame.data);
        this.#socket.dispatch({ type: "joined", replay: false });
        // A status other than online is said again: the server starts a returning user online.
        if (this.presence !== "online") this.#sendPresence();
        return;
      case "inbox.updated":
        return this.#events.emit("updated", frame.data.conversation);
      case "inbox.removed":
        return this.#events.emit("removed", frame.data);
      case "notification.new":
        return this.#events.emit("notification", frame.data.notification);
      case "presence":
        if (frame.data.user_id !== this.#userId) {
          this.#contacts.set(frame.data.user_id, frame.data);
          this.#contactsView = undefined;
        }
        return this.#events.emit("presence", frame.data);
      case "error":
        return this.#error({ kind: "server_error", code: frame.data.code, message: frame.data.message });
      case "hello.ack":
        this.#userId = frame.data.user_id;
        return;
      case "notifications.read":
      case "auth.refreshed":
      case "pong":
      case "connection.closing":
        return;
      default: {
        const unreachable: never = frame;
        return unreachable;
      }
    }
  }

  #error(error: ParleyEventError): void {
    this.#events.emit("error", error);
    this.#ctx.report(error);
  }
}
