/**
 * Rules of a conversation that need no runtime: the actor wires them to
 * storage and sockets. Each is a plain function with its own unit test.
 */
import { ParleyError } from "../protocol/index.ts";

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
