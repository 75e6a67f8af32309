/**
 * Every timing and size constant of the SDK, in one place. A client may
 * override any of them (`new ParleyClient({ timing: { … } })`), which tests
 * do to make a dead socket show up in milliseconds instead of seconds.
 */
export const TIMING = {
  /**
   * Reconnect backoff: the delay before attempt n (n = 1, 2, …) is a uniform
   * random value in [0, min(BACKOFF_MAX_MS, BACKOFF_BASE_MS · 2^(n−1))) —
   * "full jitter", so a server restart does not get every client back in the
   * same instant. The first retry is quick; the cap keeps a long outage from
   * leaving a client asleep for minutes once the server is back.
   */
  BACKOFF_BASE_MS: 500,
  BACKOFF_MAX_MS: 15_000,
  /** Smallest delay of any retry, so a failing server is never hammered in a tight loop. */
  BACKOFF_MIN_MS: 100,
  /**
   * Keep-alive interval used until `hello.ack.heartbeat_ms` announces the
   * server's (the protocol default, 30 s). The server closes a socket silent
   * for two intervals (4202), so the client pings every interval.
   */
  DEFAULT_HEARTBEAT_MS: 30_000,
  /**
   * How long the text `pong` may take after a text `ping` before the socket
   * is taken for dead and replaced. A browser does not notice a vanished
   * network for minutes on its own; this is what notices it.
   */
  PONG_TIMEOUT_MS: 10_000,
  /**
   * From the start of an attempt (token, upgrade, hello, join) to `live`, the
   * replay included. Longer than this and the attempt is dropped and retried.
   */
  CONNECT_TIMEOUT_MS: 15_000,
  /**
   * Proactive token refresh. With a `refreshToken` hook, a token whose expiry
   * is known (`expires_at` of a login or refresh answer, else the JWT's `exp`)
   * is refreshed TOKEN_REFRESH_MARGIN_MS before it expires, plus a uniform
   * random extra below TOKEN_REFRESH_JITTER_MS, so tabs and clients that got
   * their tokens in the same second do not all refresh in the same second.
   * Open sockets then swap the new token in place (`auth.refresh`) instead of
   * being closed with 4101 and replaying. The margin leaves room for a slow
   * refresh and its retries (with the backoff above) and for a clock a little
   * off; a token that arrives already inside it is refreshed at once. The
   * server's 4101 remains the fallback when the margin is not enough.
   */
  TOKEN_REFRESH_MARGIN_MS: 60_000,
  TOKEN_REFRESH_JITTER_MS: 30_000,
  /** A REST call (login, history, the probe after a failed upgrade) gives up after this. */
  REQUEST_TIMEOUT_MS: 15_000,
  /** Wait after `rate_limited` when the server gives no `retry_after_ms`. */
  RATE_LIMIT_FALLBACK_MS: 1_000,
  /** Wait before resending after an `internal` error on a send. */
  INTERNAL_RETRY_MS: 2_000,
  /**
   * Page size asked for in `conversation.join` and `sync`: the protocol's
   * largest. The server budgets a replay by the messages it delivers
   * (SYNC_BUDGET, §22.11), not by requests, so big pages cost nothing extra
   * and a catch-up of 10 000 messages takes ten round trips.
   */
  PAGE_LIMIT: 1_000,
  /** Messages the outbox holds (queued and in flight); `send` throws past this. */
  OUTBOX_CAPACITY: 500,
  /**
   * Messages on the wire without an ack. One at a time keeps the user's own
   * order even when the server refuses one with `rate_limited` (a later one
   * can never overtake it), and still carries far more than the server's
   * send rate (30 per 10 s) on any real link.
   */
  MAX_IN_FLIGHT: 1,
  /** Messages held while waiting for a missing `seq`; past this, the highest are dropped and fetched again by `sync`. */
  REORDER_CAPACITY: 2_000,
  /**
   * Fallback to long-polling: after this many connection attempts in a row
   * whose WebSocket never opened while the REST API answered (a proxy that
   * refuses or swallows upgrades), a conversation is carried by
   * `GET …/poll` and REST sends, and its status reads `polling`.
   */
  FALLBACK_AFTER_FAILURES: 3,
  /** While polling, a WebSocket is tried again this often; once one is live, polling stops. */
  POLL_PROBE_MS: 30_000,
  /** `timeout_ms` of each long-poll (the server holds it at most 30 s). */
  POLL_TIMEOUT_MS: 25_000,
  /**
   * Delivery receipts are coalesced: `receipt.delivered` goes out at most
   * once per this interval, for the newest message of someone else.
   */
  DELIVERED_COALESCE_MS: 500,
  /** Cached messages kept per conversation in storage (the newest). */
  CACHE_MESSAGES: 500,
  /** Messages seen are written to storage at most this often (the outbox at once). */
  CACHE_WRITE_MS: 250,
} as const;

export type Timing = { -readonly [K in keyof typeof TIMING]: number };
