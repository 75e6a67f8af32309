import type { Env } from "../env.ts";
import {
  CloseCode,
  DEFAULT_TOPIC_PAGE,
  MAX_TOPIC_FRAME_BYTES,
  MAX_TOPIC_FRAME_EVENTS,
  ParleyError,
  TopicConfigRequest,
  describeIssue,
  errorBody,
  parseTopicClientFrame,
  type ParseResult,
  type PublishResponse,
  type TopicClientFrame,
  type TopicEventsPage,
  type TopicView,
} from "../protocol/index.ts";
import type { LogFields } from "../shared/log.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { takeToken, type Bucket } from "../shared/rules.ts";
import { SocketActor, type Identity } from "../shared/socket-actor.ts";
import { eventJson, packFrames, pruneBound, resumePlan } from "./rules.ts";
import { TopicSockets, encodeError, encodeTopic, sendText, type TopicSocketState } from "./sockets.ts";
import { TopicStore, type StoredEvent } from "./store.ts";

/** Sockets one topic holds at most, all users together (a public topic is open to everyone). */
export const MAX_TOPIC_SOCKETS = 10_000;
/** Age pruning runs at most this often: it scans the window, while pruning by count is one range delete. */
const AGE_PRUNE_EVERY_MS = 60_000;

/**
 * One live topic (docs/protocol.md §22.13, decision 0027): its
 * configuration, the events of its retention window, and its subscribers'
 * sockets. An app backend configures and publishes with the server API key
 * (the Worker checks it); users read with their token, over a socket or
 * REST.
 *
 * Publishing stores the event (seq = last_seq + 1, in the actor's single
 * thread, so seqs have no gaps) and, if no flush is pending, sets one
 * `coalesce_ms` ahead on the alarm. The flush sends every subscribed socket
 * what it lacks as one `topic.events` frame: a burst of any size within one
 * interval costs each socket one frame. A socket's cursor is never
 * rewritten: it holds everything up to max(its subscribe-time seq, the
 * topic's flushed_seq), both durable, so a socket that slept through a
 * hibernation gets each event exactly once.
 */
export class Topic extends SocketActor<TopicSocketState, TopicClientFrame, TopicSockets> {
  #store!: TopicStore;
  /** The publish budget of the topic (in memory: an evicted topic starts full). */
  #publishBucket: Bucket | undefined;
  /** When the pending flush is due (undefined: none; after an eviction the alarm finds unflushed events itself). */
  #flushAt: number | undefined;
  /** When pruning by age runs next. */
  #pruneAt: number | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, (c, heartbeatMs, onClosed, log) => new TopicSockets(c, heartbeatMs, onClosed, log));
  }

  protected override onStart(): void {
    this.#store = new TopicStore(this.ctx.storage);
    const meta = this.#store.meta;
    if (!meta) return;
    // Events published but not sent before an eviction go out now.
    if (meta.lastSeq > meta.flushedSeq) this.#scheduleFlush(Date.now());
    this.#schedulePrune(Date.now());
  }

  // -------------------------------------------------------------------------
  // RPC (called by the Worker)
  // -------------------------------------------------------------------------

  /**
   * Creates or reconfigures the topic (`PUT /v1/topics/{name}`, API key).
   * Sockets of users who may no longer read it are closed at once with
   * `connection.closing{removed}` and 4003.
   */
  configure(name: string, request: TopicConfigRequest): Result<{ topic: TopicView; created: boolean }> {
    const parsed = TopicConfigRequest.safeParse(request);
    if (!parsed.success) return err(new ParleyError("bad_request", describeIssue(parsed.error.issues)));
    const c = parsed.data;
    const created = this.#store.configure(name, {
      access: c.access, users: c.users, coalesceMs: c.coalesce_ms, retentionEvents: c.retention?.events, retentionMs: c.retention?.ms,
    }, Date.now());
    let closed = 0;
    for (const [ws, st] of [...this.sockets.open()]) {
      if (this.#store.mayRead(st.uid)) continue;
      this.sockets.close(ws, st, CloseCode.FORBIDDEN, "removed", { reason: "removed", retry: false });
      closed++;
    }
    this.log("info", "topic.configured", { access: c.access, users: c.users?.length, created, closed });
    return ok({ topic: this.#view(), created });
  }

  /**
   * Publishes one event (`POST /v1/topics/{name}/events`, API key). `data`
   * is the payload's JSON text, checked and sized by the Worker. Answered
   * once the event is stored (the output gate holds the answer until the
   * write is durable).
   */
  publish(data: string): Result<PublishResponse> {
    const meta = this.#store.meta;
    if (!meta) return err(new ParleyError("not_found", "No such topic; create it first with PUT /v1/topics/{name}."));
    const now = Date.now();
    const rate = this.config.topicPublishRate;
    const taken = takeToken(this.#publishBucket, now, rate);
    this.#publishBucket = taken.bucket;
    if (!taken.ok) {
      return err(new ParleyError("rate_limited", `At most ${rate.messages} events per ${rate.per_ms} ms on one topic.`, { retryAfterMs: taken.retryAfterMs }));
    }
    const event = this.#store.append(data, now);
    this.#store.pruneTo(pruneBound({ lastSeq: meta.lastSeq, flushedSeq: meta.flushedSeq, prunedSeq: meta.prunedSeq, keepEvents: this.#retentionEvents() }));
    this.#scheduleFlush(now);
    if (this.#pruneAt === undefined) this.#schedulePrune(now);
    this.log("debug", "topic.published", { seq: event.seq, bytes: data.length });
    return ok(event);
  }

  /** Catch-up without a socket (`GET /v1/topics/{name}/events`, user token): events after `afterSeq`, or a reset. */
  events(userId: string, afterSeq: number | undefined, limit: number = DEFAULT_TOPIC_PAGE): Result<TopicEventsPage> {
    const meta = this.#store.meta;
    if (!meta || !this.#store.mayRead(userId)) return err(noSuchTopic());
    const plan = resumePlan(afterSeq, meta.prunedSeq, meta.lastSeq);
    if (plan === "live") return ok({ events: [], last_seq: meta.lastSeq, has_more: false });
    if (plan === "reset") return ok({ events: [], last_seq: meta.lastSeq, has_more: false, reset: true });
    const rows = this.#store.events(afterSeq!, meta.lastSeq, limit + 1);
    const page = rows.slice(0, limit);
    return ok({
      events: page.map((e) => ({ seq: e.seq, created_at: e.created_at, data: JSON.parse(e.data) as unknown })),
      last_seq: meta.lastSeq,
      has_more: rows.length > limit,
    });
  }

  // -------------------------------------------------------------------------
  // Socket hooks (SocketActor)
  // -------------------------------------------------------------------------

  protected override parse(raw: string | ArrayBuffer): ParseResult<TopicClientFrame> {
    return parseTopicClientFrame(raw);
  }

  /** Someone who may not read the topic gets the answer of a topic that does not exist: 404. */
  protected override admit(identity: Identity): ParleyError | undefined {
    return this.#store.mayRead(identity.userId) ? undefined : noSuchTopic();
  }

  protected override atCapacity(identity: Identity): ParleyError | undefined {
    if (this.sockets.size >= MAX_TOPIC_SOCKETS) {
      return new ParleyError("rate_limited", "This topic has as many sockets as it can hold; retry later.", { retryAfterMs: this.config.heartbeatMs });
    }
    let open = 0;
    for (const _ of this.sockets.open(identity.userId)) open++;
    if (open >= this.config.maxSocketsPerUser) {
      return new ParleyError("rate_limited", `At most ${this.config.maxSocketsPerUser} open sockets per user and topic.`, { retryAfterMs: 5000 });
    }
    return undefined;
  }

  protected override socketTags(identity: Identity): string[] {
    return [identity.userId];
  }

  protected override helloFields(): Record<string, unknown> {
    return { topic: this.#store.meta?.name };
  }

  protected override onFrame(ws: WebSocket, st: TopicSocketState, frame: TopicClientFrame): void {
    switch (frame.type) {
      case "topic.subscribe":
        return this.#subscribe(ws, st, frame.data.after_seq, frame.rid);
      case "hello":
      case "auth.refresh":
      case "ping":
        // Answered by SocketActor before this hook.
        return;
    }
  }

  /** The pending flush, and pruning by age; returns when the alarm must come back. */
  protected override onAlarm(now: number): number | undefined {
    const meta = this.#store.meta;
    if (!meta) return undefined;
    if (meta.lastSeq > meta.flushedSeq) {
      if (this.#flushAt === undefined || this.#flushAt <= now) this.#flush();
    } else {
      this.#flushAt = undefined;
    }
    if (this.#pruneAt !== undefined && this.#pruneAt <= now) {
      this.#store.pruneTo(pruneBound({
        lastSeq: meta.lastSeq, flushedSeq: meta.flushedSeq, prunedSeq: meta.prunedSeq, keepEvents: this.#retentionEvents(),
        agedSeq: this.#store.lastBefore(now - this.#retentionMs()),
      }));
      this.#pruneAt = undefined;
      this.#schedulePrune(now);
    }
    const due = [this.#flushAt, this.#pruneAt].filter((t): t is number => t !== undefined);
    return due.length > 0 ? Math.min(...due) : undefined;
  }

  protected override logFields(): LogFields {
    const name = this.#store?.meta?.name;
    return { actor: `Topic:${name ?? this.ctx.id.toString()}`, topic: name };
  }

  // -------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------

  /**
   * `topic.subscribe`: the socket's cursor becomes the topic's last seq, and
   * in the same synchronous step it gets what it asked to resume (the
   * replay up to that seq) or a reset; later events reach it by flushes.
   * Nothing lies between the replay and the first flush, and nothing is in
   * both.
   */
  #subscribe(ws: WebSocket, st: TopicSocketState, afterSeq: number | undefined, rid: string | undefined): void {
    if (st.phase === "subscribed") {
      sendText(ws, encodeError(errorBody("conflict", "This socket has already subscribed; reconnect to subscribe again."), rid));
      return;
    }
    const meta = this.#store.meta!;
    const last = meta.lastSeq;
    const plan = resumePlan(afterSeq, meta.prunedSeq, last);
    this.sockets.subscribe(ws, st, last);
    sendText(ws, encodeTopic("topic.subscribed", { topic: meta.name, last_seq: last, coalesce_ms: this.#coalesceMs() }, rid));
    if (plan === "replay") {
      const frames = this.#frames(afterSeq!, last, rid);
      // Nothing missed is said too, as a conversation's empty replay page is.
      if (frames.length === 0) frames.push(encodeTopic("topic.events", { events: [], last_seq: last }, rid));
      for (const text of frames) sendText(ws, text);
    } else if (plan === "reset") {
      sendText(ws, encodeTopic("topic.reset", { last_seq: last }, rid));
    }
    this.log("info", "topic.subscribed", { session_id: st.sid, user_id: st.uid, after_seq: afterSeq, last_seq: last, outcome: plan });
  }

  /**
   * Sends every subscribed socket the events it lacks, up to the last one
   * published, and records that. Sockets that subscribed at the same point
   * (almost all: the last flush) share one read and one encoding.
   */
  #flush(): void {
    this.#flushAt = undefined;
    const meta = this.#store.meta!;
    const target = meta.lastSeq;
    const flushed = meta.flushedSeq;
    const groups = new Map<number, WebSocket[]>();
    for (const [ws, st] of this.sockets.subscribed()) {
      const from = Math.max(st.cur ?? target, flushed);
      if (from >= target) continue;
      let group = groups.get(from);
      if (!group) groups.set(from, (group = []));
      group.push(ws);
    }
    let frames = 0;
    for (const [from, sockets] of groups) {
      const texts = this.#frames(from, target);
      for (const ws of sockets) for (const text of texts) sendText(ws, text);
      frames += texts.length * sockets.length;
    }
    this.#store.flushedTo(target);
    this.log("debug", "topic.flushed", { from_seq: flushed, to_seq: target, sockets: this.sockets.subscribedCount, frames });
  }

  /** `topic.events` frames of the events after `after` up to `upTo`. */
  #frames(after: number, upTo: number, rid?: string): string[] {
    const events: Array<{ seq: number; json: string }> = [];
    let cursor = after;
    // Read in pages, so a long replay does not hold the whole window twice.
    while (cursor < upTo) {
      const page: StoredEvent[] = this.#store.events(cursor, upTo, MAX_TOPIC_FRAME_EVENTS);
      if (page.length === 0) break;
      for (const e of page) events.push({ seq: e.seq, json: eventJson(e.seq, e.created_at, e.data) });
      cursor = page.at(-1)!.seq;
    }
    return packFrames(events, MAX_TOPIC_FRAME_BYTES, MAX_TOPIC_FRAME_EVENTS, rid);
  }

  /** The first publish of a quiet spell sets the flush one interval ahead; the rest of the burst joins it. */
  #scheduleFlush(now: number): void {
    if (this.#flushAt !== undefined) return;
    this.#flushAt = now + this.#coalesceMs();
    this.scheduleAlarm(this.#flushAt);
  }

  /** Pruning by age: when the oldest kept event expires, at most once a minute. */
  #schedulePrune(now: number): void {
    const oldest = this.#store.oldestAt();
    if (oldest === undefined) return;
    this.#pruneAt = Math.max(oldest + this.#retentionMs(), now + AGE_PRUNE_EVERY_MS);
    this.scheduleAlarm(this.#pruneAt);
  }

  #view(): TopicView {
    const meta = this.#store.meta!;
    const view: TopicView = {
      name: meta.name,
      access: meta.access,
      coalesce_ms: this.#coalesceMs(),
      retention: { events: this.#retentionEvents(), ms: this.#retentionMs() },
      last_seq: meta.lastSeq,
    };
    if (meta.access === "restricted") view.user_count = this.#store.userCount();
    return view;
  }

  #coalesceMs(): number {
    return this.#store.meta?.coalesceMs ?? this.config.topicCoalesceMs;
  }

  #retentionEvents(): number {
    return this.#store.meta?.retentionEvents ?? this.config.topicRetentionEvents;
  }

  #retentionMs(): number {
    return this.#store.meta?.retentionMs ?? this.config.topicRetentionMs;
  }
}

/** The one answer for an unknown topic and for a restricted one the caller may not read. */
export function noSuchTopic(): ParleyError {
  return new ParleyError("not_found", "No such topic.");
}
