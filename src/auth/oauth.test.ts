import { describe, expect, it } from "vitest";
import { authorizeUrl, decodeJwtPayload, idTokenProblem, suggestUsername } from "./oauth.ts";

const config = { clientId: "cid", clientSecret: "secret", authorizeUrl: "https://idp.example/auth?x=1", tokenUrl: "https://idp.example/token" };

describe("authorizeUrl", () => {
  it("asks for a code with PKCE S256 and the state; Google also with the nonce; never the secret", () => {
    const p = { redirectUri: "https://parley.example/v1/auth/oauth/google/callback", state: "st", codeChallenge: "ch", nonce: "no" };
    const google = new URL(authorizeUrl("google", config, p));
    expect(Object.fromEntries(google.searchParams)).toEqual({
      x: "1", client_id: "cid", redirect_uri: p.redirectUri, response_type: "code", scope: "openid email profile", state: "st",
      code_challenge: "ch", code_challenge_method: "S256", nonce: "no", prompt: "select_account",
    });
    const github = new URL(authorizeUrl("github", config, p));
    expect(github.searchParams.get("scope")).toBe("read:user");
    expect(github.searchParams.has("nonce")).toBe(false);
    expect(github.toString()).not.toContain("secret");
  });
});

describe("ID token claims", () => {
  const now = 1_800_000_000_000;
  const good = { iss: "https://accounts.google.com", aud: "cid", sub: "123", exp: now / 1000 + 60, nonce: "n" };
  const expected = { issuer: "https://accounts.google.com", clientId: "cid", nonce: "n", now };

  it("accept the flow's issuer, audience, nonce and an unexpired token", () => {
    expect(idTokenProblem(good, expected)).toBeUndefined();
    expect(idTokenProblem({ ...good, iss: "accounts.google.com" }, expected)).toBeUndefined();
    expect(idTokenProblem({ ...good, aud: ["cid", "other"], azp: "cid" }, expected)).toBeUndefined();
  });

  it("refuse every other", () => {
    expect(idTokenProblem({ ...good, iss: "https://evil.example" }, expected)).toBe("wrong issuer");
    expect(idTokenProblem({ ...good, iss: "accounts.google.com" }, { ...expected, issuer: "https://fake.example" })).toBe("wrong issuer");
    expect(idTokenProblem({ ...good, aud: "other" }, expected)).toBe("wrong audience");
    expect(idTokenProblem({ ...good, aud: ["cid", "other"], azp: "other" }, expected)).toBe("wrong authorized party");
    expect(idTokenProblem({ ...good, exp: now / 1000 }, expected)).toBe("expired");
    expect(idTokenProblem({ ...good, exp: "later" }, expected)).toBe("expired");
    expect(idTokenProblem({ ...good, nonce: "m" }, expected)).toBe("wrong nonce");
    expect(idTokenProblem({ ...good, nonce: undefined }, expected)).toBe("wrong nonce");
    expect(idTokenProblem({ ...good, sub: "" }, expected)).toBe("no subject");
    expect(idTokenProblem({ ...good, sub: 5 }, expected)).toBe("no subject");
  });

  it("decodeJwtPayload reads the payload of a compact JWS, and nothing else", () => {
    const b64 = (v: unknown) => btoa(JSON.stringify(v)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    expect(decodeJwtPayload(`${b64({ alg: "RS256" })}.${b64({ sub: "1" })}.sig`)).toEqual({ sub: "1" });
    for (const bad of ["", "a.b", "a.b.c.d", `x.${b64([1])}.s`, `x.${b64("str")}.s`, "x.!!!.s", `x.${"A".repeat(20_000)}.s`]) expect(decodeJwtPayload(bad), bad).toBeUndefined();
  });
});

describe("suggestUsername", () => {
  it("makes a valid username of a provider's name when it can", () => {
    expect(suggestUsername("octo-cat")).toBe("octo_cat");
    expect(suggestUsername("ada.lovelace")).toBe("ada_lovelace");
    expect(suggestUsername("Jürgen")).toBe("Jrgen");
    expect(suggestUsername("x".repeat(40))).toBe("x".repeat(32));
    for (const none of [null, undefined, "", "ab", "admin", "ü-ö"]) expect(suggestUsername(none), String(none)).toBeNull();
  });
});
