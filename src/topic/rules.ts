/**
 * The rules of a topic that need no runtime: what a subscriber resuming
 * from a seq gets, how far the retention window may be cut, and how events
 * are packed into frames. Plain functions with their own tests (rules.test.ts).
 */

/**
 * What a subscribe gets. Events up to `prunedSeq` are gone, so a client
 * that holds `afterSeq` can be replayed exactly when every event after it
 * is still kept (`afterSeq >= prunedSeq`). A cursor ahead of the topic
 * (a client's bug, or a store that was lost) is a reset as well: the
 * client cannot know what it holds.
 */
export function resumePlan(afterSeq: number | undefined, prunedSeq: number, lastSeq: number): "live" | "replay" | "reset" {
  if (afterSeq === undefined) return "live";
  if (afterSeq > lastSeq || afterSeq < prunedSeq) return "reset";
  return "replay";
}

/**
 * The highest seq that may be deleted now: what falls outside the count
 * (`lastSeq - keepEvents`) or the age (`agedSeq`, the last event older than
 * the retention time), but never an event not yet sent to the sockets
 * (`flushedSeq`), and never less than what is already gone.
 */
export function pruneBound(p: { lastSeq: number; flushedSeq: number; prunedSeq: number; keepEvents: number; agedSeq?: number }): number {
  const outside = Math.max(p.lastSeq - p.keepEvents, p.agedSeq ?? 0);
  return Math.max(p.prunedSeq, Math.min(outside, p.flushedSeq));
}

/** One event as it goes on the wire; `data` is the payload's JSON text, embedded as is. */
export function eventJson(seq: number, createdAt: number, data: string): string {
  return `{"seq":${seq},"created_at":${createdAt},"data":${data}}`;
}

const encoder = new TextEncoder();

/** UTF-8 size of a string, counted without encoding when it is plain ASCII-sized anyway. */
function utf8Bytes(s: string): number {
  // Only non-ASCII text is longer in UTF-8 than in UTF-16 units.
  return /^[\x00-\x7f]*$/.test(s) ? s.length : encoder.encode(s).byteLength;
}

/**
 * Packs events (each already JSON) into `topic.events` frames of at most
 * `maxBytes` of events and `maxEvents` events each, in order. An event
 * larger than `maxBytes` by itself travels alone.
 */
export function packFrames(events: ReadonlyArray<{ seq: number; json: string }>, maxBytes: number, maxEvents: number, rid?: string): string[] {
  const frames: string[] = [];
  const head = rid === undefined ? `{"v":1,"type":"topic.events","data":{"events":[` : `{"v":1,"type":"topic.events","rid":${JSON.stringify(rid)},"data":{"events":[`;
  let parts: string[] = [];
  let bytes = 0;
  let last = 0;
  const close = () => {
    frames.push(`${head}${parts.join(",")}],"last_seq":${last}}}`);
    parts = [];
    bytes = 0;
  };
  for (const e of events) {
    const size = utf8Bytes(e.json);
    if (parts.length > 0 && (parts.length >= maxEvents || bytes + size > maxBytes)) close();
    parts.push(e.json);
    bytes += size;
    last = e.seq;
  }
  if (parts.length > 0) close();
  return frames;
}
