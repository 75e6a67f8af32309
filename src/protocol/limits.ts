/**
 * Limits of protocol version 1. The server announces the ones a client needs
 * in `hello.ack.limits`; the rest bound what the server accepts.
 */

/** The protocol version every frame carries in `v`. */
export const PROTOCOL_VERSION = 1;

/** Largest text frame accepted, in UTF-8 bytes. */
export const MAX_FRAME_BYTES = 64 * 1024;

/** Longest message body, in Unicode code points. */
export const MAX_BODY_CHARS = 4000;

/** Longest `rid` a client may attach to a request. */
export const MAX_RID_CHARS = 64;

/** Default and largest page of a replay, a `sync` or a history request. */
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

/** Since v1.1: reactions. Distinct reactions one message may carry; users listed per reaction; longest reaction text. */
export const MAX_REACTIONS_PER_MESSAGE = 20;
export const REACTION_USERS_LISTED = 10;
export const MAX_REACTION_CHARS = 34;

/** Since v1.1: characters of a replied-to message shown in a reply's preview. */
export const EXCERPT_CHARS = 100;

/** Since v1.1: files one message may carry. */
export const MAX_ATTACHMENTS = 10;

/** Largest page of `GET /v1/conversations/{id}/members` (since v1.1); the default is 100. */
export const MAX_MEMBER_PAGE = 500;
export const DEFAULT_MEMBER_PAGE = 100;

/** Default per-user send rate inside one conversation, a token bucket (deployments set SEND_RATE). */
export const SEND_RATE = { messages: 30, per_ms: 10_000 } as const;

/**
 * v1.0's per-socket budget of `sync` requests. No longer read: since v1.1 the
 * replay is budgeted by the messages it delivers (SYNC_BUDGET, §22.11); kept
 * for importers of the protocol module.
 */
export const SYNC_RATE = { messages: 50, per_ms: 10_000 } as const;

/**
 * Default replay budget (deployments set SYNC_BUDGET): messages delivered by
 * replays (a join with a cursor, and `sync`), per user per conversation — a
 * bucket of 20 000, refilled at 1000 a second. Each request costs the
 * messages it delivered, and at least SYNC_MIN_COST (§22.11).
 */
export const SYNC_BUDGET = { messages: 20_000, per_ms: 20_000 } as const;
/** The least a replay request costs, however few messages it delivers (an empty `sync` is not free). */
export const SYNC_MIN_COST = 10;

/** A user's `typing.start` is relayed at most once per this interval (a refresh inside it is dropped). */
export const TYPING_MIN_INTERVAL_MS = 2_000;

/** Bad frames tolerated per window before close 4008. */
export const BAD_FRAME_LIMIT = { count: 10, window_ms: 60_000 } as const;

/** Default keep-alive interval; deployments may change it (HEARTBEAT_MS). */
export const DEFAULT_HEARTBEAT_MS = 30_000;

/** How long a `typing{state:"start"}` holds without a refresh. */
export const TYPING_EXPIRES_MS = 6_000;

/** Text of the hibernation keep-alive frames (not JSON). */
export const PING_TEXT = "ping";
export const PONG_TEXT = "pong";
