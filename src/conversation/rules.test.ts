import { describe, expect, it } from "vitest";
import type { Bucket } from "../shared/rules.ts";
import { advanceWatermark, chargeReplay, historyWindow, noSuchConversation, replayAllowance, typingRelay, type TypingState } from "./rules.ts";

describe("advanceWatermark", () => {
  it("is max-wins and capped at the last seq", () => {
    expect(advanceWatermark(5, 3, 10)).toBe(5);
    expect(advanceWatermark(5, 8, 10)).toBe(8);
    expect(advanceWatermark(5, 80, 10)).toBe(10);
    expect(advanceWatermark(0, 80, 0)).toBe(0);
  });
});

describe("historyWindow", () => {
  it("pages forward from after_seq, otherwise backward from before_seq or the end", () => {
    expect(historyWindow({ after_seq: 3, limit: 10 })).toEqual({ direction: "forward", after: 3, before: undefined, limit: 10 });
    expect(historyWindow({ after_seq: 3, before_seq: 9, limit: 10 })).toEqual({ direction: "forward", after: 3, before: 9, limit: 10 });
    expect(historyWindow({ before_seq: 9, limit: 10 })).toEqual({ direction: "backward", before: 9, limit: 10 });
    expect(historyWindow({ limit: 10 })).toEqual({ direction: "backward", before: undefined, limit: 10 });
  });
});

describe("typingRelay", () => {
  const run = (frames: Array<["start" | "stop", number]>) => {
    let state: TypingState | undefined;
    const relayed: string[] = [];
    for (const [kind, at] of frames) {
      const r = typingRelay(state, kind, at, 2000);
      state = r.next;
      if (r.relay) relayed.push(`${kind}@${at}`);
    }
    return { relayed, state };
  };

  it("relays a stop only after a relayed start, once", () => {
    expect(run([["stop", 0], ["stop", 1]]).relayed).toEqual([]);
    expect(run([["start", 0], ["stop", 10], ["stop", 20], ["stop", 30]]).relayed).toEqual(["start@0", "stop@10"]);
  });

  it("relays a start at most once per interval, and a stop does not reset the interval", () => {
    const frames: Array<["start" | "stop", number]> = [];
    // 300 start/stop pairs within one second: one start and one stop go out.
    for (let i = 0; i < 300; i++) frames.push(["start", i * 3], ["stop", i * 3 + 1]);
    expect(run(frames).relayed).toEqual(["start@0", "stop@1"]);
    expect(run([["start", 0], ["start", 1999], ["start", 2000], ["stop", 2500], ["start", 3000], ["start", 4000]]).relayed)
      .toEqual(["start@0", "start@2000", "stop@2500", "start@4000"]);
  });

  it("forgets a user who stopped more than an interval after their start", () => {
    expect(run([["start", 0], ["stop", 500]]).state).toEqual({ startedAt: 0, active: false });
    expect(run([["start", 0], ["stop", 2500]]).state).toBeUndefined();
  });
});

describe("noSuchConversation", () => {
  it("is not_found, with the same words every time", () => {
    expect(noSuchConversation().toBody()).toEqual({ code: "not_found", message: "No such conversation.", retryable: false });
    expect(noSuchConversation().toBody()).toEqual(noSuchConversation().toBody());
  });
});

describe("replayAllowance and chargeReplay (the replay budget, §22.11)", () => {
  const rate = { messages: 3000, per_ms: 3000 }; // 1 a millisecond

  it("cuts a page to the budget left, charges what was delivered, at least the minimum", () => {
    const first = replayAllowance(undefined, 0, rate, 1000, 10);
    expect(first).toMatchObject({ ok: true, limit: 1000 });
    if (!first.ok) throw new Error("refused");
    let bucket = chargeReplay(first.bucket, 1000, 10);
    expect(bucket.tokens).toBe(2000);
    bucket = chargeReplay(bucket, 0, 10); // an empty page is not free
    expect(bucket.tokens).toBe(1990);
    const cut = replayAllowance({ tokens: 250, updatedAt: 0 }, 0, rate, 1000, 10);
    expect(cut).toMatchObject({ ok: true, limit: 250 });
  });

  it("refuses with the wait until the minimum is back, and refills with time", () => {
    const refused = replayAllowance({ tokens: 4, updatedAt: 0 }, 0, rate, 1000, 10);
    expect(refused).toMatchObject({ ok: false, retryAfterMs: 6 });
    const later = replayAllowance({ tokens: 4, updatedAt: 0 }, 500, rate, 1000, 10);
    expect(later).toMatchObject({ ok: true, limit: 504 });
  });

  it("a loop of full replays runs dry: 20 000 a burst, then 1000 a second", () => {
    const budget = { messages: 20_000, per_ms: 20_000 };
    let bucket: Bucket | undefined;
    let delivered = 0;
    let now = 0;
    for (let i = 0; i < 100; i++) {
      const a = replayAllowance(bucket, now, budget, 1000, 10);
      bucket = a.bucket;
      if (!a.ok) break;
      bucket = chargeReplay(a.bucket, a.limit, 10);
      delivered += a.limit;
      now += 1; // a request every millisecond
    }
    expect(delivered).toBeLessThan(20_200);
    expect(delivered).toBeGreaterThanOrEqual(20_000);
  });
});
