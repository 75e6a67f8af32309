import { z } from "zod";
import { AuthRefreshData, HelloData, PageLimit, Rid, Seq, ServerFrame, UserId, type ServerFrameType } from "./frames.ts";
import { PROTOCOL_VERSION } from "./limits.ts";
import { parseFrame, type ParseResult } from "./parse.ts";
import { queryNumber } from "./query.ts";

/**
 * Live topics (since v1.1, docs/protocol.md §22.13): a stream of events an
 * app backend publishes under a name ("feed:home", "counter:likes:42") and
 * signed-in users follow over a socket, coalesced per interval, each event
 * numbered by `seq` so a client resumes after a reconnect. One Topic actor
 * per name holds the events, the access rule and the sockets.
 *
 * Publishing and configuring take the deployment's server API key
 * (`TOPICS_API_KEY`); reading takes a user's access token.
 */

/** A topic name: 1–128 of `[A-Za-z0-9_.:-]`, case-sensitive. Anything else in a path is `404`. */
export const TopicName = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, "must be 1–128 characters of A–Z, a–z, 0–9, _, ., : and -");

/** Bounds of the per-topic settings (the defaults are deployment settings, docs/protocol.md §19). */
export const MIN_TOPIC_COALESCE_MS = 50;
export const MAX_TOPIC_COALESCE_MS = 60_000;
export const MAX_TOPIC_RETENTION_EVENTS = 10_000;
export const MIN_TOPIC_RETENTION_MS = 1_000;
export const MAX_TOPIC_RETENTION_MS = 7 * 24 * 3_600_000;
/** Users one `PUT /v1/topics/{name}` may name for a restricted topic. */
export const MAX_TOPIC_USERS = 1000;
/** Largest `topic.events` frame the server builds, in UTF-8 bytes; a larger batch goes out as consecutive frames. */
export const MAX_TOPIC_FRAME_BYTES = 256 * 1024;
/** Events one `topic.events` frame carries at most. */
export const MAX_TOPIC_FRAME_EVENTS = 1000;
/** Default page of `GET /v1/topics/{name}/events`. */
export const DEFAULT_TOPIC_PAGE = 100;

export const TopicAccess = z.enum(["public", "restricted"]);
export type TopicAccess = z.infer<typeof TopicAccess>;

/** One published event: its place in the topic, when it was accepted, and the backend's JSON payload as sent. */
export const TopicEvent = z.object({
  seq: Seq.min(1),
  created_at: z.number().int(),
  data: z.unknown(),
});
export type TopicEvent = z.infer<typeof TopicEvent>;

// ---------------------------------------------------------------------------
// REST (server API key)
// ---------------------------------------------------------------------------

/**
 * `PUT /v1/topics/{name}` — creates or reconfigures a topic. `users` (user
 * ids) only with `access: "restricted"`, and replaces the list: a user no
 * longer on it has their sockets closed (4003). Omitted settings take the
 * deployment's defaults.
 */
export const TopicConfigRequest = z
  .strictObject({
    access: TopicAccess,
    users: z.array(UserId).max(MAX_TOPIC_USERS).optional(),
    coalesce_ms: z.number().int().min(MIN_TOPIC_COALESCE_MS).max(MAX_TOPIC_COALESCE_MS).optional(),
    retention: z
      .strictObject({
        events: z.number().int().min(1).max(MAX_TOPIC_RETENTION_EVENTS).optional(),
        ms: z.number().int().min(MIN_TOPIC_RETENTION_MS).max(MAX_TOPIC_RETENTION_MS).optional(),
      })
      .optional(),
  })
  .refine((c) => c.access === "restricted" || c.users === undefined, { message: "only a restricted topic has users", path: ["users"] });
export type TopicConfigRequest = z.infer<typeof TopicConfigRequest>;

/** A topic as its backend sees it: the answer of `PUT /v1/topics/{name}`. */
export const TopicView = z.object({
  name: TopicName,
  access: TopicAccess,
  /** Restricted topics: how many users are listed. */
  user_count: z.number().int().nonnegative().optional(),
  coalesce_ms: z.number().int().positive(),
  retention: z.object({ events: z.number().int().positive(), ms: z.number().int().positive() }),
  last_seq: Seq,
});
export type TopicView = z.infer<typeof TopicView>;
export const TopicResponse = z.object({ topic: TopicView });

/** `POST /v1/topics/{name}/events` answers the event's place. */
export const PublishResponse = z.object({ seq: Seq.min(1), created_at: z.number().int() });
export type PublishResponse = z.infer<typeof PublishResponse>;

// ---------------------------------------------------------------------------
// REST (user token)
// ---------------------------------------------------------------------------

/** `GET /v1/topics/{name}/events?after_seq=&limit=` — catch-up without a socket. */
export const TopicEventsQuery = z.object({
  after_seq: queryNumber(Seq).optional(),
  limit: queryNumber(PageLimit).optional(),
});

/**
 * A page of events after `after_seq`, ascending. `reset: true` when
 * `after_seq` fell outside the retention window (the events after it are no
 * longer all kept): refetch the state from the app's backend and continue
 * from `last_seq`. Without `after_seq`, no events: `last_seq` tells where
 * the topic is.
 */
export const TopicEventsPage = z.object({
  events: z.array(TopicEvent),
  last_seq: Seq,
  has_more: z.boolean(),
  reset: z.literal(true).optional(),
});
export type TopicEventsPage = z.infer<typeof TopicEventsPage>;

// ---------------------------------------------------------------------------
// The topic socket, `GET /v1/topics/{name}/ws` (user token)
// ---------------------------------------------------------------------------

const Empty = z.object({}).default({});

function frame<T extends string, D extends z.ZodType>(type: T, data: D) {
  return z.object({ v: z.literal(PROTOCOL_VERSION), type: z.literal(type), rid: Rid.optional(), data });
}

export const TopicClientFrame = z.discriminatedUnion("type", [
  /** First frame of every socket. Answered `hello.ack` (with `topic`). */
  frame("hello", HelloData),
  /**
   * Starts the stream. With `after_seq`, first what came after it (one or
   * more `topic.events` with this frame's rid), or `topic.reset` when it
   * fell outside the retention window; without it, only what comes next.
   * Answered `topic.subscribed` first. A second subscribe is `conflict`.
   */
  frame("topic.subscribe", z.object({ after_seq: Seq.optional() }).default({})),
  /** Swaps the socket's token in place. Answered `auth.refreshed`. */
  frame("auth.refresh", AuthRefreshData),
  /** JSON keep-alive. Answered `pong`. (The text frame `ping` also works.) */
  frame("ping", Empty),
]);
export type TopicClientFrame = z.infer<typeof TopicClientFrame>;
export const TOPIC_CLIENT_FRAME_TYPES: ReadonlySet<string> = new Set(TopicClientFrame.options.map((o) => o.shape.type.value));

type ServerVariant<T extends ServerFrameType> = Extract<(typeof ServerFrame.options)[number], { shape: { type: z.ZodLiteral<T> } }>;

function shared<T extends ServerFrameType>(type: T): ServerVariant<T> {
  const found = ServerFrame.options.find((o) => o.shape.type.value === type);
  if (!found) throw new Error(`no server frame ${type}`);
  return found as ServerVariant<T>;
}

const helloAck = shared("hello.ack");

export const TopicServerFrame = z.discriminatedUnion("type", [
  /** To one socket: answer to `hello`, naming the topic. */
  frame("hello.ack", helloAck.shape.data.extend({ topic: TopicName })),
  /** To one socket: answer to `topic.subscribe`: where the topic is and how often it sends. */
  frame("topic.subscribed", z.object({ topic: TopicName, last_seq: Seq, coalesce_ms: z.number().int().positive() })),
  /**
   * Events, ascending `seq`, each once per socket. Live: to every subscribed
   * socket, at most one frame per `coalesce_ms` (a burst larger than
   * MAX_TOPIC_FRAME_BYTES is split into consecutive frames). After a
   * subscribe with `after_seq`: the replay, with the subscribe's rid.
   * `last_seq` is the seq of the last event of the frame.
   */
  frame("topic.events", z.object({ events: z.array(TopicEvent), last_seq: Seq })),
  /**
   * To one socket, instead of a replay: `after_seq` fell outside the
   * retention window (or lies ahead of the topic). Refetch the state from
   * the app's backend; live events continue after `last_seq`.
   */
  frame("topic.reset", z.object({ last_seq: Seq })),
  shared("auth.refreshed"),
  shared("pong"),
  shared("error"),
  shared("connection.closing"),
]);
export type TopicServerFrame = z.infer<typeof TopicServerFrame>;
export type TopicServerFrameType = TopicServerFrame["type"];
export type TopicServerData<T extends TopicServerFrameType> = Extract<TopicServerFrame, { type: T }>["data"];

/** Parses one incoming message of a topic socket, exactly as the other sockets do. */
export function parseTopicClientFrame(raw: string | ArrayBuffer): ParseResult<TopicClientFrame> {
  return parseFrame(raw, TopicClientFrame, TOPIC_CLIENT_FRAME_TYPES, " on a topic socket");
}
