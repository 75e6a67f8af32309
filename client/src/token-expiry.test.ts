import { describe, expect, it } from "vitest";
import { TIMING } from "./timing.ts";
import { jwtExpiresAt, refreshDelay } from "./token-expiry.ts";

/** A JWT-shaped token (the signature is never looked at). */
function jwt(claims: unknown): string {
  const b64url = (x: unknown) =>
    btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(x))))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  return `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url(claims)}.c2lnbmF0dXJl`;
}

const timing = { TOKEN_REFRESH_MARGIN_MS: 60_000, TOKEN_REFRESH_JITTER_MS: 30_000 };
const NOW = 1_763_769_600_000;

describe("jwtExpiresAt", () => {
  it("reads exp (seconds) as ms, through base64url and UTF-8", () => {
    // "Zoë" and "~~~" put non-ASCII bytes and base64url's - and _ into the payload.
    expect(jwtExpiresAt(jwt({ sub: "u_1", name: "Zoë", note: "~~~???>>>", exp: 1_763_770_500 }))).toBe(1_763_770_500_000);
  });

  it("knows nothing of a token that is not a JWT with a numeric exp", () => {
    for (const token of ["t1", "a.b", "a.b.c.d", "x.%%%.y", `x.${btoa("not json")}.y`, jwt({ sub: "u_1" }), jwt({ exp: "1763770500" }), jwt(null)]) {
      expect(jwtExpiresAt(token)).toBeUndefined();
    }
  });
});

describe("refreshDelay", () => {
  const in15min = NOW + 15 * 60_000;

  it("is due the margin plus a random share of the jitter before expiry", () => {
    expect(refreshDelay(in15min, NOW, false, timing, () => 0)).toBe(15 * 60_000 - 60_000);
    expect(refreshDelay(in15min, NOW, false, timing, () => 0.5)).toBe(15 * 60_000 - 75_000);
    expect(refreshDelay(in15min, NOW, false, timing, () => 0.999_999)).toBe(15 * 60_000 - 89_999);
    for (let i = 0; i < 200; i++) {
      const d = refreshDelay(in15min, NOW, true, TIMING)!;
      expect(d).toBeGreaterThan(15 * 60_000 - TIMING.TOKEN_REFRESH_MARGIN_MS - TIMING.TOKEN_REFRESH_JITTER_MS);
      expect(d).toBeLessThanOrEqual(15 * 60_000 - TIMING.TOKEN_REFRESH_MARGIN_MS);
    }
  });

  it("is due at once, never negative, for a token already inside the margin or expired", () => {
    expect(refreshDelay(NOW + 59_000, NOW, false, timing, () => 0)).toBe(0);
    expect(refreshDelay(NOW + 80_000, NOW, false, timing, () => 0.999)).toBe(0);
    expect(refreshDelay(NOW - 3_600_000, NOW, false, timing, () => 0.5)).toBe(0);
  });

  it("gives a token a refresh has just produced half its remaining life, and none when this clock says it expired", () => {
    // Shorter-lived than the margin (or a clock ahead of the server's): not at once, which would loop.
    expect(refreshDelay(NOW + 40_000, NOW, true, timing, () => 0)).toBe(20_000);
    expect(refreshDelay(NOW - 1_000, NOW, true, timing, () => 0)).toBeUndefined();
    expect(refreshDelay(NOW, NOW, true, timing, () => 0)).toBeUndefined();
  });
});
