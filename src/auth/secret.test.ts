import { describe, expect, it } from "vitest";
import { MIN_SECRET_BYTES, PUBLIC_DEV_SECRET, authSecret, requireSecretBytes, secretProblem } from "./secret.ts";

describe("AUTH_SECRET", () => {
  it("must be at least 32 bytes of UTF-8", () => {
    expect(secretProblem(undefined, false)).toMatch(/not set/);
    expect(secretProblem("", false)).toMatch(/not set/);
    expect(secretProblem("x".repeat(MIN_SECRET_BYTES - 1), false)).toMatch(/shorter than 32 bytes/);
    expect(secretProblem("x".repeat(MIN_SECRET_BYTES), false)).toBeUndefined();
    // Bytes, not characters: 11 three-byte characters are 33 bytes.
    expect(secretProblem("€".repeat(11), false)).toBeUndefined();
    expect(secretProblem("€".repeat(10), false)).toMatch(/shorter/);
    // The old `npm start` secret (31 characters) is too short everywhere.
    expect(secretProblem("parley-local-development-secret", true)).toMatch(/shorter/);
  });

  it("refuses the public development secret unless dev login is on", () => {
    expect(PUBLIC_DEV_SECRET.length).toBeGreaterThanOrEqual(MIN_SECRET_BYTES);
    expect(secretProblem(PUBLIC_DEV_SECRET, false)).toMatch(/public development secret/);
    expect(secretProblem(PUBLIC_DEV_SECRET, true)).toBeUndefined();
    expect(() => authSecret({ AUTH_SECRET: PUBLIC_DEV_SECRET, DEV_LOGIN: "false" })).toThrow(/public development secret/);
    expect(() => authSecret({ AUTH_SECRET: PUBLIC_DEV_SECRET })).toThrow(/public development secret/);
    expect(authSecret({ AUTH_SECRET: PUBLIC_DEV_SECRET, DEV_LOGIN: "true" })).toBe(PUBLIC_DEV_SECRET);
  });

  it("the token functions' own check looks at the length only", () => {
    expect(() => requireSecretBytes("short")).toThrow(/shorter/);
    expect(requireSecretBytes(PUBLIC_DEV_SECRET)).toBe(PUBLIC_DEV_SECRET);
  });
});
