import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.ts";
import { TIMING } from "./timing.ts";

const timing = { BACKOFF_BASE_MS: 500, BACKOFF_MAX_MS: 15_000, BACKOFF_MIN_MS: 100 };

describe("backoffDelay", () => {
  it("doubles the ceiling per attempt up to the cap", () => {
    const almostOne = () => 0.999_999;
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, timing, almostOne))).toEqual([
      499, 999, 1999, 3999, 7999, 14_999, 14_999,
    ]);
  });

  it("draws uniformly below the ceiling (full jitter) and never under the floor", () => {
    expect(backoffDelay(4, timing, () => 0.5)).toBe(2000);
    expect(backoffDelay(4, timing, () => 0)).toBe(100);
    for (let i = 0; i < 1000; i++) {
      const d = backoffDelay(3, timing);
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThan(2000);
    }
  });

  it("stays capped for absurd attempt counts and treats nonsense as the first attempt", () => {
    expect(backoffDelay(10_000, timing, () => 0.999)).toBeLessThan(15_000);
    expect(backoffDelay(0, timing, () => 0.999)).toBe(499);
    expect(backoffDelay(-3, timing, () => 0.999)).toBe(499);
  });

  it("uses the documented defaults", () => {
    expect(backoffDelay(1, TIMING, () => 0.999)).toBeLessThan(TIMING.BACKOFF_BASE_MS);
    expect(backoffDelay(50, TIMING, () => 0.999)).toBeLessThan(TIMING.BACKOFF_MAX_MS);
  });
});
