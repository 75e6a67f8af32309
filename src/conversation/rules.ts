/**
 * Rules of a conversation that need no runtime: the actor wires them to
 * storage and sockets. Each is a plain function with its own unit test.
 */
import { ParleyError } from "../protocol/index.ts";
import { takeToken, type Bucket } from "../shared/rules.ts";

/** Receipt watermarks only move forward, and never past the last message. */
export function advanceWatermark(current: number, requested: number, lastSeq: number): number {
  return Math.max(current, Math.min(requested, lastSeq));
}

/** Which `seq` range a history request covers. */
export type HistoryWindow =
  | { direction: "forward"; after: number; before: number | undefined; limit: number }
  | { direction: "backward"; before: number | undefined; limit: number };

/**
 * `after_seq` pages forward (oldest first); otherwise `before_seq` (or the end)
 * pages backward to the newest `limit` messages. Both come back ascending.
 */
export function historyWindow(q: { after_seq?: number; before_seq?: number; limit: number }): HistoryWindow {
  if (q.after_seq !== undefined) return { direction: "forward", after: q.after_seq, before: q.before_seq, limit: q.limit };
  return { direction: "backward", before: q.before_seq, limit: q.limit };
}

/** A user's typing as the room last relayed it: when the last relayed "start" was, and whether no "stop" followed it yet. */
export interface TypingState {
  startedAt: number;
  active: boolean;
}

/**
 * Whether a typing frame is relayed to the others, and the user's typing
 * state after it. Every relayed frame goes to every member, so neither kind
 * may be relayed at the rate a client sends them:
 * - a "start" is relayed at most once per `minIntervalMs` (a refresh inside
 *   it is dropped; a stop does not reset the interval);
 * - a "stop" is relayed only after a relayed "start" that no stop has ended
 *   yet, so it is at most one per start.
 * A user therefore costs the room at most two typing frames per interval,
 * whatever they send. `undefined` is the state of a user with nothing to
 * remember (never typed, or stopped longer than an interval ago).
 */
export function typingRelay(
  prior: TypingState | undefined,
  state: "start" | "stop",
  now: number,
  minIntervalMs: number,
): { relay: boolean; next: TypingState | undefined } {
  if (state === "start") {
    if (prior && now - prior.startedAt < minIntervalMs) return { relay: false, next: prior };
    return { relay: true, next: { startedAt: now, active: true } };
  }
  if (!prior?.active) return { relay: false, next: prior };
  return { relay: true, next: now - prior.startedAt < minIntervalMs ? { startedAt: prior.startedAt, active: false } : undefined };
}

/**
 * The one answer to someone who may not know whether a conversation exists:
 * an unknown or malformed id, and a conversation the caller is not a member
 * of, get this same error, word for word, on every route, the long-poll and
 * the socket upgrade. Direct ids derive from public user ids, so any
 * difference (a 403, another message) would tell a stranger who talks to
 * whom. `403 forbidden` is kept for a member refused by a rule (a block, a
 * role, removed while connected).
 */
export function noSuchConversation(): ParleyError {
  return new ParleyError("not_found", "No such conversation.");
}

/**
 * How many messages a replay request (a join with a cursor, or `sync`) may
 * deliver under the user's replay budget (§22.11): the page asked for, cut
 * to the tokens left. A request costs what it delivered and at least
 * `minCost`, so it is refused (with the wait until `minCost` is back) when
 * fewer than that are left. The caller reads at most `limit` messages, then
 * calls `chargeReplay` with how many it delivered.
 */
export function replayAllowance(
  bucket: Bucket | undefined,
  now: number,
  rate: { messages: number; per_ms: number },
  requested: number,
  minCost: number,
): { ok: true; limit: number; bucket: Bucket } | { ok: false; retryAfterMs: number; bucket: Bucket } {
  const least = Math.min(minCost, rate.messages);
  const probe = takeToken(bucket, now, rate, least);
  if (!probe.ok) return probe;
  // The refilled balance is what the probe left plus what it took.
  const available = Math.floor(probe.bucket.tokens + least);
  const refreshed = { tokens: probe.bucket.tokens + least, updatedAt: now };
  return { ok: true, limit: Math.max(1, Math.min(requested, available)), bucket: refreshed };
}

/** Charges a replay that delivered `delivered` messages: that many tokens, and at least `minCost` (never below zero). */
export function chargeReplay(bucket: Bucket, delivered: number, minCost: number): Bucket {
  return { tokens: Math.max(0, bucket.tokens - Math.max(delivered, minCost)), updatedAt: bucket.updatedAt };
}
