import { TopicServerFrame, type TopicEvent } from "../../src/protocol/index.ts";
import type { HandleContext } from "./conversation.ts";
import { Emitter } from "./emitter.ts";
import type { ConnectionStatus, Phase } from "./machine.ts";
import { ManagedSocket, type ParleyEventError } from "./socket.ts";

/** Events of a topic handle. */
export interface TopicEvents {
  status: ConnectionStatus;
  /**
   * Events, each exactly once and in `seq` order, across reconnects: the
   * ones missed while away first, then live ones, a batch per frame (the
   * server gathers a topic's events for `coalesce_ms` and sends them as one).
   */
  events: { events: TopicEvent[]; lastSeq: number };
  /**
   * The handle was away longer than the topic keeps events (or the topic is
   * new to it): some events are gone. Refetch the state from the app's
   * backend; events continue after `lastSeq`.
   */
  reset: { lastSeq: number };
  /** The subscription was answered: where the topic is, and how often it sends. */
  subscribed: { topic: string; lastSeq: number; coalesceMs: number };
  /** Invalid frames, server errors, a stopped connection. Never thrown. */
  error: ParleyEventError;
}

export interface TopicOptions {
  /**
   * The last `seq` the application already has (kept from an earlier
   * session): the handle resumes after it. Without it, the handle starts
   * with what is published from now on.
   */
  afterSeq?: number;
}

/**
 * A live topic (`/v1/topics/{name}/ws`, protocol v1.2): a feed, a counter,
 * a dashboard that an app backend publishes to. The connection is the
 * SDK's managed socket (state machine, keep-alive, backoff, token refresh);
 * after every reconnect the handle subscribes with `after_seq` set to the
 * last `seq` it delivered, so nothing is missed or repeated while the topic
 * still keeps the events, and a `reset` says when it no longer does.
 *
 * ```ts
 * const feed = client.topic("feed:home");
 * feed.on("events", ({ events }) => showNewPosts(events.length));
 * feed.on("reset", () => reloadFeed());
 * feed.connect();
 * ```
 */
export class TopicHandle {
  readonly name: string;
  readonly #events = new Emitter<TopicEvents>();
  readonly #socket: ManagedSocket<TopicServerFrame>;
  readonly #ctx: HandleContext;
  readonly #onDestroy: () => void;
  /** The last seq delivered (or reset to); undefined until the first subscription tells it. */
  #lastSeq: number | undefined;

  constructor(name: string, ctx: HandleContext, options: TopicOptions, onDestroy: () => void) {
    this.name = name;
    this.#ctx = ctx;
    this.#onDestroy = onDestroy;
    this.#lastSeq = options.afterSeq;
    const path = `/v1/topics/${encodeURIComponent(name)}`;
    this.#socket = new ManagedSocket<TopicServerFrame>({
      baseUrl: ctx.baseUrl,
      path: `${path}/ws`,
      // Answers like the upgrade does (401, 404 for a topic the user may not read, 429).
      probePath: `${path}/events`,
      schema: TopicServerFrame,
      tokens: ctx.tokens,
      WebSocket: ctx.WebSocket,
      fetch: ctx.fetch,
      timing: ctx.timing,
      clientInfo: ctx.clientInfo,
      onEnter: (phase: Phase) => this.#onEnter(phase),
      onFrame: (frame) => this.#onFrame(frame),
      onStatus: (status) => this.#events.emit("status", status),
      onError: (error) => this.#error(error),
    });
  }

  get status(): ConnectionStatus {
    return this.#socket.status;
  }

  /** The last `seq` delivered: keep it to resume in a later session (`afterSeq`). */
  get lastSeq(): number | undefined {
    return this.#lastSeq;
  }

  on<K extends keyof TopicEvents>(event: K, handler: (payload: TopicEvents[K]) => void): () => void {
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

  refreshInPlace(token: string): void {
    this.#socket.refreshInPlace(token);
  }

  #onEnter(phase: Phase): void {
    if (phase !== "joining") return;
    this.#socket.send("topic.subscribe", this.#lastSeq === undefined ? {} : { after_seq: this.#lastSeq }, "subscribe");
  }

  #onFrame(frame: TopicServerFrame): void {
    switch (frame.type) {
      case "topic.subscribed":
        // Without a cursor the stream starts here; with one, the replay follows.
        this.#lastSeq ??= frame.data.last_seq;
        this.#events.emit("subscribed", { topic: frame.data.topic, lastSeq: frame.data.last_seq, coalesceMs: frame.data.coalesce_ms });
        this.#socket.dispatch({ type: "joined", replay: false });
        return;
      case "topic.events": {
        // Each seq once: anything at or below the cursor was delivered already.
        const after = this.#lastSeq ?? 0;
        const fresh = frame.data.events.filter((e) => e.seq > after);
        if (fresh.length === 0) return;
        this.#lastSeq = fresh.at(-1)!.seq;
        this.#events.emit("events", { events: fresh, lastSeq: this.#lastSeq });
        return;
      }
      case "topic.reset":
        this.#lastSeq = frame.data.last_seq;
        this.#events.emit("reset", { lastSeq: frame.data.last_seq });
        return;
      case "error":
        return this.#error({ kind: "server_error", code: frame.data.code, message: frame.data.message });
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
