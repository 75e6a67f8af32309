import { describe, expect, it } from "vitest";
import { clearOauthCookie, clearRefreshCookie, oauthCookie, readCookie, refreshCookie, serializeCookie } from "./cookies.ts";

describe("readCookie", () => {
  it("finds a cookie among others, the first of a repeated name, with or without quotes", () => {
    expect(readCookie("a=1; parley_refresh=rt_x.y; b=2", "parley_refresh")).toBe("rt_x.y");
    expect(readCookie("parley_refresh=first; parley_refresh=second", "parley_refresh")).toBe("first");
    expect(readCookie('parley_refresh="quoted"', "parley_refresh")).toBe("quoted");
    expect(readCookie("  parley_refresh = spaced ;x=y", "parley_refresh")).toBe("spaced");
  });

  it("treats a missing, empty, oversized or ill-formed value as absent", () => {
    for (const header of [undefined, null, "", "x=1", "parley_refresh=", "parley_refresh", "parley_refreshx=1", `parley_refresh=${"a".repeat(1025)}`, "parley_refresh=a b", "parley_refresh=a\\b", 'parley_refresh=a"b']) {
      expect(readCookie(header, "parley_refresh"), String(header)).toBeUndefined();
    }
  });
});

describe("Set-Cookie values", () => {
  it("the refresh cookie is HttpOnly, Secure, SameSite=Strict on /v1/auth; the OAuth cookie Lax on /v1/auth/oauth", () => {
    expect(refreshCookie("rt_a.b", 30 * 24 * 3600 * 1000)).toBe("parley_refresh=rt_a.b; Path=/v1/auth; Max-Age=2592000; HttpOnly; Secure; SameSite=Strict");
    expect(clearRefreshCookie()).toBe("parley_refresh=; Path=/v1/auth; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
    expect(oauthCookie("abc", 600_000)).toBe("parley_oauth=abc; Path=/v1/auth/oauth; Max-Age=600; HttpOnly; Secure; SameSite=Lax");
    expect(clearOauthCookie()).toBe("parley_oauth=; Path=/v1/auth/oauth; Max-Age=0; HttpOnly; Secure; SameSite=Lax");
  });

  it("refuses a name or value a cookie cannot carry", () => {
    expect(() => serializeCookie("bad name", "x", { path: "/", maxAgeSeconds: 1, sameSite: "Lax" })).toThrow(/not a token/);
    expect(() => serializeCookie("ok", "a;b", { path: "/", maxAgeSeconds: 1, sameSite: "Lax" })).toThrow(/cannot carry/);
  });
});
