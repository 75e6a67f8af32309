import { describe, expect, it } from "vitest";
import { CloseCode, isTerminal, shouldReauthenticate, shouldReconnect } from "./close-codes.ts";

describe("close code ranges", () => {
  it("fix what a client does next", () => {
    expect([CloseCode.FORBIDDEN, CloseCode.POLICY_VIOLATION].map(isTerminal)).toEqual([true, true]);
    expect([CloseCode.FORBIDDEN, CloseCode.POLICY_VIOLATION].map(shouldReconnect)).toEqual([false, false]);
    expect(shouldReauthenticate(CloseCode.TOKEN_EXPIRED)).toBe(true);
    expect(shouldReconnect(CloseCode.TOKEN_EXPIRED)).toBe(false);
    for (const code of [CloseCode.SERVER_SHUTDOWN, CloseCode.REPLACED, CloseCode.HEARTBEAT_TIMEOUT, 1006]) {
      expect(shouldReconnect(code)).toBe(true);
      expect(isTerminal(code)).toBe(false);
    }
  });
});
