import { describe, expect, it } from "vitest";
import { INBOX_COALESCE_MS, retryDelay, sweepDueAt, sweepInterval } from "./fanout.ts";

describe("retryDelay", () => {
  it("grows from about a second to at most five minutes, with jitter", () => {
    expect(retryDelay(1, 1)).toBe(2000);
    expect(retryDelay(1, 0)).toBe(500);
    expect(retryDelay(3, 1)).toBe(8000);
    expect(retryDelay(30, 1)).toBe(300_000);
    expect(retryDelay(30, 0.5)).toBe(150_000);
    for (let i = 0; i < 100; i++) {
      const d = retryDelay(5);
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(32_000);
    }
  });
});

describe("sweepInterval and sweepDueAt", () => {
  it("sweeps at most every 2 s, and less often in large rooms (10 ms a member), up to a minute", () => {
    expect(sweepInterval(2)).toBe(2000);
    expect(sweepInterval(200)).toBe(2000);
    expect(sweepInterval(1000)).toBe(10_000);
    expect(sweepInterval(100_000)).toBe(60_000);
  });

  it("waits the coalescing window after a quiet spell, and the interval after the last sweep", () => {
    expect(sweepDueAt(10_000, undefined, 3)).toBe(10_000 + INBOX_COALESCE_MS);
    // Long after the last sweep: only the window.
    expect(sweepDueAt(10_000, 1000, 3)).toBe(10_000 + INBOX_COALESCE_MS);
    // Right after one: the interval since it started.
    expect(sweepDueAt(10_100, 10_000, 3)).toBe(12_000);
    expect(sweepDueAt(10_100, 10_000, 1000)).toBe(20_000);
  });
});
