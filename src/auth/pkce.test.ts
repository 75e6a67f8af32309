import { describe, expect, it } from "vitest";
import { codeChallenge, isCodeVerifier, newCodeVerifier } from "./pkce.ts";

describe("PKCE", () => {
  it("S256 of the RFC 7636 example verifier is the RFC's challenge", async () => {
    expect(await codeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  });

  it("verifiers are fresh, 64 characters, and valid by the RFC", async () => {
    const a = newCodeVerifier();
    const b = newCodeVerifier();
    expect(a).not.toBe(b);
    expect(a).toHaveLength(64);
    expect(isCodeVerifier(a)).toBe(true);
    expect(await codeChallenge(a)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const bad of ["short", "x".repeat(129), `${"x".repeat(43)} `, `${"x".repeat(42)}+`]) expect(isCodeVerifier(bad), bad).toBe(false);
  });
});
