import { describe, expect, it } from "vitest";
import { advanceWatermark, historyWindow } from "./rules.ts";

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
