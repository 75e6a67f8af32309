import { describe, expect, it } from "vitest";
import { retryDelay } from "./fanout.ts";

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
