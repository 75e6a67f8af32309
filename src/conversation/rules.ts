/**
 * Rules of a conversation that need no runtime: the actor wires them to
 * storage and sockets. Each is a plain function with its own unit test.
 */

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
