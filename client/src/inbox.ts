import { InboxServerFrame, type InboxConversation, type InboxServerData, type SettablePresence } from "../../src/protocol/index.ts";
import { Emitter } from "./emitter.ts";
import type { ConnectionStatus, Phase } from "./machine.ts";
import { ManagedSocket, type ParleyEventError } from "./socket.ts";
import type { HandleContext } from "./conversation.ts";

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

  constructor(ctx: HandleContext, onDestroy: () => void) {
    this.#onDestroy = onDestroy;
    this.#ctx = ctx;
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
    this.#socket.dispatch({ type: "destroy" });
    this.#events.clear();
    this.#onDestroy();
  }

  /** Sets this user's status for every contact; dropped when not connected. */
  setPresence(status: SettablePresence): void {
    if (this.#socket.state.phase === "live") this.#socket.send("presence.set", { status });
  }

  refreshInPlace(token: string): void {
    this.#socket.refreshInPlace(token);
  }

  #onFrame(frame: InboxServerFrame): void {
    switch (frame.type) {
      case "inbox.snapshot":
        this.#events.emit("snapshot", frame.data);
        this.#socket.dispatch({ type: "joined", replay: false });
        return;
      case "inbox.updated":
        return this.#events.emit("updated", frame.data.conversation);
      case "inbox.removed":
        return this.#events.emit("removed", frame.data);
      case "notification.new":
        return this.#events.emit("notification", frame.data.notification);
      case "presence":
        return this.#events.emit("presence", frame.data);
      case "error":
        return this.#error({ kind: "server_error", code: frame.data.code, message: frame.data.message });
      case "notifications.read":
      case "hello.ack":
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
