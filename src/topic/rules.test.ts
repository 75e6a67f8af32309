import { describe, expect, it } from "vitest";
import { TopicServerFrame } from "../protocol/index.ts";
import { eventJson, packFrames, pruneBound, resumePlan } from "./rules.ts";

describe("resumePlan", () => {
  it("replays when every event after the cursor is still kept, resets otherwise, and starts live without a cursor", () => {
    expect(resumePlan(undefined, 5, 10)).toBe("live");
    expect(resumePlan(5, 5, 10)).toBe("replay"); // 6..10 are kept
    expect(resumePlan(10, 5, 10)).toBe("replay"); // nothing missed: an empty replay
    expect(resumePlan(4, 5, 10)).toBe("reset"); // 5 is gone
    expect(resumePlan(0, 0, 0)).toBe("replay");
    expect(resumePlan(11, 5, 10)).toBe("reset"); // ahead of the topic
  });
});

describe("pruneBound", () => {
  it("cuts what falls outside the count or the age, never an event not yet flushed, never backwards", () => {
    expect(pruneBound({ lastSeq: 100, flushedSeq: 100, prunedSeq: 0, keepEvents: 10 })).toBe(90);
    expect(pruneBound({ lastSeq: 100, flushedSeq: 50, prunedSeq: 0, keepEvents: 10 })).toBe(50);
    expect(pruneBound({ lastSeq: 100, flushedSeq: 100, prunedSeq: 0, keepEvents: 10, agedSeq: 95 })).toBe(95);
    expect(pruneBound({ lastSeq: 100, flushedSeq: 100, prunedSeq: 97, keepEvents: 10, agedSeq: 95 })).toBe(97);
    expect(pruneBound({ lastSeq: 5, flushedSeq: 5, prunedSeq: 0, keepEvents: 10 })).toBe(0);
  });
});

describe("packFrames", () => {
  const events = Array.from({ length: 7 }, (_, i) => ({ seq: i + 1, json: eventJson(i + 1, 1000 + i, JSON.stringify({ n: i + 1, s: "é".repeat(10) })) }));

  it("builds valid topic.events frames carrying every event once, in order, with last_seq and the rid", () => {
    const frames = packFrames(events, 1_000_000, 1000, "r7");
    expect(frames).toHaveLength(1);
    const frame = TopicServerFrame.parse(JSON.parse(frames[0]!));
    expect(frame).toMatchObject({ type: "topic.events", rid: "r7", data: { last_seq: 7 } });
    expect((frame.data as { events: Array<{ seq: number; data: unknown }> }).events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(JSON.parse(packFrames(events, 1_000_000, 1000)[0]!).rid).toBeUndefined();
  });

  it("splits by count and by UTF-8 size, keeping order; an event larger than the limit travels alone", () => {
    const byCount = packFrames(events, 1_000_000, 3).map((f) => JSON.parse(f).data);
    expect(byCount.map((d: { events: Array<{ seq: number }> }) => d.events.map((e) => e.seq))).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(byCount.map((d: { last_seq: number }) => d.last_seq)).toEqual([3, 6, 7]);
    // Each event is about 70 bytes of UTF-8 (é is two bytes): 100 bytes hold one.
    const bySize = packFrames(events, 100, 1000).map((f) => JSON.parse(f).data.events.length);
    expect(bySize).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(packFrames([], 100, 10)).toEqual([]);
  });
});
