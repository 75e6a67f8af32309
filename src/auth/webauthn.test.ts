import { describe, expect, it } from "vitest";
import { readSignIn } from "../shared/config.ts";
import { attestationFormat, isIpAddress, reasonOf, relyingParty, userIdOfHandle } from "./webauthn.ts";

describe("relyingParty", () => {
  it("is the request's host and origin unless the settings name them", () => {
    expect(relyingParty(readSignIn({}), "http://localhost:8787/v1/auth/passkeys/login/options")).toEqual({ id: "localhost", name: "Parley", origins: ["http://localhost:8787"] });
    const set = readSignIn({ WEBAUTHN_RP_ID: "Example.com", WEBAUTHN_RP_NAME: "Chat", WEBAUTHN_ORIGINS: "https://example.com, https://app.example.com" });
    expect(relyingParty(set, "https://parley.workers.dev/x")).toEqual({ id: "example.com", name: "Chat", origins: ["https://example.com", "https://app.example.com"] });
  });

  it("is absent when passkeys are off or the host is an IP address", () => {
    expect(relyingParty(readSignIn({ PASSKEYS: "false" }), "https://example.com/")).toBeUndefined();
    expect(relyingParty(readSignIn({}), "http://127.0.0.1:8787/")).toBeUndefined();
    expect(relyingParty(readSignIn({}), "http://[::1]:8787/")).toBeUndefined();
    expect(isIpAddress("10.0.0.1")).toBe(true);
    expect(isIpAddress("example.com")).toBe(false);
  });
});

describe("reasonOf", () => {
  it("names the category of a refusal without quoting the library's values", () => {
    expect(reasonOf('Unexpected authentication response challenge "abc", expected "def"')).toBe("wrong challenge");
    expect(reasonOf('Unexpected authentication response origin "https://evil", expected "x"')).toBe("wrong origin");
    expect(reasonOf("Unexpected RP ID hash")).toBe("wrong RP ID");
    expect(reasonOf("Response counter value 3 was lower than expected 5")).toBe("signature counter went back");
    expect(reasonOf("User verification required, but user could not be verified")).toBe("user not verified");
    expect(reasonOf("something else")).toBe("malformed response");
  });
});

describe("user handles and attestation formats", () => {
  it("a user handle is the user id's UTF-8; anything else is undefined", () => {
    expect(userIdOfHandle(btoa("u_abc").replace(/=+$/, ""))).toBe("u_abc");
    expect(userIdOfHandle(undefined)).toBeUndefined();
    expect(userIdOfHandle("_-8")).toBeUndefined();
  });

  it("an unreadable attestation object has no format", () => {
    expect(attestationFormat("AAAA")).toBeUndefined();
    expect(attestationFormat("!!")).toBeUndefined();
  });
});
