import { describe, expect, it } from "vitest";
import { ParleyError } from "../protocol/index.ts";
import { isSendableCloseCode, refusal } from "./sockets.ts";

describe("isSendableCloseCode", () => {
  it("never lets 1005, 1006 or 1015 onto the wire, nor codes outside the ranges", () => {
    for (const code of [1005, 1006, 1015, 1004, 999, 2000, 5000, 0]) expect(isSendableCloseCode(code), String(code)).toBe(false);
    for (const code of [1000, 1001, 1008, 1011, 3000, 4003, 4008, 4101, 4202]) expect(isSendableCloseCode(code), String(code)).toBe(true);
  });
});

describe("refusal", () => {
  it("answers the error object with its status, and Retry-After in whole seconds when there is a wait", async () => {
    const res = refusal(new ParleyError("rate_limited", "slow down", { retryAfterMs: 1200 }));
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(await res.json()).toEqual({ code: "rate_limited", message: "slow down", retryable: true, retry_after_ms: 1200 });
    expect(refusal(new ParleyError("forbidden", "no")).headers.get("retry-after")).toBeNull();
  });
});
