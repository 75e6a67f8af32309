import { describe, expect, it } from "vitest";
import { ExpiringSet, recordBadFrame, takeToken, type Bucket } from "./rules.ts";

const RATE = { messages: 3, per_ms: 3000 };

describe("takeToken", () => {
  it("allows a burst up to the capacity, then refuses with the wait until one token is back", () => {
    let bucket: Bucket | undefined;
    for (let i = 0; i < 3; i++) {
      const r = takeToken(bucket, 1000, RATE);
      expect(r.ok).toBe(true);
      bucket = r.bucket;
    }
    const refused = takeToken(bucket, 1000, RATE);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterMs).toBe(1000);
  });

  it("refills evenly over time and never above capacity", () => {
    let bucket: Bucket = { tokens: 0, updatedAt: 0 };
    const half = takeToken(bucket, 500, RATE);
    expect(half.ok).toBe(false);
    if (!half.ok) expect(half.retryAfterMs).toBe(500);
    bucket = half.bucket;
    expect(takeToken(bucket, 1000, RATE).ok).toBe(true);
    const later = takeToken({ tokens: 0, updatedAt: 0 }, 1_000_000, RATE);
    expect(later.bucket.tokens).toBe(2);
  });

  it("takes a cost of several tokens whole or not at all; a cost above the capacity never passes", () => {
    const ten = { messages: 10, per_ms: 10_000 };
    const first = takeToken(undefined, 0, ten, 7);
    expect(first).toMatchObject({ ok: true, bucket: { tokens: 3 } });
    const refused = takeToken(first.bucket, 0, ten, 4);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterMs).toBe(1000);
    expect(refused.bucket.tokens).toBe(3);
    expect(takeToken(refused.bucket, 1000, ten, 4)).toMatchObject({ ok: true, bucket: { tokens: 0 } });
    const never = takeToken(undefined, 0, ten, 11);
    expect(never.ok).toBe(false);
    if (!never.ok) expect(never.retryAfterMs).toBe(Infinity);
  });
});

describe("recordBadFrame", () => {
  const LIMIT = { count: 3, window_ms: 1000 };
  it("is exceeded at the count-th bad frame inside the window", () => {
    let times: number[] = [];
    const results = [0, 100, 200].map((t) => {
      const r = recordBadFrame(times, t, LIMIT);
      times = r.times;
      return r.exceeded;
    });
    expect(results).toEqual([false, false, true]);
  });

  it("forgets bad frames older than the window", () => {
    const r = recordBadFrame([0, 100], 1100, LIMIT);
    expect(r.exceeded).toBe(false);
    expect(r.times).toEqual([1100]);
  });

  it("keeps at most count timestamps", () => {
    const r = recordBadFrame([1, 2, 3, 4, 5], 6, { count: 3, window_ms: 1000 });
    expect(r.times).toEqual([4, 5, 6]);
  });
});

describe("ExpiringSet", () => {
  it("remembers a key for its time after the last add, and holds nothing older", () => {
    const set = new ExpiringSet(1000);
    set.add("a", 0);
    set.add("b", 500);
    expect(set.has("a", 999)).toBe(true);
    expect(set.has("a", 1000)).toBe(false);
    expect(set.has("b", 1000)).toBe(true);
    set.add("b", 1400);
    expect(set.has("b", 2000)).toBe(true);
    expect(set.has("b", 2400)).toBe(false);
    expect(set.size).toBe(0);
    expect(set.has("never", 0)).toBe(false);
  });
});
